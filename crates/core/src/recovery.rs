//! The recovery phrase: 24 words that are the identity key itself, for a laptop lost with
//! no backup.
//!
//! The words are BIP-39's English list, whose words differ in their first four letters, so
//! a phrase written by hand reads back even with words cut to four letters. The phrase is
//! the identity seed (32 bytes) and an 8-bit checksum, so a mistyped word is caught rather
//! than silently giving another identity.

use bip39::{Language, Mnemonic};
use zeroize::Zeroizing;

use crate::error::CoreError;
use crate::identity::Identity;

/// How many words a phrase has.
pub const PHRASE_WORDS: usize = 24;
/// Letters that are enough to tell one word of the list from every other.
const UNIQUE_PREFIX: usize = 4;

/// The identity's recovery phrase: 24 words separated by single spaces.
pub fn phrase_of(identity: &Identity) -> Zeroizing<String> {
    let seed = Zeroizing::new(identity.to_bytes());
    // 32 bytes is one of the lengths BIP-39 encodes, so this never fails.
    match Mnemonic::from_entropy_in(Language::English, seed.as_slice()) {
        Ok(m) => Zeroizing::new(m.words().collect::<Vec<_>>().join(" ")),
        Err(_) => Zeroizing::new(String::new()),
    }
}

/// The identity a phrase holds. Forgiving about how it was written down (capitals,
/// numbering, commas, line breaks, words cut to their first four letters); strict about
/// the words themselves, with a sentence naming the first one that is wrong.
pub fn identity_from_phrase(text: &str) -> Result<Identity, CoreError> {
    let words = phrase_words(text)?;
    let normalized = Zeroizing::new(words.join(" "));
    let mnemonic = Mnemonic::parse_in_normalized(Language::English, &normalized).map_err(|e| {
        CoreError::Invalid(match e {
            bip39::Error::InvalidChecksum => {
                "these words are all recovery words, but not a phrase Trellis wrote: one of \
                 them is likely a different word than the one written down (or two are in the \
                 wrong order); check each against the paper"
                    .into()
            }
            other => format!("this is not a recovery phrase ({other})"),
        })
    })?;
    let entropy = Zeroizing::new(mnemonic.to_entropy());
    let seed: [u8; 32] = entropy
        .as_slice()
        .try_into()
        .map_err(|_| CoreError::Invalid("a recovery phrase has 24 words".into()))?;
    Ok(Identity::from_bytes(&seed))
}

/// The phrase's words, each one of the list, from whatever the person typed.
fn phrase_words(text: &str) -> Result<Vec<&'static str>, CoreError> {
    let lower = Zeroizing::new(text.to_lowercase());
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(|t| t.trim_matches(|c: char| !c.is_alphabetic()))
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() != PHRASE_WORDS {
        return Err(CoreError::Invalid(format!(
            "a recovery phrase has {PHRASE_WORDS} words, and this has {}",
            tokens.len()
        )));
    }
    tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            word_of(token).ok_or_else(|| {
                CoreError::Invalid(format!(
                    "word {} (“{token}”) is not one of the recovery words; check it against \
                     the paper",
                    i + 1
                ))
            })
        })
        .collect()
}

/// The list's word for a token: the word itself, or the one word its first four letters
/// (or more) begin.
fn word_of(token: &str) -> Option<&'static str> {
    let list = Language::English;
    if let Some(i) = list.find_word(token) {
        return list.word_list().get(usize::from(i)).copied();
    }
    if token.chars().count() < UNIQUE_PREFIX {
        return None;
    }
    let mut matches = list.words_by_prefix_iter(token);
    match (matches.next(), matches.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_gives_back_the_same_identity() {
        let id = Identity::generate().unwrap();
        let phrase = phrase_of(&id);
        assert_eq!(phrase.split(' ').count(), PHRASE_WORDS);
        assert_eq!(identity_from_phrase(&phrase).unwrap().public(), id.public());
    }

    #[test]
    fn a_phrase_written_by_hand_reads_back() {
        let id = Identity::generate().unwrap();
        let phrase = phrase_of(&id);
        // Numbered, in capitals, four letters each, over several lines.
        let written: String = phrase
            .split(' ')
            .enumerate()
            .map(|(i, w)| {
                let cut: String = w.chars().take(4).collect();
                let sep = if i % 6 == 5 { "\n" } else { ", " };
                format!("{}. {}{sep}", i + 1, cut.to_uppercase())
            })
            .collect();
        assert_eq!(
            identity_from_phrase(&written).unwrap().public(),
            id.public()
        );
    }

    #[test]
    fn a_wrong_word_is_named_and_a_swapped_word_is_caught() {
        let id = Identity::generate().unwrap();
        let phrase = phrase_of(&id);
        let mut words: Vec<&str> = phrase.split(' ').collect();
        words[6] = "notaword";
        let err = identity_from_phrase(&words.join(" "))
            .unwrap_err()
            .to_string();
        assert!(err.contains("word 7") && err.contains("notaword"), "{err}");

        let mut words: Vec<&str> = phrase.split(' ').collect();
        let short = identity_from_phrase(&words[..23].join(" "))
            .unwrap_err()
            .to_string();
        assert!(short.contains("has 23"), "{short}");

        // Another valid word in one place: the checksum catches it (all but 1 in 256 times;
        // tried with every replacement until one is refused, which must be almost at once).
        let original = words[3];
        let refused = Language::English
            .word_list()
            .iter()
            .filter(|w| **w != original)
            .take(20)
            .filter(|w| {
                words[3] = w;
                identity_from_phrase(&words.join(" ")).is_err()
            })
            .count();
        assert!(
            refused >= 15,
            "only {refused} of 20 wrong words were caught"
        );
    }
}
