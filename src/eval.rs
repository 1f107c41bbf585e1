//! Measuring footnote on public evaluation sets: STS-B (embedding parity), SQuAD 2.0 (answers,
//! citations, abstention), news summaries (ROUGE against references, beside lead-3), summaries of
//! clusters of articles ([`multidoc()`], beside a lead baseline) and claim
//! verification, with a grounding audit of every sentence produced along the way.
//!
//! Every number here comes from the same code paths users run: `ask` answers the QA questions and
//! `summarize` writes the summaries.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::answer::{self, Answer, AskOptions};
use crate::citation::{check_grounded, Citation};
use crate::document::{read_text, Document};
use crate::error::{Error, Result};
use crate::index::{CandidateLimits, Index};
use crate::rouge::{self, RougeScores};
use crate::summarize::{self, Length};
use crate::vector::cosine;
use crate::verify;
use crate::Engine;

mod multidoc;
pub use multidoc::{multidoc, MultidocReport, Redundancy, MULTIDOC_WORDS, REDUNDANT_OVERLAP};

/// Reads a JSONL file into records; a bad line is an error naming it.
fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = read_text(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| Error::BadRecord {
                path: path.to_path_buf(),
                line: n + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Picks `limit` items spread evenly over `items` (all of them when `limit` is `None`).
fn spread<T>(items: Vec<T>, limit: Option<usize>) -> Vec<T> {
    let n = items.len();
    match limit {
        Some(k) if k < n && k > 0 => items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| (i * k) / n != ((i + 1) * k) / n)
            .map(|(_, x)| x)
            .collect(),
        _ => items,
    }
}

/// Which half of a set to measure: thresholds may be chosen on `fit` only, and figures are
/// reported on `report`. Items go to a half by a stable hash (sha256) of a key that keeps related
/// items together: a claim's group in `claims.jsonl` (the rows of one claim or one evidence
/// sentence never straddle the halves), a cluster's id in `multidoc-summaries.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Fit,
    Report,
    All,
}

impl Split {
    /// The name the command line and the JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Split::Fit => "fit",
            Split::Report => "report",
            Split::All => "all",
        }
    }

    fn holds(self, key: &str) -> bool {
        let is_fit = crate::hash::fingerprint(&[key.as_bytes()])
            .bytes()
            .last()
            .is_some_and(|b| b % 2 == 0);
        match self {
            Split::Fit => is_fit,
            Split::Report => !is_fit,
            Split::All => true,
        }
    }
}

/// Share of output sentences found verbatim in a paragraph they cite, of citations that name an
/// existing paragraph, and of sentences the citation verifier ([`crate::verify`]) calls
/// supported. All must be 1, and are by construction: `ask` and `summarize` copy sentences, so
/// the audit checks that segmentation keeps them verbatim, that citations point at real
/// paragraphs and that the verifier never doubts a copy, not how good the answers are.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GroundingAudit {
    pub sentences: usize,
    pub verbatim: usize,
    pub citations: usize,
    pub existing: usize,
    /// Sentences the citation verifier calls `supported` against the paragraphs they cite.
    pub verified: usize,
}

impl GroundingAudit {
    fn check(&mut self, text: &str, citations: &[Citation], verifier: &verify::Verifier) {
        let index = verifier.index();
        let documents = &index.documents;
        self.sentences += 1;
        if check_grounded(text, citations, documents).is_ok() {
            self.verbatim += 1;
        }
        // The sentence's own vector, as the index holds it: the verifier judges the copy as it
        // would judge any sentence (an empty vector if it is not an index sentence, which only
        // a verbatim copy can then pass).
        let vector = (0..index.sentences.len())
            .find(|&i| {
                index.sentence_text(i) == text && citations.first() == Some(&index.citation(i))
            })
            .map_or(&[][..], |i| index.sentence_vector(i));
        let claim = verify::Claim {
            text: text.to_string(),
            citations: citations.to_vec(),
            malformed: Vec::new(),
        };
        if verifier.verify_claim(claim, vector).verdict == verify::Verdict::Supported {
            self.verified += 1;
        }
        for c in citations {
            self.citations += 1;
            let exists = documents
                .iter()
                .any(|d| d.id == c.doc && d.paragraph(c.paragraph).is_some());
            self.existing += usize::from(exists);
        }
    }

    fn add(&mut self, other: &GroundingAudit) {
        self.sentences += other.sentences;
        self.verbatim += other.verbatim;
        self.citations += other.citations;
        self.existing += other.existing;
        self.verified += other.verified;
    }

    pub fn is_perfect(&self) -> bool {
        self.verbatim == self.sentences
            && self.existing == self.citations
            && self.verified == self.sentences
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

// ---------------------------------------------------------------- STS-B

#[derive(Deserialize)]
struct StsPair {
    s1: String,
    s2: String,
    score: f64,
    split: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StsReport {
    pub split: String,
    pub pairs: usize,
    /// Spearman correlation of cosine similarity with the human scores.
    pub spearman: f64,
}

/// Spearman correlation of the model's cosine similarities with STS-B human scores.
pub fn sts(engine: &Engine, path: &Path, split: &str, limit: Option<usize>) -> Result<StsReport> {
    let pairs: Vec<StsPair> = read_jsonl::<StsPair>(path)?
        .into_iter()
        .filter(|p| p.split == split)
        .collect();
    let pairs = spread(pairs, limit);
    if pairs.len() < 2 {
        return Err(Error::InvalidInput(format!(
            "{}: fewer than 2 pairs in split `{split}`",
            path.display()
        )));
    }
    let texts: Vec<&str> = pairs
        .iter()
        .flat_map(|p| [p.s1.as_str(), p.s2.as_str()])
        .collect();
    let vectors = engine.embedder.embed(&texts)?;
    let predicted: Vec<f64> = vectors
        .chunks(2)
        .map(|v| f64::from(cosine(&v[0], &v[1])))
        .collect();
    let gold: Vec<f64> = pairs.iter().map(|p| p.score).collect();
    Ok(StsReport {
        split: split.to_string(),
        pairs: pairs.len(),
        spearman: spearman(&predicted, &gold),
    })
}

/// Spearman's rank correlation, ties given their average rank (as scipy does).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = average;
        }
        start = end + 1;
    }
    ranks
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va.sqrt() * vb.sqrt())
    }
}

// ---------------------------------------------------------------- QA

#[derive(Deserialize)]
struct QaItem {
    id: String,
    /// The Wikipedia article the question is about.
    title: String,
    context: String,
    question: String,
    answers: Vec<String>,
    answerable: bool,
}

/// One question's outcome, for `--details`.
#[derive(Debug, Clone, Serialize)]
pub struct QaOutcome {
    pub id: String,
    pub question: String,
    pub answerable: bool,
    pub abstained: bool,
    pub hit: bool,
    pub first_sentence_hit: bool,
    pub cited_own_context: bool,
    pub confidence: f32,
    pub answer: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QaReport {
    pub questions: usize,
    pub answerable: usize,
    pub unanswerable: usize,
    /// Answerable questions whose answer sentences contain a gold answer (case-insensitive).
    pub answer_hit: f64,
    /// The same, counting only the first answer sentence (what the peers' top-1 figures measure).
    pub first_sentence_hit: f64,
    /// Answered answerable questions whose first citation is the question's own context.
    pub citation_accuracy: f64,
    pub abstention_precision: f64,
    pub abstention_recall: f64,
    /// Answered when answerable, abstained when not, over all questions.
    pub decision_accuracy: f64,
    pub grounding: GroundingAudit,
    /// Questions about an article the ranking and answerability models were fitted on
    /// ([`answer::fitted_articles`]): for them every figure above but the grounding audit is
    /// in-sample. Not in the JSON, whose fields stay as they were.
    #[serde(skip)]
    pub in_sample_questions: usize,
    /// What was indexed, when it is not the default corpus or retrieval (absent from the JSON
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<QaCorpus>,
    /// How candidate retrieval did, with `--retrieval candidates:K`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<CandidateReport>,
}

/// The corpus the QA questions were asked over.
#[derive(Debug, Clone, Serialize)]
pub struct QaCorpus {
    pub documents: usize,
    /// Documents added from `--distractors` (the rest are the SQuAD contexts).
    pub distractors: usize,
    /// Content sentences, the rows the retrieval ranks.
    pub sentences: usize,
}

/// How answering from candidate documents ([`Index::candidate_documents`]) compares with
/// answering from the whole index, over the same questions.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateReport {
    pub k: usize,
    /// Candidate documents per question, on average.
    pub mean_documents: f64,
    /// Content sentences of the candidate documents per question, on average.
    pub mean_sentences: f64,
    /// Questions the whole index answers (does not abstain on).
    pub exact_answered: usize,
    /// Of those, the share whose first cited document is a candidate.
    pub exact_document_recall: f64,
    /// Answerable questions whose own context is a candidate.
    pub own_context_recall: f64,
    /// Questions answered exactly as the whole index answers them: same abstention, same text.
    pub same_as_exact: f64,
}

/// Where `qa` ranks: over the whole index (`exact`, what `ask` does today), or over the
/// documents the PostgreSQL store's retrieval would fetch (`candidates:K`, emulated by
/// [`Index::candidate_documents`] with [`CandidateLimits::from_k`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Retrieval {
    #[default]
    Exact,
    Candidates(usize),
}

/// `K` of `candidates` alone: the design's (docs/postgres-design.md §2).
const DEFAULT_CANDIDATES_K: usize = 100;

impl std::str::FromStr for Retrieval {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || format!("expected exact, candidates or candidates:K with K >= 1, not {s:?}");
        match s.split_once(':') {
            None if s == "exact" => Ok(Retrieval::Exact),
            None if s == "candidates" => Ok(Retrieval::Candidates(DEFAULT_CANDIDATES_K)),
            Some(("candidates", k)) => match k.parse() {
                Ok(k) if k >= 1 => Ok(Retrieval::Candidates(k)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// What `qa` asks over and how.
#[derive(Debug, Clone, Default)]
pub struct QaOptions {
    /// Ask an even spread of this many questions (the corpus stays whole).
    pub limit: Option<usize>,
    pub retrieval: Retrieval,
    /// Articles in `news-summaries.jsonl`'s form (`id`, `article`) added to the corpus as
    /// distractors, so that a candidate set can be smaller than the corpus.
    pub distractors: Option<std::path::PathBuf>,
}

/// How many of the questions are about an article the support models were fitted on.
fn in_sample_questions(items: &[QaItem]) -> usize {
    items
        .iter()
        .filter(|item| answer::fitted_articles().any(|title| title == item.title))
        .count()
}

/// Every distinct context as a one-paragraph document (`context-001`, ...), with the id of each.
fn squad_corpus(items: &[QaItem]) -> Result<(Vec<Document>, HashMap<String, String>)> {
    let mut context_ids: HashMap<String, String> = HashMap::new();
    let mut documents = Vec::new();
    for item in items {
        if !context_ids.contains_key(&item.context) {
            let id = format!("context-{:03}", context_ids.len() + 1);
            // A context is one paragraph even if it holds line breaks.
            let text = item
                .context
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            documents.push(Document::new(id.clone(), None, &text)?);
            context_ids.insert(item.context.clone(), id);
        }
    }
    Ok((documents, context_ids))
}

/// Indexes every distinct context as a one-paragraph document (and any distractors) and asks
/// every question as `ask` does, from the whole index or from candidate documents
/// ([`QaOptions`]).
pub fn qa(engine: &Engine, path: &Path, options: &QaOptions) -> Result<(QaReport, Vec<QaOutcome>)> {
    let items: Vec<QaItem> = read_jsonl(path)?;
    let (mut documents, context_ids) = squad_corpus(&items)?;
    let mut distractors = 0;
    if let Some(path) = &options.distractors {
        for item in read_jsonl::<SummaryItem>(path)? {
            documents.push(Document::new(
                format!("distractor-{}", item.id),
                None,
                &item.article,
            )?);
            distractors += 1;
        }
    }
    let index = engine.index(documents)?;
    let described = options.distractors.is_some() || options.retrieval != Retrieval::Exact;
    let corpus = described.then_some(QaCorpus {
        documents: index.documents.len(),
        distractors,
        sentences: index.sentences.len(),
    });
    let items = spread(items, options.limit);
    let mut outcomes = Vec::with_capacity(items.len());
    let mut grounding = GroundingAudit::default();
    let verifier = verify::Verifier::new(&index, None);
    let mut tally = CandidateTally::default();
    for item in &items {
        let vector = engine
            .embedder
            .embed(&[item.question.trim()])?
            .pop()
            .unwrap_or_default();
        let exact =
            answer::answer_with_vector(&index, &item.question, &vector, &AskOptions::default())?;
        let own = &context_ids[&item.context];
        let answer = match options.retrieval {
            Retrieval::Exact => exact,
            Retrieval::Candidates(k) => {
                let set =
                    index.candidate_documents(&item.question, &vector, CandidateLimits::from_k(k));
                let ids: Vec<String> = set.iter().map(|&d| index.documents[d].id.clone()).collect();
                let named = AskOptions {
                    documents: Some(ids),
                    ..AskOptions::default()
                };
                let answer = answer::answer_with_vector(&index, &item.question, &vector, &named)?;
                tally.add(
                    &index,
                    &set,
                    &exact,
                    &answer,
                    item.answerable.then_some(own.as_str()),
                );
                answer
            }
        };
        for s in &answer.sentences {
            grounding.check(&s.text, &s.citations, &verifier);
        }
        let contains_gold = |text: &str| {
            let text = text.to_lowercase();
            item.answers
                .iter()
                .any(|a| text.contains(&a.to_lowercase()))
        };
        outcomes.push(QaOutcome {
            id: item.id.clone(),
            question: item.question.clone(),
            answerable: item.answerable,
            abstained: answer.abstained,
            hit: answer.sentences.iter().any(|s| contains_gold(&s.text)),
            first_sentence_hit: answer
                .sentences
                .first()
                .is_some_and(|s| contains_gold(&s.text)),
            cited_own_context: answer
                .sentences
                .first()
                .is_some_and(|s| &s.citations[0].doc == own),
            confidence: answer.confidence,
            answer: answer.answer,
        });
    }
    let count = |f: &dyn Fn(&QaOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let answerable = count(&|o| o.answerable);
    let unanswerable = outcomes.len() - answerable;
    let answered_answerable = count(&|o| o.answerable && !o.abstained);
    let abstained = count(&|o| o.abstained);
    let correct_abstentions = count(&|o| !o.answerable && o.abstained);
    let candidates = match options.retrieval {
        Retrieval::Exact => None,
        Retrieval::Candidates(k) => Some(tally.report(k, outcomes.len(), answerable)),
    };
    let report = QaReport {
        questions: outcomes.len(),
        answerable,
        unanswerable,
        answer_hit: ratio(count(&|o| o.answerable && o.hit), answerable),
        first_sentence_hit: ratio(count(&|o| o.answerable && o.first_sentence_hit), answerable),
        citation_accuracy: ratio(
            count(&|o| o.answerable && !o.abstained && o.cited_own_context),
            answered_answerable,
        ),
        abstention_precision: ratio(correct_abstentions, abstained),
        abstention_recall: ratio(correct_abstentions, unanswerable),
        decision_accuracy: ratio(count(&|o| o.answerable != o.abstained), outcomes.len()),
        grounding,
        in_sample_questions: in_sample_questions(&items),
        corpus,
        candidates,
    };
    Ok((report, outcomes))
}

/// Counts behind a [`CandidateReport`], question by question.
#[derive(Default)]
struct CandidateTally {
    documents: usize,
    sentences: usize,
    exact_answered: usize,
    exact_document_kept: usize,
    own_context_kept: usize,
    same_as_exact: usize,
}

impl CandidateTally {
    /// One question: its candidate documents, its answers from the whole index and from them,
    /// and its own context's id when it is answerable.
    fn add(
        &mut self,
        index: &Index,
        set: &HashSet<usize>,
        exact: &Answer,
        answer: &Answer,
        own: Option<&str>,
    ) {
        let kept = |id: &str| set.iter().any(|&d| index.documents[d].id == id);
        self.documents += set.len();
        self.sentences += index
            .sentences
            .iter()
            .filter(|e| set.contains(&e.doc))
            .count();
        if let Some(first) = exact.sentences.first() {
            self.exact_answered += 1;
            self.exact_document_kept += usize::from(kept(&first.citations[0].doc));
        }
        self.own_context_kept += usize::from(own.is_some_and(kept));
        self.same_as_exact +=
            usize::from(exact.abstained == answer.abstained && exact.answer == answer.answer);
    }

    fn report(&self, k: usize, questions: usize, answerable: usize) -> CandidateReport {
        CandidateReport {
            k,
            mean_documents: ratio(self.documents, questions),
            mean_sentences: ratio(self.sentences, questions),
            exact_answered: self.exact_answered,
            exact_document_recall: ratio(self.exact_document_kept, self.exact_answered),
            own_context_recall: ratio(self.own_context_kept, answerable),
            same_as_exact: ratio(self.same_as_exact, questions),
        }
    }
}

/// One shortlisted candidate of one question, with whether it holds a gold answer: the training
/// data of the support model (`scripts/fit_support_model.py`).
#[derive(Debug, Clone, Serialize)]
pub struct FeatureRow {
    pub id: String,
    /// The article the question is about, for cross-validation by article.
    pub title: String,
    pub question: String,
    /// The shortlisted sentence, verbatim.
    pub sentence: String,
    pub answerable: bool,
    pub contains_gold: bool,
    pub evidence: crate::answer::Evidence,
}

/// The evidence of every shortlisted candidate of every question (the corpus indexed as in [`qa`]).
pub fn qa_features(engine: &Engine, path: &Path) -> Result<Vec<FeatureRow>> {
    let items: Vec<QaItem> = read_jsonl(path)?;
    let (documents, _) = squad_corpus(&items)?;
    let index = engine.index(documents)?;
    let mut rows = Vec::new();
    for item in &items {
        let vector = engine
            .embedder
            .embed(&[&item.question])?
            .pop()
            .unwrap_or_default();
        let candidates = index.rank(&item.question, &vector, |_| true);
        for scored in crate::answer::score_shortlist(&index, &item.question, &candidates) {
            let sentence = index.sentence_text(scored.candidate.sentence);
            let lowercase = sentence.to_lowercase();
            rows.push(FeatureRow {
                id: item.id.clone(),
                title: item.title.clone(),
                question: item.question.clone(),
                sentence: sentence.to_string(),
                answerable: item.answerable,
                contains_gold: item
                    .answers
                    .iter()
                    .any(|a| lowercase.contains(&a.to_lowercase())),
                evidence: scored.evidence,
            });
        }
    }
    Ok(rows)
}

// ---------------------------------------------------------------- summaries

#[derive(Deserialize)]
struct SummaryItem {
    id: String,
    article: String,
    reference: String,
}

/// Mean ROUGE F1 (in points, 0-100) of one system over one set.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct RougeMeans {
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_lsum: f64,
}

impl RougeMeans {
    fn mean(scores: &[RougeScores]) -> Self {
        let n = scores.len().max(1) as f64;
        let avg = |f: &dyn Fn(&RougeScores) -> f64| 100.0 * scores.iter().map(f).sum::<f64>() / n;
        RougeMeans {
            rouge1: avg(&|s| s.rouge1.f1),
            rouge2: avg(&|s| s.rouge2.f1),
            rouge_lsum: avg(&|s| s.rouge_lsum.f1),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SummaryReport {
    /// The id prefix of the set (`cnn`, `xsum`).
    pub set: String,
    pub articles: usize,
    pub footnote: RougeMeans,
    pub lead3: RougeMeans,
    pub grounding: GroundingAudit,
}

/// Sentences in each evaluated summary, as the peers' figures use.
pub const SUMMARY_SENTENCES: usize = 3;

/// ROUGE of 3-sentence summaries, footnote's and lead-3's, per set (id prefix before `-`).
/// `limit` takes an even spread of that many articles from each set.
pub fn summaries(engine: &Engine, path: &Path, limit: Option<usize>) -> Result<Vec<SummaryReport>> {
    let items: Vec<SummaryItem> = read_jsonl(path)?;
    let mut sets: Vec<(String, Vec<SummaryItem>)> = Vec::new();
    for item in items {
        let set = item.id.split('-').next().unwrap_or("").to_string();
        match sets.iter_mut().find(|(s, _)| *s == set) {
            Some((_, v)) => v.push(item),
            None => sets.push((set, vec![item])),
        }
    }
    let mut reports = Vec::new();
    for (set, items) in sets {
        let items = spread(items, limit);
        let (mut ours, mut lead) = (Vec::new(), Vec::new());
        let mut grounding = GroundingAudit::default();
        for item in &items {
            let doc = Document::new(item.id.clone(), None, &item.article)?;
            let lead3: Vec<String> = doc
                .content()
                .flat_map(|p| p.sentences.iter().cloned())
                .take(SUMMARY_SENTENCES)
                .collect();
            let index = engine.index(vec![doc])?;
            let summary = summarize::summarize(&index, &[], Length::Sentences(SUMMARY_SENTENCES))?;
            let mut audit = GroundingAudit::default();
            let verifier = verify::Verifier::new(&index, None);
            for s in &summary.sentences {
                audit.check(&s.text, &s.citations, &verifier);
            }
            grounding.add(&audit);
            let text: Vec<&str> = summary.sentences.iter().map(|s| s.text.as_str()).collect();
            ours.push(rouge::score(&item.reference, &text.join("\n")));
            lead.push(rouge::score(&item.reference, &lead3.join("\n")));
        }
        reports.push(SummaryReport {
            set,
            articles: items.len(),
            footnote: RougeMeans::mean(&ours),
            lead3: RougeMeans::mean(&lead),
            grounding,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Here rather than beside `Index::candidate_documents`: it needs the answer step, which the
    /// index must not depend on (tests/layers.rs).
    #[test]
    fn with_k_above_the_corpus_the_candidates_answer_as_the_whole_index_does() {
        let index = crate::index::candidates::tests::corpus();
        let (question, vector) = ("When did the bridge over the Tagus open?", [1.0, 0.2, 0.5]);
        let limits = CandidateLimits::from_k(2 * index.sentences.len());
        let candidates = index.candidate_documents(question, &vector, limits);
        assert_eq!(candidates.len(), index.documents.len());
        let named = AskOptions {
            documents: Some(
                candidates
                    .iter()
                    .map(|&d| index.documents[d].id.clone())
                    .collect(),
            ),
            ..AskOptions::default()
        };
        let exact =
            answer::answer_with_vector(&index, question, &vector, &AskOptions::default()).unwrap();
        assert!(!exact.abstained, "{exact:?}");
        let from_candidates =
            answer::answer_with_vector(&index, question, &vector, &named).unwrap();
        assert_eq!(from_candidates, exact);
        // A small K does leave documents out of this corpus.
        let few = index.candidate_documents(question, &vector, CandidateLimits::from_k(1));
        assert!(few.len() < index.documents.len());
    }

    #[test]
    fn the_claims_halves_split_groups_and_the_measures_count_supported_as_positive() {
        let groups: Vec<String> = (0..200).map(|i| format!("g{i}")).collect();
        let fit = groups.iter().filter(|g| Split::Fit.holds(g)).count();
        let report = groups.iter().filter(|g| Split::Report.holds(g)).count();
        assert_eq!(fit + report, 200);
        assert!((60..140).contains(&fit), "{fit}");
        // 1 true positive, 1 false positive, 2 true negatives, 1 false negative.
        let outcomes = [
            ("s", true, true),
            ("s", false, true),
            ("s", false, false),
            ("s", false, false),
            ("s", true, false),
        ];
        let r = claims_report("s", Split::All, outcomes.iter());
        assert_eq!((r.rows, r.positives, r.called_supported), (5, 2, 2));
        assert_eq!((r.precision, r.recall), (0.5, 0.5));
        assert!((r.balanced_accuracy - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-12);
        assert_eq!(r.always_no_accuracy, 0.6);
    }

    #[test]
    fn spearman_matches_scipy_on_ties() {
        // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((r - 0.948_683_298_050_513_8).abs() < 1e-12, "{r}");
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn retrieval_is_exact_or_candidates_with_a_positive_k() {
        let parse = |s: &str| s.parse::<Retrieval>();
        assert_eq!(parse("exact"), Ok(Retrieval::Exact));
        assert_eq!(parse("candidates"), Ok(Retrieval::Candidates(100)));
        assert_eq!(parse("candidates:50"), Ok(Retrieval::Candidates(50)));
        for bad in [
            "candidates:0",
            "candidates:",
            "exact:5",
            "hnsw",
            "candidates:x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spread_takes_an_even_sample() {
        let picked = spread((0..10).collect(), Some(5));
        assert_eq!(picked.len(), 5);
        assert_eq!(spread((0..3).collect::<Vec<i32>>(), Some(10)).len(), 3);
    }

    #[test]
    fn only_questions_about_the_fitted_articles_are_in_sample() {
        let item = |title: &str| QaItem {
            id: String::new(),
            title: title.into(),
            context: String::new(),
            question: String::new(),
            answers: Vec::new(),
            answerable: true,
        };
        let items = [
            item("Normans"),
            item("Beyoncé"),
            item("Spectre_(2015_film)"),
        ];
        assert_eq!(in_sample_questions(&items), 2);
        assert_eq!(in_sample_questions(&items[1..2]), 0);
    }
}

/// A row of `claims.jsonl`: a claim, one evidence sentence with its page title, and whether the
/// evidence supports the claim (`SUPPORTS`) or not (`REFUTES`, `NOT ENOUGH INFO`).
#[derive(Deserialize)]
struct ClaimRow {
    id: String,
    subset: String,
    claim: String,
    evidence: String,
    evidence_title: Option<String>,
    label: String,
    group: String,
}

/// The verifier on one subset of `claims.jsonl`: `supported` as the positive class.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimsReport {
    pub subset: String,
    pub split: Split,
    pub rows: usize,
    /// Rows labelled SUPPORTS.
    pub positives: usize,
    /// Rows the verifier called supported.
    pub called_supported: usize,
    pub precision: f64,
    pub recall: f64,
    pub balanced_accuracy: f64,
    pub accuracy: f64,
    /// Accuracy of always saying "not supported" (its balanced accuracy is 0.5).
    pub always_no_accuracy: f64,
}

/// One claim's outcome, for `--details`.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimOutcome {
    pub id: String,
    pub subset: String,
    pub label: String,
    pub claim: String,
    pub verdict: verify::Verdict,
    pub reasons: Vec<String>,
}

/// Verifies each claim of a half of `claims.jsonl` against its evidence: every row's evidence
/// (with its title) is a document of one index, and the claim cites its own row's ¶1 and is
/// judged against it alone. The figures per subset, then over all rows, and each row's outcome.
pub fn claims(
    engine: &Engine,
    path: &Path,
    split: Split,
) -> Result<(Vec<ClaimsReport>, Vec<ClaimOutcome>)> {
    let rows: Vec<ClaimRow> = read_jsonl::<ClaimRow>(path)?
        .into_iter()
        .filter(|r| split.holds(&r.group))
        .collect();
    let documents = rows
        .iter()
        .map(|r| Document::new(r.id.clone(), r.evidence_title.clone(), &r.evidence))
        .collect::<Result<Vec<_>>>()?;
    let embedder = &engine.embedder;
    let per_doc = engine.embed_documents(&documents.iter().collect::<Vec<_>>())?;
    let claim_texts: Vec<&str> = rows.iter().map(|r| r.claim.as_str()).collect();
    let claim_vectors = embedder.embed(&claim_texts)?;
    let mut outcomes: Vec<(&str, bool, bool)> = Vec::with_capacity(rows.len());
    let mut details = Vec::with_capacity(rows.len());
    // One index of every row's evidence, as a user's corpus is one index: the rarity of a word
    // (IDF) is read from all the evidence texts, never from the labels. Each claim is judged
    // against its own row's evidence only.
    let index = Index::from_vectors(documents, per_doc, embedder.dim());
    for (d, (row, claim_vector)) in rows.iter().zip(&claim_vectors).enumerate() {
        let claim = verify::Claim {
            text: row.claim.clone(),
            citations: vec![Citation {
                doc: row.id.clone(),
                paragraph: 1,
            }],
            malformed: Vec::new(),
        };
        let only = HashSet::from([d]);
        let report = verify::Verifier::new(&index, Some(&only)).verify_claim(claim, claim_vector);
        let called = report.verdict == verify::Verdict::Supported;
        outcomes.push((&row.subset, row.label == "SUPPORTS", called));
        details.push(ClaimOutcome {
            id: row.id.clone(),
            subset: row.subset.clone(),
            label: row.label.clone(),
            claim: row.claim.clone(),
            verdict: report.verdict,
            reasons: report.reasons,
        });
    }
    let mut subsets: Vec<&str> = outcomes.iter().map(|o| o.0).collect();
    subsets.sort_unstable();
    subsets.dedup();
    let mut reports: Vec<ClaimsReport> = subsets
        .iter()
        .map(|&s| claims_report(s, split, outcomes.iter().filter(|o| o.0 == s)))
        .collect();
    reports.push(claims_report("all", split, outcomes.iter()));
    Ok((reports, details))
}

fn claims_report<'a>(
    subset: &str,
    split: Split,
    outcomes: impl Iterator<Item = &'a (&'a str, bool, bool)>,
) -> ClaimsReport {
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for &(_, positive, called) in outcomes {
        match (positive, called) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let rows = tp + fp + tn + fn_;
    let recall = ratio(tp, tp + fn_);
    ClaimsReport {
        subset: subset.to_string(),
        split,
        rows,
        positives: tp + fn_,
        called_supported: tp + fp,
        precision: ratio(tp, tp + fp),
        recall,
        balanced_accuracy: (recall + ratio(tn, tn + fp)) / 2.0,
        accuracy: ratio(tp + tn, rows),
        always_no_accuracy: ratio(fp + tn, rows),
    }
}
