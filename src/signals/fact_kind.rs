//! The kind of fact a question asks for (a number for "how many", a time for "when", an age for
//! "how old"), and whether a sentence holds one: a sentence without the kind of fact asked for
//! cannot answer.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::lexicon::{
    AGE_CUES, CARDINALS, MEASURE_QUESTION_FRAMES, MONTHS, MONTH_ABBREVIATIONS, QUANTITY_WORDS,
    QUESTION_FRAMES, RESTATED_TIME_PHRASES, TIME_WORDS,
};
use crate::text::words;

/// The kind of fact a question asks for, when its wording says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// "how many", "how much", "how far": the answer holds a number.
    Quantity,
    /// "when", "how long", "what year": the answer holds a number or a word of time.
    Time,
    /// "how old": the answer states an age ("69-year-old", "aged 69", "69 years old").
    Age,
}

/// The phrase that asks for an age, looked for anywhere in the question before any other frame.
const AGE_FRAME: &str = "how old";

/// [`QUESTION_FRAMES`] with their kinds, in the file's order.
static FRAMES: LazyLock<Vec<(&str, FactKind)>> = LazyLock::new(|| {
    frames(&QUESTION_FRAMES)
        .unwrap_or_else(|e| panic!("src/lexicon/question_frames.tsv is malformed: {e}"))
});

/// Words that state a time, lower-case: [`TIME_WORDS`], the [`MONTHS`] and the
/// [`MONTH_ABBREVIATIONS`].
/// Since the abbreviations are the shared list, "sep" counts as a time too: this check's own copy
/// had only "sept" (the one change of behaviour when the lists became data files).
static TIME_WORDS_AND_MONTHS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let abbreviations = MONTH_ABBREVIATIONS.iter().map(|a| a.to_lowercase());
    TIME_WORDS
        .iter()
        .chain(MONTHS.iter())
        .map(|w| w.to_string())
        .chain(abbreviations)
        .collect()
});

/// Reads `frame<TAB>kind` lines, the kind `quantity` or `time`.
fn frames(lines: &[&'static str]) -> Result<Vec<(&'static str, FactKind)>, String> {
    lines
        .iter()
        .map(|line| {
            let (frame, kind) = line
                .split_once('\t')
                .ok_or_else(|| format!("{line:?} has no tab between frame and kind"))?;
            let kind = match kind.trim() {
                "quantity" => FactKind::Quantity,
                "time" => FactKind::Time,
                other => return Err(format!("{other:?} is no kind (quantity or time)")),
            };
            Ok((frame.trim(), kind))
        })
        .collect()
}

impl FactKind {
    /// The kind of fact asked for, and the question without the words that ask for it
    /// ("how long did the call last" asks for a time about "the call last").
    pub fn asked_for(question: &str) -> (Option<FactKind>, String) {
        let lower = question.to_lowercase();
        if lower.contains(AGE_FRAME) {
            return (Some(FactKind::Age), lower.replace(AGE_FRAME, " "));
        }
        // "how far" and the like ask for a number too, but their adjective is part of what the
        // answer must say ("40 km away", "as large as"), so it stays in the topic.
        if MEASURE_QUESTION_FRAMES.iter().any(|f| lower.contains(f)) {
            return (Some(FactKind::Quantity), question.to_string());
        }
        for &(frame, kind) in FRAMES.iter() {
            let as_words = lower.match_indices(frame).find(|(i, _)| {
                let before = &lower[..*i];
                let after = &lower[i + frame.len()..];
                !before.ends_with(char::is_alphanumeric)
                    && !after.starts_with(char::is_alphanumeric)
            });
            if let Some((i, _)) = as_words {
                let mut topic = lower.clone();
                topic.replace_range(i..i + frame.len(), " ");
                // "take place" and "happen" only restate that a time is asked for.
                let topic = RESTATED_TIME_PHRASES
                    .iter()
                    .fold(topic, |topic, phrase| topic.replace(phrase, " "));
                return (Some(kind), topic);
            }
        }
        (None, question.to_string())
    }

    /// Whether a sentence holds a fact of this kind.
    pub fn found_in(self, sentence: &str) -> bool {
        // Hyphenated words are read by part: "69-year-old" holds a number, "twenty-four" two.
        let parts: Vec<String> = words(sentence)
            .flat_map(|w| {
                w.split('-')
                    .filter(|part| !part.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let has_number = parts.iter().any(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || CARDINALS.contains(&w.as_str())
                || QUANTITY_WORDS.contains(&w.as_str())
        });
        match self {
            FactKind::Age => {
                let lower = sentence.to_lowercase();
                // A phrase list: "aged " keeps its space, so "had aged." is no cue.
                has_number && AGE_CUES.iter().any(|cue| lower.contains(cue))
            }
            FactKind::Quantity => has_number,
            FactKind::Time => {
                has_number
                    || parts.iter().any(|w| {
                        let singular = w.strip_suffix('s').unwrap_or(w);
                        TIME_WORDS_AND_MONTHS.contains(w)
                            || TIME_WORDS_AND_MONTHS.contains(singular)
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_wording_names_the_fact_kind() {
        let kind = |q| FactKind::asked_for(q).0;
        assert_eq!(kind("How many troops are there?"), Some(FactKind::Quantity));
        assert_eq!(
            kind("When will the talks take place?"),
            Some(FactKind::Time)
        );
        assert_eq!(kind("How long did the call last?"), Some(FactKind::Time));
        assert_eq!(kind("Who requested the call?"), None);
        assert_eq!(kind("How old is the senator?"), Some(FactKind::Age));
        assert_eq!(kind("Whenever it rains, who gets wet?"), None);
        assert_eq!(
            FactKind::asked_for("How long did the call last?").1.trim(),
            "did the call last?"
        );
        // A measure frame asks for a number and stays in the topic.
        assert_eq!(
            FactKind::asked_for("How far is Kyiv from the border?"),
            (
                Some(FactKind::Quantity),
                "How far is Kyiv from the border?".to_string()
            )
        );
    }

    #[test]
    fn fact_kinds_are_found_in_numbers_and_time_words() {
        assert!(FactKind::Quantity.found_in("About 100,000 soldiers remain."));
        assert!(FactKind::Quantity.found_in("Three officials spoke."));
        assert!(!FactKind::Quantity.found_in("Officials spoke at length."));
        assert!(FactKind::Quantity.found_in("Dozens of officials spoke."));
        // Hyphenated words are read by part.
        assert!(FactKind::Quantity.found_in("Twenty-four soldiers remain."));
        assert!(FactKind::Time.found_in("It was a week-long visit."));
        assert!(FactKind::Time.found_in("The call lasted just under an hour."));
        assert!(FactKind::Time.found_in("Talks are scheduled for Jan. 10."));
        assert!(!FactKind::Time.found_in("Biden handled the call from his home."));
        assert!(FactKind::Age.found_in("The 69-year-old leader spoke."));
        assert!(!FactKind::Age.found_in("Putin spoke last Thursday (30)."));
    }

    #[test]
    fn the_age_cue_aged_keeps_its_space() {
        assert!(FactKind::Age.found_in("A man aged 69 spoke."));
        // "aged" without a space after it is no cue.
        assert!(!FactKind::Age.found_in("Two leaders had aged."));
    }

    #[test]
    fn every_month_abbreviation_of_the_lexicon_is_a_time() {
        // No number in these sentences: the abbreviation alone makes them state a time.
        assert!(FactKind::Time.found_in("Talks resume in Sept."));
        assert!(FactKind::Time.found_in("Talks resume in Sep."));
        assert!(FactKind::Time.found_in("Talks resumed in Feb."));
        assert!(!FactKind::Time.found_in("Talks resume soon."));
    }

    #[test]
    fn question_frames_are_read_in_the_files_order() {
        assert_eq!(FRAMES.first(), Some(&("how many", FactKind::Quantity)));
        assert_eq!(FRAMES.last(), Some(&("when", FactKind::Time)));
        assert_eq!(FRAMES.len(), QUESTION_FRAMES.len());
    }

    #[test]
    fn a_malformed_question_frame_is_an_error() {
        assert_eq!(
            frames(&["how many\tquantity", "how old\ttime"]),
            Ok(vec![
                ("how many", FactKind::Quantity),
                ("how old", FactKind::Time)
            ])
        );
        assert!(frames(&["how many quantity"]).is_err());
        assert!(frames(&["how old\tage"]).is_err());
    }
}
