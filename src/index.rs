//! The searchable index over a corpus: sentence and paragraph embeddings plus a BM25 index of
//! sentences, fused by reciprocal rank fusion.
//!
//! Dense vectors find paraphrases; BM25 finds rare names and numbers that small embedding models
//! blur. Reciprocal rank fusion combines the rankings without having to put cosine similarities
//! and BM25 scores on one scale. The index is given its vectors ([`Index::from_vectors`]); it never
//! runs the model (see [`crate::doc_vectors`] for how documents are embedded and where their
//! vectors are kept).
//!
//! An index is immutable; a write makes a new one ([`Index::with_documents`],
//! [`Index::without_document`]) that shares with the old every document's derived data (terms,
//! vectors, lower-cased text, behind `Arc`s) and updates the BM25 statistics by the documents
//! written. Its cost is that of the documents written plus copying the entries of the others, and
//! it is exactly the index [`Index::from_vectors`] would build over the same documents.
//!
//! An index built with [`Index::for_summaries`] holds sentence vectors only: summaries read
//! nothing else, and embedding paragraphs, the longest texts, is half a batch's forward passes.
//! Such an index cannot rank: [`Index::rank`] and [`Index::passage_vector`] panic on it rather
//! than score every paragraph as a zero vector.

use std::collections::HashSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::citation::Citation;
use crate::doc_vectors::{DocumentVectors, SentenceVectors};
use crate::document::{Document, Paragraph};
use crate::lexical::{Counted, SentenceTokens, Statistics};
use crate::text::{content_terms, word_text};
use crate::vector::cosine;

pub(crate) mod candidates;
pub use candidates::{CandidateLimits, KEYWORD_MAX_DF};

/// Constant of reciprocal rank fusion (Cormack et al. 2009): damps the weight of the very top ranks.
const RRF_K: f32 = 60.0;

/// Why an index built for summaries cannot rank or give paragraph vectors.
const NO_PASSAGE_VECTORS: &str =
    "this index was built for summaries (Index::for_summaries): it holds no paragraph vectors";

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
    /// Index among the document's content sentences (into its [`Derived`] data).
    ordinal: usize,
}

/// A content paragraph of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct PassageEntry {
    pub doc: usize,
    pub paragraph: usize,
    /// Index among the document's content paragraphs (into its [`Derived`] data).
    ordinal: usize,
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

/// What the index keeps of one document beyond the document itself: derived from it alone, so
/// computed once when it is added and shared by every later index that holds it.
#[derive(Debug)]
struct Derived {
    /// The content sentences' vectors, `dim` wide, one after another.
    sentence_vectors: Vec<f32>,
    /// The content paragraphs' vectors, likewise; `None` in an index built for summaries.
    passage_vectors: Option<Vec<f32>>,
    /// Each content sentence's content terms, in order (see [`content_terms`]).
    sentence_terms: Vec<Vec<String>>,
    /// What BM25 needs of each content sentence.
    sentence_tokens: Vec<SentenceTokens>,
    /// Each content paragraph's content terms.
    passage_terms: Vec<HashSet<String>>,
    /// The document's sentences in [`word_text`] form, separated by "|" so that no phrase runs
    /// from one sentence into the next.
    words: String,
}

/// The vectors a document comes into an index with.
enum Vectors {
    /// Its sentences' and paragraphs' vectors: an index that ranks.
    All(DocumentVectors),
    /// Its sentences' vectors alone: an index for summaries.
    Sentences(SentenceVectors),
}

impl Derived {
    fn new(doc: &Document, vectors: Vectors, dim: usize) -> Self {
        let (sentences, passages) = match vectors {
            Vectors::All(v) => (v.sentences, Some(v.passages)),
            Vectors::Sentences(sentences) => (sentences, None),
        };
        // A missing row is zeros, and a row of another width (never one that `fits`) is cut or
        // padded, so that it cannot shift the rows after it.
        let flatten = |rows: Vec<Vec<f32>>, n: usize| {
            let mut rows = rows.into_iter();
            let mut flat = Vec::with_capacity(n * dim);
            for _ in 0..n {
                let mut row = rows.next().unwrap_or_default();
                row.resize(dim, 0.0);
                flat.extend(row);
            }
            flat
        };
        let (n_sentences, n_passages) = doc.content_counts();
        let sentence_terms: Vec<Vec<String>> = doc
            .content()
            .flat_map(|p| p.sentences.iter().map(|s| content_terms(s)))
            .collect();
        Derived {
            sentence_vectors: flatten(sentences, n_sentences),
            passage_vectors: passages.map(|rows| flatten(rows, n_passages)),
            sentence_tokens: sentence_terms
                .iter()
                .map(|t| SentenceTokens::new(t))
                .collect(),
            sentence_terms,
            // Computed once here so that answering a question only compares sets.
            passage_terms: doc
                .content()
                .map(|p| content_terms(&p.text).into_iter().collect())
                .collect(),
            words: doc
                .paragraphs
                .iter()
                .flat_map(|p| p.sentences.iter().map(|s| word_text(s)))
                .collect::<Vec<_>>()
                .join("|"),
        }
    }

    /// The content sentences as the corpus statistics count them.
    fn counted(&self) -> impl Iterator<Item = Counted<'_>> {
        self.sentence_terms
            .iter()
            .map(Vec::as_slice)
            .zip(&self.sentence_tokens)
    }
}

/// A document with what an index derives from it alone (terms, BM25 counts, vectors laid out),
/// made once and shared by every index assembled from it ([`Index::assemble`]): a replica's
/// cache keeps these, so a request does not tokenize its documents again.
#[derive(Clone)]
pub struct Indexed {
    document: Arc<Document>,
    derived: Arc<Derived>,
}

impl Indexed {
    pub fn new(document: Document, vectors: DocumentVectors, dim: usize) -> Self {
        let derived = Derived::new(&document, Vectors::All(vectors), dim);
        Indexed {
            document: Arc::new(document),
            derived: Arc::new(derived),
        }
    }

    pub fn document(&self) -> &Document {
        &self.document
    }

    /// The content terms of its content sentences, each occurrence.
    pub fn terms(&self) -> impl Iterator<Item = &String> {
        self.derived.sentence_terms.iter().flatten()
    }
}

pub struct Index {
    pub documents: Vec<Arc<Document>>,
    pub sentences: Vec<SentenceEntry>,
    pub passages: Vec<PassageEntry>,
    dim: usize,
    /// Each document's derived data, in document order.
    derived: Vec<Arc<Derived>>,
    /// BM25 statistics of all sentences; also the inverse document frequencies of [`Index::idf`].
    lexical: Statistics,
}

impl Index {
    /// Builds the index from documents and their already computed `dim`-wide vectors (one
    /// [`DocumentVectors`] per document, in order), e.g. vectors kept in a database.
    pub fn from_vectors(
        documents: Vec<Document>,
        vectors: Vec<DocumentVectors>,
        dim: usize,
    ) -> Self {
        Self::empty(dim).with_documents(documents.into_iter().zip(vectors).collect())
    }

    /// An index for summaries only: each document with its sentence vectors (one
    /// [`SentenceVectors`] per document, in order) and no paragraph vectors, so that a batch of
    /// summaries does not embed paragraphs. It cannot rank (see [`Index::rank`]).
    pub fn for_summaries(
        documents: Vec<Document>,
        vectors: Vec<SentenceVectors>,
        dim: usize,
    ) -> Self {
        let added = documents
            .into_iter()
            .zip(vectors)
            .map(|(doc, sentences)| (doc, Vectors::Sentences(sentences)))
            .collect();
        Self::empty(dim).extended(added)
    }

    /// An index over some documents of a larger corpus (a request's view of a shared store),
    /// each already [`Indexed`]: its idf and BM25 read `statistics`, the whole corpus's, instead
    /// of counting these documents alone, so that scores are the ones an index over the whole
    /// corpus gives.
    pub fn assemble(documents: Vec<Indexed>, dim: usize, statistics: Statistics) -> Self {
        let mut index = Self::empty(dim);
        for Indexed { document, derived } in documents {
            index.push(document, derived);
        }
        index.lexical = statistics;
        index
    }

    fn empty(dim: usize) -> Self {
        Index {
            documents: Vec::new(),
            sentences: Vec::new(),
            passages: Vec::new(),
            dim,
            derived: Vec::new(),
            lexical: Statistics::default(),
        }
    }

    /// This index with documents (each with its vectors) added after its own. Only the added
    /// documents are tokenized; the others' data is shared, not copied.
    pub fn with_documents(&self, added: Vec<(Document, DocumentVectors)>) -> Self {
        let added = added
            .into_iter()
            .map(|(doc, vectors)| (doc, Vectors::All(vectors)))
            .collect();
        self.extended(added)
    }

    /// This index with documents added, each with its vectors.
    fn extended(&self, added: Vec<(Document, Vectors)>) -> Self {
        let dim = self.dim;
        // Tokenizing is most of the work of adding a document; documents are independent.
        let added: Vec<(Arc<Document>, Arc<Derived>)> = added
            .into_par_iter()
            .map(|(doc, vectors)| {
                let derived = Derived::new(&doc, vectors, dim);
                (Arc::new(doc), Arc::new(derived))
            })
            .collect();
        let mut next = Index {
            documents: self.documents.clone(),
            sentences: self.sentences.clone(),
            passages: self.passages.clone(),
            dim,
            derived: self.derived.clone(),
            lexical: self.lexical.clone(),
        };
        for (doc, derived) in added {
            next.lexical.add(derived.counted());
            next.push(doc, derived);
        }
        next
    }

    /// Appends a document's entries; its term counts are the caller's to add (an assembled
    /// index is given the corpus's counts instead).
    fn push(&mut self, doc: Arc<Document>, derived: Arc<Derived>) {
        let d = self.documents.len();
        let mut sentence_ordinal = 0;
        for (passage_ordinal, (p, para)) in doc
            .paragraphs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.is_content)
            .enumerate()
        {
            let passage = self.passages.len();
            self.passages.push(PassageEntry {
                doc: d,
                paragraph: p,
                ordinal: passage_ordinal,
            });
            for s in 0..para.sentences.len() {
                self.sentences.push(SentenceEntry {
                    doc: d,
                    paragraph: p,
                    sentence: s,
                    passage,
                    ordinal: sentence_ordinal,
                });
                sentence_ordinal += 1;
            }
        }
        self.documents.push(doc);
        self.derived.push(derived);
    }

    /// This index without the document at `position`; the others keep their order.
    ///
    /// # Panics
    /// If `position` is out of range.
    pub fn without_document(&self, position: usize) -> Self {
        let removed = &self.derived[position];
        let removed_passages = removed.passage_terms.len();
        let mut lexical = self.lexical.clone();
        lexical.remove(removed.counted());
        let mut documents = self.documents.clone();
        documents.remove(position);
        let mut derived = self.derived.clone();
        derived.remove(position);
        Index {
            documents,
            sentences: self
                .sentences
                .iter()
                .filter(|e| e.doc != position)
                .map(|&e| {
                    if e.doc > position {
                        SentenceEntry {
                            doc: e.doc - 1,
                            passage: e.passage - removed_passages,
                            ..e
                        }
                    } else {
                        e
                    }
                })
                .collect(),
            passages: self
                .passages
                .iter()
                .filter(|e| e.doc != position)
                .map(|&e| PassageEntry {
                    doc: e.doc - usize::from(e.doc > position),
                    ..e
                })
                .collect(),
            dim: self.dim,
            derived,
            lexical,
        }
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
        let e = self.sentences[i];
        &self.derived[e.doc].sentence_vectors[e.ordinal * self.dim..][..self.dim]
    }

    /// The vector of content paragraph `p`.
    ///
    /// # Panics
    /// If the index was built for summaries ([`Index::for_summaries`]) and has none.
    pub fn passage_vector(&self, p: usize) -> &[f32] {
        let e = self.passages[p];
        let vectors = self.derived[e.doc].passage_vectors.as_deref();
        &vectors.expect(NO_PASSAGE_VECTORS)[e.ordinal * self.dim..][..self.dim]
    }

    /// Whether every document has paragraph vectors: false for an index built for summaries.
    pub fn has_passage_vectors(&self) -> bool {
        self.derived.iter().all(|d| d.passage_vectors.is_some())
    }

    /// The content terms of sentence `i`, in order.
    pub fn sentence_terms(&self, i: usize) -> &[String] {
        let e = self.sentences[i];
        &self.derived[e.doc].sentence_terms[e.ordinal]
    }

    /// The content terms of sentence `i`'s paragraph.
    pub fn paragraph_terms(&self, i: usize) -> &HashSet<String> {
        let e = self.sentences[i];
        &self.derived[e.doc].passage_terms[self.passages[e.passage].ordinal]
    }

    /// The sentences of the document holding sentence `i`, in [`word_text`] form, separated by
    /// "|".
    pub fn document_words(&self, i: usize) -> &str {
        &self.derived[self.sentences[i].doc].words
    }

    /// Inverse document frequency of a content term over the corpus's sentences (BM25's form):
    /// high for a term few sentences contain, highest for a term none contains.
    pub fn idf(&self, term: &str) -> f32 {
        self.lexical.idf(term)
    }

    /// Scores every sentence accepted by `keep` against the query; best first.
    ///
    /// # Panics
    /// If the index was built for summaries ([`Index::for_summaries`]): ranking needs the
    /// paragraph vectors it does not have.
    pub fn rank(
        &self,
        query: &str,
        query_vector: &[f32],
        keep: impl Fn(&SentenceEntry) -> bool,
    ) -> Vec<Candidate> {
        assert!(self.has_passage_vectors(), "{NO_PASSAGE_VECTORS}");
        let lexical = self.lexical.query(&content_terms(query));
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
                lexical: lexical.score(&self.derived[e.doc].sentence_tokens[e.ordinal]),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors_for(doc: &Document, first: f32) -> DocumentVectors {
        let texts = DocumentVectors::texts(doc).len();
        let mut values = (0..texts).map(|i| vec![first + i as f32, 1.0]);
        DocumentVectors::take(doc, &mut values)
    }

    /// Each document's vectors as the index holds them, in document order.
    fn vectors_per_document(index: &Index) -> Vec<DocumentVectors> {
        let mut out = vec![DocumentVectors::default(); index.documents.len()];
        for (p, entry) in index.passages.iter().enumerate() {
            out[entry.doc]
                .passages
                .push(index.passage_vector(p).to_vec());
        }
        for (i, entry) in index.sentences.iter().enumerate() {
            out[entry.doc]
                .sentences
                .push(index.sentence_vector(i).to_vec());
        }
        out
    }

    #[test]
    fn documents_keep_their_vectors_when_another_is_deleted() {
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
        assert_eq!(vectors_per_document(&index), vectors);
        // Without the first document, the second keeps its vectors.
        let rest = index.without_document(0);
        assert_eq!(vectors_per_document(&rest), vectors[1..]);
        assert_eq!(rest.citation(0).doc, "b");
    }

    const ARTICLES: [(&str, &str); 6] = [
        (
            "iraq",
            "Photo: AP\n\nPresident Bush will invoke Vietnam to argue against leaving Iraq. \
             He spoke in Kansas City.\n\nCritics said the comparison with Vietnam misleads.",
        ),
        (
            "storm",
            "A storm hit the coast on Monday. Thousands lost power.\n\n\
             Officials said power would return by Friday.",
        ),
        (
            "budget",
            "The city council passed the budget. The vote was 7 to 2.\n\n\
             The mayor said the budget protects schools. Critics said it cuts parks.",
        ),
        (
            "talks",
            "Talks between the two sides ended on Tuesday. Both sides spoke of progress.\n\n\
             Officials will meet again in Geneva.",
        ),
        (
            "vietnam",
            "Veterans of Vietnam gathered in Washington. The storm delayed some flights.",
        ),
        (
            "schools",
            "Schools reopened after the storm. Parents said the council acted late.\n\n\
             Share this with\n\nThe budget for schools rose by 4 percent.",
        ),
    ];

    fn article(i: usize) -> (Document, DocumentVectors) {
        let (id, text) = ARTICLES[i];
        let doc = Document::new(id, None, text).unwrap();
        let vectors = vectors_for(&doc, i as f32 * 10.0);
        (doc, vectors)
    }

    /// Everything a reader can see of an index, floats as bits.
    fn observed(index: &Index) -> Vec<String> {
        let mut seen: Vec<String> = index.documents.iter().map(|d| d.id.clone()).collect();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for i in 0..index.sentences.len() {
            let e = index.sentences[i];
            let mut terms: Vec<&String> = index.paragraph_terms(i).iter().collect();
            terms.sort();
            seen.push(format!(
                "{} {} {} {} {:?} {:?} {:?} {:?} {} {:?}",
                e.doc,
                e.paragraph,
                e.sentence,
                e.passage,
                index.citation(i),
                bits(index.sentence_vector(i)),
                bits(index.passage_vector(e.passage)),
                index.sentence_terms(i),
                index.document_words(i),
                terms,
            ));
        }
        for (id, text) in ARTICLES {
            for term in content_terms(text).iter().chain(&["unseen".to_string()]) {
                seen.push(format!("{id} {term} {}", index.idf(term).to_bits()));
            }
        }
        for query in [
            "What did Bush say about Vietnam?",
            "storm power Friday",
            "budget schools council critics",
            "Geneva talks",
        ] {
            for c in index.rank(query, &[1.0, 0.5], |_| true) {
                seen.push(format!(
                    "{query} {} {:?}",
                    c.sentence,
                    bits(&[c.dense, c.passage_dense, c.lexical, c.fused])
                ));
            }
        }
        seen
    }

    #[test]
    fn an_index_updated_by_writes_equals_one_built_from_scratch() {
        let updated = Index::from_vectors(vec![article(0).0], vec![article(0).1], 2)
            .with_documents(vec![article(1), article(2), article(3)])
            .without_document(1)
            .with_documents(vec![article(4)])
            .without_document(0)
            .with_documents(vec![article(5), article(1)]);
        let (docs, vectors) = [2, 3, 4, 5, 1].into_iter().map(article).unzip();
        let scratch = Index::from_vectors(docs, vectors, 2);
        assert_eq!(updated.lexical, scratch.lexical);
        let (updated, scratch) = (observed(&updated), observed(&scratch));
        assert_eq!(updated.len(), scratch.len());
        for (u, s) in updated.iter().zip(&scratch) {
            assert_eq!(u, s);
        }
    }

    #[test]
    fn a_write_leaves_the_index_it_was_made_from_unchanged() {
        // Readers keep the snapshot they took: a write must make a new index, not alter theirs.
        let (docs, vectors) = (0..3).map(article).unzip();
        let before = Index::from_vectors(docs, vectors, 2);
        let seen = observed(&before);
        let _added = before.with_documents(vec![article(3)]);
        let _removed = before.without_document(1);
        assert_eq!(observed(&before), seen);
    }

    #[test]
    fn an_index_for_summaries_holds_what_a_summary_reads_and_nothing_else() {
        let (docs, vectors): (Vec<Document>, Vec<DocumentVectors>) = (0..6).map(article).unzip();
        let full = Index::from_vectors(docs.clone(), vectors.clone(), 2);
        let sentences = vectors.into_iter().map(|v| v.sentences).collect();
        let summaries = Index::for_summaries(docs, sentences, 2);
        assert!(full.has_passage_vectors());
        assert!(!summaries.has_passage_vectors());
        assert_eq!(full.lexical, summaries.lexical);
        assert_eq!(full.sentences.len(), summaries.sentences.len());
        for i in 0..full.sentences.len() {
            assert_eq!(full.sentence_text(i), summaries.sentence_text(i));
            assert_eq!(full.citation(i), summaries.citation(i));
            assert_eq!(full.sentence_vector(i), summaries.sentence_vector(i));
            assert_eq!(full.sentence_terms(i), summaries.sentence_terms(i));
            assert_eq!(full.paragraph_terms(i), summaries.paragraph_terms(i));
            assert_eq!(full.document_words(i), summaries.document_words(i));
        }
    }

    #[test]
    #[should_panic(expected = "built for summaries")]
    fn an_index_for_summaries_refuses_to_rank() {
        // Its paragraphs have no vectors: ranking must not treat them as zeros.
        let (doc, vectors) = article(1);
        let index = Index::for_summaries(vec![doc], vec![vectors.sentences], 2);
        index.rank("storm power", &[1.0, 0.5], |_| true);
    }

    #[test]
    fn an_empty_index_ranks_nothing() {
        let index = Index::from_vectors(Vec::new(), Vec::new(), 4);
        assert!(index
            .rank("anything at all", &[0.5; 4], |_| true)
            .is_empty());
    }
}
