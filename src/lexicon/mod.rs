//! Word lists footnote reads English news with. Each list is a data file in this folder, compiled
//! in: one entry per line, trimmed; blank lines and lines starting with `#` are skipped. A list is
//! changed without touching code, and one list serves every module that needs it (the month
//! abbreviations serve both the sentence splitter and the answer's time check).
//!
//! A phrase list (text matched as a prefix or substring, where a trailing space or colon is part
//! of the match: `"download "` must not match "Downloads") writes each entry in double quotes, and
//! the entry is exactly what lies between them.
//!
//! This module only loads lists; what an entry means to a step (a sentence may end after "Jan.",
//! a sentence with "Jan" states a time) is decided where the list is used.

use std::sync::LazyLock;

/// A word list, parsed from its data file on first use.
pub type List = LazyLock<Vec<&'static str>>;

/// A table, parsed from its data file on first use: each entry's tab-separated columns, trimmed.
/// What a column means (a number's value, a bound) is read where the table is used.
pub type Table = LazyLock<Vec<Vec<&'static str>>>;

/// A [`List`] from a data file of this folder.
macro_rules! list {
    ($file:literal) => {
        LazyLock::new(|| entries(include_str!($file)))
    };
}

/// A [`List`] of the first column of a table file of this folder (its words without their values).
macro_rules! first_column {
    ($file:literal) => {
        LazyLock::new(|| {
            columns(include_str!($file))
                .into_iter()
                .map(|row| row[0])
                .collect()
        })
    };
}

/// A [`Table`] from a table file of this folder.
macro_rules! table {
    ($file:literal) => {
        LazyLock::new(|| columns(include_str!($file)))
    };
}

/// A [`List`] from a phrase file of this folder: entries in double quotes, kept exact.
macro_rules! phrases {
    ($file:literal) => {
        LazyLock::new(|| phrases(include_str!($file)))
    };
}

/// Month abbreviations as written before a period in running text ("Jan. 10", "Sept. 3").
pub static MONTH_ABBREVIATIONS: List = list!("month_abbreviations.txt");

/// Abbreviations written before the name or number they qualify: titles ("Lt. Cmdr. Russ
/// Wolfkiel", "Mr. Biden") and "e.g.", "vs.".
pub static PREFIX_ABBREVIATIONS: List = list!("prefix_abbreviations.txt");

/// Abbreviations other than months written with a period in running text: places ("St."), name
/// and company suffixes ("Jr.", "Inc."), "No.", "etc.", "et al.".
pub static COMMON_ABBREVIATIONS: List = list!("common_abbreviations.txt");

/// Function words that typically open an English sentence ("The", "However").
pub static SENTENCE_OPENERS: List = list!("sentence_openers.txt");

/// Verbs of attribution that follow a quotation: `“Why now?” Biden asked.`
pub static SPEECH_VERBS: List = list!("speech_verbs.txt");

/// How photo credits start, lowercased: `photo:`, `courtesy of`.
pub static CREDIT_LABELS: List = phrases!("credit_labels.txt");

/// How photo and video captions start, lowercased: `file -`, `this image provided by`,
/// `image caption`.
pub static CAPTION_OPENERS: List = phrases!("caption_openers.txt");

/// What a caption shows, lowercased: `photo`, `image`, `video` ("In this file photo, ...",
/// "(Family photos)").
pub static CAPTION_NOUNS: List = list!("caption_nouns.txt");

/// Present-tense verbs of what a person in a photo does, as captions write them: `holds`, `waves`.
pub static CAPTION_VERBS: List = list!("caption_verbs.txt");

/// The days of the week, lowercased.
pub static WEEKDAYS: List = list!("weekdays.txt");

/// Social networks a "Follow ... on Twitter" promotion names, lowercased.
pub static SOCIAL_NETWORKS: List = list!("social_networks.txt");

/// Phrases of a short note on where a story was reported: ` reported from `.
pub static REPORTING_CREDITS: List = phrases!("reporting_credits.txt");

/// Lowercase words that link the names of a photo credit: `Mandel Ngan/AFP via Getty Images`.
pub static CREDIT_LINKS: List = list!("credit_links.txt");

/// How promotions start, lowercased, trailing spaces included: `download `, `subscribe:`.
pub static PROMOTION_OPENERS: List = phrases!("promotion_openers.txt");

/// Phrases, lowercased, that mark a promotion wherever they appear: `download the free`.
pub static PROMOTION_PHRASES: List = phrases!("promotion_phrases.txt");

/// How contributor, copyright and editor's notes start, lowercased: `reporting by`, `©`.
pub static CONTRIBUTOR_OPENERS: List = phrases!("contributor_openers.txt");

/// Phrases, lowercased, that mark a contributor or copyright note: `contributed to this report`.
pub static CONTRIBUTOR_PHRASES: List = phrases!("contributor_phrases.txt");

/// Numbers in words ("one" to "ninety", "hundred" to "trillion"), lower-case.
pub static CARDINALS: List = first_column!("cardinals.tsv");

/// [`CARDINALS`] with their values: `word, value`.
pub static CARDINAL_VALUES: Table = table!("cardinals.tsv");

/// The words that multiply the number before them ("hundred", "million", "crore").
pub static SCALES: List = first_column!("scales.tsv");

/// [`SCALES`] with their factors: `word, factor`.
pub static SCALE_FACTORS: Table = table!("scales.tsv");

/// Ordinal numbers in words ("first" to "ninetieth").
pub static ORDINALS: List = first_column!("ordinals.tsv");

/// [`ORDINALS`] with their values: `word, value`.
pub static ORDINAL_VALUES: Table = table!("ordinals.tsv");

/// Words that bound the number after them ("more than", "about", "before" a year): `phrase,
/// bound` and, for bounds of years only, a third column `year`.
pub static COMPARATORS: Table = table!("comparators.tsv");

/// Words that state a quantity without a number ("dozens", "thousands").
pub static QUANTITY_WORDS: List = list!("quantity_words.txt");

/// Words that negate ("not", "never"); contractions are not listed.
pub static NEGATION_WORDS: List = list!("negation_words.txt");

/// Words that state a time ("monday", "week", "ago"), besides the months and their
/// abbreviations.
pub static TIME_WORDS: List = list!("time_words.txt");

/// Units of time ("minute", "year"), in the singular.
pub static TIME_UNITS: List = list!("time_units.txt");

/// The months ("january"), in calendar order.
pub static MONTHS: List = list!("months.txt");

/// Phrases that say a number is an age ("year-old", "aged "), a phrase list.
pub static AGE_CUES: List = phrases!("age_cues.txt");

/// Phrases that ask for a kind of fact, each with that kind after a tab ("how many\tquantity").
pub static QUESTION_FRAMES: List = list!("question_frames.tsv");

/// Phrases that ask for a quantity whose adjective the answer must say ("how far", "how tall").
pub static MEASURE_QUESTION_FRAMES: List = list!("measure_question_frames.txt");

/// Phrases of a question that only restate that a time is asked for ("take place", "happen").
pub static RESTATED_TIME_PHRASES: List = list!("restated_time_phrases.txt");

/// Pronouns and demonstratives that refer back when they open a sentence ("He", "This"),
/// capitalised as they open one.
pub static ANAPHORIC_OPENERS: List = list!("anaphoric_openers.txt");

/// WordNet's irregular word forms whose stem differs from their base's, each as `form, base`
/// ("spoke", "speak"; written by `scripts/wordnet_irregular_forms.py`).
pub static IRREGULAR_FORMS: Table = table!("irregular_forms.tsv");

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

/// The entries of a table file: as [`entries`], each split at its tabs, columns trimmed.
fn columns(text: &'static str) -> Vec<Vec<&'static str>> {
    entries(text)
        .into_iter()
        .map(|entry| entry.split('\t').map(str::trim).collect())
        .collect()
}

/// The entries of a phrase file: as [`entries`], then each entry written in double quotes is the
/// text between them, spaces and punctuation included.
fn phrases(text: &'static str) -> Vec<&'static str> {
    entries(text)
        .into_iter()
        .map(|entry| {
            entry
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(entry)
        })
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
    fn phrases_keep_spaces_and_punctuation_inside_quotes() {
        assert_eq!(
            phrases("# a list\n\n \"download \" \n\"subscribe:\"\n\"\"\" \nplain \n"),
            ["download ", "subscribe:", "\"", "plain"]
        );
    }

    #[test]
    fn promotion_openers_keep_their_trailing_spaces() {
        // Trimmed, "download " would also match "Downloads rose", "click " "Clicks doubled".
        for opener in [
            "download ",
            "sign up ",
            "subscribe ",
            "click ",
            "follow us ",
            "join our ",
        ] {
            assert!(PROMOTION_OPENERS.contains(&opener), "{opener:?}");
        }
        assert!(PROMOTION_OPENERS.contains(&"subscribe:"));
        assert!(!PROMOTION_OPENERS.contains(&"download"));
    }

    #[test]
    fn phrase_lists_hold_no_quote_marks_or_empty_entries() {
        // A phrase whose closing quote is missing would keep its opening one and never match.
        for list in [
            &AGE_CUES,
            &CREDIT_LABELS,
            &PROMOTION_OPENERS,
            &PROMOTION_PHRASES,
            &CONTRIBUTOR_OPENERS,
            &CONTRIBUTOR_PHRASES,
        ] {
            assert!(!list.is_empty());
            for phrase in list.iter() {
                assert!(!phrase.is_empty() && !phrase.contains('"'), "{phrase:?}");
            }
        }
    }

    #[test]
    fn lists_read_against_lower_cased_text_are_lower_case() {
        // Their entries are compared with lower-cased words: a capital would never match.
        let lists: [&List; 13] = [
            &RESTATED_TIME_PHRASES,
            &TIME_UNITS,
            &MONTHS,
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
