//! The evidence that a sentence answers a question: the features the support models weigh
//! ([`Evidence`], each with its name), and the shortlist of candidates scored by them.
//!
//! Each feature is computed here from the index (similarities, coverage of the question's
//! words) and from the signals of [`crate::signals`] (names, numbers, negation, antonyms, the
//! kind of fact asked for). The models' weights are matched to the features by name
//! ([`Evidence::FEATURE_NAMES`]), so that the data file and the code cannot disagree unnoticed.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use serde::Serialize;

use super::support_model::{SupportModels, WEIGHTS_FILE};
use crate::index::{Candidate, Index};
use crate::signals::{
    antonyms_of, changed_number, has_antonym_instead, is_negated, names_and_numbers, numbers,
    word_forms, FactKind,
};
use crate::text::content_terms;

/// How many candidates are considered as extra answer sentences after the best one.
const SHORTLIST: usize = 8;
/// How many features [`Evidence`] has.
const FEATURES: usize = 9;

/// The two support models, read from their data file on first use. The file is compiled in and
/// its test (`the_shipped_support_models_name_the_features_in_order`) fails when it is
/// malformed, before any question could.
static SUPPORT_MODELS: LazyLock<SupportModels<FEATURES>> = LazyLock::new(|| {
    SupportModels::shipped(&Evidence::FEATURE_NAMES)
        .unwrap_or_else(|e| panic!("{WEIGHTS_FILE} does not fit the evidence features: {e}"))
});

/// What speaks for a sentence being the answer: the inputs of the support model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evidence {
    /// Cosine similarity of question and sentence.
    pub similarity: f32,
    /// Cosine similarity of question and the sentence's paragraph.
    pub paragraph_similarity: f32,
    /// IDF-weighted share of the question's content words found in the sentence.
    pub sentence_coverage: f32,
    /// The same, in the sentence's paragraph.
    pub paragraph_coverage: f32,
    /// 1 when the question names something (a run of capitalised words, or a number) that no
    /// sentence of the sentence's document states as that phrase: it asks about something else
    /// than what the document reports.
    pub missing_name_or_number: f32,
    /// Share of the question's adjacent content-word pairs found adjacent in the sentence.
    pub sentence_bigram_coverage: f32,
    /// When the question is negated ("not", "never") and the sentence is not: the sentence's
    /// coverage of the question, else 0. A question that repeats a sentence's words and adds
    /// "not" asks for what the text does not say; one that shares few of its words may be
    /// answered by it in other words.
    pub negation_mismatch: f32,
    /// 1 when a word of the question is missing from the sentence and the sentence has its
    /// antonym instead ("When did prices increase?" over "Prices decreased in May."), else 0.
    pub antonym_in_sentence: f32,
    /// 1 when a number of the question is missing from the sentence and the sentence states
    /// another written the same way, in digits, in words or as an ordinal ("released on 16
    /// October" over "released on 26 October", "eighth" over "fourth"), else 0.
    pub changed_number: f32,
}

impl Evidence {
    /// The features' names, in the order of [`Evidence::features`]: the field names, as
    /// `footnote eval qa --features-out` writes them and as the support models' data file names
    /// its rows.
    pub const FEATURE_NAMES: [&'static str; FEATURES] = [
        "similarity",
        "paragraph_similarity",
        "sentence_coverage",
        "paragraph_coverage",
        "missing_name_or_number",
        "sentence_bigram_coverage",
        "negation_mismatch",
        "antonym_in_sentence",
        "changed_number",
    ];

    /// The features' values, in the order of [`Evidence::FEATURE_NAMES`].
    pub fn features(&self) -> [f32; FEATURES] {
        [
            self.similarity,
            self.paragraph_similarity,
            self.sentence_coverage,
            self.paragraph_coverage,
            self.missing_name_or_number,
            self.sentence_bigram_coverage,
            self.negation_mismatch,
            self.antonym_in_sentence,
            self.changed_number,
        ]
    }

    /// Probability that this sentence holds the answer, if the question has one (ranking model).
    pub fn relevance(&self) -> f32 {
        SUPPORT_MODELS.ranking.probability(&self.features())
    }

    /// Probability that the question is answered here at all (answerability model), given that
    /// this is the best sentence.
    pub fn confidence(&self) -> f32 {
        SUPPORT_MODELS.answerability.probability(&self.features())
    }
}

/// A shortlisted candidate with its evidence and relevance.
#[derive(Debug, Clone, Copy)]
pub struct Scored {
    pub candidate: Candidate,
    pub evidence: Evidence,
    pub relevance: f32,
}

/// The best candidates by fused rank, scored by the ranking model, most relevant first.
pub fn score_shortlist(index: &Index, question: &str, candidates: &[Candidate]) -> Vec<Scored> {
    let (wanted_kind, topic) = FactKind::asked_for(question);
    let topic_terms = content_terms(&topic);
    // Ordered, so that the coverage sums add in the same order on every run: a HashSet's order
    // changes per process and moved the last bits of the scores, flipping answers at a tie.
    let question_terms: BTreeSet<&String> = topic_terms.iter().collect();
    let question_bigrams: HashSet<(&String, &String)> =
        topic_terms.iter().zip(topic_terms.iter().skip(1)).collect();
    let idf_sum =
        |terms: &mut dyn Iterator<Item = &String>| terms.map(|t| index.idf(t)).sum::<f32>();
    let total = idf_sum(&mut question_terms.iter().copied());
    // IDF-weighted share of the question's terms that `contains` accepts.
    let coverage = |contains: &dyn Fn(&String) -> bool| {
        if total <= 0.0 {
            return 0.0;
        }
        idf_sum(&mut question_terms.iter().copied().filter(|t| contains(t))) / total
    };
    let question_negated = is_negated(question);
    let question_names = names_and_numbers(question);
    let question_numbers = numbers(question);
    let question_forms = word_forms(&topic);
    let question_antonyms = antonyms_of(&question_forms);
    // A sentence without the kind of fact asked for (no number for "how many") cannot answer.
    let mut scored: Vec<Scored> = candidates
        .iter()
        .filter(|c| wanted_kind.is_none_or(|kind| kind.found_in(index.sentence_text(c.sentence))))
        .take(SHORTLIST)
        .map(|c| {
            let sentence = index.sentence_text(c.sentence);
            let sentence_terms = index.sentence_terms(c.sentence);
            let sentence_set: HashSet<&String> = sentence_terms.iter().collect();
            let paragraph_set = index.paragraph_terms(c.sentence);
            let sentence_bigrams: HashSet<(&String, &String)> = sentence_terms
                .iter()
                .zip(sentence_terms.iter().skip(1))
                .collect();
            let document_words = index.document_words(c.sentence);
            let missing_name_or_number = question_names
                .iter()
                .any(|name| !document_words.contains(name.as_str()));
            // Most questions have no word with an antonym: then the sentence needs no reading.
            let antonym_in_sentence = !question_antonyms.is_empty()
                && has_antonym_instead(&question_antonyms, &word_forms(sentence));
            let changed_number = changed_number(&question_numbers, &numbers(sentence));
            let sentence_coverage = coverage(&|t| sentence_set.contains(t));
            let evidence = Evidence {
                similarity: c.dense,
                paragraph_similarity: c.passage_dense,
                sentence_coverage,
                paragraph_coverage: coverage(&|t| paragraph_set.contains(t)),
                missing_name_or_number: f32::from(u8::from(missing_name_or_number)),
                sentence_bigram_coverage: if question_bigrams.is_empty() {
                    0.0
                } else {
                    question_bigrams.intersection(&sentence_bigrams).count() as f32
                        / question_bigrams.len() as f32
                },
                negation_mismatch: if question_negated && !is_negated(sentence) {
                    sentence_coverage
                } else {
                    0.0
                },
                antonym_in_sentence: f32::from(u8::from(antonym_in_sentence)),
                changed_number: f32::from(u8::from(changed_number)),
            };
            Scored {
                candidate: *c,
                evidence,
                relevance: evidence.relevance(),
            }
        })
        .collect();
    scored.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of one document, with made-up two-wide vectors.
    fn index_of(text: &str) -> Index {
        use crate::doc_vectors::DocumentVectors;
        use crate::document::Document;
        let doc = Document::new("a", None, text).unwrap();
        let texts = DocumentVectors::texts(&doc).len();
        let mut rows = (0..texts).map(|i| vec![1.0, i as f32]);
        let vectors = DocumentVectors::take(&doc, &mut rows);
        Index::from_vectors(vec![doc], vec![vectors], 2)
    }

    #[test]
    fn a_name_or_number_is_found_only_whole_and_within_a_sentence() {
        let index = index_of("Bond is pursued by Mr. Hinx. Oberhauser waits in 1600.");
        let document = index.document_words(0);
        let found = |question: &str| {
            names_and_numbers(question)
                .iter()
                .all(|name| document.contains(name.as_str()))
        };
        assert!(found("Who pursues Bond, Mr. Hinx?"));
        assert!(!found("Who pursued Mr. Oberhauser?"));
        assert!(!found("Who is Mr. Hin?"));
        assert!(!found("What happened in 16?"));
        assert!(found("What happened in 1600?"));
        // "Hinx. Oberhauser" spans two sentences: it is not a name the document states.
        assert!(!found("Who is Hinx Oberhauser?"));
    }

    #[test]
    fn a_negated_question_is_contradicted_as_far_as_it_repeats_the_sentence() {
        let index = index_of(
            "Its branching captures many models. Prices rose in May. Never did the talks fail.",
        );
        // The evidence of `sentence` for `question`.
        let negation = |question: &str, sentence: &str| {
            let candidates = index.rank(question, &[1.0, 0.5], |_| true);
            let scored = score_shortlist(&index, question, &candidates);
            let evidence = scored
                .iter()
                .find(|s| index.sentence_text(s.candidate.sentence) == sentence)
                .map(|s| s.evidence)
                .unwrap();
            (evidence.negation_mismatch, evidence.sentence_coverage)
        };
        let models = "Its branching captures many models.";
        // "not" added to the sentence's words: as strong as the coverage.
        let (mismatch, coverage) = negation("What does not capture many physical models?", models);
        assert!(coverage > 0.5 && coverage < 1.0);
        assert_eq!(mismatch, coverage);
        let (mismatch, coverage) =
            negation("What does not capture many models?", "Prices rose in May.");
        assert_eq!((mismatch, coverage), (0.0, 0.0));
        // Both negated, or neither: no contradiction.
        let talks = "Never did the talks fail.";
        assert_eq!(negation("Did the talks never fail?", talks).0, 0.0);
        assert_eq!(negation("What captures many models?", models).0, 0.0);
    }

    #[test]
    fn scores_are_the_same_on_every_run() {
        // Coverage once summed IDFs in a HashSet's order, which differs per set: the last bits
        // of a score moved between runs and could flip an answer at a tie.
        // Terms in one to seven sentences, so that their IDFs differ and the order of a sum
        // shows in its last bits.
        let words = [
            "talks",
            "geneva",
            "ministers",
            "troops",
            "borders",
            "sanctions",
            "pipeline",
        ];
        let text: String = (0..words.len())
            .map(|i| format!("The {} were discussed. ", words[..=i].join(" and ")))
            .collect();
        let index = index_of(&text);
        let question = "Were talks, Geneva, ministers, troops, borders, sanctions and the \
                        pipeline discussed?";
        let candidates = index.rank(question, &[1.0, 0.5], |_| true);
        let bits = |scored: Vec<Scored>| -> Vec<u32> {
            scored
                .iter()
                .map(|s| s.evidence.sentence_coverage.to_bits())
                .collect()
        };
        let first = bits(score_shortlist(&index, question, &candidates));
        for _ in 0..20 {
            assert_eq!(bits(score_shortlist(&index, question, &candidates)), first);
        }
    }

    #[test]
    fn feature_names_are_the_field_names_of_the_values_in_order() {
        // Distinct values, so that a value under the wrong name shows.
        let evidence = Evidence {
            similarity: 1.0,
            paragraph_similarity: 2.0,
            sentence_coverage: 3.0,
            paragraph_coverage: 4.0,
            missing_name_or_number: 5.0,
            sentence_bigram_coverage: 6.0,
            negation_mismatch: 7.0,
            antonym_in_sentence: 8.0,
            changed_number: 9.0,
        };
        let serde_json::Value::Object(fields) = serde_json::to_value(evidence).unwrap() else {
            panic!("Evidence is not written as an object");
        };
        // Every field is a feature, under its own name.
        assert_eq!(fields.len(), FEATURES);
        for (name, value) in Evidence::FEATURE_NAMES.iter().zip(evidence.features()) {
            let written = fields.get(*name).and_then(serde_json::Value::as_f64);
            assert_eq!(written, Some(f64::from(value)), "{name}");
        }
    }

    #[test]
    fn the_shipped_support_models_name_the_features_in_order() {
        if let Err(e) = SupportModels::shipped(&Evidence::FEATURE_NAMES) {
            panic!("{WEIGHTS_FILE}: {e}");
        }
    }
}
