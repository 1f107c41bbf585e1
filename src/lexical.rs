//! BM25 over the corpus's sentences, with corpus statistics that follow documents in and out.
//!
//! The `bm25` crate's `Scorer` bakes the average sentence length into every sentence's stored
//! weights, so a corpus that gains one sentence would have to re-embed all of them to stay exact.
//! Here a sentence keeps only what depends on it alone (its hashed token counts and length) and
//! the corpus keeps integer counts (sentences, terms, sentences per token), which adding or
//! removing a document changes exactly. Weights are computed when a question is scored, with the
//! crate's formulas, token hashes and float operations in the crate's order, so scores are
//! bit-for-bit the crate's over the same sentences (see the tests), however the corpus got there.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use bm25::TokenEmbedder;
use rustc_hash::FxHashMap;

/// BM25's term-frequency saturation (the crate's default).
const K1: f32 = 1.2;
/// BM25's length normalisation (the crate's default).
const B: f32 = 0.75;

/// The crate's token id: a 32-bit hash of the term. Distinct terms that collide count as one, as
/// they do in the crate (4 pairs among the 10,280 terms of the 391 news articles in
/// `shared/eval`, which is why [`Statistics::idf`] counts terms, not tokens).
pub fn token(term: &str) -> u32 {
    <u32 as TokenEmbedder>::embed(term)
}

/// Inverse document frequency in BM25's form, for a term `df` of `n` sentences contain: high for a
/// term few contain, highest for a term none contains.
fn idf(n: usize, df: u32) -> f32 {
    let numerator = n as f32 - df as f32 + 0.5;
    let denominator = df as f32 + 0.5;
    (1.0 + numerator / denominator).ln()
}

/// What BM25 needs of one sentence: its length in terms and how often each token occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceTokens {
    length: u32,
    /// Token and its count, each token once, in order of first occurrence.
    counts: Vec<(u32, u32)>,
}

impl SentenceTokens {
    /// From the sentence's content terms (see [`crate::text::content_terms`]).
    pub fn new(terms: &[String]) -> Self {
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for t in terms.iter().map(|t| token(t)) {
            match counts.iter_mut().find(|(token, _)| *token == t) {
                Some((_, n)) => *n += 1,
                None => counts.push((t, 1)),
            }
        }
        SentenceTokens {
            length: terms.len() as u32,
            counts,
        }
    }

    fn count(&self, token: u32) -> Option<u32> {
        self.counts
            .iter()
            .find(|(t, _)| *t == token)
            .map(|&(_, n)| n)
    }
}

/// A sentence as [`Statistics`] counts it: its content terms and its tokens.
pub type Counted<'a> = (&'a [String], &'a SentenceTokens);

/// Corpus statistics of the sentences: integer counts only, so that adding then removing a
/// document leaves them exactly as they were.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    sentences: usize,
    terms: u64,
    /// Number of sentences each token occurs in (BM25's document frequencies); tokens in no
    /// sentence are absent.
    sentences_with_token: HashMap<u32, u32>,
    /// Number of sentences each content term occurs in ([`Statistics::idf`]); likewise. Shared:
    /// a replica's views of a database read one map of the counts it has read (see
    /// [`Statistics::from_counts`]).
    sentences_with_term: Arc<FxHashMap<String, u32>>,
}

impl Statistics {
    /// Statistics counted elsewhere (a database's running counts, see
    /// [`crate::store::postgres`]): `sentences` and `terms` of the whole corpus, and the
    /// sentences per token and per term for whichever tokens and terms the reader will ask about
    /// (any other counts as in no sentence; counts of other terms may be there too).
    pub fn from_counts(
        sentences: usize,
        terms: u64,
        sentences_with_token: HashMap<u32, u32>,
        sentences_with_term: Arc<FxHashMap<String, u32>>,
    ) -> Self {
        Statistics {
            sentences,
            terms,
            sentences_with_token,
            sentences_with_term,
        }
    }

    pub fn add<'a>(&mut self, sentences: impl IntoIterator<Item = Counted<'a>>) {
        for (terms, tokens) in sentences {
            self.sentences += 1;
            self.terms += u64::from(tokens.length);
            for &(token, _) in &tokens.counts {
                *self.sentences_with_token.entry(token).or_default() += 1;
            }
            let with_term = Arc::make_mut(&mut self.sentences_with_term);
            for term in distinct(terms) {
                match with_term.get_mut(term) {
                    Some(n) => *n += 1,
                    None => {
                        with_term.insert(term.clone(), 1);
                    }
                }
            }
        }
    }

    /// Removes sentences [`Statistics::add`]ed before.
    pub fn remove<'a>(&mut self, sentences: impl IntoIterator<Item = Counted<'a>>) {
        for (terms, tokens) in sentences {
            self.sentences -= 1;
            self.terms -= u64::from(tokens.length);
            for &(token, _) in &tokens.counts {
                decrement(&mut self.sentences_with_token, &token);
            }
            let with_term = Arc::make_mut(&mut self.sentences_with_term);
            for term in distinct(terms) {
                decrement(with_term, term.as_str());
            }
        }
    }

    /// Average sentence length, as the crate fits it to a corpus. It is 0 only when no sentence
    /// has a term (the crate then falls back to a default), and then no weight is ever computed:
    /// no sentence has a token to match.
    fn avgdl(&self) -> f32 {
        (self.terms as f64 / self.sentences.max(1) as f64) as f32
    }

    /// Inverse document frequency of a content term over the sentences.
    pub fn idf(&self, term: &str) -> f32 {
        idf(self.sentences, self.sentences_containing(term))
    }

    /// How many sentences contain a content term.
    pub fn sentences_containing(&self, term: &str) -> u32 {
        self.sentences_with_term.get(term).copied().unwrap_or(0)
    }

    /// A query's tokens, each occurrence (the crate counts a repeated query term again), with
    /// the inverse document frequency of each in this corpus.
    pub fn query(&self, query_terms: &[String]) -> Query {
        let tokens = query_terms
            .iter()
            .map(|t| {
                let token = token(t);
                let df = self.sentences_with_token.get(&token).copied().unwrap_or(0);
                (token, idf(self.sentences, df))
            })
            .collect();
        Query {
            tokens,
            avgdl: self.avgdl(),
        }
    }
}

fn distinct(terms: &[String]) -> HashSet<&String> {
    terms.iter().collect()
}

/// Counts one sentence fewer for `key`, forgetting a key no sentence has any more.
fn decrement<K, Q, S>(counts: &mut HashMap<K, u32, S>, key: &Q)
where
    K: Borrow<Q> + Eq + Hash,
    Q: Eq + Hash + ?Sized,
    S: BuildHasher,
{
    if let Some(n) = counts.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(key);
        }
    }
}

/// A query prepared against one state of the corpus.
pub struct Query {
    tokens: Vec<(u32, f32)>,
    avgdl: f32,
}

impl Query {
    /// BM25 score of a sentence (0 when it shares no token with the query).
    pub fn score(&self, sentence: &SentenceTokens) -> f32 {
        let mut score = 0f32;
        for &(token, idf) in &self.tokens {
            // A token the sentence lacks adds idf * 0.0 in the crate: nothing.
            if let Some(count) = sentence.count(token) {
                score += idf * self.weight(count, sentence.length);
            }
        }
        score
    }

    /// The crate's document-side weight of a token occurring `count` times in `length` terms.
    fn weight(&self, count: u32, length: u32) -> f32 {
        let tf = count as f32;
        let numerator = tf * (K1 + 1.0);
        let denominator = tf + K1 * (1.0 - B + B * (length as f32 / self.avgdl));
        numerator / denominator
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::content_terms;
    use bm25::{EmbedderBuilder, Language, Scorer};

    const SENTENCES: [&str; 6] = [
        "President Bush will invoke the lessons of Vietnam to argue against pulling out of Iraq.",
        "The war in Iraq has cost more than 3,000 American lives, officials said on Tuesday.",
        "Bush spoke in Kansas City, Missouri, to veterans of foreign wars.",
        "Critics said the comparison with Vietnam was misleading; Vietnam was different.",
        "The the the and of",
        "Officials in Baghdad said the report would be delivered in September.",
    ];

    /// Scores from the `bm25` crate's own embedder and scorer, fitted to `sentences`.
    fn crate_scores(sentences: &[&str], query: &str) -> Vec<f32> {
        let terms: Vec<Vec<String>> = sentences.iter().map(|s| content_terms(s)).collect();
        let total: u64 = terms.iter().map(|t| t.len() as u64).sum();
        let avgdl = (total as f64 / sentences.len().max(1) as f64) as f32;
        let embedder: bm25::Embedder<u32> = EmbedderBuilder::with_avgdl(avgdl)
            .language_mode(Language::English)
            .build();
        let mut scorer = Scorer::new();
        for (i, s) in sentences.iter().enumerate() {
            scorer.upsert(&i, embedder.embed(s));
        }
        let query = embedder.embed(query);
        (0..sentences.len())
            .map(|i| scorer.score(&i, &query).unwrap_or(0.0))
            .collect()
    }

    fn our_scores(stats: &Statistics, sentences: &[&str], query: &str) -> Vec<f32> {
        let query = stats.query(&content_terms(query));
        sentences
            .iter()
            .map(|s| query.score(&SentenceTokens::new(&content_terms(s))))
            .collect()
    }

    fn counted(sentences: &[&str]) -> Vec<(Vec<String>, SentenceTokens)> {
        sentences
            .iter()
            .map(|s| {
                let terms = content_terms(s);
                let tokens = SentenceTokens::new(&terms);
                (terms, tokens)
            })
            .collect()
    }

    fn as_counted(
        sentences: &[(Vec<String>, SentenceTokens)],
    ) -> impl Iterator<Item = Counted<'_>> {
        sentences
            .iter()
            .map(|(terms, tokens)| (terms.as_slice(), tokens))
    }

    fn statistics(sentences: &[&str]) -> Statistics {
        let mut stats = Statistics::default();
        stats.add(as_counted(&counted(sentences)));
        stats
    }

    #[test]
    fn scores_are_bit_for_bit_the_bm25_crates() {
        for query in [
            "What did Bush say about Vietnam and Iraq?",
            "Vietnam Vietnam",
            "Kansas City veterans",
            "nothing matches zebra",
            "the",
        ] {
            let ours = our_scores(&statistics(&SENTENCES), &SENTENCES, query);
            let theirs = crate_scores(&SENTENCES, query);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&ours), bits(&theirs), "query {query:?}");
        }
    }

    #[test]
    fn statistics_after_a_removal_equal_statistics_built_without() {
        let sentences = counted(&SENTENCES);
        let mut stats = Statistics::default();
        stats.add(as_counted(&sentences));
        stats.remove(as_counted(&sentences[1..3]));
        let mut rest = Statistics::default();
        rest.add(as_counted(&sentences[..1]).chain(as_counted(&sentences[3..])));
        assert_eq!(stats, rest);
    }
}
