//! What the commands share: loading documents with each skipped record reported, printing JSON,
//! writing JSON lines, and the exit status that says whether any input was skipped.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use footnote::claims::Disagreement;
use footnote::document::{self, Document};
use footnote::written::{Dropped, GenerationInfo, Mode};
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

/// Prints the model's draft as it is written, when stdout is a terminal and not JSON: the reader
/// sees progress, then the checked result below it.
pub struct DraftPrinter {
    live: bool,
    started: bool,
}

impl DraftPrinter {
    pub fn new(json: bool) -> Self {
        DraftPrinter {
            live: !json && std::io::stdout().is_terminal(),
            started: false,
        }
    }

    /// Prints a piece; always goes on (the command line stops with Ctrl-C).
    pub fn print(&mut self, piece: &str) -> bool {
        if self.live && !piece.is_empty() {
            let mut out = std::io::stdout().lock();
            if !self.started {
                let _ = write!(out, "Draft (not yet checked): ");
                self.started = true;
            }
            let _ = write!(out, "{piece}");
            let _ = out.flush();
        }
        true
    }

    /// Ends the draft's line and says that the checked text follows.
    pub fn finish(self) {
        if self.started {
            println!("\n\nChecked:");
        }
    }
}

/// How the text above was made, and the written sentences that were dropped: nothing for a
/// plain extractive result.
pub fn print_generation(mode: Mode, dropped: &[Dropped], generation: Option<&GenerationInfo>) {
    let Some(g) = generation else { return };
    println!();
    match mode {
        Mode::Generated => println!(
            "Written by {}; every sentence not marked (unverified) was checked against the \
             paragraphs it cites.",
            g.model
        ),
        Mode::Extractive | Mode::Abstained if g.stop == "context_full" => println!(
            "Not written by {}: no source fits its context; copied sentences are shown.",
            g.model
        ),
        Mode::Extractive | Mode::Abstained => println!(
            "Nothing {} wrote was supported by the paragraphs it cited; copied sentences are \
             shown.",
            g.model
        ),
    }
    println!(
        "  {} sources ({} cut to fit), {} prompt tokens, {} written ({}), first token after \
         {:.1} s, {:.1} s in all",
        g.sources,
        g.sources_cut,
        g.prompt_tokens,
        g.tokens,
        g.stop,
        g.first_token_seconds,
        g.seconds
    );
    if !dropped.is_empty() {
        println!("Dropped (not supported by what they cite):");
        for d in dropped {
            let cites: String = d.citations.iter().map(|c| c.to_string()).collect();
            println!(
                "  - {} {cites} [{}: {}]",
                d.text,
                d.verdict,
                d.reasons.join("; ")
            );
        }
    }
}
