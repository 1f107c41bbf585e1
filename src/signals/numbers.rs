//! The numbers a text states, in digits and in words, and whether a sentence changes a
//! question's number ("released on 16 October" over "released on 26 October").

use std::collections::HashSet;

use crate::lexicon::{CARDINALS, ORDINALS, SCALES};
use crate::text::words;

/// How a number is written. Numbers are compared within a form only, so that "first released"
/// is not contradicted by "released in 2005".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberForm {
    Digits,
    Cardinal,
    Ordinal,
}

/// The numbers a text states: in digits (thousands separators dropped, "2,500" is "2500"), and
/// in words ("three", "twenty-four", "fourth").
pub fn numbers(text: &str) -> HashSet<(NumberForm, String)> {
    let digits = text
        .split(|c: char| !c.is_ascii_digit() && c != ',' && c != '.')
        .map(|n| n.trim_matches([',', '.']).replace(',', ""))
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        .map(|n| (NumberForm::Digits, n));
    let text_words: Vec<String> = words(text).collect();
    let in_words = text_words.iter().enumerate().filter_map(|(i, w)| {
        let mut parts: Vec<&str> = w.split('-').collect();
        let last = parts.pop()?;
        if !parts.iter().all(|p| CARDINALS.contains(p)) {
            return None;
        }
        let before_scale = || {
            text_words
                .get(i + 1)
                .is_some_and(|next| SCALES.contains(&next.as_str()))
        };
        // "One" is a cardinal for compounds ("twenty-one"); alone it is more often a pronoun
        // than a number, so it is read only before a scale word ("one hundred").
        let form = if ORDINALS.contains(&last) {
            NumberForm::Ordinal
        } else if CARDINALS.contains(&last) && (w != "one" || before_scale()) {
            NumberForm::Cardinal
        } else {
            return None;
        };
        Some((form, w.clone()))
    });
    digits.chain(in_words).collect()
}

/// Whether the sentence states a number other than the question's where the question's is
/// missing, in the same form ("16 October" against "26 October", "fourth" against "eighth").
pub fn changed_number(
    question: &HashSet<(NumberForm, String)>,
    sentence: &HashSet<(NumberForm, String)>,
) -> bool {
    let differs = |form: NumberForm, from: &HashSet<(NumberForm, String)>, to: &HashSet<_>| {
        from.iter().any(|n| n.0 == form && !to.contains(n))
    };
    [
        NumberForm::Digits,
        NumberForm::Cardinal,
        NumberForm::Ordinal,
    ]
    .into_iter()
    .any(|form| differs(form, question, sentence) && differs(form, sentence, question))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_digits_and_words() {
        let expected: HashSet<(NumberForm, String)> = [
            (NumberForm::Digits, "2500".to_string()),
            (NumberForm::Ordinal, "fourth".to_string()),
            (NumberForm::Cardinal, "twenty-one".to_string()),
        ]
        .into();
        assert_eq!(
            numbers("It sold 2,500 copies in its fourth week, twenty-one days."),
            expected
        );
        assert!(numbers("One of them left.").is_empty());
        assert!(numbers("One hundred left.").contains(&(NumberForm::Cardinal, "one".to_string())));
    }

    #[test]
    fn a_different_number_in_the_same_form_is_a_change() {
        let changed = |q: &str, s: &str| changed_number(&numbers(q), &numbers(s));
        assert!(changed(
            "What opened on 16 October 2015?",
            "It opened on 26 October 2015."
        ));
        assert!(changed(
            "Who made his eighth appearance?",
            "Craig made his fourth appearance."
        ));
        assert!(!changed(
            "When was it first released?",
            "It was released in 2005."
        ));
        assert!(!changed("How many won in 2010?", "Six won in 2010."));
        assert!(changed(
            "Which has two hundred minutes of music?",
            "The film has one hundred minutes of music."
        ));
        // "One" alone is a pronoun.
        assert!(!changed("Which of the two teams won?", "One of them won."));
        assert!(!changed(
            "What opened in 2015?",
            "The hall opened that year."
        ));
    }
}
