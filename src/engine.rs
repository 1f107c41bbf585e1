//! The engine the command line runs: the embedding model, loaded with its settings, and the
//! command line's embedding cache. It indexes documents (embedding those not cached) and answers
//! questions over an index. The service uses the same model through its worker
//! ([`crate::worker`]) and keeps vectors in its store instead of the cache.

use std::path::PathBuf;

use crate::cache::EmbeddingCache;
use crate::doc_vectors::{self, DocumentVectors, SentenceVectors};
use crate::document::Document;
use crate::embed::Embedder;
use crate::error::Result;
use crate::index::Index;
use crate::summarize::{self, Length, Summary};
use crate::writer::{OnPiece, WriteOptions, Writer};
use crate::{answer, device, encoder, model, verify};

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

    /// Embeds (or loads cached embeddings of) the documents and indexes them. The documents
    /// not in the cache are embedded together, in shared forward passes.
    pub fn index(&self, documents: Vec<Document>) -> Result<Index> {
        let per_doc = self.document_vectors(&documents, true)?;
        Ok(Index::from_vectors(documents, per_doc, self.embedder.dim()))
    }

    /// Each document's vectors, from the cache or else embedded: all the documents not in the
    /// cache together, in shared forward passes. `log` says how many are embedded (a batch job
    /// with a progress bar keeps quiet).
    pub fn document_vectors(
        &self,
        documents: &[Document],
        log: bool,
    ) -> Result<Vec<DocumentVectors>> {
        let embedder = &self.embedder;
        let mut per_doc: Vec<Option<DocumentVectors>> = documents
            .iter()
            .map(|d| self.cache.load(embedder, d))
            .collect();
        let missing: Vec<&Document> = documents
            .iter()
            .zip(&per_doc)
            .filter(|(_, cached)| cached.is_none())
            .map(|(d, _)| d)
            .collect();
        if !missing.is_empty() {
            if log {
                tracing::info!(documents = missing.len(), "embedding documents");
            }
            let mut fresh = self.embed_documents(&missing)?.into_iter();
            for (doc, slot) in documents.iter().zip(&mut per_doc) {
                if slot.is_none() {
                    let vectors = fresh.next().unwrap_or_default();
                    self.cache.store(embedder, doc, &vectors);
                    *slot = Some(vectors);
                }
            }
        }
        Ok(per_doc.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Embeds documents in shared forward passes, without the cache: one [`DocumentVectors`]
    /// per document, in order (the shared step of [`doc_vectors`]).
    pub fn embed_documents(&self, documents: &[&Document]) -> Result<Vec<DocumentVectors>> {
        let vectors = self.embedder.embed(&doc_vectors::texts_of(documents))?;
        Ok(doc_vectors::split(documents, vectors))
    }

    /// Embeds only the documents' sentences, in shared forward passes and without the cache
    /// (which keeps what retrieval needs): what an index for summaries is built from
    /// ([`Index::for_summaries`]).
    pub fn embed_sentences(&self, documents: &[&Document]) -> Result<Vec<SentenceVectors>> {
        let vectors = self
            .embedder
            .embed(&doc_vectors::sentence_texts_of(documents))?;
        Ok(doc_vectors::split_sentences(documents, vectors))
    }

    /// Answers `question` from the index: checks the request, embeds the question, answers.
    pub fn ask(
        &self,
        index: &Index,
        question: &str,
        options: &answer::AskOptions,
    ) -> Result<answer::Answer> {
        let question = answer::check_request(index, question, options)?;
        let query_vector = self.embedder.embed(&[question])?.pop().unwrap_or_default();
        answer::answer_with_vector(index, question, &query_vector, options)
    }

    /// Checks a text's citations against the index: embeds its claims (one call), then judges
    /// each against the paragraphs it cites.
    pub fn verify(&self, index: &Index, text: &str) -> Result<verify::Report> {
        verify::verify(index, text, |claims| self.embedder.embed(claims))
    }

    /// Answers `question`, written by the model under the verifier ([`Writer::answer`]): the
    /// extractive answer first (an abstention stays one), then the model writes from its
    /// paragraphs and the best ranked others, and the written claims are embedded here.
    pub fn ask_written(
        &self,
        writer: &mut Writer,
        index: &Index,
        question: &str,
        options: &answer::AskOptions,
        write: &WriteOptions,
        on_piece: &mut OnPiece<'_>,
    ) -> Result<answer::Answer> {
        let question = answer::check_request(index, question, options)?;
        let query_vector = self.embedder.embed(&[question])?.pop().unwrap_or_default();
        let extractive = answer::answer_with_vector(index, question, &query_vector, options)?;
        let ranked = answer::ranked_paragraphs(
            index,
            question,
            &query_vector,
            options,
            crate::compose::ANSWER_SOURCES,
        )?;
        let only = answer::resolve_documents(index, options.documents.as_deref())?;
        writer.answer(
            index,
            question,
            extractive,
            &ranked,
            only.as_ref(),
            options.max_sentences,
            write,
            &mut |texts| self.embedder.embed(texts),
            on_piece,
        )
    }

    /// Summarizes the documents at `documents` (all when empty), written by the model under the
    /// verifier ([`Writer::summary`]).
    pub fn summarize_written(
        &self,
        writer: &mut Writer,
        index: &Index,
        documents: &[usize],
        length: Length,
        write: &WriteOptions,
        on_piece: &mut OnPiece<'_>,
    ) -> Result<Summary> {
        let extractive = summarize::summarize(index, documents, length)?;
        writer.summary(
            index,
            documents,
            extractive,
            length,
            write,
            &mut |texts| self.embedder.embed(texts),
            on_piece,
        )
    }
}
