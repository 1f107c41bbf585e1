//! Answering a question with verbatim, cited sentences, or abstaining.
//!
//! The answer is made only of corpus sentences, copied verbatim, each followed by the citation
//! of its paragraph. Whether the corpus supports an answer is decided from signals of the best
//! sentence: how close it is in meaning to the question (embedding cosine), how much of the
//! question's content its paragraph contains (content words weighted by rarity, so that a name
//! found all over the corpus counts less than the word that says what is asked), and whether it
//! carries the kind of fact the question asks for (a number for "how many", a time for "when").
//! When the support is weak, footnote says the articles do not answer and lists the closest
//! passages as related reading, never as the answer.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::embed::{cosine, Embedder};
use crate::error::{Error, Result};
use crate::index::{content_terms, Candidate, Index};

/// Most sentences an answer may have.
pub const MAX_ANSWER_SENTENCES: usize = 3;
/// How many candidates are considered as extra answer sentences after the best one.
const SHORTLIST: usize = 8;
/// Two logistic models over [`Evidence`] features (in field order), fitted by
/// `scripts/fit_support_model.py` (see EVAL.md for the data and the cross-validation): the
/// ranking model picks the sentence that holds the answer, the answerability model decides whether
/// the best sentence answers at all. Each weight's sign is fixed by what its signal means and the
/// answerability model's paragraph-coverage weight is a prior (2.0), not a fit; the script says why.
/// The weights say how much each signal counts in general, not facts about any one article.
const SUPPORT_FEATURES: usize = 7;
const RANKING_WEIGHTS: [f32; SUPPORT_FEATURES] =
    [1.698, 0.976, 1.764, 0.346, -1.419, 0.355, -1.729];
const RANKING_BIAS: f32 = -4.119;
const SUPPORT_WEIGHTS: [f32; SUPPORT_FEATURES] =
    [1.256, 1.615, 0.000, 2.000, -2.273, 0.000, -3.342];
const SUPPORT_BIAS: f32 = -2.197;
/// Answer only when the best sentence's confidence reaches this.
const MIN_CONFIDENCE: f32 = 0.5;
/// Extra sentences must be nearly as likely to hold the answer as the best one.
const EXTRA_SENTENCE_MARGIN: f32 = 0.15;
/// Sentences this similar to one already chosen say the same thing and are left out.
const DUPLICATE_COSINE: f32 = 0.9;
/// Passages listed as related reading when abstaining.
const RELATED_PASSAGES: usize = 3;

#[derive(Debug, Clone)]
pub struct AskOptions {
    /// 1 to [`MAX_ANSWER_SENTENCES`].
    pub max_sentences: usize,
    /// Restrict the search to these document ids.
    pub documents: Option<Vec<String>>,
}

impl Default for AskOptions {
    fn default() -> Self {
        AskOptions {
            max_sentences: MAX_ANSWER_SENTENCES,
            documents: None,
        }
    }
}

/// One sentence of an answer with the paragraph it is copied from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerSentence {
    pub text: String,
    pub citations: Vec<Citation>,
}

/// A whole cited paragraph, with how well it matched the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CitedParagraph {
    pub doc: String,
    pub paragraph: usize,
    pub text: String,
    pub score: f32,
}

/// The result of `footnote ask`; its JSON form is a stable interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answer {
    pub question: String,
    pub abstained: bool,
    /// The answer as text: sentences each followed by `[doc ¶n]`, or the abstention.
    pub answer: String,
    /// Estimated probability that the best sentence answers the question (0 to 1); footnote
    /// answers only from 0.5.
    pub confidence: f32,
    pub sentences: Vec<AnswerSentence>,
    pub citations: Vec<CitedParagraph>,
    /// Closest passages when abstaining; never the answer.
    pub related: Vec<CitedParagraph>,
}

/// Answers `question` from the index.
pub fn ask(
    index: &Index,
    embedder: &Embedder,
    question: &str,
    options: &AskOptions,
) -> Result<Answer> {
    let question = check_question(question, options)?;
    resolve_documents(index, options.documents.as_deref())?;
    let query_vector = embedder.embed(&[question])?.pop().unwrap_or_default();
    answer_with_vector(index, question, &query_vector, options)
}

/// The question trimmed, if it and the options can be answered at all: checks everything that
/// does not depend on the index, before any work is spent on embedding the question.
pub fn check_question<'q>(question: &'q str, options: &AskOptions) -> Result<&'q str> {
    let question = question.trim();
    if question.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    if !(1..=MAX_ANSWER_SENTENCES).contains(&options.max_sentences) {
        return Err(Error::InvalidInput(format!(
            "max_sentences must be between 1 and {MAX_ANSWER_SENTENCES}"
        )));
    }
    Ok(question)
}

/// Answers `question` from the index, given the question's embedding (for callers that embed
/// questions in batches, such as the HTTP service's model worker).
pub fn answer_with_vector(
    index: &Index,
    question: &str,
    query_vector: &[f32],
    options: &AskOptions,
) -> Result<Answer> {
    let question = check_question(question, options)?;
    let wanted_docs = resolve_documents(index, options.documents.as_deref())?;
    let candidates = index.rank(question, query_vector, |e| {
        wanted_docs.as_ref().is_none_or(|set| set.contains(&e.doc))
    });
    let shortlist = score_shortlist(index, question, &candidates);
    let confidence = shortlist.first().map_or(0.0, |s| s.evidence.confidence());
    let Some(best) = shortlist.first().filter(|_| confidence >= MIN_CONFIDENCE) else {
        return Ok(abstain(index, question, &candidates, confidence));
    };

    let mut chosen: Vec<&Scored> = vec![best];
    for s in &shortlist[1..] {
        if chosen.len() >= options.max_sentences {
            break;
        }
        let close_enough = s.relevance >= best.relevance - EXTRA_SENTENCE_MARGIN;
        let repeats = chosen.iter().any(|k| {
            cosine(
                index.sentence_vector(k.candidate.sentence),
                index.sentence_vector(s.candidate.sentence),
            ) >= DUPLICATE_COSINE
        });
        if close_enough && !repeats {
            chosen.push(s);
        }
    }

    let sentences: Vec<AnswerSentence> = chosen
        .iter()
        .map(|s| AnswerSentence {
            text: index.sentence_text(s.candidate.sentence).to_string(),
            citations: vec![index.citation(s.candidate.sentence)],
        })
        .collect();
    let answer = sentences
        .iter()
        .map(|s| format!("{} {}", s.text, s.citations[0]))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Answer {
        question: question.to_string(),
        abstained: false,
        answer,
        confidence,
        sentences,
        citations: cited_paragraphs(index, chosen.iter().map(|s| &s.candidate)),
        related: Vec::new(),
    })
}

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
    /// 1 when the question names something (a capitalised word or a number) that the sentence's
    /// document never mentions: it asks about something else than what the document reports.
    pub missing_name_or_number: f32,
    /// Share of the question's adjacent content-word pairs found adjacent in the sentence.
    pub sentence_bigram_coverage: f32,
    /// 1 when the question is negated ("not", "never") and the sentence is not, else 0.
    pub negation_mismatch: f32,
}

impl Evidence {
    fn features(&self) -> [f32; SUPPORT_FEATURES] {
        [
            self.similarity,
            self.paragraph_similarity,
            self.sentence_coverage,
            self.paragraph_coverage,
            self.missing_name_or_number,
            self.sentence_bigram_coverage,
            self.negation_mismatch,
        ]
    }

    /// Probability that this sentence holds the answer, if the question has one (ranking model).
    pub fn relevance(&self) -> f32 {
        logistic(&self.features(), &RANKING_WEIGHTS, RANKING_BIAS)
    }

    /// Probability that the question is answered here at all (answerability model), given that
    /// this is the best sentence.
    pub fn confidence(&self) -> f32 {
        logistic(&self.features(), &SUPPORT_WEIGHTS, SUPPORT_BIAS)
    }
}

fn logistic(x: &[f32; SUPPORT_FEATURES], w: &[f32; SUPPORT_FEATURES], bias: f32) -> f32 {
    let z = bias + x.iter().zip(w).map(|(x, w)| x * w).sum::<f32>();
    1.0 / (1.0 + (-z).exp())
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
    let question_terms: HashSet<&String> = topic_terms.iter().collect();
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
            let document_text = index.lowercase_document(c.sentence);
            let missing_name_or_number = question_names
                .iter()
                .any(|name| !document_text.contains(name.as_str()));
            let evidence = Evidence {
                similarity: c.dense,
                paragraph_similarity: c.passage_dense,
                sentence_coverage: coverage(&|t| sentence_set.contains(t)),
                paragraph_coverage: coverage(&|t| paragraph_set.contains(t)),
                missing_name_or_number: f32::from(u8::from(missing_name_or_number)),
                sentence_bigram_coverage: if question_bigrams.is_empty() {
                    0.0
                } else {
                    question_bigrams.intersection(&sentence_bigrams).count() as f32
                        / question_bigrams.len() as f32
                },
                negation_mismatch: f32::from(u8::from(question_negated && !is_negated(sentence))),
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

/// Lower-cased capitalised words (other than the first) and numbers of a question.
fn names_and_numbers(question: &str) -> Vec<String> {
    question
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .enumerate()
        .filter(|(i, w)| {
            w.chars().any(|c| c.is_ascii_digit())
                || (*i > 0 && w.chars().next().is_some_and(char::is_uppercase))
        })
        .map(|(_, w)| w.to_lowercase())
        .collect()
}

/// Whether a text contains a negation word.
fn is_negated(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .any(|w| {
            let w = w.to_lowercase();
            matches!(
                w.as_str(),
                "not" | "never" | "no" | "none" | "neither" | "nor" | "without"
            ) || w.ends_with("n't")
                || w.ends_with("n’t")
        })
}

/// The kind of fact a question asks for, when its wording says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FactKind {
    /// "how many", "how much", "how far": the answer holds a number.
    Quantity,
    /// "when", "how long", "what year": the answer holds a number or a word of time.
    Time,
    /// "how old": the answer states an age ("69-year-old", "aged 69", "69 years old").
    Age,
}

impl FactKind {
    /// The kind of fact asked for, and the question without the words that ask for it
    /// ("how long did the call last" asks for a time about "the call last").
    fn asked_for(question: &str) -> (Option<FactKind>, String) {
        const FRAMES: [(&str, FactKind); 12] = [
            ("how many", FactKind::Quantity),
            ("how much", FactKind::Quantity),
            ("what percentage", FactKind::Quantity),
            ("what number", FactKind::Quantity),
            ("how long", FactKind::Time),
            ("what year", FactKind::Time),
            ("which year", FactKind::Time),
            ("what date", FactKind::Time),
            ("what time", FactKind::Time),
            ("what day", FactKind::Time),
            ("what month", FactKind::Time),
            ("when", FactKind::Time),
        ];
        let lower = question.to_lowercase();
        if lower.contains("how old") {
            return (Some(FactKind::Age), lower.replace("how old", " "));
        }
        // "how far" and the like ask for a number too, but their adjective is part of what the
        // answer must say ("40 km away", "as large as"), so it stays in the topic.
        const KEPT_FRAMES: [&str; 4] = ["how far", "how big", "how large", "how tall"];
        if KEPT_FRAMES.iter().any(|f| lower.contains(f)) {
            return (Some(FactKind::Quantity), question.to_string());
        }
        for (frame, kind) in FRAMES {
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
                let topic = topic.replace("take place", " ").replace("happen", " ");
                return (Some(kind), topic);
            }
        }
        (None, question.to_string())
    }

    fn found_in(self, sentence: &str) -> bool {
        const NUMBER_WORDS: [&str; 19] = [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "dozen",
            "dozens",
            "hundred",
            "hundreds",
            "thousand",
            "thousands",
            "million",
            "billion",
            "trillion",
        ];
        const TIME_WORDS: [&str; 41] = [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "aug",
            "sept",
            "oct",
            "nov",
            "dec",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "today",
            "yesterday",
            "tomorrow",
            "week",
            "month",
            "year",
            "hour",
            "minute",
            "decade",
            "century",
            "ago",
        ];
        let words: Vec<String> = sentence
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .collect();
        let has_number = words
            .iter()
            .any(|w| w.chars().any(|c| c.is_ascii_digit()) || NUMBER_WORDS.contains(&w.as_str()));
        match self {
            FactKind::Age => {
                let lower = sentence.to_lowercase();
                has_number
                    && [
                        "year-old",
                        "years old",
                        "years-old",
                        "aged ",
                        "age of",
                        "at age",
                        "birthday",
                        "born",
                    ]
                    .iter()
                    .any(|cue| lower.contains(cue))
            }
            FactKind::Quantity => has_number,
            FactKind::Time => {
                has_number
                    || words.iter().any(|w| {
                        let singular = w.strip_suffix('s').unwrap_or(w);
                        TIME_WORDS.contains(&w.as_str()) || TIME_WORDS.contains(&singular)
                    })
            }
        }
    }
}

fn abstain(index: &Index, question: &str, candidates: &[Candidate], confidence: f32) -> Answer {
    let related: Vec<CitedParagraph> = cited_paragraphs(index, candidates.iter())
        .into_iter()
        .take(RELATED_PASSAGES)
        .collect();
    let answer = if related.is_empty() {
        include_str!("../prompts/abstain-empty.txt")
    } else {
        include_str!("../prompts/abstain.txt")
    }
    .trim()
    .to_string();
    Answer {
        question: question.to_string(),
        abstained: true,
        answer,
        confidence,
        sentences: Vec::new(),
        citations: Vec::new(),
        related,
    }
}

/// The distinct paragraphs of the given candidates, in order, each scored by its best sentence.
fn cited_paragraphs<'a>(
    index: &Index,
    candidates: impl Iterator<Item = &'a Candidate>,
) -> Vec<CitedParagraph> {
    let mut out: Vec<CitedParagraph> = Vec::new();
    for c in candidates {
        let citation = index.citation(c.sentence);
        let score = c.dense.max(c.passage_dense);
        if let Some(existing) = out
            .iter_mut()
            .find(|p| p.doc == citation.doc && p.paragraph == citation.paragraph)
        {
            existing.score = existing.score.max(score);
            continue;
        }
        out.push(CitedParagraph {
            doc: citation.doc,
            paragraph: citation.paragraph,
            text: index.sentence_paragraph(c.sentence).text.clone(),
            score,
        });
    }
    out
}

/// Maps requested document ids to indices; unknown ids are an error naming them.
fn resolve_documents(index: &Index, ids: Option<&[String]>) -> Result<Option<HashSet<usize>>> {
    let Some(ids) = ids else { return Ok(None) };
    let mut set = HashSet::new();
    for id in ids {
        let position = index
            .documents
            .iter()
            .position(|d| &d.id == id)
            .ok_or_else(|| Error::UnknownDocument(id.clone()))?;
        set.insert(position);
    }
    Ok(Some(set))
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
    }

    #[test]
    fn fact_kinds_are_found_in_numbers_and_time_words() {
        assert!(FactKind::Quantity.found_in("About 100,000 soldiers remain."));
        assert!(FactKind::Quantity.found_in("Three officials spoke."));
        assert!(!FactKind::Quantity.found_in("Officials spoke at length."));
        assert!(FactKind::Time.found_in("The call lasted just under an hour."));
        assert!(FactKind::Time.found_in("Talks are scheduled for Jan. 10."));
        assert!(!FactKind::Time.found_in("Biden handled the call from his home."));
        assert!(FactKind::Age.found_in("The 69-year-old leader spoke."));
        assert!(!FactKind::Age.found_in("Putin spoke last Thursday (30)."));
    }
}
