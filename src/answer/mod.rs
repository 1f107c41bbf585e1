//! Answering a question with verbatim, cited sentences, or abstaining.
//!
//! The answer is made only of corpus sentences, copied verbatim, each followed by the citation
//! of its paragraph. Whether the corpus supports an answer is decided from signals of the best
//! sentence: how close it is in meaning to the question (embedding cosine), how much of the
//! question's content its paragraph contains (content words weighted by rarity, so that a name
//! found all over the corpus counts less than the word that says what is asked), whether it
//! carries the kind of fact the question asks for (a number for "how many", a time for "when"),
//! and whether it says something other than what is asked: a name or number the document never
//! states, a negation, an antonym of a question word, a different number. When the support is
//! weak, footnote says the articles do not answer and lists the closest passages as related
//! reading, never as the answer. Each answer sentence lists the paragraphs of other documents
//! that state its claim ([`crate::claims`]); such a sentence is never a second answer sentence,
//! and one giving a figure of the answer another value is a disagreement.
//!
//! This module assembles the answer. The signals are read by [`crate::signals`], turned into
//! [`Evidence`] features in `evidence`, and weighed by two logistic models in `support_model`,
//! whose fitted weights are a data file (`support_model.tsv`, written by
//! `scripts/fit_support_model.py`).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::claims::{Claims, Disagreement, Relation};
use crate::error::{Error, Result};
use crate::index::{Candidate, Index};
use crate::vector::cosine;
use crate::written::{Dropped, GenerationInfo, Mode};

mod evidence;
mod support_model;

pub use evidence::{score_shortlist, Evidence, Scored};
pub use support_model::fitted_articles;

/// Most sentences an answer may have.
pub const MAX_ANSWER_SENTENCES: usize = 3;
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
    /// Paragraphs of other documents that state the same claim.
    pub corroborated_by: Vec<Citation>,
    /// True for every sentence shown as checked: copies are verbatim, written sentences passed
    /// the verifier. False only for written sentences shown on request (`--show-unverified`).
    #[serde(default = "crate::written::verified_by_default")]
    pub verified: bool,
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
    /// Where other documents give a figure of an answer sentence another value.
    pub disagreements: Vec<Disagreement>,
    pub citations: Vec<CitedParagraph>,
    /// Closest passages when abstaining; never the answer.
    pub related: Vec<CitedParagraph>,
    /// `extractive` (copied sentences), `generated` (written by the local model, checked) or
    /// `abstained`.
    #[serde(default)]
    pub mode: Mode,
    /// Written sentences the verifier did not accept (empty unless the model wrote).
    #[serde(default)]
    pub dropped: Vec<Dropped>,
    /// The writing model's figures, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<GenerationInfo>,
}

/// The question trimmed, if it can be answered from this index with these options: the checks
/// of [`check_question`], and that every requested document exists. For callers that embed the
/// question themselves ([`crate::Engine::ask`]): nothing is spent on the model for a request
/// that would be refused.
pub fn check_request<'q>(
    index: &Index,
    question: &'q str,
    options: &AskOptions,
) -> Result<&'q str> {
    let question = check_question(question, options)?;
    resolve_documents(index, options.documents.as_deref())?;
    Ok(question)
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

    // A sentence of another document that states a claim of one already chosen is corroboration,
    // or, when it gives one of its figures another value, a disagreement: never a second answer
    // sentence. (A sentence of the same document sharing a claim often adds what the first
    // leaves out, such as the answer itself.)
    let claims = Claims::new(index);
    let mut chosen: Vec<&Scored> = vec![best];
    for s in &shortlist[1..] {
        if chosen.len() >= options.max_sentences {
            break;
        }
        let close_enough = s.relevance >= best.relevance - EXTRA_SENTENCE_MARGIN;
        let repeats = chosen.iter().any(|k| {
            let (a, b) = (k.candidate.sentence, s.candidate.sentence);
            cosine(index.sentence_vector(a), index.sentence_vector(b)) >= DUPLICATE_COSINE
                || (index.sentences[a].doc != index.sentences[b].doc
                    && claims.relation(a, b) != Relation::Distinct)
        });
        if close_enough && !repeats {
            chosen.push(s);
        }
    }

    let pool: Vec<usize> = (0..index.sentences.len())
        .filter(|&i| {
            wanted_docs
                .as_ref()
                .is_none_or(|set| set.contains(&index.sentences[i].doc))
        })
        .collect();
    let sentences: Vec<AnswerSentence> = chosen
        .iter()
        .map(|s| AnswerSentence {
            text: index.sentence_text(s.candidate.sentence).to_string(),
            citations: vec![index.citation(s.candidate.sentence)],
            corroborated_by: claims.paragraphs(&claims.corroborating(s.candidate.sentence, &pool)),
            verified: true,
        })
        .collect();
    let disagreements = chosen
        .iter()
        .flat_map(|s| claims.disagreements(s.candidate.sentence, &pool))
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
        disagreements,
        citations: cited_paragraphs(index, chosen.iter().map(|s| &s.candidate), chosen.len()),
        related: Vec::new(),
        mode: Mode::Extractive,
        dropped: Vec::new(),
        generation: None,
    })
}

/// The paragraphs best matching the question, best first, at most `limit`: what the writing
/// model is given to answer from ([`crate::compose`]).
pub fn ranked_paragraphs(
    index: &Index,
    question: &str,
    query_vector: &[f32],
    options: &AskOptions,
    limit: usize,
) -> Result<Vec<CitedParagraph>> {
    let wanted_docs = resolve_documents(index, options.documents.as_deref())?;
    let candidates = index.rank(question, query_vector, |e| {
        wanted_docs.as_ref().is_none_or(|set| set.contains(&e.doc))
    });
    Ok(cited_paragraphs(index, candidates.iter(), limit))
}

fn abstain(index: &Index, question: &str, candidates: &[Candidate], confidence: f32) -> Answer {
    let related = cited_paragraphs(index, candidates.iter(), RELATED_PASSAGES);
    let answer = if related.is_empty() {
        include_str!("../../prompts/abstain-empty.txt")
    } else {
        include_str!("../../prompts/abstain.txt")
    }
    .trim()
    .to_string();
    Answer {
        question: question.to_string(),
        abstained: true,
        answer,
        confidence,
        sentences: Vec::new(),
        disagreements: Vec::new(),
        citations: Vec::new(),
        related,
        mode: Mode::Abstained,
        dropped: Vec::new(),
        generation: None,
    }
}

/// The distinct paragraphs of the given candidates, in order, each scored by its best sentence;
/// the first `limit` of them.
fn cited_paragraphs<'a>(
    index: &Index,
    candidates: impl Iterator<Item = &'a Candidate>,
    limit: usize,
) -> Vec<CitedParagraph> {
    // (a sentence of the paragraph, its best score), first seen first. Candidates can be every
    // sentence of the index: each paragraph is found by its passage position, not searched for,
    // and only the paragraphs returned are copied out.
    let mut paragraphs: Vec<(usize, f32)> = Vec::new();
    let mut listed: HashMap<usize, usize> = HashMap::new();
    for c in candidates {
        let score = c.dense.max(c.passage_dense);
        let passage = index.sentences[c.sentence].passage;
        match listed.get(&passage) {
            Some(&at) => paragraphs[at].1 = paragraphs[at].1.max(score),
            None => {
                listed.insert(passage, paragraphs.len());
                paragraphs.push((c.sentence, score));
            }
        }
    }
    paragraphs
        .into_iter()
        .take(limit)
        .map(|(sentence, score)| {
            let citation = index.citation(sentence);
            CitedParagraph {
                doc: citation.doc,
                paragraph: citation.paragraph,
                text: index.sentence_paragraph(sentence).text.clone(),
                score,
            }
        })
        .collect()
}

/// Maps requested document ids to indices; unknown ids are an error naming them.
pub fn resolve_documents(index: &Index, ids: Option<&[String]>) -> Result<Option<HashSet<usize>>> {
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
