//! Criterion benchmark of a batch job of summaries (`footnote summarize FILE.jsonl`): the first
//! 100 articles of `../shared/eval/news-summaries.jsonl` (20 CNN, 80 BBC), each record summarized
//! on its own, through [`footnote::batch::summaries`] as the command line runs it. The model is
//! loaded once, outside the timing. Beside the whole job, its parts: the forward passes over the
//! sentences, what they cost when paragraphs were embedded too (the batch job before it embedded
//! sentences only), and indexing and summarizing with the vectors given.
//!
//! Run: `cargo bench --bench batch`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use footnote::batch::{self, Record};
use footnote::document::Document;
use footnote::index::Index;
use footnote::summarize::{self, Length};
use footnote::{Engine, EngineSettings};
use rayon::prelude::*;

/// Records in the batch.
const RECORDS: usize = 100;

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The first [`RECORDS`] articles as the batch records `{"id", "text"}` a user would write.
fn records() -> Vec<Record> {
    let path = repo("../shared/eval/news-summaries.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the benchmark's articles)", path.display()));
    text.lines()
        .take(RECORDS)
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let record = serde_json::json!({"id": row["id"], "text": row["article"]});
            batch::parse_record(&record.to_string()).expect("a valid record")
        })
        .collect()
}

fn batch_of_news_articles(c: &mut Criterion) {
    let models_dir = repo("models");
    // A batch never reads the cache; without one, the engine for `embed_documents` below is the
    // same as the command line's `--no-cache`.
    let engine = Engine::load(&EngineSettings {
        cache_dir: None,
        models_dir,
        ..EngineSettings::default()
    })
    .expect("model loads");
    let records = records();
    let length = Length::Sentences(Length::DEFAULT_SENTENCES);
    let documents: Vec<&Document> = records.iter().flat_map(|r| &r.documents).collect();
    let mut group = c.benchmark_group("batch");
    group.sample_size(10);
    group.bench_function("summarize_100_news_articles", |b| {
        b.iter(|| {
            for (id, summary) in batch::summaries(&engine, records.clone(), length) {
                summary.unwrap_or_else(|e| panic!("{id}: {e}"));
            }
        })
    });
    group.bench_function("embed_sentences_100", |b| {
        b.iter(|| engine.embed_sentences(&documents).expect("embed"))
    });
    group.bench_function("embed_sentences_and_paragraphs_100", |b| {
        b.iter(|| engine.embed_documents(&documents).expect("embed"))
    });
    // Records in parallel, as the batch job summarizes them.
    let vectors = engine.embed_sentences(&documents).expect("embed");
    let dim = engine.embedder.dim();
    group.bench_function("index_and_summarize_100", |b| {
        b.iter(|| {
            documents
                .par_iter()
                .zip(&vectors)
                .for_each(|(doc, vectors)| {
                    let index =
                        Index::for_summaries(vec![(*doc).clone()], vec![vectors.clone()], dim);
                    summarize::summarize(&index, &[], length).expect("summary");
                })
        })
    });
    group.finish();
}

criterion_group!(benches, batch_of_news_articles);
criterion_main!(benches);
