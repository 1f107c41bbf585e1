//! Criterion benchmarks of footnote's hot path with the real model (fetched into `models/` if
//! missing): embedding at several batch sizes, retrieval over a few thousand sentences, `ask`
//! end to end with the model loaded, summarizing one article, and verifying a 20-sentence draft.
//!
//! Run: `cargo bench --bench hot_path`. For a whole-machine report see `footnote bench`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use footnote::answer::AskOptions;
use footnote::document::{self, Document};
use footnote::summarize::{self, Length};
use footnote::{Engine, EngineSettings};

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn engine() -> Engine {
    let models_dir = repo("models");
    Engine::load(&EngineSettings {
        cache_dir: Some(models_dir.join(".cache")),
        models_dir,
        ..EngineSettings::default()
    })
    .expect("model loads")
}

fn seeds() -> Vec<Document> {
    document::load_paths(&[repo("seeds")])
        .expect("seeds")
        .documents
}

fn embedding(c: &mut Criterion) {
    let engine = engine();
    let docs = seeds();
    let sentences: Vec<&str> = docs
        .iter()
        .flat_map(|d| {
            d.content()
                .flat_map(|p| p.sentences.iter().map(String::as_str))
        })
        .collect();
    let mut ids = engine.embedder.tokenize(&sentences).expect("tokenize");
    ids.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut group = c.benchmark_group("embed");
    group.sample_size(10);
    for batch in [1usize, 8, 32, 64] {
        // Time the batches covering the 64 longest-to-shortest sentences at this batch size.
        let chosen: Vec<&[u32]> = ids
            .iter()
            .step_by(ids.len().div_ceil(64).max(1))
            .map(Vec::as_slice)
            .collect();
        let tokens: usize = chosen.iter().map(|s| s.len()).sum();
        group.throughput(Throughput::Elements(tokens as u64));
        group.bench_with_input(BenchmarkId::new("tokens", batch), &batch, |b, &batch| {
            b.iter(|| {
                for chunk in chosen.chunks(batch) {
                    engine.embedder.embed_batch(chunk).expect("embed");
                }
            })
        });
    }
    group.finish();
}

fn retrieval_and_answers(c: &mut Criterion) {
    let engine = engine();
    // A corpus of a few thousand sentences: the seeds many times over under distinct ids
    // (cached embeddings are reused, so only the search is new work).
    let base = seeds();
    let mut corpus = Vec::new();
    for copy in 0..28 {
        for doc in &base {
            let mut doc = doc.clone();
            doc.id = format!("{}-{copy}", doc.id);
            corpus.push(doc);
        }
    }
    let big = engine.index(corpus).expect("index");
    let question = "How many Russian troops are near the border with Ukraine?";
    let vector = engine.embedder.embed(&[question]).expect("embed").remove(0);
    c.bench_function(
        &format!("retrieval/{}_sentences", big.sentences.len()),
        |b| b.iter(|| big.rank(question, &vector, |_| true)),
    );

    let seeds_index = engine.index(seeds()).expect("index");
    c.bench_function("ask/seeds_end_to_end", |b| {
        b.iter(|| {
            engine
                .ask(&seeds_index, question, &AskOptions::default())
                .expect("ask")
        })
    });

    // A new article: embedding it is part of the work, so this engine has no cache.
    let uncached = Engine::load(&EngineSettings {
        cache_dir: None,
        models_dir: repo("models"),
        ..EngineSettings::default()
    })
    .expect("model loads");
    let article = seeds().remove(3);
    c.bench_function("summarize/one_new_article", |b| {
        b.iter(|| {
            let index = uncached.index(vec![article.clone()]).expect("index");
            summarize::summarize(&index, &[], Length::Sentences(5)).expect("summary")
        })
    });
}

/// A draft of 20 cited sentences over the seeds, verified end to end (its claims embedded, each
/// judged against its cited paragraphs, suggestions for those not supported). The target:
/// under 50 ms with the model loaded. Copies of a cited document's sentences take their vectors
/// from the index, so the cost depends on how many sentences are reworded: the mixed draft has
/// 7 reworded of 20, the other all 20.
fn verification(c: &mut Criterion) {
    let engine = engine();
    let index = engine.index(seeds()).expect("index");
    let sentences: Vec<(String, usize, String)> = index
        .documents
        .iter()
        .flat_map(|d| {
            d.content().flat_map(move |p| {
                p.sentences
                    .iter()
                    .map(move |s| (d.id.clone(), p.number, s.clone()))
            })
        })
        .take(20)
        .collect();
    // Every third sentence cites the paragraph after its own (wrong), every third is reworded
    // (not a copy), the rest are copies: all three paths of the verifier, suggestions included.
    let reworded = |s: &str| format!("Reports said that {s}");
    let mut mixed = String::new();
    let mut paraphrases = String::new();
    for (i, (doc, number, sentence)) in sentences.iter().enumerate() {
        let (text, cited) = match i % 3 {
            0 => (sentence.clone(), number + 1),
            1 => (reworded(sentence), *number),
            _ => (sentence.clone(), *number),
        };
        mixed.push_str(&format!("{text} [{doc} ¶{cited}]\n\n"));
        paraphrases.push_str(&format!("{} [{doc} ¶{number}]\n\n", reworded(sentence)));
    }
    c.bench_function("verify/draft_of_20_sentences", |b| {
        b.iter(|| engine.verify(&index, &mixed).expect("verify"))
    });
    c.bench_function("verify/draft_of_20_reworded_sentences", |b| {
        b.iter(|| engine.verify(&index, &paraphrases).expect("verify"))
    });
    // The reworded draft with its claims' vectors computed beforehand: what judging costs
    // without the forward pass.
    let claims: Vec<String> = footnote::verify::parse(&paraphrases)
        .claims
        .into_iter()
        .map(|c| c.text)
        .collect();
    let texts: Vec<&str> = claims.iter().map(String::as_str).collect();
    let vectors = engine.embedder.embed(&texts).expect("embed");
    c.bench_function("verify/draft_of_20_reworded_sentences_judging_only", |b| {
        b.iter(|| {
            footnote::verify::verify(&index, &paraphrases, |_| Ok(vectors.clone())).expect("verify")
        })
    });
}

criterion_group!(benches, embedding, retrieval_and_answers, verification);
criterion_main!(benches);
