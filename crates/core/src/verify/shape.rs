//! The shape of a change's bytes, checked before automerge reads a byte of them.
//!
//! automerge's parser trusts what the bytes claim: a compressed chunk is inflated without
//! limit, a run-length column can claim a trillion operations in a few bytes (each of which
//! the parser then visits), a predecessor list can claim a trillion entries, and an actor
//! index past the change's actor table panics later when the change is expanded. This
//! module reads the chunk header, the change header and the column layout itself, walks the
//! few columns whose values multiply work, and refuses anything outside fixed bounds. Only
//! then does [`parse`] hand the bytes to automerge, with any panic contained.
//!
//! The format is automerge's binary change chunk
//! (<https://alexjg.github.io/automerge-storage-docs/#change-chunks>).

use automerge::{Change, ChangeHash};
use sha2::{Digest, Sha256};

use crate::contain::contained;

/// The largest change accepted, in bytes. A change is one action of one person; the
/// longest wording the forms allow is a few kilobytes.
pub const MAX_CHANGE_BYTES: usize = 1024 * 1024;
/// Most operations one change may hold (one action writes a few dozen).
pub const MAX_OPS: u64 = 10_000;
/// Most predecessors all operations of one change may name together.
pub const MAX_PREDS: u64 = 10_000;
/// Most dependencies of one change (the heads of the copy it was made on).
pub const MAX_DEPS: u64 = 256;
/// Most actors one change may name besides its own.
pub const MAX_OTHER_ACTORS: u64 = 256;
/// Longest actor id (automerge makes 16 random bytes).
const MAX_ACTOR_LEN: u64 = 64;
/// Most columns in a change (automerge writes at most 14).
const MAX_COLUMNS: u64 = 32;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk kinds: an uncompressed change, and a DEFLATE-compressed one.
pub const CHUNK_CHANGE: u8 = 1;
pub const CHUNK_COMPRESSED: u8 = 2;

/// Column types (the low three bits of a column spec).
mod col {
    pub const GROUP: u32 = 0;
    pub const ACTOR: u32 = 1;
    pub const INTEGER: u32 = 2;
    pub const DELTA: u32 = 3;
    pub const BOOLEAN: u32 = 4;
    pub const STRING: u32 = 5;
    pub const VALUE_META: u32 = 6;
    pub const VALUE: u32 = 7;
    pub const DEFLATE: u32 = 0b1000;
}

/// The change columns automerge writes: (column id, column type).
const KNOWN_COLUMNS: &[(u32, u32)] = &[
    (0, col::ACTOR),
    (0, col::INTEGER),
    (1, col::ACTOR),
    (1, col::DELTA),
    (1, col::STRING),
    (3, col::BOOLEAN),
    (4, col::INTEGER),
    (5, col::VALUE_META),
    (5, col::VALUE),
    (7, col::GROUP),
    (7, col::ACTOR),
    (7, col::DELTA),
    (9, col::BOOLEAN),
    (10, col::STRING),
];
const ACTION_COLUMN: u32 = 4;
const PRED_COLUMN: u32 = 7;

/// Parses a change from bytes nobody vouches for: shape first, then automerge with its
/// panics contained, then a canonical header (the header's checksum and length encoding lie
/// outside the hash, so without this one hash could travel as several byte strings).
pub(crate) fn parse(bytes: &[u8]) -> Result<Change, String> {
    check(bytes)?;
    let change = contained("reading a change", || Change::try_from(bytes))?
        .map_err(|e| format!("not a single well-formed change ({e})"))?;
    let hash = change.hash();
    let body_len = bytes.len() - header_len(bytes)?;
    if !bytes.starts_with(&chunk_header(CHUNK_CHANGE, checksum(&hash), body_len)) {
        return Err("its header is not in canonical form (checksum or length)".into());
    }
    Ok(change)
}

/// The header of an automerge chunk: magic bytes, checksum, kind, body length. The one
/// encoding [`parse`] accepts (the checksum and the length's encoding lie outside the hash).
pub fn chunk_header(kind: u8, checksum: [u8; 4], body_len: usize) -> Vec<u8> {
    let mut header = Vec::with_capacity(16);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&checksum);
    header.push(kind);
    write_uleb(&mut header, body_len as u64);
    header
}

/// The hash automerge gives a chunk of `kind` with `body`: SHA-256 over the kind, the
/// body's length and the body.
pub fn chunk_hash(kind: u8, body: &[u8]) -> ChangeHash {
    let mut prefix = vec![kind];
    write_uleb(&mut prefix, body.len() as u64);
    let mut hasher = Sha256::new();
    hasher.update(&prefix);
    hasher.update(body);
    ChangeHash(hasher.finalize().into())
}

/// A chunk's checksum: the first four bytes of its hash.
pub fn checksum(hash: &ChangeHash) -> [u8; 4] {
    [hash.0[0], hash.0[1], hash.0[2], hash.0[3]]
}

fn header_len(bytes: &[u8]) -> Result<usize, String> {
    let mut r = Cursor::new(bytes);
    r.take(9)?;
    r.uleb()?;
    Ok(r.pos)
}

/// Checks the shape of a change chunk without allocating anything it claims.
pub(crate) fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(format!(
            "it is {} bytes, more than the {} a change may have",
            bytes.len(),
            MAX_CHANGE_BYTES
        ));
    }
    let mut r = Cursor::new(bytes);
    if r.take(4)? != MAGIC {
        return Err("it is not an automerge chunk".into());
    }
    r.take(4)?; // checksum, compared with the hash once parsed
    match r.byte()? {
        CHUNK_CHANGE => {}
        CHUNK_COMPRESSED => {
            return Err("it is compressed, and changes must travel uncompressed".into());
        }
        other => return Err(format!("it is a chunk of kind {other}, not a change")),
    }
    let len = r.uleb()?;
    if len != r.remaining() as u64 {
        return Err("its length does not match its bytes".into());
    }

    // The change header.
    let deps = r.uleb()?;
    if deps > MAX_DEPS {
        return Err(format!("it names {deps} dependencies"));
    }
    r.take(32 * deps as usize)?;
    let actor_len = r.uleb()?;
    if actor_len == 0 || actor_len > MAX_ACTOR_LEN {
        return Err(format!("its actor id is {actor_len} bytes long"));
    }
    r.take(actor_len as usize)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.uleb()?; // time (signed LEB128: same byte structure)
    let message_len = r.uleb()?;
    r.take(usize::try_from(message_len).map_err(|_| "its message is too long")?)?;
    let others = r.uleb()?;
    if others > MAX_OTHER_ACTORS {
        return Err(format!("it names {others} other actors"));
    }
    for _ in 0..others {
        let len = r.uleb()?;
        if len == 0 || len > MAX_ACTOR_LEN {
            return Err(format!("an actor id in it is {len} bytes long"));
        }
        r.take(len as usize)?;
    }
    let actors = 1 + others;

    // The column layout, then each column's bytes.
    let columns = r.uleb()?;
    if columns > MAX_COLUMNS {
        return Err(format!("it has {columns} columns"));
    }
    let mut layout = Vec::with_capacity(columns as usize);
    for _ in 0..columns {
        let spec = u32::try_from(r.uleb()?).map_err(|_| "a column spec is out of range")?;
        let len = usize::try_from(r.uleb()?).map_err(|_| "a column is too long")?;
        if spec & col::DEFLATE != 0 {
            return Err("a column in it is compressed".into());
        }
        let (id, kind) = (spec >> 4, spec & 0b111);
        if !KNOWN_COLUMNS.contains(&(id, kind)) {
            return Err(format!("it has an unknown column ({id}, {kind})"));
        }
        layout.push((id, kind, len));
    }
    let mut preds = 0u64;
    for (id, kind, len) in layout {
        let data = r.take(len)?;
        match (id, kind) {
            (ACTION_COLUMN, col::INTEGER) => {
                let mut count = 0u64;
                walk_rle(data, |_, n| {
                    count = count.saturating_add(n);
                    bounded(count, MAX_OPS, "operations")
                })?;
            }
            (PRED_COLUMN, col::GROUP) => walk_rle(data, |value, n| {
                preds = preds.saturating_add(value.unwrap_or(0).saturating_mul(n));
                bounded(preds, MAX_PREDS, "predecessors")
            })?,
            (_, col::ACTOR) => walk_rle(data, |value, _| match value {
                Some(index) if index >= actors => {
                    Err(format!("it names actor {index} of only {actors}"))
                }
                _ => Ok(()),
            })?,
            _ => {}
        }
    }
    // What is left is the change's extra bytes (the author footer).
    Ok(())
}

fn bounded(value: u64, max: u64, what: &str) -> Result<(), String> {
    if value > max {
        Err(format!("it claims more than {max} {what}"))
    } else {
        Ok(())
    }
}

/// Walks a run-length encoded column of unsigned LEB128 values, calling `f` with each run's
/// value (`None` for a run of nulls) and length, without expanding anything.
fn walk_rle(
    data: &[u8],
    mut f: impl FnMut(Option<u64>, u64) -> Result<(), String>,
) -> Result<(), String> {
    let mut r = Cursor::new(data);
    while r.remaining() > 0 {
        let count = r.sleb()?;
        if count > 0 {
            let value = r.uleb()?;
            f(Some(value), count as u64)?;
        } else if count < 0 {
            for _ in 0..count.unsigned_abs() {
                let value = r.uleb()?;
                f(Some(value), 1)?;
            }
        } else {
            let nulls = r.uleb()?;
            f(None, nulls)?;
        }
    }
    Ok(())
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err("it ends in the middle of a field".into());
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, String> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err("a number in it overflows".into());
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number in it overflows".into())
    }

    fn sleb(&mut self) -> Result<i64, String> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return Err("a number in it overflows".into());
            }
            value |= i64::from(b & 0x7f).wrapping_shl(shift);
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }
}

fn write_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    fn sample() -> Vec<u8> {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "a", "b").unwrap();
        doc.put(ROOT, "c", 3).unwrap();
        let h = doc.commit().unwrap();
        doc.get_change_by_hash(&h).unwrap().raw_bytes().to_vec()
    }

    #[test]
    fn a_real_change_passes() {
        let bytes = sample();
        check(&bytes).unwrap();
        assert_eq!(parse(&bytes).unwrap().raw_bytes(), bytes.as_slice());
    }

    #[test]
    fn compressed_and_oversized_chunks_are_refused_unread() {
        let mut bytes = sample();
        bytes[8] = CHUNK_COMPRESSED;
        assert!(check(&bytes).unwrap_err().contains("compressed"));
        let big = vec![0u8; MAX_CHANGE_BYTES + 1];
        assert!(check(&big).is_err());
    }

    #[test]
    fn a_header_outside_the_hash_must_be_canonical() {
        let mut bytes = sample();
        bytes[4] ^= 1; // the checksum is not covered by the hash
        assert!(parse(&bytes).unwrap_err().contains("canonical"));
    }

    #[test]
    fn leb_numbers_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            write_uleb(&mut out, v);
            assert_eq!(Cursor::new(&out).uleb().unwrap(), v);
        }
        // -1, -64, -65, 63, 64 in signed LEB128.
        for (bytes, v) in [
            (vec![0x7f], -1i64),
            (vec![0x40], -64),
            (vec![0xbf, 0x7f], -65),
            (vec![0x3f], 63),
            (vec![0xc0, 0x00], 64),
        ] {
            assert_eq!(Cursor::new(&bytes).sleb().unwrap(), v);
        }
    }

    #[test]
    fn a_run_claiming_a_trillion_operations_is_refused() {
        let mut r = Vec::new();
        // count = 10^12 (signed LEB128), value 1.
        let mut n: i64 = 1_000_000_000_000;
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 && byte & 0x40 == 0 {
                r.push(byte);
                break;
            }
            r.push(byte | 0x80);
        }
        r.push(1);
        let mut count = 0u64;
        let err = walk_rle(&r, |_, n| {
            count = count.saturating_add(n);
            bounded(count, MAX_OPS, "operations")
        })
        .unwrap_err();
        assert!(err.contains("operations"), "{err}");
    }
}
