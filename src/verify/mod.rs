//! The citation verifier: reads a text whose sentences cite paragraphs (`[doc ¶n]`) and says,
//! sentence by sentence, whether the cited paragraphs support it, why not, and which paragraphs
//! of the corpus would.
//!
//! footnote's own sentences are copies, so they check themselves; drafts written by people, and
//! sentences a model writes, are not. This module judges them with what footnote already has:
//! the contradiction signals of [`crate::signals`], rarity-weighted coverage of content words
//! ([`crate::index::Index::idf`]) and embedding closeness to the cited paragraphs. `parse.rs`
//! reads the text into claims; `judge.rs` decides support and gives the reasons; this file puts
//! them together with the index and the claims' embeddings, and proposes paragraphs.
//!
//! The model is needed only for the claims' vectors, which the caller computes in one call for
//! all claims ([`crate::Engine::verify`], or the service's worker): this module never runs the
//! model. Claims that copy a sentence of a cited document take its vector from the index
//! (`vectors.rs`), so only the others are embedded. Skipped lines (headings, questions,
//! source listings) are only counted, in [`Report::skipped`]. Suggestions are given for claims
//! that are not supported.

mod judge;
mod parse;
mod vectors;

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::citation::Citation;
use crate::error::{Error, Result};
use crate::index::Index;
use crate::vector::cosine;

use judge::{judge, Closeness, Evidence, Judgement};
pub use parse::{parse, Claim, Parsed};
pub use vectors::ClaimVectors;

/// The longest text verified at once, in characters: a longer one is refused, not truncated.
pub const MAX_TEXT_CHARS: usize = 1_000_000;

/// Paragraphs proposed per claim.
const SUGGESTIONS: usize = 3;

/// Paragraphs (closest by cosine) checked as suggestions for each claim.
pub const SUGGESTION_CANDIDATES: usize = 12;

/// What the cited paragraphs say of a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The cited paragraphs, together, state it.
    Supported,
    /// They do not state it, or they contradict it.
    Unsupported,
    /// It cites nothing.
    Uncited,
    /// A citation is malformed, or names a document or paragraph that does not exist.
    InvalidCitation,
}

impl Verdict {
    /// The verdict as the JSON writes it (`supported`, `invalid_citation`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Unsupported => "unsupported",
            Verdict::Uncited => "uncited",
            Verdict::InvalidCitation => "invalid_citation",
        }
    }
}

/// A paragraph of the corpus proposed for a sentence, scored in 0..1.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub doc: String,
    pub paragraph: usize,
    pub score: f32,
}

/// One verified sentence.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SentenceReport {
    /// The sentence without its citation markers.
    pub text: String,
    pub citations: Vec<Citation>,
    pub verdict: Verdict,
    /// Why it is not supported ("verbatim" when it is a copy of a cited paragraph's text).
    pub reasons: Vec<String>,
    /// The paragraphs that best support it, for sentences not supported.
    pub suggestions: Vec<Suggestion>,
}

/// A verified text.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub sentences: Vec<SentenceReport>,
    /// Sentences supported.
    pub supported: usize,
    /// Sentences judged (all but the skipped).
    pub claims: usize,
    /// Lines and sentences that are not claims: headings, questions, list headers, source
    /// listings, citation-only lines.
    pub skipped: usize,
}

impl Report {
    /// Whether every claim is supported.
    pub fn all_supported(&self) -> bool {
        self.supported == self.claims
    }
}

/// Refuses a text that cannot be verified: empty, or over [`MAX_TEXT_CHARS`]. Cheap, so callers
/// can check before loading the model.
pub fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::InvalidInput("the text is empty".into()));
    }
    // Characters are counted only when the bytes could be too many.
    let chars = if text.len() > MAX_TEXT_CHARS {
        text.chars().count()
    } else {
        text.len()
    };
    if chars > MAX_TEXT_CHARS {
        return Err(Error::InvalidInput(format!(
            "the text is {chars} characters; the most verified at once is {MAX_TEXT_CHARS}"
        )));
    }
    Ok(())
}

/// Verifies a text against the index; `embed` returns one vector per claim, in order.
pub fn verify(
    index: &Index,
    text: &str,
    embed: impl FnOnce(&[&str]) -> Result<Vec<Vec<f32>>>,
) -> Result<Report> {
    check_text(text)?;
    verify_in(index, None, text, embed)
}

/// [`verify`] against the whole index or, with `only`, the documents at those positions (as
/// [`report`]), and without [`check_text`]'s refusals: an empty text is an empty report. For
/// text footnote itself produced, such as the writing model's.
pub fn verify_in(
    index: &Index,
    only: Option<&HashSet<usize>>,
    text: &str,
    embed: impl FnOnce(&[&str]) -> Result<Vec<Vec<f32>>>,
) -> Result<Report> {
    let parsed = parse(text);
    let known = ClaimVectors::new(index, &parsed);
    let texts = known.missing(&parsed);
    let embedded = if texts.is_empty() {
        Vec::new()
    } else {
        embed(&texts)?
    };
    let vectors = known.complete(embedded)?;
    report(index, only, parsed, vectors)
}

/// Judges parsed claims given their vectors (one per claim, in order), against the whole index
/// or, with `only`, only the documents at those positions: a citation of another document is
/// then invalid and only their paragraphs are suggested. For callers that embed the claims
/// themselves (the service's worker).
pub fn report(
    index: &Index,
    only: Option<&HashSet<usize>>,
    parsed: Parsed,
    vectors: Vec<Vec<f32>>,
) -> Result<Report> {
    if vectors.len() != parsed.claims.len() {
        return Err(Error::InvalidInput(format!(
            "{} vectors for {} claims",
            vectors.len(),
            parsed.claims.len()
        )));
    }
    let verifier = Verifier::new(index, only);
    let sentences: Vec<SentenceReport> = parsed
        .claims
        .into_iter()
        .zip(&vectors)
        .map(|(claim, vector)| verifier.verify_claim(claim, vector))
        .collect();
    let supported = sentences
        .iter()
        .filter(|s| s.verdict == Verdict::Supported)
        .count();
    Ok(Report {
        claims: sentences.len(),
        supported,
        skipped: parsed.skipped,
        sentences,
    })
}

/// The index (or some of its documents) with lookups from a cited paragraph to its passage and
/// sentences: built once per index, then asked about any number of claims (a text's, or an
/// evaluation's claims whose citations and vectors are already known).
pub struct Verifier<'a> {
    index: &'a Index,
    /// (document position, paragraph number) to the paragraph's passage and sentences.
    paragraphs: HashMap<(usize, usize), (usize, Vec<usize>)>,
    documents: HashMap<&'a str, usize>,
}

impl<'a> Verifier<'a> {
    /// The whole index, or only the documents at the positions in `only`.
    pub fn new(index: &'a Index, only: Option<&HashSet<usize>>) -> Self {
        let wanted = |d: usize| only.is_none_or(|set| set.contains(&d));
        let mut paragraphs: HashMap<(usize, usize), (usize, Vec<usize>)> = HashMap::new();
        for (i, e) in index
            .sentences
            .iter()
            .enumerate()
            .filter(|(_, e)| wanted(e.doc))
        {
            let number = index.documents[e.doc].paragraphs[e.paragraph].number;
            paragraphs
                .entry((e.doc, number))
                .or_insert((e.passage, Vec::new()))
                .1
                .push(i);
        }
        let documents = index
            .documents
            .iter()
            .enumerate()
            .filter(|&(i, _)| wanted(i))
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        Verifier {
            index,
            paragraphs,
            documents,
        }
    }

    /// The index it verifies against.
    pub fn index(&self) -> &'a Index {
        self.index
    }

    /// The verdict, reasons and suggestions for one claim, given its vector.
    pub fn verify_claim(&self, claim: Claim, vector: &[f32]) -> SentenceReport {
        let mut reasons = claim.malformed.clone();
        let mut cited = Vec::new();
        for c in &claim.citations {
            match self.documents.get(c.doc.as_str()) {
                None => reasons.push(format!("no document \"{}\" in the corpus", c.doc)),
                Some(&d) if self.index.documents[d].paragraph(c.paragraph).is_none() => reasons
                    .push(format!(
                        "document \"{}\" has no paragraph {} (it has {})",
                        c.doc,
                        c.paragraph,
                        self.index.documents[d].paragraphs.len()
                    )),
                Some(&d) => cited.push((d, c.paragraph)),
            }
        }
        let (verdict, reasons) = if !reasons.is_empty() {
            (Verdict::InvalidCitation, reasons)
        } else if cited.is_empty() {
            (
                Verdict::Uncited,
                vec!["the sentence cites no paragraph".to_string()],
            )
        } else {
            let judgement = self.judge(&claim.text, vector, &cited);
            if judgement.supported() {
                let reasons = if judgement.verbatim {
                    vec!["verbatim".to_string()]
                } else {
                    Vec::new()
                };
                (Verdict::Supported, reasons)
            } else {
                (Verdict::Unsupported, judgement.reasons)
            }
        };
        let suggestions = if verdict == Verdict::Supported {
            Vec::new()
        } else {
            self.suggest(&claim.text, vector)
        };
        SentenceReport {
            text: claim.text,
            citations: claim.citations,
            verdict,
            reasons,
            suggestions,
        }
    }

    /// Judges a claim against paragraphs (document position, paragraph number) that exist.
    fn judge(&self, claim: &str, vector: &[f32], cited: &[(usize, usize)]) -> Judgement {
        let mut evidence = Evidence {
            paragraphs: Vec::new(),
            titles: Vec::new(),
            sentences: Vec::new(),
        };
        let mut best: Option<f32> = None;
        for &(d, n) in cited {
            let doc = &self.index.documents[d];
            let Some(paragraph) = doc.paragraph(n) else {
                continue;
            };
            evidence.paragraphs.push(&paragraph.text);
            evidence
                .sentences
                .extend(paragraph.sentences.iter().map(String::as_str));
            if let Some(title) = doc.title.as_deref() {
                if !evidence.titles.contains(&title) {
                    evidence.titles.push(title);
                }
            }
            if let Some((passage, sentences)) = self.paragraphs.get(&(d, n)) {
                let cosines = std::iter::once(self.index.passage_vector(*passage))
                    .chain(sentences.iter().map(|&s| self.index.sentence_vector(s)))
                    .map(|v| cosine(vector, v));
                for c in cosines {
                    best = Some(best.map_or(c, |b| b.max(c)));
                }
            }
        }
        judge(claim, &evidence, Closeness { cosine: best }, &|t| {
            self.index.idf(t)
        })
    }

    /// The content paragraphs that best support the claim: the closest by cosine, judged, those
    /// without a hard contradiction scored by cosine and coverage together.
    fn suggest(&self, claim: &str, vector: &[f32]) -> Vec<Suggestion> {
        let mut by_cosine: Vec<(f32, (usize, usize))> = self
            .paragraphs
            .iter()
            .map(|(&key, (passage, _))| (cosine(vector, self.index.passage_vector(*passage)), key))
            .collect();
        by_cosine.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut scored: Vec<Suggestion> = by_cosine
            .into_iter()
            .take(SUGGESTION_CANDIDATES)
            .filter_map(|(_, key)| {
                let judgement = self.judge(claim, vector, &[key]);
                if judgement.contradicted {
                    return None;
                }
                let (passage, sentences) = &self.paragraphs[&key];
                let best = std::iter::once(self.index.passage_vector(*passage))
                    .chain(sentences.iter().map(|&s| self.index.sentence_vector(s)))
                    .map(|v| cosine(vector, v))
                    .fold(f32::MIN, f32::max);
                let score = (0.5 * best.clamp(0.0, 1.0) + 0.5 * judgement.coverage).clamp(0.0, 1.0);
                Some(Suggestion {
                    doc: self.index.documents[key.0].id.clone(),
                    paragraph: key.1,
                    score,
                })
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        scored.truncate(SUGGESTIONS);
        scored
    }
}

#[cfg(test)]
pub(crate) mod tests;
