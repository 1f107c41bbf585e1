//! `footnote summarize`: one summary across the documents or one per document, printed as a
//! cited list or as JSON; a JSONL input is a batch job ([`footnote::batch`]), summarized record
//! by record into JSON lines with a progress bar.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use footnote::summarize::{self, Length, Summary};
use footnote::{batch, document, Engine, EngineSettings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::common::{
    display_paths, exit_code, load_documents, print_disagreements, print_generation, print_json,
    report_skipped, DraftPrinter,
};
use footnote::writer::{WriteOptions, Writer, WriterSettings};

pub fn run(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
    per_document: bool,
    json: bool,
    generate: Option<(WriterSettings, WriteOptions)>,
) -> anyhow::Result<ExitCode> {
    if paths.iter().any(|p| document::is_jsonl(p)) {
        if generate.is_some() {
            bail!("--generate writes summaries of documents, not of JSONL batch jobs");
        }
        return summarize_batch(settings, paths, length);
    }
    let (documents, had_problems) = load_documents(paths)?;
    let mut writer = match &generate {
        Some((writer_settings, _)) => Some(Writer::load(writer_settings)?),
        None => None,
    };
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    let groups: Vec<Vec<usize>> = if per_document {
        (0..index.documents.len()).map(|d| vec![d]).collect()
    } else {
        vec![Vec::new()]
    };
    for group in groups {
        let summary = match (&mut writer, &generate) {
            (Some(writer), Some((_, write))) => {
                let mut draft = DraftPrinter::new(json);
                let summary = engine.summarize_written(
                    writer,
                    &index,
                    &group,
                    length,
                    write,
                    &mut |piece| draft.print(piece),
                )?;
                draft.finish();
                summary
            }
            _ => summarize::summarize(&index, &group, length)?,
        };
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
        let mark = if s.verified { "" } else { " (unverified)" };
        print!("- {} {cites}{mark}", s.text);
        if !s.corroborated_by.is_empty() {
            let also: Vec<String> = s.corroborated_by.iter().map(|c| c.to_string()).collect();
            print!(" (also {})", also.join(" "));
        }
        println!();
    }
    print_disagreements(&summary.disagreements);
    print_generation(summary.mode, &summary.dropped, summary.generation.as_ref());
    println!();
}

/// Summarizes each record of a batch on its own ([`batch::summaries`]): one JSON line out per
/// record, quietly (the progress bar is the report).
fn summarize_batch(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
) -> anyhow::Result<ExitCode> {
    let loaded = batch::load_paths(paths)?;
    report_skipped(&loaded.problems);
    if loaded.records.is_empty() {
        bail!("no readable records in {}", display_paths(paths));
    }
    let engine = Engine::load(settings)?;
    let progress = ProgressBar::new(loaded.records.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failures = 0usize;
    for (id, result) in batch::summaries(&engine, loaded.records, length) {
        write_line(&id, result, &progress, &mut failures)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(exit_code(!loaded.problems.is_empty() || failures > 0))
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
            progress.suspend(|| eprintln!("error: record {id}: {e}"));
        }
    }
    Ok(())
}
