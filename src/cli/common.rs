//! What the commands share: loading documents with each skipped record reported, printing JSON,
//! writing JSON lines, and the exit status that says whether any input was skipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use footnote::claims::Disagreement;
use footnote::document::{self, Document};
use serde::Serialize;

/// Loads documents; reports skipped records on stderr. Returns whether any were skipped.
pub fn load_documents(paths: &[PathBuf]) -> anyhow::Result<(Vec<Document>, bool)> {
    let loaded = document::load_paths(paths)?;
    report_skipped(&loaded.problems);
    if loaded.documents.is_empty() {
        bail!("no readable documents in {}", display_paths(paths));
    }
    Ok((loaded.documents, !loaded.problems.is_empty()))
}

/// Reports each input skipped, one line each, on stderr.
pub fn report_skipped(problems: &[footnote::Error]) {
    for problem in problems {
        eprintln!("error: {problem} (skipped)");
    }
}

pub fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn exit_code(had_problems: bool) -> ExitCode {
    if had_problems {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn write_jsonl(path: &Path, rows: &[impl Serialize]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| path.display().to_string())?,
    );
    for row in rows {
        serde_json::to_writer(&mut out, row)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

/// The "Sources differ:" block: each figure the documents give different values for, with every
/// statement of it and its paragraph. Nothing when they agree.
pub fn print_disagreements(disagreements: &[Disagreement]) {
    if disagreements.is_empty() {
        return;
    }
    println!("Sources differ:");
    for d in disagreements {
        println!("  on \"{}\":", d.about);
        for s in &d.statements {
            println!("    {} {}", s.citation, s.text);
        }
    }
}
