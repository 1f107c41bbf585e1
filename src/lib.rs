//! footnote: grounded, cited answers and summaries over news articles.
//!
//! The pipeline, one module per step:
//! - [`segment`]: articles into numbered paragraphs and sentences;
//! - [`document`]: loading documents from `.txt` and JSONL files;
//! - [`model`]: finding or fetching the embedding model's files;
//! - [`embed`]: sentence embeddings, on [`encoder`]'s forward pass (own AVX-512 or candle);
//! - [`index`]: dense + BM25 retrieval with an on-disk embedding cache;
//! - [`answer`]: cited answers, or abstention;
//! - [`summarize`]: extractive summaries with corroborating citations;
//! - [`citation`]: citation ids and the grounding check.
//!
//! And the HTTP service (`footnote serve`):
//! - [`store`]: documents and their embeddings in SQLite;
//! - [`worker`]: the model on its own thread, batching queued requests;
//! - [`server`]: the API, its errors, and the live corpus.

pub mod answer;
pub mod bench;
pub mod citation;
pub mod device;
pub mod document;
pub mod embed;
pub mod encoder;
pub mod error;
pub mod eval;
pub mod index;
pub mod lexical;
pub mod model;
pub mod rouge;
pub mod segment;
pub mod server;
pub mod store;
pub mod summarize;
pub mod worker;

use std::path::PathBuf;

pub use error::{Error, Result};

use document::Document;
use embed::Embedder;
use index::{EmbeddingCache, Index};

/// Where the model comes from and where its files and caches live.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// A hub id (`org/name`) or a local model directory.
    pub model: String,
    /// Where hub models are stored (`<models_dir>/<org>--<name>`, see [`model`]).
    pub models_dir: PathBuf,
    /// Where document embeddings and the weights' digest are cached; `None` disables the cache
    /// (the weights are then hashed on every load).
    pub cache_dir: Option<PathBuf>,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Which forward pass runs the model.
    pub encoder: encoder::EncoderChoice,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            model: model::DEFAULT_MODEL.to_string(),
            models_dir: PathBuf::from("models"),
            cache_dir: Some(PathBuf::from("models/.cache")),
            device: "cpu".to_string(),
            encoder: encoder::EncoderChoice::Auto,
        }
    }
}

/// A loaded model with its embedding cache: everything needed to index and query documents.
pub struct Engine {
    pub embedder: Embedder,
    cache: EmbeddingCache,
}

impl Engine {
    /// Resolves (fetching if needed) and loads the model.
    pub fn load(settings: &EngineSettings) -> Result<Self> {
        let device = device::parse(&settings.device)?;
        let dir = model::resolve(&settings.model, &settings.models_dir)?;
        let digest_memo = settings
            .cache_dir
            .as_ref()
            .map(|d| d.join("weights-sha256"));
        let embedder = Embedder::load(&dir, &device, settings.encoder, digest_memo.as_deref())?;
        Ok(Engine {
            embedder,
            cache: EmbeddingCache::new(settings.cache_dir.clone()),
        })
    }

    /// Embeds (or loads cached embeddings of) the documents and indexes them.
    pub fn index(&self, documents: Vec<Document>) -> Result<Index> {
        Index::build(documents, &self.embedder, &self.cache)
    }

    pub fn ask(
        &self,
        index: &Index,
        question: &str,
        options: &answer::AskOptions,
    ) -> Result<answer::Answer> {
        answer::ask(index, &self.embedder, question, options)
    }
}
