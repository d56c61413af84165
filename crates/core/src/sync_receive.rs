//! What a partner's sync message tells the conversation, noted without walking the history.
//!
//! This is automerge 0.12's `receive_sync_message` bookkeeping, less two steps:
//! * loading the message's changes: ours crossed the trust boundary as signed frames and are
//!   applied before the message is taken in;
//! * trimming the hashes sent in this conversation to those the partner does not have yet.
//!   automerge does that by visiting every ancestor of the partner's heads — the whole
//!   history, on every message (14 ms a message at 100,000 changes). It only forgets hashes
//!   the partner has, and those are never sent again anyway, so what is sent stays the same;
//!   the set is dropped with the conversation.
//!
//! The test below runs both on the same messages and compares every other field.

use automerge::ChangeHash;
use automerge::sync::{Capability, Message, MessageFlags, State};

/// Notes `message` in `state`. `heads` are this copy's heads with the changes sent before the
/// message already applied; `carried_changes` says whether any were (automerge answers a
/// message that brought changes even when the heads look settled); `has` says whether this
/// copy has a change.
pub(crate) fn take_in(
    state: &mut State,
    heads: &[ChangeHash],
    mut has: impl FnMut(&ChangeHash) -> bool,
    message: Message,
    carried_changes: bool,
) {
    state.in_flight = false;
    let Message {
        heads: their_heads,
        need,
        have,
        flags,
        ..
    } = message;
    if let Some(flags) = flags {
        // Any peer that sends flags supports version 2 messages.
        let mut capabilities = vec![Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            capabilities.push(Capability::SyncReset);
        }
        state.their_capabilities = Some(capabilities);
        if flags.contains(MessageFlags::SYNC_RESET) {
            state.sent_hashes.clear();
        }
        state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
    }
    if carried_changes && !state.read_only {
        // automerge advances the shared heads over what loading added; here the heads did
        // not move during this call, so that keeps the shared heads that are still mine.
        state.shared_heads.retain(|h| heads.contains(h));
        state.shared_heads.sort_unstable();
        state.shared_heads.dedup();
    }
    if !carried_changes && their_heads == heads {
        state.last_sent_heads.clone_from(&their_heads);
    }
    let known: Vec<ChangeHash> = their_heads.iter().filter(|h| has(h)).copied().collect();
    if known.len() == their_heads.len() {
        state.shared_heads.clone_from(&their_heads);
        // A partner that lost everything starts again from nothing.
        if their_heads.is_empty() {
            state.last_sent_heads = Vec::new();
            state.sent_hashes = Default::default();
        }
    } else {
        state.shared_heads.extend(known);
        state.shared_heads.sort_unstable();
        state.shared_heads.dedup();
    }
    state.their_have = Some(have);
    state.their_heads = Some(their_heads);
    state.their_need = Some(need);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::sync::SyncDoc;
    use automerge::transaction::{CommitOptions, Transactable};
    use automerge::{ActorId, AutoCommit, ROOT};

    use super::*;

    /// Two worlds, each with two copies that edit apart and sync again and again: one
    /// takes messages in with automerge's `receive_sync_message`, the other loads the
    /// changes first and uses [`take_in`]. Every message either world sends is the same,
    /// byte for byte, and after every message the states agree in every field but the sent
    /// hashes, where ours keeps a superset holding only hashes the partner has.
    #[test]
    fn the_bookkeeping_is_automerges_without_the_walk() {
        let copy = |i: u8| AutoCommit::new().with_actor(ActorId::from([i; 16]));
        let mut plain = [copy(1), copy(2)];
        let mut ours = [copy(1), copy(2)];
        let mut plain_states = [State::new(), State::new()];
        let mut our_states = [State::new(), State::new()];
        let mut compared = 0;
        let edit = |doc: &mut AutoCommit, key: String, round: u32| {
            doc.put(ROOT, key, i64::from(round)).unwrap();
            doc.commit_with(CommitOptions::default().with_time(i64::from(round)));
        };
        for round in 0..60u32 {
            // Some rounds nobody writes (the next conversation finds the copies equal).
            if round % 5 != 4 {
                for side in 0..2 {
                    for k in 0..(round % 4 + side as u32) {
                        for doc in [&mut plain[side], &mut ours[side]] {
                            edit(doc, format!("k{side}-{round}-{k}"), round);
                        }
                    }
                }
            }
            // One copy loses everything (a fresh install); the other must send it all again.
            if round == 30 {
                plain[1] = copy(3);
                ours[1] = copy(3);
                plain_states[1] = State::new();
                our_states[1] = State::new();
            }
            // A copy that only listened for a while, then writes again: the partner is told
            // to forget what it sent (a reset flag), and does.
            if round == 40 || round == 44 {
                for states in [&mut plain_states, &mut our_states] {
                    states[0].set_read_only(round == 40);
                }
            }
            // Every few rounds the conversation starts again from what was saved.
            if round % 7 == 3 || round % 5 == 4 {
                for states in [&mut plain_states, &mut our_states] {
                    for state in states.iter_mut() {
                        *state = State::decode(&state.encode()).unwrap();
                    }
                }
            }
            for step in 0..12 {
                let mut quiet = true;
                for from in 0..2 {
                    let to = 1 - from;
                    // Writing while the conversation runs: heads the partner does not know yet.
                    if step == 1 && round % 3 == from as u32 {
                        for doc in [&mut plain[from], &mut ours[from]] {
                            edit(doc, format!("during-{round}-{from}"), round);
                        }
                    }
                    let said = plain[from]
                        .sync()
                        .generate_sync_message(&mut plain_states[from]);
                    let ours_said = ours[from]
                        .sync()
                        .generate_sync_message(&mut our_states[from]);
                    assert_eq!(
                        said.as_ref().map(|m| m.clone().encode()),
                        ours_said.as_ref().map(|m| m.clone().encode()),
                        "round {round}"
                    );
                    let (Some(message), Some(ours_message)) = (said, ours_said) else {
                        continue;
                    };
                    quiet = false;
                    plain[to]
                        .sync()
                        .receive_sync_message(&mut plain_states[to], message)
                        .unwrap();
                    let carried = !ours_message.changes.is_empty();
                    for chunk in ours_message.changes.iter() {
                        ours[to].load_incremental(chunk).unwrap();
                    }
                    let heads = ours[to].get_heads();
                    let doc = &mut ours[to];
                    take_in(
                        &mut our_states[to],
                        &heads,
                        |h| doc.get_change_by_hash(h).is_some(),
                        ours_message,
                        carried,
                    );
                    let (expected, got) = (&plain_states[to], &our_states[to]);
                    let but_sent = |s: &State| State {
                        sent_hashes: Default::default(),
                        ..s.clone()
                    };
                    assert_eq!(but_sent(got), but_sent(expected), "round {round}");
                    assert!(expected.sent_hashes.is_subset(&got.sent_hashes));
                    for h in got.sent_hashes.difference(&expected.sent_hashes) {
                        assert!(plain[from].get_change_by_hash(h).is_some());
                    }
                    compared += 1;
                }
                if quiet && step > 1 {
                    break;
                }
            }
            if !(40..44).contains(&round) {
                assert_eq!(plain[0].get_heads(), plain[1].get_heads(), "round {round}");
            }
            assert_eq!(ours[0].get_heads(), plain[0].get_heads(), "round {round}");
        }
        assert!(compared > 100, "{compared}");
    }
}
