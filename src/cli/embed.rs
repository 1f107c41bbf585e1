//! `footnote embed`: reads lines or JSONL `{"text"}` records from a file or stdin and writes
//! JSONL `{"text","embedding"}`; a malformed record is reported and skipped.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use footnote::{Engine, EngineSettings};
use serde::Serialize;

use super::common::exit_code;

pub fn run(settings: &EngineSettings, input: Option<&Path>) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = match input {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| path.display().to_string())?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut texts = Vec::new();
    let mut had_problems = false;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => anyhow::anyhow!("line {}: not UTF-8 text", n + 1),
            _ => anyhow::anyhow!("cannot read input: {e}"),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with('{') {
            #[derive(serde::Deserialize)]
            struct TextRecord {
                text: String,
            }
            match serde_json::from_str::<TextRecord>(&line) {
                Ok(record) => texts.push(record.text),
                Err(e) => {
                    eprintln!("error: line {}: malformed record: {e} (skipped)", n + 1);
                    had_problems = true;
                }
            }
        } else {
            texts.push(line);
        }
    }
    let engine = Engine::load(settings)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = engine.embedder.embed(&refs)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (text, embedding) in texts.iter().zip(vectors) {
        #[derive(Serialize)]
        struct Embedded<'a> {
            text: &'a str,
            embedding: Vec<f32>,
        }
        serde_json::to_writer(&mut out, &Embedded { text, embedding })?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(exit_code(had_problems))
}
