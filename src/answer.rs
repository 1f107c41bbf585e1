//! Answering a question with verbatim, cited sentences, or abstaining.
//!
//! The answer is made only of corpus sentences, copied verbatim, each followed by the citation
//! of its paragraph. Whether the corpus supports an answer is decided from two signals of the best
//! sentence: how close it is in meaning to the question (embedding cosine), and how much of the
//! question's content words its paragraph contains. When the support is weak, footnote says the
//! articles do not answer and lists the closest passages as related reading, never as the answer.

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
/// A sentence this close in meaning to the question supports an answer on its own.
const STRONG_COSINE: f32 = 0.6;
/// Below this cosine a sentence never supports an answer, whatever words it shares.
const WEAK_COSINE: f32 = 0.3;
/// Between the two cosines, the paragraph must hold this share of the question's content words.
const MIN_COVERAGE: f32 = 0.5;
/// Extra sentences must be nearly as close to the question as the best one.
const EXTRA_SENTENCE_MARGIN: f32 = 0.08;
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerSentence {
    pub text: String,
    pub citations: Vec<Citation>,
}

/// A whole cited paragraph, with how well it matched the question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitedParagraph {
    pub doc: String,
    pub paragraph: usize,
    pub text: String,
    pub score: f32,
}

/// The result of `footnote ask`; its JSON form is a stable interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    pub abstained: bool,
    /// The answer as text: sentences each followed by `[doc ¶n]`, or the abstention.
    pub answer: String,
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
    let question = question.trim();
    if question.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    if !(1..=MAX_ANSWER_SENTENCES).contains(&options.max_sentences) {
        return Err(Error::InvalidInput(format!(
            "max_sentences must be between 1 and {MAX_ANSWER_SENTENCES}"
        )));
    }
    let wanted_docs = resolve_documents(index, options.documents.as_deref())?;
    let query_vector = embedder.embed(&[question])?.pop().unwrap_or_default();
    let candidates = index.rank(question, &query_vector, |e| {
        wanted_docs.as_ref().is_none_or(|set| set.contains(&e.doc))
    });
    let question_terms: HashSet<String> = content_terms(question).into_iter().collect();

    let supported = |c: &Candidate| supports(index, c, &question_terms);
    let Some(best) = candidates.iter().take(SHORTLIST).find(|c| supported(c)) else {
        return Ok(abstain(index, question, &candidates));
    };

    let mut chosen: Vec<&Candidate> = vec![best];
    for c in candidates.iter().take(SHORTLIST) {
        if chosen.len() >= options.max_sentences {
            break;
        }
        let close_enough = c.dense >= best.dense - EXTRA_SENTENCE_MARGIN;
        let repeats = chosen.iter().any(|k| {
            k.sentence == c.sentence
                || cosine(
                    index.sentence_vector(k.sentence),
                    index.sentence_vector(c.sentence),
                ) >= DUPLICATE_COSINE
        });
        if close_enough && !repeats && supported(c) {
            chosen.push(c);
        }
    }

    let sentences: Vec<AnswerSentence> = chosen
        .iter()
        .map(|c| AnswerSentence {
            text: index.sentence_text(c.sentence).to_string(),
            citations: vec![index.citation(c.sentence)],
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
        sentences,
        citations: cited_paragraphs(index, chosen.iter().copied()),
        related: Vec::new(),
    })
}

/// Whether a candidate sentence is strong enough evidence to answer from.
fn supports(index: &Index, c: &Candidate, question_terms: &HashSet<String>) -> bool {
    if c.dense >= STRONG_COSINE {
        return true;
    }
    if c.dense < WEAK_COSINE || question_terms.is_empty() {
        return false;
    }
    let paragraph_terms: HashSet<String> =
        content_terms(&index.sentence_paragraph(c.sentence).text)
            .into_iter()
            .collect();
    let covered = question_terms.intersection(&paragraph_terms).count();
    covered as f32 / question_terms.len() as f32 >= MIN_COVERAGE
}

fn abstain(index: &Index, question: &str, candidates: &[Candidate]) -> Answer {
    let related: Vec<CitedParagraph> = cited_paragraphs(index, candidates.iter())
        .into_iter()
        .take(RELATED_PASSAGES)
        .collect();
    let answer = if related.is_empty() {
        "The articles do not say: no document is available to answer from.".to_string()
    } else {
        "The articles do not say. The closest passages are listed as related reading.".to_string()
    };
    Answer {
        question: question.to_string(),
        abstained: true,
        answer,
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
            .ok_or_else(|| Error::InvalidInput(format!("unknown document id `{id}`")))?;
        set.insert(position);
    }
    Ok(Some(set))
}
