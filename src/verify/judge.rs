//! Whether cited text states a claim, from signals footnote already computes: a claim copied
//! verbatim is supported; otherwise every number, date and name of the claim must be stated in
//! the evidence, no negation or antonym may turn it around, most of its rarity-weighted content
//! words must be there, and its embedding must be close to the evidence. Each failed check is a
//! reason a reader can act on. Precision comes first: one failed check is enough to say
//! `unsupported`.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::lexicon::IRREGULAR_FORMS;

use crate::signals::{
    antonyms_of, is_negated, names_and_numbers, numbers, quantities, swapped_role, word_forms,
    Quantity,
};
use crate::text::{content_terms, raw_words, word_text, words};

/// Least share of the claim's content words (weighted by IDF) that the evidence must contain.
/// Chosen precision first on the fit half of claims.jsonl (`footnote eval claims --split fit`):
/// the lowest of 0.8, 0.85 and 0.9 whose precision there is over 0.9 with a margin (0.93); a
/// paraphrase keeps most rare words of what it restates.
pub const MIN_COVERAGE: f32 = 0.9;

/// Least cosine between the claim and the closest cited paragraph or sentence. Chosen with
/// [`MIN_COVERAGE`] on the fit half (0.4, 0.5 and 0.6 tried): on real revisions, coverage and
/// the hard checks separate better than closeness, which mostly rules out unrelated paragraphs.
pub const MIN_COSINE: f32 = 0.4;

/// What the claim is checked against: the cited paragraphs (with their documents' titles) and
/// their sentences.
pub struct Evidence<'a> {
    pub paragraphs: Vec<&'a str>,
    pub titles: Vec<&'a str>,
    pub sentences: Vec<&'a str>,
}

/// The claim's closeness in meaning to the evidence: its best cosine to a cited paragraph or
/// one of its sentences, `None` when no cited paragraph has vectors (boilerplate).
#[derive(Debug, Clone, Copy)]
pub struct Closeness {
    pub cosine: Option<f32>,
}

/// The outcome of judging one claim against its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Whether the claim is a copy of text in a cited paragraph.
    pub verbatim: bool,
    /// Whether the claim is a hard contradiction or omission (a number, date, name, negation or
    /// antonym), which also rules out a paragraph as a suggestion.
    pub contradicted: bool,
    /// IDF-weighted share of the claim's content words found in the evidence, in 0..1.
    pub coverage: f32,
    /// Why the claim is not supported; empty when it is.
    pub reasons: Vec<String>,
}

impl Judgement {
    pub fn supported(&self) -> bool {
        self.reasons.is_empty()
    }
}

/// Judges a claim against its evidence. `idf` weighs content terms by rarity.
pub fn judge(
    claim: &str,
    evidence: &Evidence,
    closeness: Closeness,
    idf: &dyn Fn(&str) -> f32,
) -> Judgement {
    if evidence.paragraphs.iter().any(|p| p.contains(claim.trim())) {
        return Judgement {
            verbatim: true,
            contradicted: false,
            coverage: 1.0,
            reasons: Vec::new(),
        };
    }
    let paragraphs = evidence.paragraphs.join("\n");
    let with_titles = format!("{paragraphs}\n{}", evidence.titles.join("\n"));
    let claimed = quantities(claim);
    let quantity_words = quantity_words(&claimed);
    let mut reasons = hard_reasons(
        claim,
        &claimed,
        &quantity_words,
        (&paragraphs, &with_titles),
        &evidence.sentences,
    );
    let contradicted = !reasons.is_empty();
    let (coverage, missing) = coverage(claim, &quantity_words, &with_titles, idf);
    if coverage < MIN_COVERAGE {
        reasons.push(format!(
            "only {:.0}% of the sentence's content words are in the cited paragraphs (missing: {})",
            100.0 * coverage,
            missing.join(", ")
        ));
    }
    if let Some(cosine) = closeness.cosine.filter(|c| *c < MIN_COSINE) {
        reasons.push(format!(
            "the cited paragraphs are not close in meaning to the sentence (cosine {cosine:.2})"
        ));
    }
    Judgement {
        verbatim: false,
        contradicted,
        coverage,
        reasons,
    }
}

/// The IDF-weighted share of the claim's content terms found in `evidence`, and the claim's
/// words (as written) whose terms are missing. Numbers and the words that write them
/// (`quantity_words`) are left to the number check, which names them with their units.
pub fn coverage(
    claim: &str,
    quantity_words: &HashSet<String>,
    evidence: &str,
    idf: &dyn Fn(&str) -> f32,
) -> (f32, Vec<String>) {
    // A word is found in any of its forms: "spoke" in a paragraph that says "speaks".
    let mut found: HashSet<String> = content_terms(evidence).into_iter().collect();
    found.extend(words(evidence).flat_map(|w| base_terms(&w)));
    let mut seen = HashSet::new();
    let (mut total, mut covered) = (0.0f32, 0.0f32);
    let mut missing = Vec::new();
    let counted = |w: &&str| numbers(w).is_empty() && !quantity_words.contains(&w.to_lowercase());
    for word in raw_words(claim).filter(counted) {
        let terms = content_terms(word);
        let bases = base_terms(&word.to_lowercase());
        let mut word_missing = false;
        for term in terms {
            if !seen.insert(term.clone()) {
                continue;
            }
            let weight = idf(&term).max(0.0);
            total += weight;
            if found.contains(&term) || bases.iter().any(|b| found.contains(b)) {
                covered += weight;
            } else {
                word_missing = true;
            }
        }
        if word_missing {
            missing.push(word.to_string());
        }
    }
    let share = if total > 0.0 { covered / total } else { 1.0 };
    (share, missing)
}

/// The words that write quantities ("more than", "million", "November"): the number check's to
/// judge, not coverage's or the name check's.
fn quantity_words(quantities: &[Quantity]) -> HashSet<String> {
    quantities
        .iter()
        .flat_map(|q| words(&q.text).collect::<Vec<_>>())
        .collect()
}

/// The content terms of a word's base when it is an irregular form ("spoke" gives "speak"),
/// else none.
fn base_terms(word: &str) -> Vec<String> {
    static BASES: LazyLock<HashMap<&str, &str>> = LazyLock::new(|| {
        IRREGULAR_FORMS
            .iter()
            .filter_map(|row| Some((row[0], *row.get(1)?)))
            .collect()
    });
    BASES
        .get(word)
        .map(|base| content_terms(base))
        .unwrap_or_default()
}

/// Hard contradictions and omissions: numbers and dates not stated (and what the paragraph states
/// instead), names not stated, a negation on one side only, an antonym in place of a word.
fn hard_reasons(
    claim: &str,
    claimed: &[Quantity],
    quantity_words: &HashSet<String>,
    (paragraphs, with_titles): (&str, &str),
    sentences: &[&str],
) -> Vec<String> {
    let mut reasons = Vec::new();
    let stated = quantities(with_titles);
    for number in claimed {
        if number.stated_by(&stated) {
            continue;
        }
        let mut reason = format!("\"{}\" is not stated", number.phrase);
        if let Some(instead) = number.named_in_same_role(&stated) {
            reason.push_str(&format!(" (the paragraph says \"{}\")", instead.phrase));
        }
        reasons.push(reason);
    }
    // A clock time keeps its half of the day: "3:35 a.m." is not "3:35 p.m.", though the
    // number check finds "3:35" in both.
    let stated_times = clock_times(with_titles);
    for (time, half) in clock_times(claim) {
        if !stated_times.contains(&(time.clone(), half)) {
            let mut reason = format!("\"{time} {half}\" is not stated");
            if let Some((_, other)) = stated_times.iter().find(|(t, _)| *t == time) {
                reason.push_str(&format!(" (the paragraph says \"{time} {other}\")"));
            }
            reasons.push(reason);
        }
    }
    let evidence_phrases = join_initials(&word_text(with_titles));
    // A name never runs across a comma or a bracket: "On Thursday, Joe Biden" names Thursday
    // and Biden, not "Thursday Joe Biden".
    let clauses = claim.split([',', ';', ':', '(', ')', '"', '“', '”']);
    for name in clauses.flat_map(names_and_numbers) {
        if name.chars().any(|c| c.is_ascii_digit())
            || name.split_whitespace().all(|w| quantity_words.contains(w))
            || evidence_phrases.contains(&join_initials(&name))
        {
            continue;
        }
        reasons.push(format!(
            "the name \"{}\" is not stated",
            name_as_written(claim, &name)
        ));
    }
    // Negation is compared with the evidence sentence closest in words to the claim: a
    // paragraph negates many things besides what the claim restates. A negation the evidence
    // has counts only when it negates a word the claim states ("did not fail" against "failed");
    // "ended without a deal" does not contradict "the talks ended".
    if let Some(closest) = closest_sentence(claim, sentences) {
        if let Some((stated, claimed)) = swapped_role(claim, closest) {
            reasons.push(format!(
                "the cited paragraphs say \"{stated}\", not \"{claimed}\" (roles swapped)"
            ));
        }
        let claim_terms: HashSet<String> = content_terms(claim).into_iter().collect();
        if is_negated(claim) && !is_negated(closest) {
            reasons.push(
                "the sentence negates what the cited paragraphs state (they say no \"not\")"
                    .to_string(),
            );
        } else if !is_negated(claim)
            && negated_terms(closest)
                .iter()
                .any(|t| claim_terms.contains(t))
        {
            reasons.push(format!(
                "the cited paragraphs negate it: \"{}\"",
                closest.trim()
            ));
        }
    }
    let claim_forms = word_forms(claim);
    let evidence_forms = word_forms(paragraphs);
    if let Some((word, antonym)) = antonyms_of(&claim_forms)
        .into_iter()
        .find(|(w, a)| !evidence_forms.contains(*w) && evidence_forms.contains(*a))
    {
        reasons.push(format!(
            "the sentence says \"{word}\" where the cited paragraphs say \"{antonym}\""
        ));
    }
    reasons
}

/// The content terms of the two words after each negation of a text ("not fail" gives "fail").
fn negated_terms(text: &str) -> HashSet<String> {
    let all: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && !matches!(c, '\'' | '’' | '-'))
        .filter(|w| !w.is_empty())
        .collect();
    all.iter()
        .enumerate()
        .filter(|(_, w)| is_negated(w))
        .flat_map(|(i, _)| all.iter().skip(i + 1).take(2))
        .flat_map(|w| content_terms(w))
        .collect()
}

/// The evidence sentence sharing the most content terms with the claim.
fn closest_sentence<'a>(claim: &str, sentences: &[&'a str]) -> Option<&'a str> {
    let terms: HashSet<String> = content_terms(claim).into_iter().collect();
    sentences
        .iter()
        .map(|s| {
            let shared = content_terms(s)
                .into_iter()
                .collect::<HashSet<_>>()
                .intersection(&terms)
                .count();
            (shared, *s)
        })
        .filter(|(shared, _)| *shared > 0)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, s)| s)
}

/// The clock times of a text with their half of the day: "3:35 p.m." is ("3:35", "p.m.").
fn clock_times(text: &str) -> Vec<(String, &'static str)> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut times = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let time = token.trim_matches(|c: char| !c.is_ascii_digit());
        let is_clock = time.split_once(':').is_some_and(|(h, m)| {
            (1..=2).contains(&h.len())
                && m.len() == 2
                && h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
        });
        if !is_clock {
            continue;
        }
        // The half of the day, glued on ("3:35pm") or the next word ("3:35 p.m.").
        let rest = token[token.find(time).map_or(0, |at| at + time.len())..].to_string();
        let next = tokens.get(i + 1).copied().unwrap_or("");
        let half = [rest.as_str(), next].into_iter().find_map(|word| {
            match word.to_lowercase().trim_end_matches([',', ';', ')']) {
                "a.m." | "a.m" | "am" => Some("a.m."),
                "p.m." | "p.m" | "pm" => Some("p.m."),
                _ => None,
            }
        });
        if let Some(half) = half {
            times.push((time.to_string(), half));
        }
    }
    times
}

/// A phrase of [`word_text`] with runs of single letters joined into one word, so that an
/// initialism matches however it is dotted: "U.S." (" u s ") and "US" (" us ") both read " us ".
fn join_initials(phrase: &str) -> String {
    let mut out = String::from(" ");
    let mut previous_single = false;
    for word in phrase.split(' ').filter(|w| !w.is_empty()) {
        let single = word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
        if !(single && previous_single) && out.len() > 1 {
            out.push(' ');
        }
        out.push_str(word);
        previous_single = single;
    }
    out.push(' ');
    out
}

/// A name phrase (" vladimir putin ") as the claim writes it ("Vladimir Putin").
fn name_as_written(claim: &str, phrase: &str) -> String {
    let wanted: Vec<&str> = phrase.split_whitespace().collect();
    let claim_words: Vec<&str> = raw_words(claim).collect();
    claim_words
        .windows(wanted.len().max(1))
        .find(|w| w.iter().zip(&wanted).all(|(a, b)| a.to_lowercase() == *b))
        .map(|w| w.join(" "))
        .unwrap_or_else(|| phrase.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAGRAPH: &str = "US President Joe Biden and Russian President Vladimir Putin spoke \
                             for 50 minutes on Thursday. They last spoke on December 7.";

    /// The hard reasons against a claim citing one paragraph of one sentence.
    fn hard(claim: &str, paragraph: &str) -> Vec<String> {
        let claimed = quantities(claim);
        hard_reasons(
            claim,
            &claimed,
            &quantity_words(&claimed),
            (paragraph, paragraph),
            &[paragraph],
        )
    }

    fn judged(claim: &str) -> Judgement {
        let evidence = Evidence {
            paragraphs: vec![PARAGRAPH],
            titles: vec!["Biden and Putin"],
            sentences: crate::segment::sentences(PARAGRAPH),
        };
        judge(claim, &evidence, Closeness { cosine: Some(0.8) }, &|_| 1.0)
    }

    #[test]
    fn a_copied_sentence_is_supported() {
        let j = judged("They last spoke on December 7.");
        assert!(j.supported(), "{j:?}");
    }

    #[test]
    fn a_paraphrase_keeping_every_fact_is_supported() {
        let j = judged("Biden and Putin spoke for 50 minutes on Thursday.");
        assert!(j.supported(), "{j:?}");
    }

    #[test]
    fn a_changed_number_is_named_with_what_the_paragraph_says() {
        let j = judged("Biden and Putin spoke for 70 minutes on Thursday.");
        assert!(j.contradicted);
        assert_eq!(
            j.reasons,
            ["\"70 minutes\" is not stated (the paragraph says \"50 minutes\")"]
        );
    }

    #[test]
    fn a_changed_date_is_named_with_what_the_paragraph_says() {
        let j = judged("They last spoke on December 8.");
        assert_eq!(
            j.reasons[0],
            "\"December 8\" is not stated (the paragraph says \"December 7\")"
        );
    }

    #[test]
    fn a_clock_time_keeps_its_half_of_the_day() {
        assert_eq!(
            clock_times("It began at 3:35 p.m. ET and at 10:05am, not 7."),
            [("3:35".to_string(), "p.m."), ("10:05".to_string(), "a.m.")]
        );
        let paragraph = "The call began at 3:35 p.m. ET.";
        let reasons = hard("The call began at 3:35 a.m. ET.", paragraph);
        assert!(
            reasons.contains(
                &"\"3:35 a.m.\" is not stated (the paragraph says \"3:35 p.m.\")".to_string()
            ),
            "{reasons:?}"
        );
        assert!(hard("It began at 3:35 p.m.", paragraph).is_empty());
    }

    #[test]
    fn initialisms_match_however_they_are_dotted() {
        assert_eq!(join_initials(" the u s and u k "), " the us and uk ");
        assert_eq!(join_initials(" us officials "), " us officials ");
        assert_eq!(join_initials(" a b c d "), " abcd ");
    }

    #[test]
    fn a_name_is_not_read_across_a_comma() {
        let paragraph = "Joe Biden spoke to U.S. officials on Thursday.";
        let reasons = hard("On Thursday, Joe Biden spoke to the US.", paragraph);
        assert!(reasons.is_empty(), "{reasons:?}");
        let reasons = hard("On Thursday, Joe Biden spoke to the UK.", paragraph);
        assert!(reasons.iter().any(|r| r.contains("\"UK\"")), "{reasons:?}");
    }

    #[test]
    fn a_name_not_stated_is_named() {
        let j = judged("Biden and Xi Jinping spoke for 50 minutes on Thursday.");
        assert!(j.contradicted);
        assert!(
            j.reasons[0].contains("\"Xi Jinping\" is not stated"),
            "{j:?}"
        );
    }

    #[test]
    fn a_negation_on_one_side_only_is_a_contradiction() {
        let j = judged("Biden and Putin did not speak for 50 minutes on Thursday.");
        assert!(j.contradicted, "{j:?}");
        assert!(j.reasons.iter().any(|r| r.contains("negates")), "{j:?}");
    }

    #[test]
    fn an_antonym_is_a_contradiction() {
        let evidence = Evidence {
            paragraphs: vec!["Oil prices increased sharply in May."],
            titles: vec![],
            sentences: vec!["Oil prices increased sharply in May."],
        };
        let j = judge(
            "Oil prices decreased sharply in May.",
            &evidence,
            Closeness { cosine: Some(0.9) },
            &|_| 1.0,
        );
        assert!(j.contradicted);
        assert!(j.reasons[0].contains("\"decreas"), "{j:?}");
    }

    #[test]
    fn an_irregular_form_is_found_by_its_base() {
        let (share, missing) =
            coverage("They had spoken.", &HashSet::new(), "They speak.", &|_| 1.0);
        assert_eq!((share, missing.len()), (1.0, 0));
        let (share, _) = coverage("They speak.", &HashSet::new(), "They spoke.", &|_| 1.0);
        assert_eq!(share, 1.0);
    }

    #[test]
    fn missing_content_words_and_low_cosine_are_reasons() {
        let evidence = Evidence {
            paragraphs: vec![PARAGRAPH],
            titles: vec![],
            sentences: vec![PARAGRAPH],
        };
        let j = judge(
            "Spoke about sanctions, pipelines and grain.",
            &evidence,
            Closeness { cosine: Some(0.3) },
            &|_| 1.0,
        );
        assert!(!j.contradicted);
        assert!(
            j.reasons[0].starts_with("only 25% of the sentence's content words"),
            "{j:?}"
        );
        assert!(
            j.reasons[0].contains("sanctions, pipelines, grain"),
            "{j:?}"
        );
        assert!(j.reasons[1].contains("cosine 0.30"), "{j:?}");
    }
}
