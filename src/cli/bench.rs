//! `footnote bench`: times the embedding hot path over the corpus's sentences on each device and
//! batch size, or with `--generate` the writing model (the timing itself is `footnote::bench`),
//! and prints a table, the ratio of two devices, or JSON lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use footnote::llm::{self, Generator};
use footnote::writer::WriterSettings;
use footnote::{Engine, EngineSettings};

use super::common::{display_paths, load_documents};

pub fn run(
    settings: &EngineSettings,
    devices: &[String],
    batch_sizes: &[usize],
    corpus: &[PathBuf],
    rounds: usize,
    sentences_out: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if batch_sizes.contains(&0) {
        bail!("batch sizes must be at least 1");
    }
    let (documents, _) = load_documents(corpus)?;
    let texts: Vec<&str> = documents
        .iter()
        .flat_map(|d| {
            d.content()
                .flat_map(|p| p.sentences.iter().map(String::as_str))
        })
        .collect();
    if texts.is_empty() {
        bail!("no sentences to time in {}", display_paths(corpus));
    }
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if let Some(path) = sentences_out {
        // One sentence per line: a sentence never holds a newline worth keeping for timing.
        let lines: Vec<String> = texts.iter().map(|t| t.replace('\n', " ")).collect();
        std::fs::write(path, lines.join("\n") + "\n")
            .with_context(|| path.display().to_string())?;
    }
    let mut all = Vec::new();
    for device in devices {
        let started = std::time::Instant::now();
        let engine = Engine::load(&EngineSettings {
            device: device.clone(),
            ..settings.clone()
        })?;
        let results = footnote::bench::run(
            &engine.embedder,
            device,
            started.elapsed(),
            &texts,
            batch_sizes,
            rounds,
        )?;
        all.extend(results);
    }
    if json {
        for r in &all {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(first) = all.first() {
        println!(
            "model {}, {} sentences ({} tokens), {} threads, {} timed rounds",
            first.model, first.sentences, first.tokens, first.threads, rounds
        );
    }
    println!(
        "{:<8} {:<14} {:>6} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "device",
        "encoder",
        "batch",
        "tokens/s",
        "sentences/s",
        "p50 ms",
        "p99 ms",
        "load ms",
        "peak MB"
    );
    for r in &all {
        println!(
            "{:<8} {:<14} {:>6} {:>12.0} {:>12.1} {:>9.2} {:>9.2} {:>9.0} {:>9.0}",
            r.device,
            r.encoder,
            r.batch_size,
            r.tokens_per_second,
            r.sentences_per_second,
            r.p50_ms,
            r.p99_ms,
            r.load_ms,
            r.peak_rss_mb
        );
    }
    if let [first, second, ..] = devices {
        for &b in batch_sizes {
            let speed = |d: &str| {
                all.iter()
                    .find(|r| r.device == d && r.batch_size == b)
                    .map(|r| r.tokens_per_second)
            };
            if let (Some(a), Some(c)) = (speed(first), speed(second)) {
                println!("batch {b}: {second} is {:.1}x {first}", c / a);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The lengths `footnote bench --generate` times.
pub struct Lengths {
    pub prompt_tokens: usize,
    pub decode_tokens: usize,
    pub rounds: usize,
}

/// Times the writing model on each device; prints a table (with the ratio of two devices) or
/// one JSON object per device.
pub fn run_generation(
    settings: &WriterSettings,
    devices: &[String],
    lengths: Lengths,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if lengths.prompt_tokens == 0 || lengths.decode_tokens == 0 || lengths.rounds == 0 {
        bail!("--prompt-tokens, --decode-tokens and --rounds must be at least 1");
    }
    let files = llm::resolve(&settings.llm, &settings.models_dir)?;
    let mut all = Vec::new();
    for device in devices {
        let started = std::time::Instant::now();
        let device_handle = footnote::device::parse(device)?;
        let mut generator = Generator::load_with(&files, &device_handle, settings.backend)?;
        all.push(footnote::bench::generation(
            &mut generator,
            device,
            started.elapsed(),
            lengths.prompt_tokens,
            lengths.decode_tokens,
            lengths.rounds,
        )?);
    }
    if json {
        for r in &all {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<8} {:<8} {:<19} {:>8} {:>8} {:>10} {:>12} {:>12} {:>8} {:>9}",
        "device",
        "arch",
        "backend",
        "threads",
        "prompt",
        "ttft s",
        "prefill t/s",
        "decode t/s",
        "load s",
        "peak MB"
    );
    for r in &all {
        println!(
            "{:<8} {:<8} {:<19} {:>8} {:>8} {:>10.2} {:>12.1} {:>12.1} {:>8.1} {:>9.0}",
            r.device,
            r.architecture,
            r.backend,
            r.threads,
            r.prompt_tokens,
            r.ttft_s,
            r.prefill_tokens_per_second,
            r.decode_tokens_per_second,
            r.load_s,
            r.peak_rss_mb
        );
    }
    if let [a, b, ..] = all.as_slice() {
        println!(
            "{}: prefill {:.1}x, decode {:.1}x {}",
            b.device,
            b.prefill_tokens_per_second / a.prefill_tokens_per_second,
            b.decode_tokens_per_second / a.decode_tokens_per_second,
            a.device
        );
    }
    Ok(ExitCode::SUCCESS)
}
