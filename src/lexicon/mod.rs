//! Word lists footnote reads English news with. Each list is a data file in this folder, compiled
//! in: one entry per line, trimmed; blank lines and lines starting with `#` are skipped. A list is
//! changed without touching code, and one list serves every module that needs it (the month
//! abbreviations serve both the sentence splitter and the answer's time check).
//!
//! This module only loads lists; what an entry means to a step (a sentence may end after "Jan.",
//! a sentence with "Jan" states a time) is decided where the list is used.

use std::sync::LazyLock;

/// A word list, parsed from its data file on first use.
pub type List = LazyLock<Vec<&'static str>>;

/// A [`List`] from a data file of this folder.
macro_rules! list {
    ($file:literal) => {
        LazyLock::new(|| entries(include_str!($file)))
    };
}

/// Month abbreviations as written before a period in running text ("Jan. 10", "Sept. 3").
pub static MONTH_ABBREVIATIONS: List = list!("month_abbreviations.txt");

/// The entries of a data file: each line trimmed; blank lines and `#` comments skipped.
fn entries(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_skip_comments_and_blank_lines_and_are_trimmed() {
        assert_eq!(entries("# a list\n\n Jan \nFeb\n"), ["Jan", "Feb"]);
    }

    #[test]
    fn month_abbreviations_are_loaded() {
        assert!(MONTH_ABBREVIATIONS.contains(&"Sept"));
        assert_eq!(MONTH_ABBREVIATIONS.len(), 12);
    }
}
