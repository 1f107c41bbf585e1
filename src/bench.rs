//! `footnote bench`: how fast the embedding hot path runs on this machine, and with
//! `--generate`, the writing model's.
//!
//! Texts are tokenised once, sorted by length (as the embedder does in service) and cut into
//! batches of each requested size; every batch is timed on its own. Tokens per second count real
//! tokens, not padding, so the figure compares fairly with other systems on the same sentences.
//!
//! The writing model is timed on a prompt of a fixed number of tokens (ids cycling through
//! 1000..30000, as `scripts/bench_llama_cpp.py` makes them for llama.cpp: with random weights the
//! text does not matter, only its length) and a fixed number of written tokens, stop tokens
//! ignored: time to the first token, prefill and decode tokens per second.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::llm::Generator;

/// Prompt token ids are taken cycling through this range (below any special token).
const PROMPT_IDS: std::ops::Range<u32> = 1000..30_000;

/// Timing of one batch size on one device.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub device: String,
    /// The forward pass that ran (`native-avx512`, `native-avx512-bf16` or `candle`).
    pub encoder: String,
    pub model: String,
    pub threads: usize,
    pub batch_size: usize,
    pub sentences: usize,
    pub tokens: usize,
    pub tokens_per_second: f64,
    pub sentences_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub load_ms: f64,
    pub peak_rss_mb: f64,
}

/// Times the embedder over `texts` at each batch size; `rounds` passes over the texts each
/// (after one untimed warm-up pass). The caller checks that there are texts, at least one round
/// and no batch size of 0 (`footnote bench` does, before loading any model).
pub fn run(
    embedder: &Embedder,
    device_name: &str,
    load_time: Duration,
    texts: &[&str],
    batch_sizes: &[usize],
    rounds: usize,
) -> Result<Vec<BenchResult>> {
    let mut ids = embedder.tokenize(texts)?;
    ids.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let tokens: usize = ids.iter().map(Vec::len).sum();
    let mut results = Vec::new();
    for &batch_size in batch_sizes {
        let batches: Vec<Vec<&[u32]>> = ids
            .chunks(batch_size.max(1))
            .map(|chunk| chunk.iter().map(Vec::as_slice).collect())
            .collect();
        for batch in &batches {
            embedder.embed_batch(batch)?; // warm-up: first-touch allocations, caches
        }
        let mut latencies = Vec::with_capacity(batches.len() * rounds);
        let started = Instant::now();
        for _ in 0..rounds {
            for batch in &batches {
                let t = Instant::now();
                embedder.embed_batch(batch)?;
                latencies.push(t.elapsed());
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let passes = rounds as f64;
        latencies.sort();
        results.push(BenchResult {
            device: device_name.to_string(),
            encoder: embedder.encoder_name().to_string(),
            model: embedder.model_name().to_string(),
            threads: threads(),
            batch_size,
            sentences: ids.len(),
            tokens,
            tokens_per_second: tokens as f64 * passes / seconds,
            sentences_per_second: ids.len() as f64 * passes / seconds,
            p50_ms: percentile_ms(&latencies, 0.50),
            p99_ms: percentile_ms(&latencies, 0.99),
            load_ms: load_time.as_secs_f64() * 1e3,
            peak_rss_mb: peak_rss_mb().unwrap_or(f64::NAN),
        });
    }
    Ok(results)
}

/// Timing of the writing model on one device.
#[derive(Debug, Clone, Serialize)]
pub struct GenerationBench {
    pub device: String,
    pub model: String,
    pub architecture: String,
    /// The forward pass that ran: `native-avx512-vnni` or `candle` (see `--llm-backend`).
    pub backend: String,
    pub threads: usize,
    pub prompt_tokens: usize,
    pub decode_tokens: usize,
    pub rounds: usize,
    /// Medians over the rounds.
    pub ttft_s: f64,
    pub prefill_tokens_per_second: f64,
    pub decode_tokens_per_second: f64,
    pub load_s: f64,
    pub peak_rss_mb: f64,
    /// Every round: (time to first token in s, decode tokens/s).
    pub each_round: Vec<(f64, f64)>,
}

/// Times `rounds` generations of `decode_tokens` tokens after a prompt of `prompt_tokens`
/// tokens, after one short untimed warm-up.
pub fn generation(
    generator: &mut Generator,
    device_name: &str,
    load_time: Duration,
    prompt_tokens: usize,
    decode_tokens: usize,
    rounds: usize,
) -> Result<GenerationBench> {
    if prompt_tokens == 0 || decode_tokens == 0 || rounds == 0 {
        return Err(Error::InvalidInput(
            "prompt tokens, decode tokens and rounds must be at least 1".into(),
        ));
    }
    let span = PROMPT_IDS.end - PROMPT_IDS.start;
    let prompt: Vec<u32> = (0..prompt_tokens as u32)
        .map(|i| PROMPT_IDS.start + i % span)
        .collect();
    generator.generate(&prompt[..prompt.len().min(16)], 2, true, &mut |_| true)?;
    let mut each_round = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let g = generator.generate(&prompt, decode_tokens, true, &mut |_| true)?;
        each_round.push((g.first_token.as_secs_f64(), g.decode_tokens_per_second()));
    }
    let median = |pick: fn(&(f64, f64)) -> f64| {
        let mut values: Vec<f64> = each_round.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let ttft_s = median(|r| r.0);
    Ok(GenerationBench {
        device: device_name.to_string(),
        model: generator.name().to_string(),
        architecture: generator.architecture().to_string(),
        backend: generator.backend().to_string(),
        threads: candle_core::utils::get_num_threads(),
        prompt_tokens,
        decode_tokens,
        rounds,
        ttft_s,
        prefill_tokens_per_second: prompt_tokens as f64 / ttft_s.max(1e-9),
        decode_tokens_per_second: median(|r| r.1),
        load_s: load_time.as_secs_f64(),
        peak_rss_mb: peak_rss_mb().unwrap_or(f64::NAN),
        each_round,
    })
}

fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e3
}

/// Worker threads of rayon's global pool, on which the native forward pass runs: asked of the
/// pool itself rather than guessed from `RAYON_NUM_THREADS`, which the pool may read differently
/// (`0` means one per core) or not at all (a pool built by the caller).
fn threads() -> usize {
    rayon::current_num_threads()
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_from_sorted_latencies() {
        let lat: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&lat, 0.5), 51.0);
        assert_eq!(percentile_ms(&lat, 0.99), 99.0);
        assert!(percentile_ms(&[], 0.5).is_nan());
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        assert!(peak_rss_mb().is_some_and(|mb| mb > 0.0));
    }
}
