//! Small pieces of wording shared by the window and the command line.

/// "1 agreement", "3 agreements": a count with the word that fits it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A sentence that begins with a capital: messages are written to follow "error: " on the
/// command line, and stand alone in the window.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{capitalized, count};

    #[test]
    fn a_message_stands_alone_as_a_sentence() {
        assert_eq!(capitalized("the period starts"), "The period starts");
        assert_eq!(capitalized("élan"), "Élan");
        assert_eq!(capitalized(""), "");
    }

    #[test]
    fn counts_read_naturally() {
        assert_eq!(count(0, "change", "changes"), "0 changes");
        assert_eq!(count(1, "change", "changes"), "1 change");
        assert_eq!(count(2, "repair", "repairs"), "2 repairs");
    }
}
