//! Writing one action into the document, as the partner performing it.
//!
//! Each action validates its input against the current hydrated document, then writes the
//! smallest set of records (with `reconcile_prop`, never a whole-document reconcile). The
//! caller commits the result as one change.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value, transaction::Transactable};
use autosurgeon::{Reconcile, reconcile_prop};
use chrono::NaiveDate;

use crate::action::{
    Action, AgreementDraft, CheckInDraft, RevisionDraft, optional, required, scale,
};
use crate::error::CoreError;
use crate::id::{new_id, resolve, short};
use crate::identity::PartnerKey;
use crate::schema::{
    Agreement, Appreciation, Category, CheckIn, Closure, Commitment, Consent, Records, Repair,
    RepairResponse, Reply, Report, ReportAck, Retirement, Revision, Root, Space, TimeOut,
    collections as col, keys,
};
use crate::time::{Moment, format_date, local_time, parse_date};
use crate::view::agreements::{holding, leaves, retired};

/// What an action wrote.
#[derive(Debug)]
pub(crate) struct Written {
    pub message: String,
    pub record: String,
}

struct Ctx<'a> {
    doc: &'a mut AutoCommit,
    root: &'a Root,
    me: PartnerKey,
    partner: PartnerKey,
    now: Moment,
    empty: Space,
}

impl Ctx<'_> {
    fn mine(&self) -> &Space {
        self.root.by.get(&self.me.to_hex()).unwrap_or(&self.empty)
    }

    fn theirs(&self) -> &Space {
        self.root
            .by
            .get(&self.partner.to_hex())
            .unwrap_or(&self.empty)
    }

    fn partner_name(&self) -> String {
        self.root
            .couple
            .partners
            .get(&self.partner.to_hex())
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "your partner".into())
    }

    fn today(&self) -> NaiveDate {
        self.now.today()
    }

    /// Writes `value` as record `id` of my own collection.
    fn put_mine<T: Reconcile>(
        &mut self,
        collection: &str,
        id: &str,
        value: &T,
    ) -> Result<(), CoreError> {
        let by = child_map(self.doc, &ROOT, keys::BY)?;
        let space = child_map(self.doc, &by, &self.me.to_hex())?;
        let coll = child_map(self.doc, &space, collection)?;
        reconcile_prop(self.doc, &coll, id, value)?;
        Ok(())
    }

    fn not_in_future(&self, what: &str, date: NaiveDate) -> Result<(), CoreError> {
        if date > self.today() {
            return Err(CoreError::Invalid(format!(
                "{what} cannot be in the future ({})",
                format_date(date)
            )));
        }
        Ok(())
    }

    fn not_in_past(&self, what: &str, date: NaiveDate) -> Result<(), CoreError> {
        if date < self.today() {
            return Err(CoreError::Invalid(format!(
                "{what} cannot be in the past ({})",
                format_date(date)
            )));
        }
        Ok(())
    }
}

/// The map at `parent[key]`, created if this partner's own space lacks it (a collection
/// added by a later version). Shared containers always exist from the first change.
fn child_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId, CoreError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        Some(_) => Err(CoreError::Invalid(format!(
            "the document has a damaged “{key}”"
        ))),
        None => Ok(doc.put_object(parent, key, ObjType::Map)?),
    }
}

fn existing_map(doc: &AutoCommit, parent: &ObjId, key: &str) -> Result<ObjId, CoreError> {
    match doc.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(CoreError::Invalid(format!("the document has no “{key}”"))),
    }
}

pub(crate) fn perform(
    doc: &mut AutoCommit,
    root: &Root,
    me: &PartnerKey,
    partner: &PartnerKey,
    action: &Action,
    now: Moment,
) -> Result<Written, CoreError> {
    if let Some((who, at)) = ended(root) {
        let name = root
            .couple
            .partners
            .get(&who)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let when = local_time(at, now.offset()).format("%Y-%m-%d");
        return Err(CoreError::NotAllowed(format!(
            "{name} ended this shared space on {when}; it is kept read-only — you can still read and export it"
        )));
    }
    let mut ctx = Ctx {
        doc,
        root,
        me: *me,
        partner: *partner,
        now,
        empty: Space::default(),
    };
    match action {
        Action::ProposeAgreement(draft) => propose(&mut ctx, draft),
        Action::ReviseAgreement { agreement, draft } => revise(&mut ctx, agreement, draft),
        Action::AcceptAgreement {
            agreement,
            revision,
        } => accept(&mut ctx, agreement, revision.as_deref()),
        Action::RetireAgreement { agreement, note } => retire(&mut ctx, agreement, note),
        Action::AddCheckIn(draft) => check_in(&mut ctx, draft),
        Action::ReplyToCheckIn { checkin, text } => reply(&mut ctx, checkin, text),
        Action::OpenRepair {
            what_happened,
            how_it_landed,
        } => open_repair(&mut ctx, what_happened, how_it_landed),
        Action::AcknowledgeRepair {
            repair,
            acknowledgement,
            regret,
        } => acknowledge_repair(&mut ctx, repair, acknowledgement, regret),
        Action::AddCommitment {
            repair,
            wording,
            cadence,
            due,
        } => commit(&mut ctx, repair, wording, cadence.clone(), *due),
        Action::ReportFollowThrough {
            commitment,
            outcome,
            note,
            date,
        } => report(&mut ctx, commitment, outcome.clone(), note, *date),
        Action::AcknowledgeReport { report, note } => acknowledge_report(&mut ctx, report, note),
        Action::CloseRepair { repair, note } => close_repair(&mut ctx, repair, note),
        Action::ReopenRepair { repair } => take_back_closure(&mut ctx, repair),
        Action::Appreciate { text } => appreciate(&mut ctx, text),
        Action::ThankForAppreciation { appreciation, text } => thank(&mut ctx, appreciation, text),
        Action::StartTimeOut { minutes, note } => start_time_out(&mut ctx, *minutes, note),
        Action::EndTimeOut => end_time_out(&mut ctx),
        Action::EndSpace { note } => end_space(&mut ctx, note),
        Action::PublishSeal { key, certificate } => publish_seal(&mut ctx, key, certificate),
        Action::SetMailbox { address } => set_mailbox(&mut ctx, address.as_deref()),
        Action::RecordDevice {
            device,
            certificate,
            replaces,
        } => record_device(&mut ctx, device, certificate, replaces.as_deref()),
    }
}

fn publish_seal(ctx: &mut Ctx<'_>, key: &str, certificate: &str) -> Result<Written, CoreError> {
    crate::seal::SealPublic::certified(&ctx.me, key, certificate)
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
    if ctx.mine().seal.as_ref().is_some_and(|s| s.key == key) {
        return Err(CoreError::Invalid(
            "this sealing key is already shared".into(),
        ));
    }
    let record = crate::schema::SealRecord {
        key: key.to_string(),
        certificate: certificate.to_string(),
        at: ctx.now.at_ms,
    };
    let by = child_map(ctx.doc, &ROOT, keys::BY)?;
    let space = child_map(ctx.doc, &by, &ctx.me.to_hex())?;
    reconcile_prop(ctx.doc, &space, keys::SEAL, Some(&record))?;
    Ok(Written {
        message: "shared a key for sealed bundles".into(),
        record: ctx.me.to_hex(),
    })
}

fn record_device(
    ctx: &mut Ctx<'_>,
    device: &str,
    certificate: &str,
    replaces: Option<&str>,
) -> Result<Written, CoreError> {
    let (Some(id), Some(cert)) = (
        crate::identity::hex_array::<32>(device),
        crate::identity::hex_array::<64>(certificate),
    ) else {
        return Err(CoreError::Invalid(
            "that is not a device id and certificate".into(),
        ));
    };
    ctx.me
        .verify_device(&id, &cert)
        .map_err(|_| CoreError::Invalid("the device's certificate is not mine".into()))?;
    let replaces = match replaces {
        None => None,
        Some(r) => Some(hex::encode(
            crate::identity::hex_array::<32>(r).ok_or_else(|| {
                CoreError::Invalid("the replaced device is not a device id".into())
            })?,
        )),
    };
    let device = hex::encode(id);
    if ctx.mine().devices.contains(&device) {
        return Err(CoreError::Invalid("this device is already recorded".into()));
    }
    let record = crate::schema::DeviceRecord {
        certificate: hex::encode(cert),
        at: ctx.now.at_ms,
        replaces,
    };
    ctx.put_mine(col::DEVICES, &device, &record)?;
    Ok(Written {
        message: "recorded this device as the one you sync from now on".into(),
        record: device,
    })
}

fn set_mailbox(ctx: &mut Ctx<'_>, address: Option<&str>) -> Result<Written, CoreError> {
    let address = address.map(str::trim).unwrap_or_default();
    if address.len() > crate::action::MAX_MAILBOX_ADDRESS || address.chars().any(char::is_control) {
        return Err(CoreError::Invalid(
            "that is not a mailbox address this Trellis can keep".into(),
        ));
    }
    let record = crate::schema::MailboxRecord {
        address: address.to_string(),
        at: ctx.now.at_ms,
    };
    let by = child_map(ctx.doc, &ROOT, keys::BY)?;
    let space = child_map(ctx.doc, &by, &ctx.me.to_hex())?;
    reconcile_prop(ctx.doc, &space, keys::MAILBOX, Some(&record))?;
    Ok(Written {
        message: if address.is_empty() {
            "stopped using the mailbox".into()
        } else {
            "added the mailbox".into()
        },
        record: ctx.me.to_hex(),
    })
}

/// Who ended the shared space, and when, if anyone did.
pub(crate) fn ended(root: &Root) -> Option<(String, i64)> {
    root.by
        .iter()
        .flat_map(|(key, space)| space.endings.iter().map(move |(_, e)| (key.clone(), e.at)))
        .min_by_key(|(_, at)| *at)
}

fn end_space(ctx: &mut Ctx<'_>, note: &Option<String>) -> Result<Written, CoreError> {
    let record = crate::schema::Ending {
        note: optional("the note", note)?,
        at: ctx.now.at_ms,
    };
    let id = new_id()?;
    ctx.put_mine(col::ENDINGS, &id, &record)?;
    Ok(Written {
        message: "ended our shared space".into(),
        record: id,
    })
}

fn review_date(
    ctx: &Ctx<'_>,
    category: &Category,
    review_on: Option<NaiveDate>,
) -> Result<Option<String>, CoreError> {
    if let Some(date) = review_on {
        ctx.not_in_past("a review date", date)?;
    } else if *category == Category::Transparency {
        return Err(CoreError::Invalid(
            "a transparency & privacy agreement needs a review date: transparency is offered for a time, not demanded forever".into(),
        ));
    }
    Ok(review_on.map(format_date))
}

fn propose(ctx: &mut Ctx<'_>, draft: &AgreementDraft) -> Result<Written, CoreError> {
    let title = required("the title", &draft.title)?;
    if title.chars().count() > 200 {
        return Err(CoreError::Invalid(
            "a title can be at most 200 characters".into(),
        ));
    }
    if let Category::Unknown(c) = &draft.category {
        return Err(CoreError::Invalid(format!("unknown category “{c}”")));
    }
    let wording = required("the wording", &draft.wording)?;
    let if_crossed = optional("“if it is crossed”", &draft.if_crossed)?;
    let review_on = review_date(ctx, &draft.category, draft.review_on)?;
    let agreement_id = new_id()?;
    let revision_id = new_id()?;
    let mut revisions = Records::default();
    revisions.insert(
        revision_id.clone(),
        Revision {
            parents: BTreeMap::new(),
            wording,
            if_crossed,
            review_on,
            author: ctx.me.to_hex(),
            at: ctx.now.at_ms,
        },
    );
    let agreement = Agreement {
        title: title.clone(),
        category: draft.category.clone(),
        author: ctx.me.to_hex(),
        at: ctx.now.at_ms,
        revisions,
    };
    let agreements = existing_map(ctx.doc, &ROOT, keys::AGREEMENTS)?;
    reconcile_prop(ctx.doc, &agreements, agreement_id.as_str(), &agreement)?;
    let consent = Consent {
        revision: revision_id,
        at: ctx.now.at_ms,
        standing: None,
    };
    ctx.put_mine(col::CONSENTS, &agreement_id, &consent)?;
    Ok(Written {
        message: format!("proposed the agreement “{title}”"),
        record: agreement_id,
    })
}

fn find_agreement<'r>(root: &'r Root, prefix: &str) -> Result<(String, &'r Agreement), CoreError> {
    let id = resolve(root.agreements.ids(), prefix, "agreement")?;
    let agreement = root.agreements.get(&id).ok_or(CoreError::UnknownId {
        what: "agreement",
        id: prefix.to_string(),
    })?;
    Ok((id, agreement))
}

fn revise(ctx: &mut Ctx<'_>, prefix: &str, draft: &RevisionDraft) -> Result<Written, CoreError> {
    let (agreement_id, agreement) = find_agreement(ctx.root, prefix)?;
    if retired(ctx.root, &agreement_id) {
        return Err(CoreError::Invalid(format!(
            "“{}” is retired; propose a new agreement instead",
            agreement.title
        )));
    }
    let current = leaves(agreement);
    let base_id = match (&draft.from, current.as_slice()) {
        (Some(from), _) => resolve(agreement.revisions.ids(), from, "revision")?,
        (None, [only]) => only.clone(),
        (None, _) if draft.wording.is_some() => current.last().cloned().unwrap_or_default(),
        (None, _) => {
            return Err(CoreError::Unsettled {
                title: agreement.title.clone(),
                versions: current.len(),
                revising: true,
            });
        }
    };
    let base = agreement
        .revisions
        .get(&base_id)
        .ok_or(CoreError::UnknownId {
            what: "revision",
            id: base_id.clone(),
        })?;
    let wording = match &draft.wording {
        Some(w) => required("the wording", w)?,
        None => base.wording.clone(),
    };
    let if_crossed = match &draft.if_crossed {
        Some(_) => optional("“if it is crossed”", &draft.if_crossed)?,
        None => base.if_crossed.clone(),
    };
    let review_on = match draft.review_on {
        Some(date) => review_date(ctx, &agreement.category, Some(date))?,
        None => {
            let carried = base.review_on.as_deref().and_then(parse_date);
            match carried {
                Some(d) if d >= ctx.today() => Some(format_date(d)),
                _ => review_date(ctx, &agreement.category, None)?,
            }
        }
    };
    let settles = current.len() > 1;
    if !settles
        && wording == base.wording
        && if_crossed == base.if_crossed
        && review_on == base.review_on
    {
        return Err(CoreError::Invalid(
            "this revision would change nothing; give new wording, “if crossed” text or a review date".into(),
        ));
    }
    let revision_id = new_id()?;
    let revision = Revision {
        parents: current.iter().map(|id| (id.clone(), true)).collect(),
        wording,
        if_crossed,
        review_on,
        author: ctx.me.to_hex(),
        at: ctx.now.at_ms,
    };
    let agreements = existing_map(ctx.doc, &ROOT, keys::AGREEMENTS)?;
    let this = existing_map(ctx.doc, &agreements, &agreement_id)?;
    let revisions = existing_map(ctx.doc, &this, keys::REVISIONS)?;
    reconcile_prop(ctx.doc, &revisions, revision_id.as_str(), &revision)?;
    // My yes to the wording in force stands until both say yes to this one.
    let standing = holding(
        ctx.root,
        &agreement_id,
        agreement,
        &crate::view::Keys::new(&ctx.me, &ctx.partner),
    );
    let consent = Consent {
        revision: revision_id,
        at: ctx.now.at_ms,
        standing,
    };
    ctx.put_mine(col::CONSENTS, &agreement_id, &consent)?;
    let verb = if settles { "settled" } else { "revised" };
    Ok(Written {
        message: format!("{verb} the agreement “{}”", agreement.title),
        record: agreement_id,
    })
}

fn accept(ctx: &mut Ctx<'_>, prefix: &str, revision: Option<&str>) -> Result<Written, CoreError> {
    let (agreement_id, agreement) = find_agreement(ctx.root, prefix)?;
    if retired(ctx.root, &agreement_id) {
        return Err(CoreError::Invalid(format!(
            "“{}” is retired",
            agreement.title
        )));
    }
    let current = leaves(agreement);
    let target = match (revision, current.as_slice()) {
        (Some(r), _) => {
            let id = resolve(agreement.revisions.ids(), r, "revision")?;
            if !current.contains(&id) {
                return Err(CoreError::Invalid(format!(
                    "revision {} of “{}” has been revised since; read the current wording first",
                    short(&id),
                    agreement.title
                )));
            }
            id
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(CoreError::Unsettled {
                title: agreement.title.clone(),
                versions: current.len(),
                revising: false,
            });
        }
    };
    if current.len() > 1 {
        return Err(CoreError::Unsettled {
            title: agreement.title.clone(),
            versions: current.len(),
            revising: false,
        });
    }
    if ctx.mine().consents.get(&agreement_id).map(|c| &c.revision) == Some(&target) {
        return Err(CoreError::Invalid(format!(
            "you already agreed to this wording of “{}”",
            agreement.title
        )));
    }
    let rev = agreement.revisions.get(&target);
    if agreement.category == Category::Transparency && rev.is_some_and(|r| r.review_on.is_none()) {
        return Err(CoreError::Invalid(
            "a transparency & privacy agreement needs a review date before it can be put in force; revise it with a review date".into(),
        ));
    }
    let consent = Consent {
        revision: target,
        at: ctx.now.at_ms,
        standing: None,
    };
    ctx.put_mine(col::CONSENTS, &agreement_id, &consent)?;
    Ok(Written {
        message: format!("agreed to “{}”", agreement.title),
        record: agreement_id,
    })
}

fn retire(ctx: &mut Ctx<'_>, prefix: &str, note: &Option<String>) -> Result<Written, CoreError> {
    let (agreement_id, agreement) = find_agreement(ctx.root, prefix)?;
    if ctx.mine().retirements.contains(&agreement_id) {
        return Err(CoreError::Invalid(format!(
            "you already asked to retire “{}”",
            agreement.title
        )));
    }
    let both = ctx.theirs().retirements.contains(&agreement_id);
    let title = agreement.title.clone();
    let record = Retirement {
        note: optional("the note", note)?,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::RETIREMENTS, &agreement_id, &record)?;
    let message = if both {
        format!("retired “{title}” together")
    } else {
        format!("asked to retire “{title}”")
    };
    Ok(Written {
        message,
        record: agreement_id,
    })
}

fn check_in(ctx: &mut Ctx<'_>, draft: &CheckInDraft) -> Result<Written, CoreError> {
    let date = draft.date.unwrap_or_else(|| ctx.today());
    ctx.not_in_future("a check-in's date", date)?;
    let record = CheckIn {
        date: format_date(date),
        at: ctx.now.at_ms,
        feel: required("“I feel …”", &draft.feel)?,
        when: optional("“… when …”", &draft.when)?,
        went_well: optional("what went well", &draft.went_well)?,
        was_hard: optional("what was hard", &draft.was_hard)?,
        need: draft.need.clone().unwrap_or_default(),
        response: draft.response.clone().unwrap_or_default(),
        safety: scale("safety", draft.safety)?,
        trust: scale("trust", draft.trust)?,
        connection: scale("connection", draft.connection)?,
    };
    let id = new_id()?;
    ctx.put_mine(col::CHECKINS, &id, &record)?;
    Ok(Written {
        message: "checked in".into(),
        record: id,
    })
}

fn reply(ctx: &mut Ctx<'_>, prefix: &str, text: &str) -> Result<Written, CoreError> {
    let text = required("the reply", text)?;
    let checkin = match resolve(
        ctx.theirs().checkins.ids(),
        prefix,
        "check-in from your partner",
    ) {
        Ok(id) => id,
        Err(e) => {
            if resolve(ctx.mine().checkins.ids(), prefix, "check-in").is_ok() {
                return Err(CoreError::NotAllowed(
                    "that is your own check-in; replies are for your partner's check-ins".into(),
                ));
            }
            return Err(e);
        }
    };
    let id = new_id()?;
    let record = Reply {
        checkin,
        text,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::REPLIES, &id, &record)?;
    Ok(Written {
        message: format!("replied to {}'s check-in", ctx.partner_name()),
        record: id,
    })
}

fn open_repair(ctx: &mut Ctx<'_>, what: &str, landed: &str) -> Result<Written, CoreError> {
    let record = Repair {
        what_happened: required("what happened", what)?,
        how_it_landed: required("how it landed", landed)?,
        date: format_date(ctx.today()),
        at: ctx.now.at_ms,
    };
    let id = new_id()?;
    ctx.put_mine(col::REPAIRS, &id, &record)?;
    Ok(Written {
        message: "opened a repair".into(),
        record: id,
    })
}

/// A repair by id prefix, whoever opened it: (id, opened by me).
fn find_repair(ctx: &Ctx<'_>, prefix: &str) -> Result<(String, bool), CoreError> {
    let all: Vec<String> = ctx
        .mine()
        .repairs
        .ids()
        .chain(ctx.theirs().repairs.ids())
        .cloned()
        .collect();
    let id = resolve(&all, prefix, "repair")?;
    let mine = ctx.mine().repairs.contains(&id);
    Ok((id, mine))
}

fn repair_closed(ctx: &Ctx<'_>, id: &str) -> bool {
    ctx.mine().closures.contains(id) && ctx.theirs().closures.contains(id)
}

fn acknowledge_repair(
    ctx: &mut Ctx<'_>,
    prefix: &str,
    acknowledgement: &str,
    regret: &str,
) -> Result<Written, CoreError> {
    let (id, opened_by_me) = find_repair(ctx, prefix)?;
    if opened_by_me {
        return Err(CoreError::NotAllowed(format!(
            "you opened this repair; the acknowledgement is {}'s to write",
            ctx.partner_name()
        )));
    }
    if ctx.mine().acknowledgements.contains(&id) {
        return Err(CoreError::Invalid(
            "you already acknowledged this repair".into(),
        ));
    }
    if repair_closed(ctx, &id) {
        return Err(CoreError::Invalid("this repair is already closed".into()));
    }
    let record = RepairResponse {
        acknowledgement: required("the acknowledgement", acknowledgement)?,
        regret: required("the regret", regret)?,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::ACKNOWLEDGEMENTS, &id, &record)?;
    Ok(Written {
        message: "acknowledged a repair".into(),
        record: id,
    })
}

fn commit(
    ctx: &mut Ctx<'_>,
    prefix: &str,
    wording: &str,
    cadence: Option<crate::schema::Cadence>,
    due: Option<NaiveDate>,
) -> Result<Written, CoreError> {
    let (repair, _) = find_repair(ctx, prefix)?;
    if repair_closed(ctx, &repair) {
        return Err(CoreError::Invalid("this repair is already closed".into()));
    }
    let wording = required("the commitment", wording)?;
    if cadence.is_none() && due.is_none() {
        return Err(CoreError::Invalid(
            "say when: a cadence (daily, weekly, …) or a due date".into(),
        ));
    }
    if let Some(crate::schema::Cadence::Unknown(c)) = &cadence {
        return Err(CoreError::Invalid(format!("unknown cadence “{c}”")));
    }
    if let Some(d) = due {
        ctx.not_in_past("a due date", d)?;
    }
    let record = Commitment {
        repair,
        wording: wording.clone(),
        cadence,
        due: due.map(format_date),
        at: ctx.now.at_ms,
    };
    let id = new_id()?;
    ctx.put_mine(col::COMMITMENTS, &id, &record)?;
    Ok(Written {
        message: format!("committed to “{wording}”"),
        record: id,
    })
}

fn report(
    ctx: &mut Ctx<'_>,
    prefix: &str,
    outcome: crate::schema::Outcome,
    note: &Option<String>,
    date: Option<NaiveDate>,
) -> Result<Written, CoreError> {
    let commitment = match resolve(ctx.mine().commitments.ids(), prefix, "commitment of yours") {
        Ok(id) => id,
        Err(e) => {
            if resolve(ctx.theirs().commitments.ids(), prefix, "commitment").is_ok() {
                return Err(CoreError::NotAllowed(format!(
                    "that is {}'s commitment; only its owner reports on it (you can acknowledge their reports)",
                    ctx.partner_name()
                )));
            }
            return Err(e);
        }
    };
    if let crate::schema::Outcome::Unknown(o) = &outcome {
        return Err(CoreError::Invalid(format!("unknown outcome “{o}”")));
    }
    let date = date.unwrap_or_else(|| ctx.today());
    ctx.not_in_future("a report's date", date)?;
    let label = outcome.label().to_lowercase();
    let record = Report {
        commitment,
        date: format_date(date),
        outcome,
        note: optional("the note", note)?,
        at: ctx.now.at_ms,
    };
    let id = new_id()?;
    ctx.put_mine(col::REPORTS, &id, &record)?;
    Ok(Written {
        message: format!("reported follow-through: {label}"),
        record: id,
    })
}

fn acknowledge_report(
    ctx: &mut Ctx<'_>,
    prefix: &str,
    note: &Option<String>,
) -> Result<Written, CoreError> {
    let report = match resolve(
        ctx.theirs().reports.ids(),
        prefix,
        "report from your partner",
    ) {
        Ok(id) => id,
        Err(e) => {
            if resolve(ctx.mine().reports.ids(), prefix, "report").is_ok() {
                return Err(CoreError::NotAllowed(
                    "that is your own report; acknowledgements are for your partner's follow-through".into(),
                ));
            }
            return Err(e);
        }
    };
    if ctx.mine().report_acks.contains(&report) {
        return Err(CoreError::Invalid(
            "you already acknowledged this report".into(),
        ));
    }
    let record = ReportAck {
        note: optional("the note", note)?,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::REPORT_ACKS, &report, &record)?;
    Ok(Written {
        message: format!("acknowledged {}'s follow-through", ctx.partner_name()),
        record: report,
    })
}

/// Deletes my closure of a repair, which is mine to take back until both of us said it.
fn take_back_closure(ctx: &mut Ctx<'_>, prefix: &str) -> Result<Written, CoreError> {
    let (id, _) = find_repair(ctx, prefix)?;
    if !ctx.mine().closures.contains(&id) {
        return Err(CoreError::Invalid(
            "you have not said this repair feels complete".into(),
        ));
    }
    if repair_closed(ctx, &id) {
        return Err(CoreError::Invalid(format!(
            "you and {} both said this repair is complete, so it is closed; if something is \
             left, open a new repair",
            ctx.partner_name()
        )));
    }
    let by = existing_map(ctx.doc, &ROOT, keys::BY)?;
    let space = existing_map(ctx.doc, &by, &ctx.me.to_hex())?;
    let closures = existing_map(ctx.doc, &space, col::CLOSURES)?;
    ctx.doc.delete(&closures, id.as_str())?;
    Ok(Written {
        message: "took back that a repair feels complete".into(),
        record: id,
    })
}

fn close_repair(
    ctx: &mut Ctx<'_>,
    prefix: &str,
    note: &Option<String>,
) -> Result<Written, CoreError> {
    let (id, _) = find_repair(ctx, prefix)?;
    if ctx.mine().closures.contains(&id) {
        return Err(CoreError::Invalid(
            "you already agreed this repair is complete".into(),
        ));
    }
    let both = ctx.theirs().closures.contains(&id);
    let record = Closure {
        note: optional("the note", note)?,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::CLOSURES, &id, &record)?;
    let message = if both {
        "closed a repair together".to_string()
    } else {
        "agreed a repair is complete".to_string()
    };
    Ok(Written {
        message,
        record: id,
    })
}

fn appreciate(ctx: &mut Ctx<'_>, text: &str) -> Result<Written, CoreError> {
    let record = Appreciation {
        text: required("the appreciation", text)?,
        date: format_date(ctx.today()),
        at: ctx.now.at_ms,
    };
    let id = new_id()?;
    ctx.put_mine(col::APPRECIATIONS, &id, &record)?;
    Ok(Written {
        message: "shared an appreciation".into(),
        record: id,
    })
}

fn thank(ctx: &mut Ctx<'_>, prefix: &str, text: &Option<String>) -> Result<Written, CoreError> {
    let text = optional("the word of thanks", text)?;
    if let Some(t) = &text
        && t.chars().count() > crate::action::MAX_THANKS_CHARS
    {
        return Err(CoreError::Invalid(format!(
            "a word of thanks can be at most {} characters",
            crate::action::MAX_THANKS_CHARS
        )));
    }
    let appreciation = match resolve(
        ctx.theirs().appreciations.ids(),
        prefix,
        "appreciation from your partner",
    ) {
        Ok(id) => id,
        Err(e) => {
            if resolve(ctx.mine().appreciations.ids(), prefix, "appreciation").is_ok() {
                return Err(CoreError::NotAllowed(
                    "that is your own appreciation; you can answer the ones addressed to you"
                        .into(),
                ));
            }
            return Err(e);
        }
    };
    if ctx.mine().thanks.contains(&appreciation) {
        return Err(CoreError::Invalid(
            "you already answered this appreciation".into(),
        ));
    }
    let record = crate::schema::Thanks {
        text,
        at: ctx.now.at_ms,
    };
    ctx.put_mine(col::THANKS, &appreciation, &record)?;
    Ok(Written {
        message: format!("thanked {} for the appreciation", ctx.partner_name()),
        record: appreciation,
    })
}

/// My pause that is still running, if any.
pub(crate) fn open_time_out(space: &Space, now_ms: i64) -> Option<(&String, &TimeOut)> {
    space
        .timeouts
        .iter()
        .filter(|(_, t)| t.ended_at.is_none() && t.back_at > now_ms)
        .max_by_key(|(_, t)| t.at)
}

fn start_time_out(
    ctx: &mut Ctx<'_>,
    minutes: u32,
    note: &Option<String>,
) -> Result<Written, CoreError> {
    if minutes == 0 || minutes > crate::action::MAX_TIMEOUT_MINUTES {
        return Err(CoreError::Invalid(format!(
            "a pause lasts from 1 minute to {} hours",
            crate::action::MAX_TIMEOUT_MINUTES / 60
        )));
    }
    if let Some((_, t)) = open_time_out(ctx.mine(), ctx.now.at_ms) {
        let back = local_time(t.back_at, ctx.now.offset()).format("%H:%M");
        return Err(CoreError::Invalid(format!(
            "you are already on a pause until {back}; say you are back first"
        )));
    }
    let back_at = ctx.now.plus_minutes(i64::from(minutes));
    let record = TimeOut {
        at: ctx.now.at_ms,
        back_at: back_at.at_ms,
        note: optional("the note", note)?,
        ended_at: None,
        // So the partner, whatever their zone, can also be told the return time on mine. The
        // caller passes, where it knows its zone's rules, the offset in force at the return
        // time (a daylight-saving change may fall inside the pause); else it is today's.
        offset_minutes: crate::time::plausible_offset(ctx.now.offset_minutes)
            .map(|_| ctx.now.offset_minutes),
    };
    let id = new_id()?;
    ctx.put_mine(col::TIMEOUTS, &id, &record)?;
    Ok(Written {
        message: format!("took a pause until {}", back_at.local().format("%H:%M")),
        record: id,
    })
}

fn end_time_out(ctx: &mut Ctx<'_>) -> Result<Written, CoreError> {
    let Some((id, t)) = open_time_out(ctx.mine(), ctx.now.at_ms) else {
        return Err(CoreError::Invalid("you are not on a pause".into()));
    };
    let id = id.clone();
    let mut record = t.clone();
    record.ended_at = Some(ctx.now.at_ms);
    ctx.put_mine(col::TIMEOUTS, &id, &record)?;
    Ok(Written {
        message: "is back from a pause".into(),
        record: id,
    })
}
