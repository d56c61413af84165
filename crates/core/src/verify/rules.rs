//! The ownership rules, judged operation by operation on the paths they write.
//!
//! * `by/<K>/…` belongs to partner K: only changes authored by K may write there.
//! * `agreements/<id>` and `agreements/<id>/revisions/<id>` are shared but immutable: a change
//!   may create a new one (naming its author, who must be the signer) and fill in the object
//!   it just created, never touch one that exists.
//! * The header (`schema`, `couple`) and the top-level containers are written only by the
//!   couple's first change.
//! * `by/<K>/thanks/<appreciation>` (K's answer to an appreciation) may only answer an
//!   appreciation that lives in the *other* partner's space — one addressed to K — and holds
//!   only `text` (a string of at most `MAX_THANKS_CHARS` characters, or nothing) and `at`.
//! * `by/<K>/devices/<device>` (a device K moved to) is written once, whole, in one change,
//!   with a certificate that K's identity key made for that device; never edited or deleted.
//! * The document holds only maps and scalars: list, text, counter and mark operations are
//!   refused outright.

use std::collections::{HashMap, HashSet};

use automerge::legacy::{Key, ObjectId, Op, OpId, OpType};
use automerge::{Change, ObjType, ScalarValue};

use super::index::{ObjKey, Overlay};
use crate::action::MAX_THANKS_CHARS;
use crate::identity::{PartnerKey, hex_array};
use crate::schema::{collections, keys};

/// Checks one change written by `author` (its operations already expanded, and its
/// structure already checked) against the rules, recording the objects it creates in
/// `overlay`. `partner` is the other partner (None only if there is none to name).
/// `genesis` is true only for the couple's very first change.
pub(crate) fn check_change(
    change: &Change,
    ops: &[Op],
    author: &PartnerKey,
    partner: Option<&PartnerKey>,
    overlay: &mut Overlay<'_>,
    genesis: bool,
) -> Result<(), String> {
    let actor = change.actor_id().clone();
    let start = change.start_op().get();
    let author_hex = author.to_hex();
    let partner_hex = partner.map(PartnerKey::to_hex);
    // Objects made by operations of this very change, by identity: never inferred from the
    // counters the change claims (the structural rules make those new, and this makes sure).
    let mut created: HashSet<ObjKey> = HashSet::new();

    if !genesis && change.deps().is_empty() {
        return Err("it starts a second, separate history of the document".into());
    }

    // New shared records must name their author; collected here, checked after all ops.
    let mut needs_author: Vec<ObjKey> = Vec::new();
    let mut named_author: HashMap<ObjKey, String> = HashMap::new();

    for (i, op) in ops.iter().enumerate() {
        let op_key: ObjKey = (start + i as u64, actor.clone());
        let Key::Map(prop) = &op.key else {
            return Err("it edits a list, and this document has none".into());
        };
        if op.insert {
            return Err("it inserts into a list, and this document has none".into());
        }
        match &op.action {
            OpType::Make(ObjType::Map) | OpType::Put(_) | OpType::Delete => {}
            OpType::Make(other) => {
                return Err(format!(
                    "it creates a {other:?}, and this document holds only maps"
                ));
            }
            OpType::Increment(_) => return Err("it increments a counter".into()),
            OpType::MarkBegin(_) | OpType::MarkEnd(_) => {
                return Err("it marks text, and this document has none".into());
            }
        }
        let (mut path, target) = match &op.obj {
            ObjectId::Root => (Vec::new(), None),
            ObjectId::Id(id) => {
                let key: ObjKey = (id.0, id.1.clone());
                let Some(path) = overlay.path(&key) else {
                    return Err("it writes to an object this copy has never seen".into());
                };
                (path.to_vec(), Some(id))
            }
        };
        path.push(prop.to_string());

        if !genesis {
            let created_here = |id: &OpId| created.contains(&(id.0, id.1.clone()));
            judge(
                &path,
                op,
                target,
                &created_here,
                overlay,
                &author_hex,
                partner_hex.as_deref(),
            )?;
        }
        overlay.touch(&path);

        if let OpType::Make(ObjType::Map) = &op.action {
            if overlay.path(&op_key).is_some() {
                return Err("it creates an object that already exists".into());
            }
            if is_shared_record(&path) {
                needs_author.push(op_key.clone());
            }
            created.insert(op_key.clone());
            overlay.insert(op_key, path);
        } else if prop.as_str() == keys::AUTHOR
            && let (Some(id), OpType::Put(ScalarValue::Str(value))) = (target, &op.action)
        {
            named_author.insert((id.0, id.1.clone()), value.to_string());
        }
    }

    for record in needs_author {
        match named_author.get(&record) {
            Some(name) if *name == author_hex => {}
            Some(_) => return Err("it names someone else as the author of a new record".into()),
            None => return Err("it adds a shared record without naming its author".into()),
        }
    }
    Ok(())
}

/// `agreements/<id>` or `agreements/<id>/revisions/<id>`.
fn is_shared_record(path: &[String]) -> bool {
    path.first().map(String::as_str) == Some(keys::AGREEMENTS)
        && (path.len() == 2 || (path.len() == 4 && path[2] == keys::REVISIONS))
}

fn judge(
    path: &[String],
    op: &Op,
    target: Option<&OpId>,
    created_here: &dyn Fn(&OpId) -> bool,
    overlay: &Overlay<'_>,
    author_hex: &str,
    partner_hex: Option<&str>,
) -> Result<(), String> {
    let top = path.first().map(String::as_str).unwrap_or_default();
    match top {
        keys::BY => {
            if path.len() <= 2 {
                return Err("it replaces a partner's whole space".into());
            }
            if path[1] != author_hex {
                return Err("it writes into records that belong to the other partner".into());
            }
            if path[2] == collections::THANKS {
                return judge_thanks(path, op, overlay, partner_hex);
            }
            if path[2] == collections::DEVICES {
                return judge_device(path, op, target, created_here, overlay, author_hex);
            }
            Ok(())
        }
        keys::AGREEMENTS => {
            let creates_new = matches!(op.action, OpType::Make(ObjType::Map)) && op.pred.is_empty();
            if is_shared_record(path) {
                if !creates_new {
                    return Err("it changes an agreement or revision that already exists".into());
                }
                if overlay.is_occupied(path) {
                    return Err("it overwrites an agreement or revision that already exists".into());
                }
                return Ok(());
            }
            if path.len() < 2 {
                return Err("it replaces the list of agreements".into());
            }
            // Anything deeper may only fill in an object this same change created.
            match target {
                Some(id) if created_here(id) => {
                    if matches!(op.action, OpType::Delete) {
                        return Err("it deletes part of an agreement".into());
                    }
                    Ok(())
                }
                _ => Err("it changes an agreement or revision that already exists".into()),
            }
        }
        _ => Err("it changes the couple's header, which only the first change may write".into()),
    }
}

/// A device record, in its author's own space (already checked):
/// `by/<me>/devices/<device id>/{certificate, at, replaces}`. Written once, whole, by one
/// change, with a certificate by the author's own identity: a record that retires a lost
/// laptop is never edited, deleted or replaced, and never holds anything the gate would
/// have to doubt.
fn judge_device(
    path: &[String],
    op: &Op,
    target: Option<&OpId>,
    created_here: &dyn Fn(&OpId) -> bool,
    overlay: &Overlay<'_>,
    author_hex: &str,
) -> Result<(), String> {
    let new_map = matches!(op.action, OpType::Make(ObjType::Map)) && op.pred.is_empty();
    match path.len() {
        // The collection itself, made once.
        3 if new_map && !overlay.is_occupied(path) => Ok(()),
        3 => Err("it replaces the record of its author's devices".into()),
        4 => {
            if !new_map || overlay.is_occupied(path) {
                return Err("it changes or removes a device record".into());
            }
            if hex_array::<32>(&path[3]).is_none() || path[3] != path[3].to_lowercase() {
                return Err("it records a device under something that is not a device id".into());
            }
            Ok(())
        }
        5 => {
            if !target.is_some_and(created_here) || !op.pred.is_empty() {
                return Err("it changes a device record that already exists".into());
            }
            match (path[4].as_str(), &op.action) {
                ("certificate", OpType::Put(ScalarValue::Str(cert))) => {
                    let (Some(device), Some(cert), Ok(author)) = (
                        hex_array::<32>(&path[3]),
                        hex_array::<64>(cert),
                        author_hex.parse::<PartnerKey>(),
                    ) else {
                        return Err("its device certificate is not a certificate".into());
                    };
                    author
                        .verify_device(&device, &cert)
                        .map_err(|_| "its device certificate is not its author's".to_string())
                }
                ("at", OpType::Put(ScalarValue::Int(_) | ScalarValue::Uint(_))) => Ok(()),
                ("replaces", OpType::Put(ScalarValue::Null)) => Ok(()),
                ("replaces", OpType::Put(ScalarValue::Str(old)))
                    if hex_array::<32>(old).is_some() =>
                {
                    Ok(())
                }
                _ => Err("it writes a field a device record does not have".into()),
            }
        }
        _ => Err("it puts something inside a device record".into()),
    }
}

/// An answer to an appreciation, in its author's own space (already checked):
/// `by/<me>/thanks/<appreciation id>/{text, at}`.
fn judge_thanks(
    path: &[String],
    op: &Op,
    overlay: &Overlay<'_>,
    partner_hex: Option<&str>,
) -> Result<(), String> {
    let is_map = matches!(op.action, OpType::Make(ObjType::Map));
    match path.len() {
        // The collection itself.
        3 if is_map => Ok(()),
        3 => Err("it replaces the answers to appreciations with something else".into()),
        4 => {
            if matches!(op.action, OpType::Delete) {
                return Ok(());
            }
            if !is_map {
                return Err("it writes an answer to an appreciation that is not a record".into());
            }
            let addressed = partner_hex.is_some_and(|partner| {
                let theirs = [keys::BY, partner, collections::APPRECIATIONS, &path[3]]
                    .map(String::from)
                    .to_vec();
                overlay.is_occupied(&theirs)
            });
            if !addressed {
                return Err(
                    "it answers an appreciation that was not addressed to its author".into(),
                );
            }
            Ok(())
        }
        5 => match (path[4].as_str(), &op.action) {
            (_, OpType::Delete) => Ok(()),
            ("text", OpType::Put(ScalarValue::Null)) => Ok(()),
            ("text", OpType::Put(ScalarValue::Str(text)))
                if text.chars().count() <= MAX_THANKS_CHARS =>
            {
                Ok(())
            }
            ("text", _) => Err(format!(
                "its word of thanks is not text of at most {MAX_THANKS_CHARS} characters"
            )),
            ("at", OpType::Put(ScalarValue::Int(_) | ScalarValue::Uint(_))) => Ok(()),
            _ => Err("it writes a field an answer to an appreciation does not have".into()),
        },
        _ => Err("it puts something inside an answer to an appreciation".into()),
    }
}
