//! Negation: whether a text says "not". A question that repeats a sentence's words and adds
//! "not" asks for what the sentence does not say.

use crate::lexicon::NEGATION_WORDS;

/// Whether a text contains a negation word.
pub fn is_negated(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .any(|w| is_negation(&w.to_lowercase()))
}

/// Whether a lower-cased word negates: "not", "never", ... ([`NEGATION_WORDS`]), or a
/// contraction such as "didn't".
pub(super) fn is_negation(word: &str) -> bool {
    NEGATION_WORDS.contains(&word) || word.ends_with("n't") || word.ends_with("n’t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_words_and_contractions_negate() {
        assert!(is_negated("The talks did not fail."));
        assert!(is_negated("Never did the talks fail."));
        assert!(is_negated("The talks didn't fail."));
        assert!(is_negated("The talks didn’t fail."));
        // Whole words only: "note" and "nobody" hold "not" and "no".
        assert!(!is_negated("Note that nobody spoke."));
        assert!(!is_negated("The talks failed."));
    }
}
