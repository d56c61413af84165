//! The couple's first change: the one change allowed to write the header.

use automerge::{AutoCommit, Automerge, Change};

use super::{ActorTable, Structure, expand, shape};
use crate::card::Card;
use crate::contain::contained;
use crate::error::Rejection;
use crate::identity::PartnerKey;
use crate::schema::{PartnerRecord, Root, SCHEMA_VERSION};
use crate::signature::{ChangeSignature, DocId, SignedChange, verify_many};

/// What a valid first change establishes.
#[derive(Debug, Clone)]
pub(crate) struct GenesisFacts {
    pub doc_id: DocId,
    pub creator: PartnerKey,
    pub partners: [PartnerKey; 2],
    pub change: Change,
    pub signature: ChangeSignature,
    /// The first change's operations, expanded once.
    pub ops: Vec<automerge::legacy::Op>,
}

fn bad(detail: impl Into<String>) -> Rejection {
    Rejection::BadGenesis(detail.into())
}

pub(crate) fn record_card(record: &PartnerRecord) -> Card {
    Card {
        trellis_card: 1,
        name: record.name.clone(),
        identity: record.identity.clone(),
        device: record.device.clone(),
        device_certificate: record.device_certificate.clone(),
        signature: record.signature.clone(),
        seal: record.seal.clone(),
        seal_certificate: record.seal_certificate.clone(),
    }
}

/// Finds the first change among `incoming`, and checks it founds a couple that includes `me`.
pub(crate) fn check_genesis(
    me: &PartnerKey,
    incoming: &[SignedChange],
) -> Result<GenesisFacts, Rejection> {
    let mut found: Option<(Change, ChangeSignature)> = None;
    for (index, item) in incoming.iter().enumerate() {
        let change =
            shape::parse(&item.bytes).map_err(|detail| Rejection::Malformed { index, detail })?;
        if change.deps().is_empty() {
            if found
                .as_ref()
                .is_some_and(|(c, _)| c.hash() != change.hash())
            {
                return Err(bad("there are two different beginnings"));
            }
            found = Some((change, item.signature));
        }
    }
    let Some((change, signature)) = found else {
        return Err(Rejection::NotJoined);
    };

    // Its structure, as for any change (against an empty document), before automerge
    // applies it; then applied and read in a scratch copy with any panic contained.
    let ops = expand(&change)?;
    let empty = Automerge::new();
    let no_actors = ActorTable::default();
    Structure::new(&empty, &no_actors).check(&change, &ops, &signature.signer)?;
    let mut scratch = AutoCommit::new();
    contained("applying the first change", || {
        scratch.apply_changes([change.clone()])
    })
    .map_err(bad)?
    .map_err(|e| bad(format!("it cannot be applied ({e})")))?;
    let root: Root = contained("reading the first change", || {
        autosurgeon::hydrate::<_, Root>(&scratch)
    })
    .map_err(bad)?
    .map_err(|e| bad(format!("it has the wrong shape ({e})")))?;
    if root.schema > SCHEMA_VERSION {
        return Err(bad(format!(
            "it was made by a newer Trellis (document version {}); update Trellis to join",
            root.schema
        )));
    }
    let doc_id =
        DocId::from_hex(&root.couple.id).ok_or_else(|| bad("its document id is not valid"))?;
    if root.couple.partners.len() != 2 || root.couple.partners.unreadable != 0 {
        return Err(bad("it does not name exactly two partners"));
    }
    let mut partners = Vec::new();
    for (key_hex, record) in root.couple.partners.iter() {
        let card = record_card(record)
            .verify()
            .map_err(|e| bad(format!("a partner's card is not valid: {e}")))?;
        if card.key.to_hex() != *key_hex {
            return Err(bad("a partner's card is filed under another key"));
        }
        partners.push(card.key);
    }
    let partners: [PartnerKey; 2] = [partners[0], partners[1]];
    if !partners.contains(me) {
        return Err(Rejection::NotForMe);
    }
    let creator: PartnerKey = root
        .couple
        .created_by
        .parse()
        .map_err(|_| bad("its creator is not a valid key"))?;
    if !partners.contains(&creator) || signature.signer != creator {
        return Err(bad(
            "it was not signed by the partner who created the couple",
        ));
    }
    match change.author() {
        Some(author) if author.as_bytes() == creator.as_bytes() => {}
        _ => {
            return Err(Rejection::AuthorMismatch {
                hash: change.hash().to_string(),
            });
        }
    }
    verify_many(&doc_id, &[(change.hash(), signature)]).map_err(|_| Rejection::BadSignature {
        hash: change.hash().to_string(),
    })?;
    if !root.agreements.is_empty() {
        return Err(bad("it already contains agreements"));
    }
    let spaces_ok = root.by.len() == 2
        && partners.iter().all(|p| {
            root.by
                .get(&p.to_hex())
                .is_some_and(|s| *s == crate::schema::Space::default())
        });
    if !spaces_ok {
        return Err(bad("it does not set up exactly two empty spaces"));
    }
    Ok(GenesisFacts {
        doc_id,
        creator,
        partners,
        change,
        signature,
        ops,
    })
}
