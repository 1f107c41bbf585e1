//! `footnote verify`: checks the citations of a text (files or stdin) against the corpus and
//! prints each sentence's verdict with its reasons and suggestions, or the report as JSON. The
//! exit status is 0 when every claim is supported, 1 when any is not, 2 on bad input.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use footnote::verify::{check_text, Report, Verdict};
use footnote::{Engine, EngineSettings};

use super::common::{load_documents, print_json};

/// The exit status of bad input (an empty or unreadable text, an unusable corpus).
const BAD_INPUT: u8 = 2;

pub fn run(
    settings: &EngineSettings,
    files: &[PathBuf],
    corpus: &[PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let report = match read_and_verify(settings, files, corpus) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err:#}");
            return Ok(ExitCode::from(BAD_INPUT));
        }
    };
    if json {
        print_json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(if report.all_supported() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_and_verify(
    settings: &EngineSettings,
    files: &[PathBuf],
    corpus: &[PathBuf],
) -> anyhow::Result<Report> {
    let text = read_input(files)?;
    // Refuse a bad text before the model is loaded and the corpus embedded.
    check_text(&text)?;
    let (documents, _) = load_documents(corpus)?;
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    Ok(engine.verify(&index, &text)?)
}

/// The files' texts joined by blank lines, or stdin when no file is given.
fn read_input(files: &[PathBuf]) -> anyhow::Result<String> {
    if files.is_empty() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("stdin is not UTF-8 text")?;
        return Ok(text);
    }
    let texts = files
        .iter()
        .map(|path| footnote::document::read_text(path))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(texts.join("\n\n"))
}

fn print_report(report: &Report) {
    for s in &report.sentences {
        let mark = match s.verdict {
            Verdict::Supported => "supported",
            Verdict::Unsupported => "UNSUPPORTED",
            Verdict::Uncited => "UNCITED",
            Verdict::InvalidCitation => "INVALID CITATION",
        };
        let cites: String = s.citations.iter().map(|c| format!(" {c}")).collect();
        println!("[{mark}] {}{cites}", s.text);
        for reason in s.reasons.iter().filter(|r| r.as_str() != "verbatim") {
            println!("    - {reason}");
        }
        if !s.suggestions.is_empty() {
            let list: Vec<String> = s
                .suggestions
                .iter()
                .map(|g| format!("[{} ¶{}] ({:.2})", g.doc, g.paragraph, g.score))
                .collect();
            println!("    suggested: {}", list.join(", "));
        }
    }
    println!(
        "\n{} of {} claims supported; {} lines skipped (headings, questions, source lists).",
        report.supported, report.claims, report.skipped
    );
}
