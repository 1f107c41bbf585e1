//! A document's embeddings: which of its texts are embedded, and how the vectors of many
//! documents embedded together are split back per document.
//!
//! Every caller embeds documents the same way, in one step: [`texts_of`] lists the texts of
//! several documents (each content paragraph's sentences, then the paragraph itself), the model
//! embeds them all in shared forward passes, and [`split`] hands each document its own
//! [`DocumentVectors`]. The command line ([`crate::Engine::index`]) and the service
//! (`server::corpus`) differ only in where vectors are kept between runs:
//!
//! - **The command line** keeps them in [`crate::cache::EmbeddingCache`], one safetensors file
//!   per document in a folder per model fingerprint, the file named after the hash of the texts
//!   embedded (the segmented sentences and paragraphs), not of the document's raw text: a
//!   segmenter that moves a sentence boundary must not be given the old vectors. A missing,
//!   damaged or unwritable file costs time, never correctness.
//! - **The service** keeps them in its store ([`crate::store`]) beside the document, which it
//!   recognises by the hash of its text; the store records the model fingerprint once, and a
//!   start with another model re-embeds the whole store. Vectors read back are checked with
//!   [`DocumentVectors::fits`] against the document as segmented now.
//!
//! A batch of summaries embeds less: [`sentence_texts_of`] lists the sentences alone, and
//! [`split_sentences`] hands each document its [`SentenceVectors`], for an index that can summarize
//! but not rank ([`crate::index::Index::for_summaries`]). Summaries read sentence vectors only,
//! and a document's paragraphs are its longest texts (the forward pass's attention grows with the
//! square of a text's length), so this halves the forward passes' time on news articles (30%
//! fewer tokens, 62% less attention work; BENCHMARKS.md). Such vectors are never cached or
//! stored: both keep what retrieval needs.

use crate::document::Document;

/// One document's sentence embeddings alone, in the order of its content sentences.
pub type SentenceVectors = Vec<Vec<f32>>;

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

/// The content sentences of several documents, one after another: what to embed for summaries.
pub fn sentence_texts_of<'a>(documents: &[&'a Document]) -> Vec<&'a str> {
    documents
        .iter()
        .flat_map(|d| {
            d.content()
                .flat_map(|p| p.sentences.iter().map(String::as_str))
        })
        .collect()
}

/// Splits the embeddings of [`sentence_texts_of`]`(documents)` back per document.
pub fn split_sentences(documents: &[&Document], vectors: Vec<Vec<f32>>) -> Vec<SentenceVectors> {
    let mut vectors = vectors.into_iter();
    documents
        .iter()
        .map(|d| vectors.by_ref().take(d.content_counts().0).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn sentences_alone_split_back_as_in_the_full_split() {
        let a = Document::new("a", None, "Photo: AP\n\nOne. Two.\n\nThree.").unwrap();
        let b = Document::new("b", None, "Four.").unwrap();
        let docs = [&a, &b];
        let texts = sentence_texts_of(&docs);
        assert_eq!(texts, ["One.", "Two.", "Three.", "Four."]);
        // Vectors named after their texts: each document must get its own sentences' rows.
        let named = |texts: &[&str]| -> Vec<Vec<f32>> {
            texts
                .iter()
                .map(|t| vec![t.len() as f32, t.as_bytes()[0] as f32])
                .collect()
        };
        let full = split(&docs, named(&texts_of(&docs)));
        let alone = split_sentences(&docs, named(&texts));
        let full_sentences: Vec<SentenceVectors> = full.into_iter().map(|v| v.sentences).collect();
        assert_eq!(alone, full_sentences);
    }
}
