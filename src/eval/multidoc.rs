//! Multi-document summaries: `multidoc-summaries.jsonl`, clusters of news articles about one event
//! (Multi-News) with one human-written summary each. footnote summarizes each cluster at a word
//! budget through [`summarize::summarize`], as `footnote summarize --words` does, beside a lead
//! baseline at the same budget; both are scored with ROUGE against the reference and measured
//! for redundancy (pairs of summary sentences that say much the same), and every summary sentence
//! goes through the grounding audit. Figures are given per half of the clusters ([`Split`]):
//! choices are made on `fit`, and `report` is the honest figure.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{read_jsonl, spread, GroundingAudit, RougeMeans, Split};
use crate::claims::word_overlap;
use crate::document::Document;
use crate::error::Result;
use crate::rouge::{self, RougeScores};
use crate::summarize::{self, Length};
use crate::verify;
use crate::Engine;

/// Words in each evaluated summary, as the peers' figures use.
pub const MULTIDOC_WORDS: usize = 250;

/// Two summary sentences whose [`word_overlap`] is at least this say much the same (the
/// summarizer's own bar for repeated words).
pub const REDUNDANT_OVERLAP: f64 = crate::claims::REPEATED_WORDS;

/// A row of `multidoc-summaries.jsonl` (its provenance fields are not read).
#[derive(Deserialize)]
struct Cluster {
    id: String,
    documents: Vec<ClusterDocument>,
    reference: String,
}

#[derive(Deserialize)]
struct ClusterDocument {
    id: String,
    text: String,
}

/// How many pairs of a summary's sentences there are, and how many of them are redundant
/// (their [`word_overlap`] is at least [`REDUNDANT_OVERLAP`]). Summed over summaries, the share is
/// over all their pairs together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Redundancy {
    pub pairs: usize,
    pub redundant: usize,
}

impl Redundancy {
    /// The redundancy of one summary, given its sentences.
    pub fn of<S: AsRef<str>>(sentences: &[S]) -> Self {
        let mut out = Redundancy::default();
        for (i, a) in sentences.iter().enumerate() {
            for b in &sentences[i + 1..] {
                out.pairs += 1;
                let overlap = word_overlap(a.as_ref(), b.as_ref());
                out.redundant += usize::from(overlap >= REDUNDANT_OVERLAP);
            }
        }
        out
    }

    /// The share of pairs that are redundant (0 when there is no pair).
    pub fn share(&self) -> f64 {
        if self.pairs == 0 {
            0.0
        } else {
            self.redundant as f64 / self.pairs as f64
        }
    }

    fn add(&mut self, other: &Redundancy) {
        self.pairs += other.pairs;
        self.redundant += other.redundant;
    }
}

/// The lead baseline: the first sentences of the documents in turn (sentence 1 of each document,
/// then sentence 2 of each, ...), content sentences only, within a budget of `words` words by
/// [`within_budget`].
fn lead<'a>(documents: &[&'a Document], words: usize) -> Vec<&'a str> {
    let per_document: Vec<Vec<&str>> = documents
        .iter()
        .map(|d| {
            d.content()
                .flat_map(|p| p.sentences.iter().map(String::as_str))
                .collect()
        })
        .collect();
    let longest = per_document.iter().map(Vec::len).max().unwrap_or(0);
    let in_turn = (0..longest).flat_map(|k| per_document.iter().filter_map(move |s| s.get(k)));
    within_budget(in_turn.copied(), words)
}

/// The sentences a word budget keeps, in order, by the rule of [`Length::Words`] in
/// [`summarize::summarize`]: the first sentence always, then each sentence that keeps the total
/// within `words` (whitespace-separated words); one that would pass the budget is skipped and the
/// next one tried.
fn within_budget<'a>(sentences: impl Iterator<Item = &'a str>, words: usize) -> Vec<&'a str> {
    let mut kept = Vec::new();
    let mut total = 0;
    for sentence in sentences {
        let n = sentence.split_whitespace().count();
        if !Length::Words(words).fits(kept.len(), total, n) {
            continue;
        }
        total += n;
        kept.push(sentence);
    }
    kept
}

/// Whitespace-separated words in all the sentences, as the budget counts them.
fn words<S: AsRef<str>>(sentences: &[S]) -> usize {
    sentences
        .iter()
        .map(|s| s.as_ref().split_whitespace().count())
        .sum()
}

/// The figures of one half of the clusters.
#[derive(Debug, Clone, Serialize)]
pub struct MultidocReport {
    pub split: Split,
    pub clusters: usize,
    pub documents: usize,
    pub footnote: RougeMeans,
    pub lead: RougeMeans,
    /// footnote's summaries' sentence pairs, and the redundant ones.
    pub redundancy: Redundancy,
    pub lead_redundancy: Redundancy,
    /// Mean words per summary (whitespace-separated), footnote's and the lead's.
    pub footnote_words: f64,
    pub lead_words: f64,
    pub grounding: GroundingAudit,
}

/// What one cluster's summaries scored.
struct ClusterOutcome {
    id: String,
    documents: usize,
    footnote: RougeScores,
    lead: RougeScores,
    redundancy: Redundancy,
    lead_redundancy: Redundancy,
    footnote_words: usize,
    lead_words: usize,
    grounding: GroundingAudit,
}

/// Summarizes each cluster of the `split` half at [`MULTIDOC_WORDS`] words, footnote's way and
/// the lead's, and reports each half (`fit`, `report`, then all clusters when `split` is
/// [`Split::All`]). `limit` takes an even spread of that many clusters of the half. A document's
/// id is its cluster's id and its own (`multinews-…-p1`).
pub fn multidoc(
    engine: &Engine,
    path: &Path,
    split: Split,
    limit: Option<usize>,
) -> Result<Vec<MultidocReport>> {
    let clusters: Vec<Cluster> = read_jsonl::<Cluster>(path)?
        .into_iter()
        .filter(|c| split.holds(&c.id))
        .collect();
    let outcomes = spread(clusters, limit)
        .iter()
        .map(|cluster| summarize_cluster(engine, cluster))
        .collect::<Result<Vec<_>>>()?;
    let halves = match split {
        Split::All => vec![Split::Fit, Split::Report, Split::All],
        half => vec![half],
    };
    Ok(halves
        .into_iter()
        .map(|half| report(half, outcomes.iter().filter(|o| half.holds(&o.id))))
        .collect())
}

fn summarize_cluster(engine: &Engine, cluster: &Cluster) -> Result<ClusterOutcome> {
    let documents = cluster
        .documents
        .iter()
        .map(|d| Document::new(format!("{}-{}", cluster.id, d.id), None, &d.text))
        .collect::<Result<Vec<_>>>()?;
    let index = engine.index(documents)?;
    let summary = summarize::summarize(&index, &[], Length::Words(MULTIDOC_WORDS))?;
    let verifier = verify::Verifier::new(&index, None);
    let mut grounding = GroundingAudit::default();
    for s in &summary.sentences {
        grounding.check(&s.text, &s.citations, &verifier);
    }
    let ours: Vec<&str> = summary.sentences.iter().map(|s| s.text.as_str()).collect();
    let documents: Vec<&Document> = index.documents.iter().map(|d| d.as_ref()).collect();
    let lead = lead(&documents, MULTIDOC_WORDS);
    Ok(ClusterOutcome {
        id: cluster.id.clone(),
        documents: documents.len(),
        footnote: rouge::score(&cluster.reference, &ours.join("\n")),
        lead: rouge::score(&cluster.reference, &lead.join("\n")),
        redundancy: Redundancy::of(&ours),
        lead_redundancy: Redundancy::of(&lead),
        footnote_words: words(&ours),
        lead_words: words(&lead),
        grounding,
    })
}

fn report<'a>(split: Split, outcomes: impl Iterator<Item = &'a ClusterOutcome>) -> MultidocReport {
    let outcomes: Vec<&ClusterOutcome> = outcomes.collect();
    let mut redundancy = Redundancy::default();
    let mut lead_redundancy = Redundancy::default();
    let mut grounding = GroundingAudit::default();
    for o in &outcomes {
        redundancy.add(&o.redundancy);
        lead_redundancy.add(&o.lead_redundancy);
        grounding.add(&o.grounding);
    }
    let scores = |f: fn(&ClusterOutcome) -> RougeScores| -> Vec<RougeScores> {
        outcomes.iter().map(|o| f(o)).collect()
    };
    let mean_words = |f: fn(&ClusterOutcome) -> usize| -> f64 {
        outcomes.iter().map(|o| f(o) as f64).sum::<f64>() / outcomes.len().max(1) as f64
    };
    MultidocReport {
        split,
        clusters: outcomes.len(),
        documents: outcomes.iter().map(|o| o.documents).sum(),
        footnote: RougeMeans::mean(&scores(|o| o.footnote)),
        lead: RougeMeans::mean(&scores(|o| o.lead)),
        redundancy,
        lead_redundancy,
        footnote_words: mean_words(|o| o.footnote_words),
        lead_words: mean_words(|o| o.lead_words),
        grounding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_keeps_the_first_sentence_and_skips_one_that_would_pass_it() {
        let sentences = [
            "one two three four",   // 4 words: kept (4)
            "five six seven eight", // 4: kept (8)
            "nine ten eleven",      // 3: would make 11 > 10, skipped
            "twelve thirteen",      // 2: kept (10)
            "fourteen",             // 1: would make 11, skipped
        ];
        assert_eq!(
            within_budget(sentences.into_iter(), 10),
            vec![sentences[0], sentences[1], sentences[3]]
        );
        // The first sentence is kept even when it alone passes the budget, and then nothing fits.
        assert_eq!(within_budget(sentences.into_iter(), 2), vec![sentences[0]]);
        assert!(within_budget(std::iter::empty(), 10).is_empty());
    }

    #[test]
    fn the_lead_takes_the_documents_first_sentences_in_turn() {
        let a = Document::new(
            "a",
            None,
            "A one is here.  A two is here.\n\nA three is here.",
        )
        .unwrap();
        let b = Document::new("b", None, "B one is here. B two is here.").unwrap();
        let c = Document::new("c", None, "C one is here.").unwrap();
        assert_eq!(
            lead(&[&a, &b, &c], 100),
            [
                "A one is here.",
                "B one is here.",
                "C one is here.",
                "A two is here.",
                "B two is here.",
                "A three is here.",
            ]
        );
        // Four words a sentence: a budget of 10 keeps two.
        assert_eq!(
            lead(&[&a, &b, &c], 10),
            ["A one is here.", "B one is here."]
        );
    }

    #[test]
    fn word_overlap_is_shared_content_terms_over_the_shorter_sentence() {
        // Content terms: {biden, putin, spoke, phone} and {putin, biden, spoke}: all three of the
        // shorter sentence's are shared.
        let a = "Biden and Putin spoke by phone.";
        let b = "Putin and Biden spoke.";
        assert_eq!(word_overlap(a, b), 1.0);
        // {call, last, 50, minut} against {biden, putin, spoke, phone}: none shared.
        assert_eq!(word_overlap("The call lasted 50 minutes.", a), 0.0);
        // Case and inflection do not matter: {troop, border} against {troop, mass, border}.
        assert!(
            (word_overlap("Troops at the border.", "troops massing on the Border") - 1.0).abs()
                < 1e-12
        );
        // {call, last, 50, minut} and {call, serious}: one of two shared.
        assert_eq!(
            word_overlap("The call lasted 50 minutes.", "The call was serious."),
            0.5
        );
        // A sentence of stop words only has no content term.
        assert_eq!(word_overlap("It was.", a), 0.0);
    }

    #[test]
    fn redundancy_counts_pairs_at_or_above_the_threshold() {
        let summary = [
            "Biden and Putin spoke by phone.",
            "Putin and Biden spoke.",
            "The call lasted 50 minutes.",
            "The call was serious.",
        ];
        // Six pairs; only the first two sentences overlap by 0.6 or more (1.0; the two about the
        // call share half).
        let r = Redundancy::of(&summary);
        assert_eq!(
            r,
            Redundancy {
                pairs: 6,
                redundant: 1
            }
        );
        assert!((r.share() - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(Redundancy::of(&summary[..1]), Redundancy::default());
        assert_eq!(Redundancy::default().share(), 0.0);
    }
}
