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

// `unsafe` is allowed only where it lives, each place saying why: the encoder's AVX-512 kernels
// and its memory-mapped weights.
#![deny(unsafe_code)]

pub mod answer;
pub mod bench;
pub mod cache;
pub mod citation;
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
pub mod model;
pub mod rouge;
pub mod segment;
pub mod server;
pub mod store;
pub mod summarize;
pub mod text;
pub mod vector;
pub mod worker;

pub use engine::{Engine, EngineSettings};
pub use error::{Error, Result};
