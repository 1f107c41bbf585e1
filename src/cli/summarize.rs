//! `footnote summarize`: one summary across the documents or one per document, printed as a
//! cited list or as JSON; a JSONL input is a batch job, summarized record by record into JSON
//! lines with a progress bar.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use footnote::document::{self, Document};
use footnote::index::Index;
use footnote::summarize::{self, Length, Summary};
use footnote::{Engine, EngineSettings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::common::{exit_code, load_documents, print_json};

pub fn run(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
    per_document: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if paths.iter().any(|p| document::is_jsonl(p)) {
        return summarize_batch(settings, paths, length);
    }
    let (documents, had_problems) = load_documents(paths)?;
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    let groups: Vec<Vec<usize>> = if per_document {
        (0..index.documents.len()).map(|d| vec![d]).collect()
    } else {
        vec![Vec::new()]
    };
    for group in groups {
        let summary = summarize::summarize(&index, &group, length)?;
        if json {
            print_json(&summary)?;
        } else {
            print_summary(&summary);
        }
    }
    Ok(exit_code(had_problems))
}

fn print_summary(summary: &Summary) {
    println!("Summary of {}:", summary.documents.join(", "));
    for s in &summary.sentences {
        let cites: String = s.citations.iter().map(|c| c.to_string()).collect();
        print!("- {} {cites}", s.text);
        if !s.corroborated_by.is_empty() {
            let also: Vec<String> = s.corroborated_by.iter().map(|c| c.to_string()).collect();
            print!(" (also {})", also.join(" "));
        }
        println!();
    }
    println!();
}

/// Records embedded together: enough to fill the model's batches across short articles, few
/// enough that the first lines come out early and memory stays flat.
const BATCH_DOCUMENTS: usize = 32;

/// Summarizes each record of JSONL inputs on its own: one JSON line out per record. Records are
/// embedded [`BATCH_DOCUMENTS`] at a time in shared forward passes, sentences only and without
/// the cache (a summary reads no paragraph vectors: see [`Index::for_summaries`]), quietly (the
/// progress bar is the report).
fn summarize_batch(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
) -> anyhow::Result<ExitCode> {
    let (documents, had_problems) = load_documents(paths)?;
    let engine = Engine::load(settings)?;
    let progress = ProgressBar::new(documents.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} documents, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failures = 0usize;
    let mut documents = documents.into_iter().peekable();
    while documents.peek().is_some() {
        let chunk: Vec<Document> = documents.by_ref().take(BATCH_DOCUMENTS).collect();
        let refs: Vec<&Document> = chunk.iter().collect();
        let vectors = match engine.embed_sentences(&refs) {
            Ok(vectors) => vectors,
            Err(e) => {
                failures += chunk.len();
                progress.suspend(|| eprintln!("error: documents {}: {e}", ids(&chunk)));
                progress.inc(chunk.len() as u64);
                continue;
            }
        };
        for (doc, vectors) in chunk.into_iter().zip(vectors) {
            let id = doc.id.clone();
            let index = Index::for_summaries(vec![doc], vec![vectors], engine.embedder.dim());
            let result = summarize::summarize(&index, &[], length);
            write_line(&id, result, &progress, &mut failures)?;
            progress.inc(1);
        }
    }
    progress.finish_and_clear();
    Ok(exit_code(had_problems || failures > 0))
}

/// The ids of documents, for an error message.
fn ids(documents: &[Document]) -> String {
    let ids: Vec<&str> = documents.iter().map(|d| d.id.as_str()).collect();
    ids.join(", ")
}

/// Prints one record's summary as a JSON line, or its error on stderr.
fn write_line(
    id: &str,
    result: footnote::Result<Summary>,
    progress: &ProgressBar,
    failures: &mut usize,
) -> anyhow::Result<()> {
    match result {
        Ok(summary) => {
            #[derive(Serialize)]
            struct Line<'a> {
                id: &'a str,
                #[serde(flatten)]
                summary: &'a Summary,
            }
            let line = serde_json::to_string(&Line {
                id,
                summary: &summary,
            })?;
            progress.suspend(|| writeln!(std::io::stdout().lock(), "{line}"))?;
        }
        Err(e) => {
            *failures += 1;
            progress.suspend(|| eprintln!("error: document {id}: {e}"));
        }
    }
    Ok(())
}
