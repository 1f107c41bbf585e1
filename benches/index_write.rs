//! Criterion benchmarks of keeping the retrieval index in step with the store: what one write
//! (a document added, a document deleted) costs at two corpus sizes, what building the index
//! from scratch costs, and what ranking one question over it costs. Real news articles (`../shared/eval/news-summaries.jsonl`, or `seeds/`
//! repeated under distinct ids where that file is absent) with synthetic vectors: the model is
//! not what is measured here.
//!
//! Run: `cargo bench --bench index_write`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use footnote::doc_vectors::DocumentVectors;
use footnote::document::{self, Document};
use footnote::index::Index;

/// Width of all-MiniLM-L6-v2's vectors, the model the server uses by default.
const DIM: usize = 384;

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// At least `n` distinct news articles.
fn articles(n: usize) -> Vec<Document> {
    let news = repo("../shared/eval/news-summaries.jsonl");
    let mut docs: Vec<Document> = match std::fs::read_to_string(&news) {
        Ok(text) => text
            .lines()
            .filter_map(|line| {
                let row: serde_json::Value = serde_json::from_str(line).ok()?;
                Document::new(row["id"].as_str()?, None, row["article"].as_str()?).ok()
            })
            .collect(),
        Err(_) => {
            document::load_paths(&[repo("seeds")])
                .expect("seeds")
                .documents
        }
    };
    let base = docs.clone();
    for copy in 1.. {
        if docs.len() > n {
            break;
        }
        docs.extend(base.iter().map(|d| {
            let mut d = d.clone();
            d.id = format!("{}-{copy}", d.id);
            d.content_hash = format!("{}-{copy}", d.content_hash);
            d
        }));
    }
    docs
}

/// Deterministic vectors of the right shape for `doc`.
fn vectors(doc: &Document, seed: usize) -> DocumentVectors {
    let texts = DocumentVectors::texts(doc).len();
    let mut rows = (0..texts).map(|t| {
        (0..DIM)
            .map(|k| (((seed * 31 + t) * 17 + k) % 97) as f32 / 97.0 - 0.5)
            .collect()
    });
    DocumentVectors::take(doc, &mut rows)
}

fn build(docs: &[Document]) -> Index {
    let vectors = docs
        .iter()
        .enumerate()
        .map(|(i, d)| vectors(d, i))
        .collect();
    Index::from_vectors(docs.to_vec(), vectors, DIM)
}

fn writes(c: &mut Criterion) {
    let docs = articles(401);
    let mut group = c.benchmark_group("index_write");
    group.sample_size(20);
    for n in [50usize, 400] {
        let index = build(&docs[..n]);
        let new_doc = docs[n].clone();
        let new_vectors = vectors(&new_doc, n);
        group.bench_with_input(BenchmarkId::new("insert_one", n), &n, |b, _| {
            b.iter(|| index.with_documents(vec![(new_doc.clone(), new_vectors.clone())]))
        });
        group.bench_with_input(BenchmarkId::new("delete_one", n), &n, |b, _| {
            b.iter(|| index.without_document(n / 2))
        });
    }
    group.finish();
}

fn from_scratch(c: &mut Criterion) {
    let docs = articles(400);
    let vectors: Vec<DocumentVectors> = docs[..400]
        .iter()
        .enumerate()
        .map(|(i, d)| vectors(d, i))
        .collect();
    let mut group = c.benchmark_group("index_build");
    group.sample_size(10);
    group.bench_function("from_vectors/400", |b| {
        b.iter(|| Index::from_vectors(docs[..400].to_vec(), vectors.clone(), DIM))
    });
    // Reading the index, so that what writes save is not paid for by every question.
    let index = build(&docs[..400]);
    let query_vector: Vec<f32> = (0..DIM).map(|k| (k % 7) as f32 / 7.0 - 0.5).collect();
    group.bench_function("rank/400", |b| {
        b.iter(|| {
            index.rank(
                "What did President Bush say about Iraq and Vietnam?",
                &query_vector,
                |_| true,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, writes, from_scratch);
criterion_main!(benches);
