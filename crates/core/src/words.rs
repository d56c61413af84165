//! Small pieces of wording shared by the window and the command line.

/// "1 agreement", "3 agreements": a count with the word that fits it.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_read_naturally() {
        assert_eq!(count(0, "change", "changes"), "0 changes");
        assert_eq!(count(1, "change", "changes"), "1 change");
        assert_eq!(count(2, "repair", "repairs"), "2 repairs");
    }
}
