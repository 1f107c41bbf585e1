//! The command line's on-disk cache of document embeddings: one safetensors file per document,
//! in a folder per model fingerprint, named after the texts embedded (see [`crate::doc_vectors`]
//! for why, and for how the service keeps its vectors instead).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use crate::doc_vectors::DocumentVectors;
use crate::document::Document;
use crate::embed::Embedder;
use crate::hash::fingerprint;

/// The command line's on-disk cache of document embeddings.
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
}
