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
use crate::index::Index;
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

/// Indexes every distinct context as a one-paragraph document and asks every question through
/// `ask`. `limit` asks an even spread of that many questions (the corpus stays whole).
pub fn qa(
    engine: &Engine,
    path: &Path,
    limit: Option<usize>,
) -> Result<(QaReport, Vec<QaOutcome>)> {
    let items: Vec<QaItem> = read_jsonl(path)?;
    let (documents, context_ids) = squad_corpus(&items)?;
    let index = engine.index(documents)?;
    let items = spread(items, limit);
    let mut outcomes = Vec::with_capacity(items.len());
    let mut grounding = GroundingAudit::default();
    let verifier = verify::Verifier::new(&index, None);
    for item in &items {
        let answer: Answer = engine.ask(&index, &item.question, &AskOptions::default())?;
        for s in &answer.sentences {
            grounding.check(&s.text, &s.citations, &verifier);
        }
        let contains_gold = |text: &str| {
            let text = text.to_lowercase();
            item.answers
                .iter()
                .any(|a| text.contains(&a.to_lowercase()))
        };
        let own = &context_ids[&item.context];
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
    };
    Ok((report, outcomes))
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
