//! Emulation of the PostgreSQL store's retrieval (docs/postgres-design.md §4) on the in-memory
//! index, for the decision gate of issue 18's step 2: does answering from a *candidate set of
//! documents* keep answer quality?
//!
//! The PostgreSQL store will not rank every sentence: three SQL queries pick candidate sentences
//! (top `K_s` by sentence vector, top `K_p` paragraphs by paragraph vector, top `K_t` by text
//! search), and the request is answered from their documents, with corpus-wide statistics. Here
//! the three queries are exact (no HNSW approximation), and the keyword query is BM25 from the
//! index's own lexical statistics, a stand-in for `ts_rank`, over the question's content terms
//! that at most [`KEYWORD_MAX_DF`] of the sentences contain, as in the design. Answering from the
//! candidates is then [`crate::answer::answer_with_vector`] with the candidate documents as the
//! request's documents: [`Index::rank`] ranks within them (reciprocal rank fusion over the kept
//! sentences) while cosines, BM25 counts and idf stay corpus-wide, which is what the design does.
//! `footnote eval qa --retrieval candidates:K` measures it.

use std::collections::HashSet;

use super::Index;
use crate::text::content_terms;
use crate::vector::cosine;

/// The keyword query keeps the question terms that at most this share of the sentences contain
/// (design §4: common terms would match a large share of the table for almost no BM25 weight).
pub const KEYWORD_MAX_DF: f64 = 0.1;

/// How many rows each of the design's three retrieval queries returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CandidateLimits {
    /// Top sentences by cosine with the question (`K_s`).
    pub sentences: usize,
    /// Top paragraphs by cosine with the question (`K_p`).
    pub paragraphs: usize,
    /// Top sentences by keyword score (`K_t`).
    pub keyword: usize,
}

impl CandidateLimits {
    /// The design's proportions: `K_s = K_t = k`, `K_p = k / 2`.
    pub fn from_k(k: usize) -> Self {
        CandidateLimits {
            sentences: k,
            paragraphs: k / 2,
            keyword: k,
        }
    }
}

impl Index {
    /// The documents (positions in [`Index::documents`]) that the design's retrieval queries
    /// would hand a request for this question.
    ///
    /// # Panics
    /// If the index was built for summaries (it has no paragraph vectors).
    pub fn candidate_documents(
        &self,
        query: &str,
        query_vector: &[f32],
        limits: CandidateLimits,
    ) -> HashSet<usize> {
        let n = self.sentences.len();
        let max_df = (KEYWORD_MAX_DF * n as f64).floor() as u32;
        let terms: Vec<String> = content_terms(query)
            .into_iter()
            .filter(|t| self.lexical.sentences_containing(t) <= max_df)
            .collect();
        let keyword = self.lexical.query(&terms);
        let dense = (0..n).map(|i| (i, cosine(query_vector, self.sentence_vector(i))));
        let passages =
            (0..self.passages.len()).map(|p| (p, cosine(query_vector, self.passage_vector(p))));
        // Only sentences holding a kept term match the text search at all.
        let lexical = self.sentences.iter().enumerate().filter_map(|(i, e)| {
            let score = keyword.score(&self.derived[e.doc].sentence_tokens[e.ordinal]);
            (score > 0.0).then_some((i, score))
        });
        let mut documents: HashSet<usize> = HashSet::new();
        documents.extend(top(dense, limits.sentences).map(|i| self.sentences[i].doc));
        documents.extend(top(lexical, limits.keyword).map(|i| self.sentences[i].doc));
        documents.extend(top(passages, limits.paragraphs).map(|p| self.passages[p].doc));
        documents
    }
}

/// The `k` items of highest score, best first; ties in item order.
fn top(scored: impl Iterator<Item = (usize, f32)>, k: usize) -> impl Iterator<Item = usize> {
    let mut scored: Vec<(usize, f32)> = scored.collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().take(k).map(|(i, _)| i)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::doc_vectors::DocumentVectors;
    use crate::document::Document;

    /// Five documents (ten sentences) with made-up three-wide vectors: `[1, document, 0.1 * row]`
    /// (also the corpus of the eval's test that candidates answer as the whole index does).
    pub(crate) fn corpus() -> Index {
        let texts = [
            "The bridge over the Tagus opened in 1966. It was then named after Salazar.",
            "Officials met on Monday.\n\nThey agreed to reopen the bridge in May.",
            "The river floods most winters. Farmers along the Tagus plant late.",
            "Lisbon's tram network is old. Some lines climb steep hills.",
            "A strike closed the port for two days. Ships waited off the coast.",
        ];
        let docs: Vec<Document> = texts
            .iter()
            .enumerate()
            .map(|(d, text)| Document::new(format!("d{d}"), None, text).unwrap())
            .collect();
        let vectors = docs
            .iter()
            .enumerate()
            .map(|(d, doc)| {
                let n = DocumentVectors::texts(doc).len();
                let mut rows = (0..n).map(|i| vec![1.0, d as f32, 0.1 * i as f32]);
                DocumentVectors::take(doc, &mut rows)
            })
            .collect();
        Index::from_vectors(docs, vectors, 3)
    }

    #[test]
    fn each_query_adds_the_documents_of_its_best_rows() {
        let index = corpus();
        let question = "Who closed the port?";
        // Closest to document 4's vectors, while only document 4 holds "port".
        let vector = [1.0, 4.0, 0.0];
        let one = CandidateLimits {
            sentences: 1,
            paragraphs: 0,
            keyword: 0,
        };
        assert_eq!(
            index.candidate_documents(question, &vector, one),
            [4].into()
        );
        // The text search alone: "port" is in 1 sentence of 10 (at most 10%), so it is kept.
        let keyword = CandidateLimits {
            sentences: 0,
            paragraphs: 0,
            keyword: 5,
        };
        assert_eq!(
            index.candidate_documents("What about the port?", &[0.0, 0.0, 1.0], keyword),
            [4].into()
        );
        // "Tagus" is in 2 of 10 sentences (over 10%): no keyword candidates, not every document.
        assert!(index
            .candidate_documents("Where is the Tagus?", &[0.0, 0.0, 1.0], keyword)
            .is_empty());
        let paragraphs = CandidateLimits {
            sentences: 0,
            paragraphs: 1,
            keyword: 0,
        };
        assert_eq!(
            index.candidate_documents(question, &vector, paragraphs),
            [4].into()
        );
    }
}
