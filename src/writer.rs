//! The writing model with its prompts, and the two things it does: write an answer, write a
//! summary, each under the verifier ([`crate::compose`] has the steps and the rules).
//!
//! The command line runs a [`Writer`] itself ([`crate::Engine::ask_written`]); the service runs
//! one on a thread of its own behind a bounded queue ([`crate::write_worker`]). Both give it the
//! extractive result first and a way to embed the written claims (the embedder, or the
//! service's embedding worker), and get text pieces as they are written through `on_piece`,
//! which returns whether to go on.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::answer::{Answer, CitedParagraph};
use crate::compose::{self, Prompt, Prompts, Source, Task};
use crate::error::Result;
use crate::index::Index;
use crate::llm::{self, Backend, Generation, Generator, StopReason};
use crate::summarize::{Length, Summary};
use crate::written::{GenerationInfo, Mode};
use crate::{device, verify};

/// Where the writing model and the prompts come from.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    /// A hub id (`org/name-GGUF[:file.gguf]`) or a local directory ([`llm::resolve`]).
    pub llm: String,
    /// Where hub models are stored.
    pub models_dir: PathBuf,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// A folder of prompt templates overriding the compiled-in ones.
    pub prompts: Option<PathBuf>,
    /// Which forward pass runs the model.
    pub backend: Backend,
}

/// How much the model may read and write for one request.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Most tokens written.
    pub max_tokens: usize,
    /// Most prompt tokens; sources past it are cut (never more than the model's context allows).
    pub max_prompt_tokens: usize,
    /// Keep sentences the verifier did not accept, marked `verified: false`.
    pub show_unverified: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            max_tokens: compose::DEFAULT_MAX_TOKENS,
            max_prompt_tokens: compose::DEFAULT_MAX_PROMPT_TOKENS,
            show_unverified: false,
        }
    }
}

/// Embeds texts (the written claims that are not copies of the index).
pub type Embed<'a> = dyn FnMut(&[&str]) -> Result<Vec<Vec<f32>>> + 'a;
/// Gets each text piece as it is written; returns whether to go on.
pub type OnPiece<'a> = dyn FnMut(&str) -> bool + 'a;

/// A loaded writing model and its prompts.
pub struct Writer {
    generator: Generator,
    prompts: Prompts,
}

impl Writer {
    /// Reads the prompts (cheap, checked first), then resolves (fetching if needed) and loads
    /// the model.
    pub fn load(settings: &WriterSettings) -> Result<Self> {
        let prompts = Prompts::load(settings.prompts.as_deref())?;
        let device = device::parse(&settings.device)?;
        let files = llm::resolve(&settings.llm, &settings.models_dir)?;
        Ok(Writer {
            generator: Generator::load_with(&files, &device, settings.backend)?,
            prompts,
        })
    }

    /// A writer from parts (tests and benchmarks load the model themselves).
    pub fn new(generator: Generator, prompts: Prompts) -> Self {
        Writer { generator, prompts }
    }

    pub fn generator(&mut self) -> &mut Generator {
        &mut self.generator
    }

    /// Writes the answer to `question` from the extractive answer's paragraphs and the `ranked`
    /// ones, verified against the documents at `only` (all when `None`). An abstention is
    /// returned as it is: the model is not asked.
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &mut self,
        index: &Index,
        question: &str,
        extractive: Answer,
        ranked: &[CitedParagraph],
        only: Option<&HashSet<usize>>,
        max_sentences: usize,
        options: &WriteOptions,
        embed: &mut Embed<'_>,
        on_piece: &mut OnPiece<'_>,
    ) -> Result<Answer> {
        if extractive.mode == Mode::Abstained {
            return Ok(extractive);
        }
        let sources = compose::answer_sources(index, &extractive, ranked);
        let total = sources.len();
        let Some((prompt, generation)) = self.write(
            Task::Answer,
            Some(question),
            max_sentences,
            sources,
            options,
            on_piece,
        )?
        else {
            let mut extractive = extractive;
            extractive.generation = Some(compose::not_run(self.generator.name(), total));
            return Ok(extractive);
        };
        let report = verify::verify_in(index, only, &generation.text, |t| embed(t))?;
        Ok(compose::written_answer(
            index,
            extractive,
            &report,
            self.info(&prompt, &generation),
            max_sentences,
            options.show_unverified,
            &prompt.sources,
        ))
    }

    /// Writes the summary of the documents at `documents` (all when empty) from the extractive
    /// summary's paragraphs: an article's own prompt for one document, the cross-document one
    /// for several.
    #[allow(clippy::too_many_arguments)]
    pub fn summary(
        &mut self,
        index: &Index,
        documents: &[usize],
        extractive: Summary,
        length: Length,
        options: &WriteOptions,
        embed: &mut Embed<'_>,
        on_piece: &mut OnPiece<'_>,
    ) -> Result<Summary> {
        let mut sources = compose::summary_sources(index, &extractive);
        let task = if extractive.documents.len() == 1 {
            // An article is summarized in its own order.
            sources.sort_by_key(|s| s.citation.paragraph);
            Task::ArticleSummary
        } else {
            Task::Summary
        };
        let total = sources.len();
        let max_sentences = compose::summary_sentences(length);
        let Some((prompt, generation)) =
            self.write(task, None, max_sentences, sources, options, on_piece)?
        else {
            let mut extractive = extractive;
            extractive.generation = Some(compose::not_run(self.generator.name(), total));
            return Ok(extractive);
        };
        let only: HashSet<usize> = if documents.is_empty() {
            (0..index.documents.len()).collect()
        } else {
            documents.iter().copied().collect()
        };
        let report = verify::verify_in(index, Some(&only), &generation.text, |t| embed(t))?;
        Ok(compose::written_summary(
            extractive,
            &report,
            self.info(&prompt, &generation),
            max_sentences,
            options.show_unverified,
        ))
    }

    /// Builds the prompt with as many sources as fit, then generates. `None` when not even one
    /// source fits.
    fn write(
        &mut self,
        task: Task,
        question: Option<&str>,
        max_sentences: usize,
        sources: Vec<Source>,
        options: &WriteOptions,
        on_piece: &mut OnPiece<'_>,
    ) -> Result<Option<(Prompt, Generation)>> {
        let room = self
            .generator
            .context_length()
            .saturating_sub(options.max_tokens)
            .min(options.max_prompt_tokens);
        let generator = &self.generator;
        let mut ids = Vec::new();
        // Article text and the question are data: chat markers in them are removed, so that an
        // article cannot end the user's turn. Citations and verification use the real text.
        let (question, sources) =
            compose::defang_inputs(question, sources, &|text| generator.defang(text));
        let prompt = compose::build_prompt(
            &self.prompts,
            task,
            question.as_deref(),
            max_sentences,
            sources,
            &mut |message| {
                let encoded = generator.encode(&generator.chat_prompt(message)?)?;
                let fits = encoded.len() <= room;
                // The prompt that fits is the one written from: keep its tokens.
                if fits {
                    ids = encoded;
                }
                Ok(fits)
            },
        )?;
        let Some(prompt) = prompt else {
            return Ok(None);
        };
        let generation = self
            .generator
            .generate(&ids, options.max_tokens, false, on_piece)?;
        Ok(Some((prompt, generation)))
    }

    fn info(&self, prompt: &Prompt, generation: &Generation) -> GenerationInfo {
        GenerationInfo {
            model: self.generator.name().to_string(),
            sources: prompt.sources.len(),
            sources_cut: prompt.cut,
            prompt_tokens: generation.prompt_tokens,
            tokens: generation.tokens,
            stop: match generation.stop {
                StopReason::End => "end",
                StopReason::MaxTokens => "max_tokens",
                StopReason::Cancelled => "cancelled",
            }
            .to_string(),
            first_token_seconds: generation.first_token.as_secs_f64(),
            seconds: (generation.first_token + generation.decode).as_secs_f64(),
        }
    }
}
