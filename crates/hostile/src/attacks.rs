//! Named attacks: each one change a partner could craft and sign, breaking one rule.

use std::io::Write;

use automerge::legacy::{ObjectId, Op, OpId};
use automerge::{ActorId, ChangeHash, ExpandedChange, ScalarValue};
use trellis_core::{Bundle, SignedChange};

use crate::forge::{Forge, ForgeError, author_footer, make_map, put};

/// A small appreciation in the attacker's own space, made by ops numbered from `start`.
pub fn own_record(
    f: &Forge,
    actor: &ActorId,
    start: u64,
    text: &str,
) -> Result<Vec<Op>, ForgeError> {
    let mut path: Vec<String> = f.own_space();
    path.push("appreciations".into());
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    let apps = f.obj(&refs)?;
    let record = ObjectId::Id(OpId::new(start, actor));
    Ok(vec![
        make_map(&apps, &format!("crafted{start}")),
        put(&record, "text", text.into(), Vec::new()),
        put(&record, "date", "2026-11-28".into(), Vec::new()),
        put(
            &record,
            "at",
            ScalarValue::Int(1_800_000_000_000),
            Vec::new(),
        ),
    ])
}

/// An honest change (the attacker's next appreciation), as the baseline every attack bends.
pub fn honest(f: &Forge) -> Result<ExpandedChange, ForgeError> {
    let mut c = f.next_change()?;
    c.operations = own_record(f, &c.actor_id, c.start_op.get(), "thank you")?;
    Ok(c)
}

/// Finding 1: rewrite the wording of a revision the other partner already said yes to.
/// The change comes from the revision's own actor, at that actor's next seq, and claims
/// the revision object's counter as its `start_op`.
pub fn rewrite_cosigned_wording(
    f: &Forge,
    agreement: &str,
    words: &str,
) -> Result<SignedChange, ForgeError> {
    let revision = f.first_key(&["agreements", agreement, "revisions"])?;
    let path = ["agreements", agreement, "revisions", revision.as_str()];
    let ObjectId::Id(rev) = f.obj(&path)? else {
        return Err(ForgeError("the revision is the root?".into()));
    };
    let wording = f.op_at(&path, "wording")?;
    let actor = rev.1.clone();
    let seq = f
        .doc
        .get_changes_meta(&[])
        .iter()
        .filter(|m| *m.actor == actor)
        .map(|m| m.seq)
        .max()
        .unwrap_or(0);
    let mut c = f.next_change()?;
    c.actor_id = actor;
    c.seq = seq + 1;
    c.start_op = std::num::NonZeroU64::new(rev.0).ok_or_else(|| ForgeError("zero".into()))?;
    c.operations = vec![put(
        &ObjectId::Id(rev),
        "wording",
        words.into(),
        vec![wording],
    )];
    Ok(f.sign(c))
}

/// Finding 2a: the attacker's own actor skips a sequence number.
pub fn seq_gap(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    c.seq += 1;
    Ok(f.sign(c))
}

/// The attacker's own actor repeats a sequence number it already used.
pub fn seq_repeat(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    c.seq -= 1;
    Ok(f.sign(c))
}

/// Finding 2b: a predecessor naming an actor the document has never seen.
pub fn unknown_actor_in_pred(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    let stranger = ActorId::from(vec![0xab; 16]);
    let obj = ObjectId::Id(OpId::new(c.start_op.get(), &c.actor_id));
    c.operations.push(put(
        &obj,
        "text",
        "again".into(),
        vec![OpId::new(1, &stranger)],
    ));
    Ok(f.sign(c))
}

/// Finding 2c: an existing actor starts over at seq 1 (with an author binding).
pub fn reuse_seq_one(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    c.seq = 1;
    c.extra_bytes = author_footer(&f.me());
    Ok(f.sign(c))
}

/// Finding 2d: a later change of an actor binds it to an author a second time.
pub fn second_author_binding(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    c.extra_bytes = author_footer(&f.me());
    Ok(f.sign(c))
}

/// A new actor whose first change carries no author binding.
pub fn unbound_new_actor(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    let actor = ActorId::from(vec![0x5a; 16]);
    c.operations = own_record(f, &actor, c.start_op.get(), "who am I")?;
    c.actor_id = actor;
    c.seq = 1;
    Ok(f.sign(c))
}

/// Operations numbered past where its dependencies end.
pub fn start_op_ahead(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = f.next_change()?;
    let start = c.start_op.get() + 5;
    c.start_op = std::num::NonZeroU64::new(start).ok_or_else(|| ForgeError("zero".into()))?;
    c.operations = own_record(f, &c.actor_id, start, "from the future")?;
    Ok(f.sign(c))
}

/// A predecessor naming an op of a known actor that never existed.
pub fn pred_that_never_was(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    let obj = ObjectId::Id(OpId::new(c.start_op.get(), &c.actor_id));
    let ghost = OpId::new(f.max_op() + 1000, &c.actor_id);
    c.operations
        .push(put(&obj, "text", "again".into(), vec![ghost]));
    Ok(f.sign(c))
}

/// A write in the attacker's own space whose predecessor is the other partner's value at
/// another key (deleting it through the back door, if automerge resolved preds globally).
pub fn pred_at_another_key(
    f: &Forge,
    victim_path: &[&str],
    victim_key: &str,
) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    let victim_op = f.op_at(victim_path, victim_key)?;
    let obj = ObjectId::Id(OpId::new(c.start_op.get(), &c.actor_id));
    c.operations
        .push(put(&obj, "text", "mine".into(), vec![victim_op]));
    Ok(f.sign(c))
}

/// A change that depends on one nobody has: it can only wait.
pub fn missing_dependency(f: &Forge) -> Result<SignedChange, ForgeError> {
    let mut c = honest(f)?;
    c.deps.push(ChangeHash([0x42; 32]));
    c.deps.sort();
    Ok(f.sign(c))
}

/// Finding 3: a compressed change chunk whose body inflates to `inflated` bytes (built
/// without ever holding them: a stream of zeros through DEFLATE).
pub fn compressed_bomb(inflated: usize) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 16];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len());
        if enc.write_all(&block[..n]).is_err() {
            break;
        }
        left -= n;
    }
    let body = enc.finish().unwrap_or_default();
    let mut out = trellis_core::verify::chunk_header(
        trellis_core::verify::CHUNK_COMPRESSED,
        [0; 4],
        body.len(),
    );
    out.extend(body);
    out
}

/// Finding 4: one byte of a signed change changed, then re-signed by the attacker.
pub fn flipped(f: &Forge, base: &SignedChange, pos: usize, xor: u8) -> Option<SignedChange> {
    let mut bytes = base.bytes.clone();
    *bytes.get_mut(pos)? ^= xor;
    f.resign(&bytes)
}

/// A bundle from the attacker carrying `changes`.
pub fn bundle(f: &Forge, changes: Vec<SignedChange>) -> Vec<u8> {
    Bundle {
        doc: f.doc_id,
        sender: f.me(),
        sender_heads: f.heads(),
        created_at: 1_800_000_000_000,
        changes,
    }
    .encode()
}

/// An answer to an appreciation (`by/<me>/thanks/<id>`) where the rules allow none: to an
/// id no appreciation of the other partner's has, or (`own`) to an appreciation of the
/// author's own, written in the same change.
pub fn thanks_not_addressed_to_me(f: &Forge, own: bool) -> Result<SignedChange, ForgeError> {
    let mut c = f.next_change()?;
    let mut start = c.start_op.get();
    let mut ops = Vec::new();
    let mut id = "no-such-appreciation".to_string();
    if own {
        ops = own_record(f, &c.actor_id, start, "to myself")?;
        id = format!("crafted{start}");
        start += ops.len() as u64;
    }
    let space = f.own_space();
    let refs: Vec<&str> = space.iter().map(String::as_str).collect();
    let space = f.obj(&refs)?;
    let thanks = ObjectId::Id(OpId::new(start, &c.actor_id));
    let answer = ObjectId::Id(OpId::new(start + 1, &c.actor_id));
    ops.extend([
        make_map(&space, "thanks"),
        make_map(&thanks, &id),
        put(&answer, "text", "thank you".into(), Vec::new()),
    ]);
    c.operations = ops;
    Ok(f.sign(c))
}

/// A record of a device the attacker "moved to" that the rules refuse: `how` picks the
/// flaw — a certificate made by another key (0), a record under a key that is not a device
/// id (1), a field no device record has (2), or a record made and then rewritten (3). Any
/// other `how` makes an honest record of device `[0x5a; 32]`, which the rules accept.
pub fn forged_device_record(f: &Forge, how: u8) -> Result<SignedChange, ForgeError> {
    let mut c = f.next_change()?;
    let start = c.start_op.get();
    let stranger = trellis_core::Identity::generate().map_err(|e| ForgeError(e.to_string()))?;
    let device = [0x5a; 32];
    let mine = f.identity.certify_device(&device);
    let (id, cert) = match how {
        0 => (hex::encode(device), stranger.certify_device(&device)),
        1 => ("not-a-device".to_string(), mine),
        _ => (hex::encode(device), mine),
    };
    let mut path = f.own_space();
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    let space = f.obj(&refs)?;
    path.push("devices".into());
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    // Into the collection every space has had since devices were recorded, or a new one.
    let mut ops = Vec::new();
    let devices = match f.obj(&refs) {
        Ok(existing) => existing,
        Err(_) => {
            ops.push(make_map(&space, "devices"));
            ObjectId::Id(OpId::new(start, &c.actor_id))
        }
    };
    let record_op = start + ops.len() as u64;
    let record = ObjectId::Id(OpId::new(record_op, &c.actor_id));
    ops.extend([
        make_map(&devices, &id),
        put(&record, "certificate", hex::encode(cert).into(), Vec::new()),
        put(
            &record,
            "at",
            ScalarValue::Int(1_800_000_000_000),
            Vec::new(),
        ),
    ]);
    match how {
        2 => ops.push(put(&record, "owner", "someone else".into(), Vec::new())),
        3 => {
            let first = OpId::new(record_op + 1, &c.actor_id);
            ops.push(put(&record, "certificate", "00".into(), vec![first]));
        }
        _ => {}
    }
    c.operations = ops;
    Ok(f.sign(c))
}

/// Every attack that must be refused whole, by name, against a couple where the attacker
/// has written `agreement` and the victim has said yes to it.
pub type Attack = fn(&Forge, &str) -> Result<SignedChange, ForgeError>;

pub fn refused_attacks() -> Vec<(&'static str, Attack)> {
    vec![
        ("rewrite a co-signed wording", |f, a| {
            rewrite_cosigned_wording(f, a, "Sam agreed to hand over every password")
        }),
        ("skip a sequence number", |f, _| seq_gap(f)),
        ("repeat a sequence number", |f, _| seq_repeat(f)),
        ("name an unknown actor in a predecessor", |f, _| {
            unknown_actor_in_pred(f)
        }),
        ("start an existing actor over at seq 1", |f, _| {
            reuse_seq_one(f)
        }),
        ("bind an actor to an author twice", |f, _| {
            second_author_binding(f)
        }),
        ("start a new actor without an author", |f, _| {
            unbound_new_actor(f)
        }),
        ("number operations past the dependencies", |f, _| {
            start_op_ahead(f)
        }),
        ("replace a value that never was", |f, _| {
            pred_that_never_was(f)
        }),
        ("answer an appreciation that does not exist", |f, _| {
            thanks_not_addressed_to_me(f, false)
        }),
        ("answer one's own appreciation", |f, _| {
            thanks_not_addressed_to_me(f, true)
        }),
        ("record a device with another key's certificate", |f, _| {
            forged_device_record(f, 0)
        }),
        ("record a device under a key that is no device", |f, _| {
            forged_device_record(f, 1)
        }),
        ("record a device with a field it does not have", |f, _| {
            forged_device_record(f, 2)
        }),
        ("rewrite a device record", |f, _| forged_device_record(f, 3)),
    ]
}
