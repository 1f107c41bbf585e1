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

/// Numbers in words ("one" to "ninety", "hundred" to "trillion"), lower-case.
pub static CARDINALS: List = list!("cardinals.txt");

/// The number words that multiply the one before them ("hundred", "million").
pub static SCALES: List = list!("scales.txt");

/// Ordinal numbers in words ("first" to "ninetieth").
pub static ORDINALS: List = list!("ordinals.txt");

/// Words that state a quantity without a number ("dozens", "thousands").
pub static QUANTITY_WORDS: List = list!("quantity_words.txt");

/// Words that negate ("not", "never"); contractions are not listed.
pub static NEGATION_WORDS: List = list!("negation_words.txt");

/// Words that state a time ("monday", "week", "ago"), besides the month abbreviations.
pub static TIME_WORDS: List = list!("time_words.txt");

/// Phrases that say a number is an age ("year-old", "aged "); a cue in double quotes keeps its
/// spaces.
pub static AGE_CUES: List = list!("age_cues.txt");

/// Phrases that ask for a kind of fact, each with that kind after a tab ("how many\tquantity").
pub static QUESTION_FRAMES: List = list!("question_frames.tsv");

/// Phrases that ask for a quantity whose adjective the answer must say ("how far", "how tall").
pub static MEASURE_QUESTION_FRAMES: List = list!("measure_question_frames.txt");

/// WordNet's single-word antonym pairs, each as `word\tantonym\tpart of speech` (written by
/// `scripts/wordnet_antonyms.py`).
pub static ANTONYM_PAIRS: List = list!("antonyms.tsv");

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

    #[test]
    fn lists_read_against_lower_cased_text_are_lower_case() {
        // Their entries are compared with lower-cased words: a capital would never match.
        let lists: [&List; 10] = [
            &CARDINALS,
            &SCALES,
            &ORDINALS,
            &QUANTITY_WORDS,
            &NEGATION_WORDS,
            &TIME_WORDS,
            &AGE_CUES,
            &QUESTION_FRAMES,
            &MEASURE_QUESTION_FRAMES,
            &ANTONYM_PAIRS,
        ];
        for list in lists {
            assert!(!list.is_empty());
            for entry in list.iter() {
                assert_eq!(*entry, entry.to_lowercase());
            }
        }
    }
}
