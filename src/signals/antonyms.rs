//! Antonyms: whether a sentence has the opposite of a question's word instead of the word
//! ("When did prices increase?" over "Prices decreased in May."), a common way a question goes
//! unanswered although it shares most words with a passage. The pairs are WordNet's
//! ([`ANTONYM_PAIRS`]), matched as written, as stems, and through comparatives and
//! superlatives of gradable words.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::negation::is_negation;
use crate::lexicon::{ANTONYM_PAIRS, ORDINALS};
use crate::text::content_terms;

/// WordNet's single-word antonym pairs ([`ANTONYM_PAIRS`], `src/lexicon/antonyms.tsv`, written
/// by `scripts/wordnet_antonyms.py`), in the forms [`word_forms`] gives.
struct Antonyms {
    /// Each word, as written and as its content term (stemmed, so that "rising" meets "fall"),
    /// with its antonyms in the same form, both ways.
    of: HashMap<String, Vec<String>>,
    /// The adjectives and adverbs among them ("soft"), whose comparatives and superlatives
    /// ("softest") are read back to them.
    gradable: HashSet<String>,
}

static ANTONYMS: LazyLock<Antonyms> = LazyLock::new(|| {
    let mut of: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |a: &str, b: &str| {
        for (word, antonym) in [(a, b), (b, a)] {
            let list = of.entry(word.to_string()).or_default();
            if !list.iter().any(|known| known == antonym) {
                list.push(antonym.to_string());
            }
        }
    };
    let mut gradable = HashSet::new();
    for line in ANTONYM_PAIRS.iter() {
        let mut fields = line.split('\t');
        let (Some(a), Some(b), Some(pos)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        // A stop word has no content term.
        let (terms_a, terms_b) = (content_terms(a), content_terms(b));
        // Two stop words ("here" and "there", "on" and "off", "up" and "down") have too many
        // senses to contradict each other.
        if terms_a.is_empty() && terms_b.is_empty() {
            continue;
        }
        add(a, b);
        // A stem that is itself a stop word ("there" of "thereness") would pair that stop word.
        if let ([stem_a], [stem_b]) = (&terms_a[..], &terms_b[..]) {
            let is_stop = |stem: &str| content_terms(stem).is_empty();
            if stem_a != stem_b && !is_stop(stem_a) && !is_stop(stem_b) {
                add(stem_a, stem_b);
            }
        }
        // Stop words ("off", "out") are left out: "offer" and "outer" are words of their own,
        // not comparatives.
        if matches!(pos, "adj" | "adv") {
            gradable.extend(
                [(a, &terms_a), (b, &terms_b)]
                    .into_iter()
                    .filter(|(_, terms)| !terms.is_empty())
                    .map(|(word, _)| word.to_string()),
            );
        }
    }
    Antonyms { of, gradable }
});

/// The question's words (in [`word_forms`]) paired with each of their antonyms that the question
/// does not use itself ("abstract or concrete?" contradicts neither), sorted: the forms come from
/// a set, and a reason naming the first pair must not change from run to run.
pub fn antonyms_of(question_forms: &HashSet<String>) -> Vec<(&String, &String)> {
    // An ordinal ("first", "second") is left to the number check, which compares it already.
    let mut pairs: Vec<(&String, &String)> = question_forms
        .iter()
        .filter(|form| !ORDINALS.contains(&form.as_str()))
        .flat_map(|form| {
            ANTONYMS
                .of
                .get(form)
                .into_iter()
                .flatten()
                .filter(|a| !question_forms.contains(*a))
                .map(move |a| (form, a))
        })
        .collect();
    pairs.sort_unstable();
    pairs
}

/// Whether a sentence (in [`word_forms`]) has the antonym of a question word but not the word.
pub fn has_antonym_instead(
    antonyms: &[(&String, &String)],
    sentence_forms: &HashSet<String>,
) -> bool {
    antonyms
        .iter()
        .any(|(form, antonym)| !sentence_forms.contains(*form) && sentence_forms.contains(*antonym))
}

/// The forms under which a text's words are looked up in the antonym pairs: each word as
/// written, lower-cased (stop words such as "more" included), its content term (stemmed), and
/// the base of a comparative or superlative of a gradable word ("softest" is "soft", "larger" is
/// "large", "easiest" is "easy", "biggest" is "big"). Left out: the two words after a negation
/// ("not equal" says "unequal", so it must not count as "equal"), and capitalised words other
/// than the first, which belong to names.
pub fn word_forms(text: &str) -> HashSet<String> {
    let mut forms = HashSet::new();
    let mut since_negation = usize::MAX;
    let tokens = text
        .split(|c: char| !c.is_alphanumeric() && !matches!(c, '-' | '\'' | '’'))
        .map(|token| token.trim_matches(['\'', '’']))
        .filter(|token| !token.is_empty());
    for (i, token) in tokens.enumerate() {
        // A capitalised word inside the text is part of a name: "New York" is not "new".
        if i > 0 && token.starts_with(char::is_uppercase) {
            continue;
        }
        let word = token.to_lowercase();
        if is_negation(&word) {
            since_negation = 0;
            continue;
        }
        since_negation = since_negation.saturating_add(1);
        if since_negation <= 2 {
            continue;
        }
        forms.extend(content_terms(&word));
        forms.extend(comparative_bases(&word));
        forms.insert(word);
    }
    forms
}

/// The bases a comparative or superlative may have that [`ANTONYMS`] knows as gradable.
fn comparative_bases(word: &str) -> impl Iterator<Item = String> + '_ {
    ["est", "er"]
        .into_iter()
        .filter_map(|suffix| word.strip_suffix(suffix).filter(|s| s.len() >= 3))
        .flat_map(|stem| {
            // "bigg" is "big"; split by characters, as the word may not be ASCII.
            let mut chars = stem.chars();
            let last = chars.next_back();
            let rest = chars.as_str();
            let undoubled = last
                .filter(|&c| rest.ends_with(c))
                .map(|_| rest.to_string());
            [
                Some(stem.to_string()),
                Some(format!("{stem}e")),
                stem.strip_suffix('i').map(|s| format!("{s}y")),
                undoubled,
            ]
        })
        .flatten()
        .filter(|base| ANTONYMS.gradable.contains(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_antonym_instead_of_the_question_word_contradicts() {
        let says_opposite = |question: &str, sentence: &str| {
            let forms = word_forms(question);
            has_antonym_instead(&antonyms_of(&forms), &word_forms(sentence))
        };
        assert!(says_opposite(
            "When did prices increase?",
            "Prices decreased in May."
        ));
        assert!(!says_opposite(
            "When did prices increase?",
            "Prices increased in May."
        ));
        assert!(says_opposite(
            "What is the softest problem?",
            "X is the hardest problem."
        ));
        assert!(says_opposite("Which costs less?", "The second costs more."));
        assert!(says_opposite("Which is the biggest?", "The small one."));
        // Not contradictions: "offer" is no comparative of "off", two stop words ("there",
        // "here") have too many senses, and a word of a name is not the word.
        assert!(!says_opposite(
            "What did they offer?",
            "It was announced on Monday."
        ));
        assert!(!says_opposite(
            "How many people were there?",
            "They were here."
        ));
        assert!(!says_opposite("What is old?", "It moved to New York."));
        // Words that are not ASCII are read by character, never cut inside one.
        assert!(!says_opposite("Who is größer, Zoëest or Kööer?", "Nobody."));
        // Negated, the antonym says what the question says.
        assert!(!says_opposite(
            "Is P unequal to NP?",
            "P is not equal to NP."
        ));
        // A question that names both sides asks which one holds.
        assert!(!says_opposite(
            "Is it abstract or concrete?",
            "It is concrete."
        ));
    }
}
