//! footnote: grounded, cited answers and summaries over news articles.
//!
//! Every module, by layer (each uses only the layers before it; ARCHITECTURE.md has the picture
//! and `tests/layers.rs` checks it):
//!
//! - Foundations: [`error`] (the library's error type), [`hash`] (short content fingerprints),
//!   [`vector`] (cosine), [`text`] (words and content terms), [`lexicon`] (word lists, compiled-in
//!   data files), [`rouge`] (ROUGE as Google's `rouge-score` computes it).
//! - Reading text: [`segment`] (articles into numbered paragraphs and verbatim sentences,
//!   boilerplate flagged), [`document`] (documents and loading them from `.txt` and JSONL),
//!   [`citation`] (`[doc ¶n]` and the grounding check), [`signals`] (what a sentence states:
//!   numbers, negation, antonyms, names, the kind of fact asked for).
//! - Retrieval: [`lexical`] (BM25 statistics that follow documents in and out), [`doc_vectors`]
//!   (which texts of a document are embedded, and how the vectors of many documents are split
//!   back per document), [`index`] (dense and BM25 retrieval fused by rank).
//! - Tasks: [`answer`] (cited answers, or abstention), [`summarize`] (extractive summaries with
//!   corroborating citations), [`verify`] (whether a text's cited paragraphs support each of its
//!   sentences), [`written`] (how a result was made: copied, written and checked, or abstained),
//!   [`compose`] (answers and summaries written by the local model, kept only where the verifier
//!   accepts them). The tasks are given vectors and texts; the engine or the workers run the
//!   models.
//! - The model: [`model`] (finding or fetching its files), [`device`] (cpu or cuda),
//!   [`encoder`] (the forward passes: footnote's own AVX-512 pass, or candle's), [`embed`]
//!   (sentence embeddings as sentence-transformers makes them), [`cache`] (the command line's
//!   embedding cache), [`llm`] (the writing model: GGUF files, footnote's own AVX-512 Qwen3
//!   forward pass or candle's quantized models, chat template, greedy generation).
//! - Running it: [`engine`] (the model and cache behind the command line), [`worker`] (the
//!   model on its own thread, batching queued requests), [`writer`] and [`write_worker`] (the
//!   writing model with its prompts, and on its own thread in the service), [`store`] (documents and embeddings in
//!   SQLite), [`server`] (the HTTP API), [`batch`] (batch jobs of summaries: JSONL records of a
//!   document or a cluster, embedded in shared passes), [`eval`] (quality on public sets),
//!   [`bench`] (speed of the embedding hot path and of the writing model).

// `unsafe` is allowed only where it lives, each place saying why: the AVX-512 kernels of the
// encoder and of the writing model (`llm/kernels.rs`), and the encoder's memory-mapped weights.
#![deny(unsafe_code)]

pub mod answer;
pub mod batch;
pub mod bench;
pub mod cache;
pub mod citation;
pub mod claims;
pub mod compose;
pub mod device;
pub mod doc_vectors;
pub mod document;
pub mod embed;
pub mod encoder;
pub mod engine;
pub mod error;
pub mod eval;
pub mod hash;
pub mod index;
pub mod lexical;
pub mod lexicon;
pub mod llm;
pub mod model;
pub mod rouge;
pub mod segment;
pub mod server;
pub mod signals;
pub mod store;
pub mod summarize;
pub mod task;
pub mod text;
pub mod vector;
pub mod verify;
pub mod worker;
pub mod write_worker;
pub mod writer;
pub mod written;

pub use engine::{Engine, EngineSettings};
pub use error::{Error, Result};
