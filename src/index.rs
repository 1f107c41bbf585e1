//! The searchable index over a corpus: sentence and paragraph embeddings plus a BM25 index of
//! sentences, fused by reciprocal rank fusion.
//!
//! Dense vectors find paraphrases; BM25 finds rare names and numbers that small embedding models
//! blur. Reciprocal rank fusion combines the rankings without having to put cosine similarities
//! and BM25 scores on one scale. Embeddings are cached on disk per document, keyed by the model's
//! fingerprint and the document's content hash, so a second run over the same corpus embeds only
//! the question.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use bm25::{
    DefaultTokenizer, Embedder as Bm25Embedder, EmbedderBuilder, Language, Scorer, Tokenizer,
};
use candle_core::{Device, Tensor};

use crate::citation::Citation;
use crate::document::{Document, Paragraph};
use crate::embed::{cosine, fingerprint, Embedder};
use crate::error::Result;

/// Constant of reciprocal rank fusion (Cormack et al. 2009): damps the weight of the very top ranks.
const RRF_K: f32 = 60.0;

/// A content sentence of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct SentenceEntry {
    pub doc: usize,
    /// Index into the document's `paragraphs`.
    pub paragraph: usize,
    /// Index into the paragraph's `sentences`.
    pub sentence: usize,
    /// Index into the index's `passages`.
    pub passage: usize,
}

/// A content paragraph of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct PassageEntry {
    pub doc: usize,
    pub paragraph: usize,
}

/// A sentence with its retrieval signals for one query.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub sentence: usize,
    /// Cosine similarity of the query and the sentence.
    pub dense: f32,
    /// Cosine similarity of the query and the sentence's paragraph.
    pub passage_dense: f32,
    /// BM25 score of the sentence (0 when no query term occurs in it).
    pub lexical: f32,
    /// Reciprocal-rank-fusion score of the three rankings.
    pub fused: f32,
}

pub struct Index {
    pub documents: Vec<Document>,
    pub sentences: Vec<SentenceEntry>,
    pub passages: Vec<PassageEntry>,
    dim: usize,
    sentence_vectors: Vec<f32>,
    passage_vectors: Vec<f32>,
    bm25: Bm25Embedder<u32>,
    bm25_scores: Scorer<usize, u32>,
    /// Number of sentences each content term occurs in, for inverse document frequency.
    term_sentence_counts: HashMap<String, u32>,
    /// Each sentence's content terms, in order (see [`content_terms`]).
    sentence_terms: Vec<Vec<String>>,
    /// Each passage's content terms.
    passage_terms: Vec<HashSet<String>>,
    /// Each document's text, lower-cased.
    lowercase_documents: Vec<String>,
}

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
        let (n_sentences, n_passages) = content_counts(doc);
        self.sentences.len() == n_sentences
            && self.passages.len() == n_passages
            && self
                .sentences
                .iter()
                .chain(&self.passages)
                .all(|v| v.len() == dim)
    }
}

/// On-disk cache of document embeddings.
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

    fn load(&self, embedder: &Embedder, doc: &Document) -> Option<DocumentVectors> {
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

    fn store(&self, embedder: &Embedder, doc: &Document, vectors: &DocumentVectors) {
        let Some(path) = self.path(embedder.fingerprint(), doc) else {
            return;
        };
        if let Err(e) = write_vectors(&path, embedder.dim(), vectors) {
            // A cache that cannot be written costs time, never correctness.
            tracing::warn!("could not write embedding cache {}: {e}", path.display());
        }
    }
}

fn write_vectors(
    path: &std::path::Path,
    dim: usize,
    vectors: &DocumentVectors,
) -> anyhow::Result<()> {
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

fn content_counts(doc: &Document) -> (usize, usize) {
    doc.content()
        .fold((0, 0), |(s, p), para| (s + para.sentences.len(), p + 1))
}

impl Index {
    /// Embeds (or loads from cache) every document and builds the lexical index.
    pub fn build(
        documents: Vec<Document>,
        embedder: &Embedder,
        cache: &EmbeddingCache,
    ) -> Result<Self> {
        let mut per_doc: Vec<Option<DocumentVectors>> =
            documents.iter().map(|d| cache.load(embedder, d)).collect();
        let missing: Vec<usize> = (0..documents.len())
            .filter(|&i| per_doc[i].is_none())
            .collect();
        if !missing.is_empty() {
            tracing::info!(documents = missing.len(), "embedding documents");
            let texts: Vec<&str> = missing
                .iter()
                .flat_map(|&i| DocumentVectors::texts(&documents[i]))
                .collect();
            let mut vectors = embedder.embed(&texts)?.into_iter();
            for &i in &missing {
                let doc_vectors = DocumentVectors::take(&documents[i], &mut vectors);
                cache.store(embedder, &documents[i], &doc_vectors);
                per_doc[i] = Some(doc_vectors);
            }
        }
        let per_doc = per_doc.into_iter().map(Option::unwrap_or_default).collect();
        Ok(Self::from_vectors(documents, per_doc, embedder.dim()))
    }

    /// Builds the index from documents and their already computed `dim`-wide vectors (one
    /// [`DocumentVectors`] per document, in order), e.g. vectors kept in a database.
    pub fn from_vectors(
        documents: Vec<Document>,
        vectors: Vec<DocumentVectors>,
        dim: usize,
    ) -> Self {
        let mut sentences = Vec::new();
        let mut passages = Vec::new();
        let mut sentence_vectors = Vec::new();
        let mut passage_vectors = Vec::new();
        for (d, (doc, vectors)) in documents.iter().zip(vectors).enumerate() {
            let mut sentence_rows = vectors.sentences.into_iter();
            let mut passage_rows = vectors.passages.into_iter();
            for (p, para) in doc
                .paragraphs
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_content)
            {
                let passage = passages.len();
                passages.push(PassageEntry {
                    doc: d,
                    paragraph: p,
                });
                passage_vectors.extend(passage_rows.next().unwrap_or_else(|| vec![0.0; dim]));
                for s in 0..para.sentences.len() {
                    sentences.push(SentenceEntry {
                        doc: d,
                        paragraph: p,
                        sentence: s,
                        passage,
                    });
                    sentence_vectors.extend(sentence_rows.next().unwrap_or_else(|| vec![0.0; dim]));
                }
            }
        }

        let sentence_texts: Vec<&str> = sentences
            .iter()
            .map(|e| documents[e.doc].paragraphs[e.paragraph].sentences[e.sentence].as_str())
            .collect();
        // The BM25 tokenizer is content_terms' tokenizer: tokenize each sentence once here and
        // fit BM25's average length from those terms (as `with_fit_to_corpus` would, by
        // tokenizing the whole corpus again).
        let sentence_terms: Vec<Vec<String>> =
            sentence_texts.iter().map(|t| content_terms(t)).collect();
        let total_terms: u64 = sentence_terms.iter().map(|t| t.len() as u64).sum();
        // 0 for an empty corpus: the embedder then falls back to its default length.
        let avgdl = (total_terms as f64 / sentence_terms.len().max(1) as f64) as f32;
        let bm25: Bm25Embedder<u32> = EmbedderBuilder::with_avgdl(avgdl)
            .language_mode(Language::English)
            .build();
        let mut bm25_scores = Scorer::new();
        let mut term_sentence_counts: HashMap<String, u32> = HashMap::new();
        for (i, (text, terms)) in sentence_texts.iter().zip(&sentence_terms).enumerate() {
            bm25_scores.upsert(&i, bm25.embed(text));
            for term in terms.iter().collect::<HashSet<_>>() {
                *term_sentence_counts.entry(term.clone()).or_default() += 1;
            }
        }
        // Computed once here so that answering a question only compares sets.
        let passage_terms = passages
            .iter()
            .map(|e| {
                content_terms(&documents[e.doc].paragraphs[e.paragraph].text)
                    .into_iter()
                    .collect()
            })
            .collect();
        let lowercase_documents = documents
            .iter()
            .map(|d| {
                let texts: Vec<String> =
                    d.paragraphs.iter().map(|p| p.text.to_lowercase()).collect();
                texts.join("\n")
            })
            .collect();
        Index {
            documents,
            sentences,
            passages,
            dim,
            sentence_vectors,
            passage_vectors,
            bm25,
            bm25_scores,
            term_sentence_counts,
            sentence_terms,
            passage_terms,
            lowercase_documents,
        }
    }

    /// Each document's vectors, in document order: what [`Index::from_vectors`] takes, so that
    /// an index can be rebuilt with documents added or removed without embedding again.
    pub fn document_vectors(&self) -> Vec<DocumentVectors> {
        let mut out = vec![DocumentVectors::default(); self.documents.len()];
        for (p, entry) in self.passages.iter().enumerate() {
            out[entry.doc]
                .passages
                .push(self.passage_vector(p).to_vec());
        }
        for (i, entry) in self.sentences.iter().enumerate() {
            out[entry.doc]
                .sentences
                .push(self.sentence_vector(i).to_vec());
        }
        out
    }

    pub fn sentence_text(&self, i: usize) -> &str {
        let e = self.sentences[i];
        &self.documents[e.doc].paragraphs[e.paragraph].sentences[e.sentence]
    }

    pub fn sentence_paragraph(&self, i: usize) -> &Paragraph {
        let e = self.sentences[i];
        &self.documents[e.doc].paragraphs[e.paragraph]
    }

    pub fn citation(&self, i: usize) -> Citation {
        let e = self.sentences[i];
        let doc = &self.documents[e.doc];
        Citation {
            doc: doc.id.clone(),
            paragraph: doc.paragraphs[e.paragraph].number,
        }
    }

    pub fn sentence_vector(&self, i: usize) -> &[f32] {
        &self.sentence_vectors[i * self.dim..(i + 1) * self.dim]
    }

    pub fn passage_vector(&self, p: usize) -> &[f32] {
        &self.passage_vectors[p * self.dim..(p + 1) * self.dim]
    }

    /// The content terms of sentence `i`, in order.
    pub fn sentence_terms(&self, i: usize) -> &[String] {
        &self.sentence_terms[i]
    }

    /// The content terms of sentence `i`'s paragraph.
    pub fn paragraph_terms(&self, i: usize) -> &HashSet<String> {
        &self.passage_terms[self.sentences[i].passage]
    }

    /// The lower-cased text of the document holding sentence `i`.
    pub fn lowercase_document(&self, i: usize) -> &str {
        &self.lowercase_documents[self.sentences[i].doc]
    }

    /// Inverse document frequency of a content term over the corpus's sentences (BM25's form):
    /// high for a term few sentences contain, highest for a term none contains.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.sentences.len() as f32;
        let df = self.term_sentence_counts.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Scores every sentence accepted by `keep` against the query; best first.
    pub fn rank(
        &self,
        query: &str,
        query_vector: &[f32],
        keep: impl Fn(&SentenceEntry) -> bool,
    ) -> Vec<Candidate> {
        let query_bm25 = self.bm25.embed(query);
        // One similarity per paragraph, shared by its sentences.
        let passage_dense: Vec<f32> = (0..self.passages.len())
            .map(|p| cosine(query_vector, self.passage_vector(p)))
            .collect();
        let mut candidates: Vec<Candidate> = self
            .sentences
            .iter()
            .enumerate()
            .filter(|(_, e)| keep(e))
            .map(|(i, e)| Candidate {
                sentence: i,
                dense: cosine(query_vector, self.sentence_vector(i)),
                passage_dense: passage_dense[e.passage],
                lexical: self.bm25_scores.score(&i, &query_bm25).unwrap_or(0.0),
                fused: 0.0,
            })
            .collect();
        let signals: [fn(&Candidate) -> f32; 3] = [|c| c.dense, |c| c.passage_dense, |c| c.lexical];
        for signal in signals {
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by(|&a, &b| signal(&candidates[b]).total_cmp(&signal(&candidates[a])));
            for (rank, &c) in order.iter().enumerate() {
                // A sentence sharing no term with the query gets nothing from the lexical ranking.
                if signal(&candidates[c]) > 0.0 {
                    candidates[c].fused += 1.0 / (RRF_K + rank as f32 + 1.0);
                }
            }
        }
        candidates.sort_by(|a, b| b.fused.total_cmp(&a.fused));
        candidates
    }
}

/// Content words of a text: lower-cased, stemmed, stop words removed (the BM25 tokenizer).
pub fn content_terms(text: &str) -> Vec<String> {
    thread_local! {
        static TOKENIZER: DefaultTokenizer = DefaultTokenizer::new(Language::English);
    }
    TOKENIZER.with(|t| t.tokenize(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors_for(doc: &Document, first: f32) -> DocumentVectors {
        let texts = DocumentVectors::texts(doc).len();
        let mut values = (0..texts).map(|i| vec![first + i as f32, 1.0]);
        DocumentVectors::take(doc, &mut values)
    }

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
    fn an_index_from_vectors_gives_its_vectors_back_per_document() {
        let docs = vec![
            Document::new("a", None, "Photo: AP\n\nThe talks ended. Both sides spoke.").unwrap(),
            Document::new("b", None, "Officials met on Monday.\n\nThey agreed.").unwrap(),
        ];
        let vectors: Vec<DocumentVectors> = docs
            .iter()
            .zip([0.0, 100.0])
            .map(|(d, first)| vectors_for(d, first))
            .collect();
        assert!(vectors.iter().zip(&docs).all(|(v, d)| v.fits(d, 2)));
        let index = Index::from_vectors(docs.clone(), vectors.clone(), 2);
        assert_eq!(index.document_vectors(), vectors);
        // Rebuilt without the first document, the second keeps its vectors.
        let rebuilt = Index::from_vectors(docs[1..].to_vec(), vectors[1..].to_vec(), 2);
        assert_eq!(rebuilt.document_vectors(), vectors[1..]);
        assert_eq!(rebuilt.citation(0).doc, "b");
    }

    #[test]
    fn an_empty_index_ranks_nothing() {
        let index = Index::from_vectors(Vec::new(), Vec::new(), 4);
        assert!(index
            .rank("anything at all", &[0.5; 4], |_| true)
            .is_empty());
    }
}
