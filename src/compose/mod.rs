//! Answers and summaries written by the local model, under the verifier (`--generate`).
//!
//! The extractive answer or summary is made first: it decides whether there is anything to say
//! (an abstention stays one: the model is not asked), and its paragraphs are the model's sources,
//! numbered with their real citation labels (`[doc ¶n]`) in a prompt from `prompts/`. The model
//! writes (the caller runs it: this module never does); then every written sentence goes through
//! the verifier against the paragraphs it cites. Supported sentences are kept with their
//! citations; the others are listed in `dropped` with the verdict and reasons, and shown, marked
//! `verified: false`, only when the caller asks. When no written sentence is supported, the
//! extractive result is returned, its `mode` saying so.
//!
//! The steps, for callers that run the models their own way (the command line through
//! [`crate::Engine`], the service through its workers): [`answer_sources`] or
//! [`summary_sources`], [`build_prompt`] (sources cut from the end until the prompt fits), the
//! generation, [`verify::verify_in`] (or [`SentenceTracker`] while streaming), then
//! [`written_answer`] or
//! [`written_summary`].

pub mod prompts;

use crate::answer::{Answer, AnswerSentence, CitedParagraph};
use crate::citation::Citation;
use crate::error::Result;
use crate::index::Index;
use crate::summarize::{Length, Summary, SummarySentence};
use crate::verify::{self, Claim, Report, SentenceReport, Verdict};
use crate::written::{Dropped, GenerationInfo, Mode};
pub use prompts::{Prompts, SourceView, Task};

/// Paragraphs given to the model for a question.
pub const ANSWER_SOURCES: usize = 6;
/// Most tokens the model may write, unless told otherwise.
pub const DEFAULT_MAX_TOKENS: usize = 320;
/// Most prompt tokens, unless told otherwise: on a CPU, the time to the first token grows with
/// the prompt (see BENCHMARKS.md), so sources past this are cut.
pub const DEFAULT_MAX_PROMPT_TOKENS: usize = 2048;
/// Words per sentence assumed when a summary's length is a word budget.
const WORDS_PER_SENTENCE: usize = 25;

/// A paragraph given to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub citation: Citation,
    pub title: Option<String>,
    pub text: String,
    /// How well it matched the question (0 for summaries).
    pub score: f32,
}

/// A rendered prompt and the sources in it.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// The user message (the caller puts it in the model's chat template).
    pub message: String,
    pub sources: Vec<Source>,
    /// Sources left out so that the prompt fits.
    pub cut: usize,
}

/// The sources for an answer: the paragraphs of the extractive answer first, then the best
/// ranked others, [`ANSWER_SOURCES`] in all.
pub fn answer_sources(
    index: &Index,
    extractive: &Answer,
    ranked: &[CitedParagraph],
) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    for p in extractive.citations.iter().chain(ranked) {
        if sources.len() == ANSWER_SOURCES {
            break;
        }
        let citation = Citation {
            doc: p.doc.clone(),
            paragraph: p.paragraph,
        };
        if sources.iter().all(|s| s.citation != citation) {
            sources.push(Source {
                title: title_of(index, &citation.doc),
                citation,
                text: p.text.clone(),
                score: p.score,
            });
        }
    }
    sources
}

/// The sources for a summary: the paragraphs of the extractive summary's sentences, in its
/// order, then the other documents' paragraphs stating the same claims.
pub fn summary_sources(index: &Index, extractive: &Summary) -> Vec<Source> {
    let citations = extractive
        .sentences
        .iter()
        .flat_map(|s| &s.citations)
        .chain(extractive.sentences.iter().flat_map(|s| &s.corroborated_by));
    let mut sources: Vec<Source> = Vec::new();
    for citation in citations {
        if sources.iter().any(|s| &s.citation == citation) {
            continue;
        }
        let Some(doc) = index.documents.iter().find(|d| d.id == citation.doc) else {
            continue;
        };
        if let Some(paragraph) = doc.paragraph(citation.paragraph) {
            sources.push(Source {
                citation: citation.clone(),
                title: doc.title.clone(),
                text: paragraph.text.clone(),
                score: 0.0,
            });
        }
    }
    sources
}

fn title_of(index: &Index, doc: &str) -> Option<String> {
    index
        .documents
        .iter()
        .find(|d| d.id == doc)
        .and_then(|d| d.title.clone())
}

/// The sentences a summary of this length asks the model for.
pub fn summary_sentences(length: Length) -> usize {
    match length {
        Length::Sentences(n) => n,
        Length::Words(w) => w.div_ceil(WORDS_PER_SENTENCE).max(1),
    }
}

/// The question and sources as the model may read them: `defang` (the writing model's
/// [`crate::llm::Generator::defang`]) is applied to the question and to each source's title and
/// text, which are data and must not carry the model's chat markers. A source whose citation
/// label itself holds a marker (a document id such as `a<|im_end|>`, which the id rule allows)
/// is left out: its label is what the model must write back, so it cannot be changed, and the
/// document cannot be cited in a written answer. The citations kept are unchanged: verification
/// and the answer use the real text.
pub fn defang_inputs(
    question: Option<&str>,
    sources: Vec<Source>,
    defang: &dyn Fn(&str) -> String,
) -> (Option<String>, Vec<Source>) {
    let question = question.map(defang);
    let sources = sources
        .into_iter()
        .filter(|s| {
            let label = s.citation.to_string();
            defang(&label) == label
        })
        .map(|s| Source {
            text: defang(&s.text),
            title: s.title.as_deref().map(defang),
            ..s
        })
        .collect();
    (question, sources)
}

/// Renders the prompt with as many sources as fit (`fits` says whether a message does), cutting
/// from the end, where the sources matter least. `None` when not even the first fits.
pub fn build_prompt(
    prompts: &Prompts,
    task: Task,
    question: Option<&str>,
    max_sentences: usize,
    mut sources: Vec<Source>,
    fits: &mut dyn FnMut(&str) -> Result<bool>,
) -> Result<Option<Prompt>> {
    let total = sources.len();
    while !sources.is_empty() {
        let views: Vec<SourceView<'_>> = sources
            .iter()
            .map(|s| SourceView {
                label: s.citation.to_string(),
                title: s.title.as_deref(),
                text: &s.text,
            })
            .collect();
        let message = prompts.render(task, question, &views, max_sentences)?;
        if fits(&message)? {
            let cut = total - sources.len();
            if cut > 0 {
                tracing::info!(
                    cut,
                    kept = sources.len(),
                    "sources cut to fit the model's context"
                );
            }
            return Ok(Some(Prompt {
                message,
                sources,
                cut,
            }));
        }
        sources.pop();
    }
    Ok(None)
}

/// While a text is being written: which of its sentences are finished (every claim but the last
/// parsed so far, since the last may still grow), each given once.
#[derive(Debug, Default)]
pub struct SentenceTracker {
    given: usize,
}

impl SentenceTracker {
    /// The claims finished since the last call. With `done` (the text is complete), all the rest.
    pub fn finished(&mut self, text: &str, done: bool) -> Vec<Claim> {
        let claims = verify::parse(text).claims;
        let finished = if done {
            claims.len()
        } else {
            claims.len().saturating_sub(1)
        };
        if finished <= self.given {
            return Vec::new();
        }
        let new = claims.into_iter().take(finished).skip(self.given).collect();
        self.given = finished;
        new
    }
}

/// A written sentence kept for the reader.
struct Kept {
    text: String,
    citations: Vec<Citation>,
    verified: bool,
}

/// The verifier's report split into the sentences kept (supported ones; also the others, marked,
/// with `show_unverified`) and those dropped, a repeated sentence kept once; at most `limit`
/// supported sentences.
fn sort_out(report: &Report, show_unverified: bool, limit: usize) -> (Vec<Kept>, Vec<Dropped>) {
    let mut kept: Vec<Kept> = Vec::new();
    let mut dropped = Vec::new();
    let mut supported = 0;
    for s in &report.sentences {
        if kept.iter().any(|k| k.text == s.text) {
            continue;
        }
        let verified = s.verdict == Verdict::Supported;
        if !verified {
            dropped.push(dropped_of(s));
        }
        if verified && supported == limit {
            continue;
        }
        if verified || show_unverified {
            supported += usize::from(verified);
            kept.push(Kept {
                text: s.text.clone(),
                citations: s.citations.clone(),
                verified,
            });
        }
    }
    (kept, dropped)
}

fn dropped_of(s: &SentenceReport) -> Dropped {
    Dropped {
        text: s.text.clone(),
        citations: s.citations.clone(),
        verdict: s.verdict.name().to_string(),
        reasons: s.reasons.clone(),
    }
}

/// The answer from what the model wrote, or the extractive one (with `dropped` and the
/// generation's figures) when nothing it wrote is supported.
pub fn written_answer(
    index: &Index,
    mut extractive: Answer,
    report: &Report,
    info: GenerationInfo,
    max_sentences: usize,
    show_unverified: bool,
    sources: &[Source],
) -> Answer {
    let (kept, dropped) = sort_out(report, show_unverified, max_sentences);
    extractive.dropped = dropped;
    extractive.generation = Some(info);
    if !kept.iter().any(|k| k.verified) {
        return extractive;
    }
    let mut citations: Vec<CitedParagraph> = Vec::new();
    for c in kept
        .iter()
        .filter(|k| k.verified)
        .flat_map(|k| &k.citations)
    {
        if citations
            .iter()
            .any(|p| p.doc == c.doc && p.paragraph == c.paragraph)
        {
            continue;
        }
        let text = index
            .documents
            .iter()
            .find(|d| d.id == c.doc)
            .and_then(|d| d.paragraph(c.paragraph))
            .map(|p| p.text.clone());
        // The verifier accepted the citation, so the paragraph exists.
        let Some(text) = text else { continue };
        let score = sources
            .iter()
            .find(|s| &s.citation == c)
            .map_or(0.0, |s| s.score);
        citations.push(CitedParagraph {
            doc: c.doc.clone(),
            paragraph: c.paragraph,
            text,
            score,
        });
    }
    extractive.answer = kept.iter().map(labelled).collect::<Vec<_>>().join(" ");
    extractive.sentences = kept
        .into_iter()
        .map(|k| AnswerSentence {
            text: k.text,
            citations: k.citations,
            corroborated_by: Vec::new(),
            verified: k.verified,
        })
        .collect();
    extractive.citations = citations;
    extractive.mode = Mode::Generated;
    extractive
}

/// The summary from what the model wrote, or the extractive one (with `dropped` and the
/// generation's figures) when nothing it wrote is supported.
pub fn written_summary(
    mut extractive: Summary,
    report: &Report,
    info: GenerationInfo,
    max_sentences: usize,
    show_unverified: bool,
) -> Summary {
    let (kept, dropped) = sort_out(report, show_unverified, max_sentences);
    extractive.dropped = dropped;
    extractive.generation = Some(info);
    if !kept.iter().any(|k| k.verified) {
        return extractive;
    }
    extractive.sentences = kept
        .into_iter()
        .map(|k| SummarySentence {
            text: k.text,
            citations: k.citations,
            corroborated_by: Vec::new(),
            verified: k.verified,
        })
        .collect();
    extractive.mode = Mode::Generated;
    extractive
}

/// A sentence followed by its citations, as the `answer` text shows it; an unverified one says so.
fn labelled(k: &Kept) -> String {
    let cites: String = k.citations.iter().map(|c| c.to_string()).collect();
    let mark = if k.verified { "" } else { " (unverified)" };
    format!("{} {cites}{mark}", k.text)
}

/// The figures of a generation that was not run because not even one source fit the context.
pub fn not_run(model: &str, sources: usize) -> GenerationInfo {
    GenerationInfo {
        model: model.to_string(),
        sources: 0,
        sources_cut: sources,
        prompt_tokens: 0,
        tokens: 0,
        stop: "context_full".into(),
        first_token_seconds: 0.0,
        seconds: 0.0,
    }
}

#[cfg(test)]
mod tests;
