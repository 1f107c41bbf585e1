//! How an answer or a summary was made, as its JSON says: copied ([`Mode::Extractive`]),
//! written by the local model and checked ([`Mode::Generated`]), or not given
//! ([`Mode::Abstained`]); the written sentences the verifier did not accept ([`Dropped`]); and
//! what the generation cost ([`GenerationInfo`]).
//!
//! The types live apart from [`crate::compose`], which fills them, because answers and
//! summaries carry them whether or not a model wrote anything.

use serde::{Deserialize, Serialize};

use crate::citation::Citation;

/// Which way the sentences of an answer or summary were made. JSON written before this field
/// existed reads as `extractive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Written by the local model; every sentence shown as verified passed the verifier against
    /// the paragraphs it cites.
    Generated,
    /// Copied verbatim from the cited paragraphs (the default, and the fallback when nothing
    /// the model wrote was supported).
    #[default]
    Extractive,
    /// No answer: the articles do not support one.
    Abstained,
}

/// `verified` of JSON written before the field existed: every sentence was a copy then.
pub fn verified_by_default() -> bool {
    true
}

/// A sentence the model wrote that the verifier did not accept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dropped {
    /// The sentence without its citation markers.
    pub text: String,
    /// What it cited (possibly nothing, or paragraphs that do not exist).
    pub citations: Vec<Citation>,
    /// `unsupported`, `uncited` or `invalid_citation` (see `footnote verify`).
    pub verdict: String,
    /// Why: the figure, name, negation or words the cited paragraphs do not state.
    pub reasons: Vec<String>,
}

/// What the model was given and what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GenerationInfo {
    /// The writing model (`--llm`).
    pub model: String,
    /// Source paragraphs put in the prompt.
    pub sources: usize,
    /// Source paragraphs left out so that the prompt fits the model's context (0 when none).
    pub sources_cut: usize,
    pub prompt_tokens: usize,
    /// Tokens written.
    pub tokens: usize,
    /// `end` (the model finished), `max_tokens`, `cancelled` (the client went away, or the
    /// request's time ran out), or `context_full` (not run: no source fit the context).
    pub stop: String,
    /// Seconds from the start to the first written token.
    pub first_token_seconds: f64,
    /// Seconds in all.
    pub seconds: f64,
}
