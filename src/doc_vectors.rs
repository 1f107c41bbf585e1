//! A document's embeddings: which of its texts are embedded, how the vectors of many documents
//! embedded together are split back per document, and the command line's cache of them on disk.
//!
//! Every caller embeds documents the same way, in one step: [`texts_of`] lists the texts of
//! several documents (each content paragraph's sentences, then the paragraph itself), the model
//! embeds them all in shared forward passes, and [`split`] hands each document its own
//! [`DocumentVectors`]. The command line ([`crate::Engine::index`]) and the service
//! (`server::corpus`) differ only in where vectors are kept between runs:
//!
//! - **The command line** keeps them in [`EmbeddingCache`], one safetensors file per document in
//!   a folder per model fingerprint, the file named after the hash of the texts embedded (the
//!   segmented sentences and paragraphs), not of the document's raw text: a segmenter that moves
//!   a sentence boundary must not be given the old vectors. A missing, damaged or unwritable file
//!   costs time, never correctness.
//! - **The service** keeps them in its store (`crate::store`) beside the document, which it
//!   recognises by the hash of its text; the store records the model fingerprint once, and a
//!   start with another model re-embeds the whole store. Vectors read back are checked with
//!   [`DocumentVectors::fits`] against the document as segmented now.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use crate::document::Document;
use crate::embed::Embedder;
use crate::hash::fingerprint;

/// One document's embeddings, in the order of its content sentences and content paragraphs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentVectors {
    pub sentences: Vec<Vec<f32>>,
    pub passages: Vec<Vec<f32>>,
}

impl DocumentVectors {
    /// The texts to embed for a document, in the order [`DocumentVectors::take`] reads their
    /// vectors back: each content paragraph's sentences, then the paragraph itself.
    pub fn texts(doc: &Document) -> Vec<&str> {
        let mut texts = Vec::new();
        for para in doc.content() {
            texts.extend(para.sentences.iter().map(String::as_str));
            texts.push(para.text.as_str());
        }
        texts
    }

    /// Takes the document's vectors from embeddings of [`DocumentVectors::texts`], in order.
    pub fn take(doc: &Document, vectors: &mut impl Iterator<Item = Vec<f32>>) -> Self {
        let mut out = DocumentVectors::default();
        for para in doc.content() {
            out.sentences
                .extend(vectors.by_ref().take(para.sentences.len()));
            out.passages.extend(vectors.next());
        }
        out
    }

    /// Whether these are vectors of `doc` as segmented now, each `dim` wide (a changed
    /// segmenter or model makes stored vectors stale).
    pub fn fits(&self, doc: &Document, dim: usize) -> bool {
        let (n_sentences, n_passages) = doc.content_counts();
        self.sentences.len() == n_sentences
            && self.passages.len() == n_passages
            && self
                .sentences
                .iter()
                .chain(&self.passages)
                .all(|v| v.len() == dim)
    }
}

/// The texts to embed for several documents, one after another ([`DocumentVectors::texts`]).
pub fn texts_of<'a>(documents: &[&'a Document]) -> Vec<&'a str> {
    documents
        .iter()
        .flat_map(|d| DocumentVectors::texts(d))
        .collect()
}

/// Splits the embeddings of [`texts_of`]`(documents)` back into each document's vectors.
pub fn split(documents: &[&Document], vectors: Vec<Vec<f32>>) -> Vec<DocumentVectors> {
    let mut vectors = vectors.into_iter();
    documents
        .iter()
        .map(|d| DocumentVectors::take(d, &mut vectors))
        .collect()
}

/// The command line's on-disk cache of document embeddings (see the module doc).
#[derive(Debug, Clone)]
pub struct EmbeddingCache {
    dir: Option<PathBuf>,
}

impl EmbeddingCache {
    /// A cache in `dir`; `None` disables caching.
    pub fn new(dir: Option<PathBuf>) -> Self {
        EmbeddingCache { dir }
    }

    fn path(&self, model: &str, doc: &Document) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(model).join(Self::file_name(doc)))
    }

    /// The name of `doc`'s file in a model's cache folder. It is named after the texts embedded,
    /// not the document's raw text: a segmenter that moves a sentence boundary, even keeping the
    /// counts, must not be given the old vectors.
    pub fn file_name(doc: &Document) -> String {
        let texts: Vec<&[u8]> = DocumentVectors::texts(doc)
            .into_iter()
            .map(str::as_bytes)
            .collect();
        format!("{}.safetensors", fingerprint(&texts))
    }

    /// The cached vectors of `doc` made by `embedder`, if there are any that fit it.
    pub fn load(&self, embedder: &Embedder, doc: &Document) -> Option<DocumentVectors> {
        let path = self.path(embedder.fingerprint(), doc)?;
        if !path.is_file() {
            return None;
        }
        let tensors = candle_core::safetensors::load(&path, &Device::Cpu).ok()?;
        let rows =
            |name: &str| -> Option<Vec<Vec<f32>>> { tensors.get(name)?.to_vec2::<f32>().ok() };
        let vectors = DocumentVectors {
            sentences: rows("sentences")?,
            passages: rows("passages")?,
        };
        // A damaged file (counts or widths that do not fit) is not used.
        vectors.fits(doc, embedder.dim()).then_some(vectors)
    }

    /// Remembers `doc`'s vectors; a cache that cannot be written is logged and ignored.
    pub fn store(&self, embedder: &Embedder, doc: &Document, vectors: &DocumentVectors) {
        let Some(path) = self.path(embedder.fingerprint(), doc) else {
            return;
        };
        if let Err(e) = write_vectors(&path, embedder.dim(), vectors) {
            // A cache that cannot be written costs time, never correctness.
            tracing::warn!("could not write embedding cache {}: {e}", path.display());
        }
    }
}

fn write_vectors(path: &Path, dim: usize, vectors: &DocumentVectors) -> anyhow::Result<()> {
    let to_tensor = |rows: &[Vec<f32>]| {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_vec(flat, (rows.len(), dim), &Device::Cpu)
    };
    let tensors: HashMap<String, Tensor> = [
        ("sentences".to_string(), to_tensor(&vectors.sentences)?),
        ("passages".to_string(), to_tensor(&vectors.passages)?),
    ]
    .into();
    let dir = path.parent().ok_or_else(|| anyhow::anyhow!("no parent"))?;
    std::fs::create_dir_all(dir)?;
    // Write then rename, so a reader never sees half a file.
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    candle_core::safetensors::save(&tensors, tmp.path())?;
    tmp.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_vectors_are_named_after_the_segmented_texts() {
        // A segmenter that moves a sentence boundary keeps the text and the counts; the old
        // vectors must not be found under the new sentences.
        let doc = Document::new("a", None, "First part. Second part here.").unwrap();
        let mut moved = doc.clone();
        moved.paragraphs[0].sentences = vec!["First part. Second".into(), "part here.".into()];
        assert_eq!(doc.content_hash, moved.content_hash);
        let cache = EmbeddingCache::new(Some(PathBuf::from("cache")));
        let path = |d: &Document| cache.path("model", d).unwrap();
        assert_ne!(path(&doc), path(&moved));
        assert_eq!(path(&doc), path(&doc.clone()));
        assert!(path(&doc).starts_with("cache/model"));
    }

    #[test]
    fn split_gives_each_document_its_own_vectors() {
        let a = Document::new("a", None, "One. Two.\n\nThree.").unwrap();
        let b = Document::new("b", None, "Four.").unwrap();
        let docs = [&a, &b];
        let texts = texts_of(&docs);
        let vectors: Vec<Vec<f32>> = (0..texts.len()).map(|i| vec![i as f32]).collect();
        let split = split(&docs, vectors);
        assert_eq!(split.len(), 2);
        // a: sentences One, Two, paragraph 1, Three, paragraph 2; then b.
        assert_eq!(split[0].sentences, [[0.0], [1.0], [3.0]]);
        assert_eq!(split[0].passages, [[2.0], [4.0]]);
        assert_eq!(split[1].sentences, [[5.0]]);
        assert_eq!(split[1].passages, [[6.0]]);
        assert!(split[0].fits(&a, 1) && split[1].fits(&b, 1));
    }
}
