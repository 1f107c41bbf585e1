//! `footnote eval`: runs the public evaluation sets (the measuring is `footnote::eval`), checks
//! grounding and STS-B parity, and prints the typed reports as a table or as JSON. The table says
//! which figures are in-sample (measured on the data their constants were fitted on) and that the
//! grounding audit is 100% by construction.

use std::path::Path;
use std::process::ExitCode;

use footnote::eval::{
    self, ClaimsReport, GroundingAudit, MultidocReport, QaReport, Redundancy, RougeMeans, Split,
    StsReport, SummaryReport,
};
use footnote::{Engine, EngineSettings};
use serde::Serialize;

use super::common::{exit_code, print_json, write_jsonl};
use super::EvalSet;

/// STS-B test Spearman of sentence-transformers with all-MiniLM-L6-v2 (../shared/eval/README.md).
const STS_REFERENCE: f64 = 0.8203;
const STS_TOLERANCE: f64 = 0.001;

/// What one `eval` run measured: the sets it ran, each absent from the JSON when not run.
#[derive(Default, Serialize)]
struct EvalReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    qa: Option<QaReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summaries: Option<Vec<SummaryReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multidoc: Option<Vec<MultidocReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sts: Option<StsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<Vec<ClaimsReport>>,
}

pub fn run(settings: &EngineSettings, set: EvalSet, json: bool) -> anyhow::Result<ExitCode> {
    let engine = Engine::load(settings)?;
    let mut report = EvalReport::default();
    let mut ok = true;
    match set {
        EvalSet::Sts { file, split, limit } => {
            report.sts = Some(eval::sts(&engine, &file, &split, limit)?);
        }
        EvalSet::Qa {
            file,
            limit,
            details,
            features_out,
            retrieval,
            distractors,
        } => {
            if let Some(out) = features_out {
                let rows = eval::qa_features(&engine, &file)?;
                write_jsonl(&out, &rows)?;
            }
            let options = eval::QaOptions {
                limit,
                retrieval,
                distractors,
            };
            let (qa, outcomes) = eval::qa(&engine, &file, &options)?;
            if let Some(out) = details {
                write_jsonl(&out, &outcomes)?;
            }
            ok &= qa.grounding.is_perfect();
            report.qa = Some(qa);
        }
        EvalSet::Summaries { file, limit } => {
            let sums = eval::summaries(&engine, &file, limit)?;
            ok &= sums.iter().all(|s| s.grounding.is_perfect());
            report.summaries = Some(sums);
        }
        EvalSet::Multidoc { file, split, limit } => {
            let reports = eval::multidoc(&engine, &file, split, limit)?;
            ok &= reports.iter().all(|r| r.grounding.is_perfect());
            report.multidoc = Some(reports);
        }
        EvalSet::Claims {
            file,
            split,
            details,
        } => {
            let (claims, outcomes) = eval::claims(&engine, &file, split)?;
            if let Some(out) = details {
                write_jsonl(&out, &outcomes)?;
            }
            report.claims = Some(claims);
        }
        EvalSet::All { dir, quick, check } => {
            ok &= eval_all(settings, &engine, &dir, quick, check, &mut report)?;
        }
    }
    if json {
        // Through a `serde_json::Value`, whose maps sort their keys: every object of this JSON
        // has printed its keys in alphabetical order since it was first written.
        print_json(&serde_json::to_value(&report)?)?;
    } else {
        print_eval_tables(&report);
    }
    Ok(exit_code(!ok))
}

/// STS-B, QA, summaries and, when `dir` holds it, multi-document summaries (both halves) from
/// `dir` into `report`. Returns false when `check` is set and grounding is below 100% or STS-B
/// (with the default model) is off sentence-transformers' figure.
fn eval_all(
    settings: &EngineSettings,
    engine: &Engine,
    dir: &Path,
    quick: bool,
    check: bool,
    report: &mut EvalReport,
) -> anyhow::Result<bool> {
    let mut ok = true;
    let sts = eval::sts(engine, &dir.join("stsb.jsonl"), "test", None)?;
    let qa_options = eval::QaOptions {
        limit: quick.then_some(50),
        ..eval::QaOptions::default()
    };
    let (qa, _) = eval::qa(engine, &dir.join("squad2-dev-sample.jsonl"), &qa_options)?;
    let sums = eval::summaries(
        engine,
        &dir.join("news-summaries.jsonl"),
        quick.then_some(5),
    )?;
    let multidoc_file = dir.join("multidoc-summaries.jsonl");
    let multidoc = if multidoc_file.exists() {
        Some(eval::multidoc(
            engine,
            &multidoc_file,
            Split::All,
            quick.then_some(12),
        )?)
    } else {
        eprintln!(
            "note: {} not found: multi-document summaries not measured",
            multidoc_file.display()
        );
        None
    };
    let grounded = qa.grounding.is_perfect()
        && sums.iter().all(|s| s.grounding.is_perfect())
        && multidoc.iter().flatten().all(|m| m.grounding.is_perfect());
    let sts_ok = (sts.spearman - STS_REFERENCE).abs() <= STS_TOLERANCE;
    if check {
        if !grounded {
            eprintln!("error: grounding audit below 100%");
        }
        if !sts_ok && settings.model == footnote::model::DEFAULT_MODEL {
            eprintln!(
                "error: STS-B Spearman {:.4} differs from sentence-transformers' {STS_REFERENCE} by more than {STS_TOLERANCE}",
                sts.spearman
            );
            ok = false;
        }
        ok &= grounded;
    }
    report.sts = Some(sts);
    report.qa = Some(qa);
    report.summaries = Some(sums);
    report.multidoc = multidoc;
    Ok(ok)
}

/// What the grounding audit measures, printed beside it: footnote copies sentences, so 100% is
/// what it must be, and a lower figure means segmentation changed a sentence or a citation broke.
const GROUNDING_LABEL: &str =
    "[copies are verbatim by construction: a check of segmentation and of the verifier]";

fn print_eval_tables(report: &EvalReport) {
    if let Some(sts) = &report.sts {
        println!("STS-B ({} split, {} pairs)", sts.split, sts.pairs);
        println!(
            "  Spearman                 {:.4}   [sentence-transformers {STS_REFERENCE}]\n",
            sts.spearman
        );
    }
    if let Some(qa) = &report.qa {
        print_qa(qa);
    }
    if let Some(sets) = &report.summaries {
        print_summaries(sets);
    }
    if let Some(multidoc) = &report.multidoc {
        print_multidoc(multidoc);
    }
    if let Some(claims) = &report.claims {
        print_claims(claims);
    }
}

fn print_claims(reports: &[ClaimsReport]) {
    let split = reports.first().map_or("no", |r| r.split.name());
    println!("Claim verification, claims.jsonl ({split} rows; `supported` is the positive class)");
    println!(
        "  {:<20} {:>5} {:>9} {:>6} {:>9} {:>6} {:>5} {:>9}",
        "subset", "rows", "precision", "recall", "bal. acc.", "acc.", "no", "called"
    );
    for r in reports {
        println!(
            "  {:<20} {:>5} {:>9.3} {:>6.3} {:>9.3} {:>6.3} {:>5.3} {:>9}",
            r.subset,
            r.rows,
            r.precision,
            r.recall,
            r.balanced_accuracy,
            r.accuracy,
            r.always_no_accuracy,
            r.called_supported
        );
    }
    println!(
        "  [targets: precision >= 0.90, balanced accuracy >= 0.75; always-no has balanced accuracy 0.5; \"no\" is its accuracy]\n"
    );
}

fn print_qa(qa: &QaReport) {
    println!(
        "QA, SQuAD 2.0 sample ({} questions: {} answerable, {} unanswerable)",
        qa.questions, qa.answerable, qa.unanswerable
    );
    println!(
        "  answer-hit               {:.3}   [peers on squad2-dev-sample: dense top-1 0.655, BM25 0.618]",
        qa.answer_hit
    );
    println!("  answer-hit, 1st sentence {:.3}", qa.first_sentence_hit);
    println!("  citation accuracy        {:.3}", qa.citation_accuracy);
    println!("  abstention precision     {:.3}", qa.abstention_precision);
    println!("  abstention recall        {:.3}", qa.abstention_recall);
    println!(
        "  answer/abstain accuracy  {:.3}   [peers on squad2-dev-sample: best single threshold 0.583]",
        qa.decision_accuracy
    );
    if let Some(c) = &qa.corpus {
        println!(
            "  corpus                   {} documents ({} distractors), {} sentences",
            c.documents, c.distractors, c.sentences
        );
    }
    if let Some(c) = &qa.candidates {
        println!(
            "  {:<24} {:.1} documents, {:.1} sentences per question   [emulated retrieval of docs/postgres-design.md §4]",
            format!("candidates, K={}", c.k),
            c.mean_documents,
            c.mean_sentences
        );
        println!(
            "  candidate recall         {:.3} of the {} exact answers' documents, {:.3} of answerable questions' own contexts",
            c.exact_document_recall, c.exact_answered, c.own_context_recall
        );
        println!("  same answer as exact     {:.3}", c.same_as_exact);
    }
    if qa.in_sample_questions > 0 {
        println!(
            "  in-sample: {} of these {} questions are about articles the ranking and answerability models were fitted on; held-out figures are in EVAL.md",
            qa.in_sample_questions, qa.questions
        );
    }
    println!(
        "  grounding                {}   {GROUNDING_LABEL}\n",
        audit(&qa.grounding)
    );
}

fn print_summaries(sets: &[SummaryReport]) {
    println!("Summaries, ROUGE F1 of 3-sentence summaries (R-1 / R-2 / R-Lsum)");
    println!(
        "  in-sample on news-summaries.jsonl: the summarizer's word-frequency share, concision length and stand-alone factor were chosen on its CNN and XSum sets (EVAL.md)"
    );
    for s in sets {
        // The count is not padded: this line printed it unpadded when it read the count from a
        // `serde_json::Value`, whose `Display` ignores a width, and its output stays as it was.
        println!(
            "  {:<5} ({} articles)  footnote {}   lead-3 {}",
            s.set,
            s.articles,
            rouge(&s.footnote),
            rouge(&s.lead3)
        );
        println!(
            "  grounding                {}   {GROUNDING_LABEL}",
            audit(&s.grounding)
        );
    }
}

fn print_multidoc(reports: &[MultidocReport]) {
    println!(
        "Multi-document summaries, multidoc-summaries.jsonl: ROUGE F1 of {}-word summaries (R-1 / R-2 / R-Lsum)",
        eval::MULTIDOC_WORDS
    );
    let redundancy = |r: &Redundancy| format!("{:.1}% of {}", 100.0 * r.share(), r.pairs);
    for r in reports {
        println!(
            "  {} ({} clusters, {} documents)",
            r.split.name(),
            r.clusters,
            r.documents
        );
        println!(
            "    ROUGE                  footnote {}   lead {}",
            rouge(&r.footnote),
            rouge(&r.lead)
        );
        println!(
            "    redundant pairs        footnote {}, lead {}   [pairs of a summary's sentences with word overlap >= {}]",
            redundancy(&r.redundancy),
            redundancy(&r.lead_redundancy),
            eval::REDUNDANT_OVERLAP
        );
        println!(
            "    words per summary      footnote {:.0}, lead {:.0}",
            r.footnote_words, r.lead_words
        );
        println!(
            "    grounding              {}   {GROUNDING_LABEL}",
            audit(&r.grounding)
        );
    }
    println!(
        "  [peers on all 185 clusters, Python: lead 43.7 / 14.2 / 28.0, LexRank 43.9 / 14.2 / 28.8; fit is for choosing, report is the honest figure]\n"
    );
}

fn rouge(r: &RougeMeans) -> String {
    format!("{:.1} / {:.1} / {:.1}", r.rouge1, r.rouge2, r.rouge_lsum)
}

fn audit(g: &GroundingAudit) -> String {
    let share = |x: usize, y: usize| {
        let (x, y) = (x as f64, y as f64);
        if y == 0.0 {
            100.0
        } else {
            100.0 * x / y
        }
    };
    format!(
        "{:.1}% of {} sentences verbatim in a cited paragraph, {:.1}% of {} citations exist, \
         {:.1}% supported by the verifier",
        share(g.verbatim, g.sentences),
        g.sentences,
        share(g.existing, g.citations),
        g.citations,
        share(g.verified, g.sentences)
    )
}
