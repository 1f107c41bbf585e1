//! How cost grows with the store (issue 18): loads 10k, 100k and 1M sentences into PostgreSQL
//! (pgvector HNSW, text search) and into the in-memory index the SQLite store serves from, and
//! reports per tier: load rate, HNSW build time, live ingest rate, database size, recall of the
//! HNSW top-10 against exact search, ask latency p50/p99 with the question's embedding excluded
//! and included, and the RSS of a `footnote serve` replica on each store after answering (the
//! in-memory index is asked within a time budget, [`MEMORY_BUDGET`], and each replica 5
//! questions over HTTP: at 1M sentences one in-memory answer takes tens of seconds).
//!
//! Data: the news articles of `../shared/eval/news-summaries.jsonl` with their real embeddings
//! (all-MiniLM-L6-v2, cached in `models/.cache`), repeated under new ids and content hashes until
//! the tier's sentence count is reached, each copy's vectors moved by N(0, 0.02) per component
//! and normalised again (embedding a million real sentences takes hours on two cores). Questions:
//! the first line of the reference summary of every eighth article (49), in the corpus's topics.
//!
//! Run (needs a PostgreSQL with pgvector; the database given is dropped and made again per tier):
//! `cargo bench --bench store_scale -- postgres://USER@HOST:PORT/DB [SENTENCES...]`

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use footnote::answer::{answer_with_vector, AskOptions};
use footnote::doc_vectors::DocumentVectors;
use footnote::document::Document;
use footnote::index::Index;
use footnote::store::postgres::{nearest_first, Need, CACHE_BYTES};
use footnote::store::sqlite::Sqlite;
use footnote::store::{ModelId, NewDocument, PostgresStore, Store};
use footnote::text::content_terms;
use footnote::{Engine, EngineSettings};

/// `--candidates` of the service (its default).
const CANDIDATES: usize = 100;
/// Documents per insert transaction while loading.
const LOAD_BATCH: usize = 200;
/// Documents ingested one request at a time, indexes in place, for the live ingest rate.
const LIVE_DOCUMENTS: usize = 20;
/// How long the in-memory index is asked questions at most (in turn, each twice: without and with
/// embedding it), and how many HTTP questions each replica is asked at most: at a million
/// sentences an in-memory answer takes tens of seconds.
const MEMORY_BUDGET: Duration = Duration::from_secs(240);
const HTTP_QUESTIONS: usize = 5;
/// Above this many sentences the in-memory index is not asked, and the SQLite replica's RSS is
/// read once it is ready, before any question (see `measure`).
const MEMORY_ASKS_UP_TO: usize = 100_000;
/// Spread of the noise added to each copy's vectors, per component.
const NOISE: f32 = 0.02;
/// The `hnsw.ef_search` settings whose recall is measured unless `STORE_SCALE_EF_LIST` says
/// otherwise: the old default, the service's default (600) and pgvector's highest among them.
const EF_SEARCHES: [usize; 4] = [200, 400, 600, 1000];

fn repo(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

struct Base {
    documents: Vec<Document>,
    vectors: Vec<DocumentVectors>,
    /// The questions asked and reported: the summaries of every eighth article.
    questions: Vec<String>,
    /// The other articles' summaries, for choosing settings (`recall`) without the reported rows.
    tuning: Vec<String>,
    sentences: usize,
}

fn base(engine: &Engine) -> Base {
    let text = std::fs::read_to_string(repo("../shared/eval/news-summaries.jsonl"))
        .expect("../shared/eval/news-summaries.jsonl");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect();
    let documents: Vec<Document> = rows
        .iter()
        .filter_map(|r| Document::new(r["id"].as_str()?, None, r["article"].as_str()?).ok())
        .collect();
    let first_line = |r: &serde_json::Value| {
        let line = r["reference"].as_str()?.lines().next()?;
        (!line.trim().is_empty()).then(|| line.to_string())
    };
    let questions = rows.iter().step_by(8).filter_map(first_line).collect();
    let tuning = rows
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 8 != 0)
        .filter_map(|(_, r)| first_line(r))
        .collect();
    let refs: Vec<&Document> = documents.iter().collect();
    let vectors = engine
        .embed_documents(&refs)
        .expect("embedding the articles");
    let sentences = documents.iter().map(|d| d.content_counts().0).sum();
    Base {
        documents,
        vectors,
        questions,
        tuning,
        sentences,
    }
}

/// Copy `copy` of base document `i`: a new id and content hash; vectors moved by noise.
fn copy_of(base: &Base, i: usize, copy: usize) -> (Document, DocumentVectors) {
    let mut doc = base.documents[i].clone();
    let mut vectors = base.vectors[i].clone();
    if copy > 0 {
        doc.id = format!("{}~{copy}", doc.id);
        doc.content_hash = format!("{}~{copy}", doc.content_hash);
        let mut rng = Rng((i as u64) << 20 | copy as u64);
        for v in vectors
            .sentences
            .iter_mut()
            .chain(vectors.passages.iter_mut())
        {
            for x in v.iter_mut() {
                *x += NOISE * rng.normal();
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
    (doc, vectors)
}

/// A small deterministic generator (splitmix64), normal deviates by Box-Muller.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.next().max(1e-7), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

/// The documents of a tier, in load order, in batches, generated as they are loaded.
fn documents(
    base: &Base,
    sentences: usize,
) -> impl Iterator<Item = Vec<(Document, DocumentVectors)>> + '_ {
    let copies = sentences.div_ceil(base.sentences);
    let n = base.documents.len();
    let mut taken = 0;
    let all = (0..copies).flat_map(move |c| (0..n).map(move |i| (i, c)));
    let mut all = all.take_while(move |&(i, _)| {
        let keep = taken < sentences;
        taken += base.documents[i].content_counts().0;
        keep
    });
    std::iter::from_fn(move || {
        let batch: Vec<_> = all
            .by_ref()
            .take(LOAD_BATCH)
            .map(|(i, c)| copy_of(base, i, c))
            .collect();
        (!batch.is_empty()).then_some(batch)
    })
}

fn rows(batch: &[(Document, DocumentVectors)]) -> Vec<NewDocument<'_>> {
    batch
        .iter()
        .map(|(document, vectors)| NewDocument { document, vectors })
        .collect()
}

/// The `p` quantile of the samples (NaN for none).
fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    let at = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[at]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The sentences (document, paragraph, position) `query` returns for the vector `v`.
async fn sentences_found(
    client: &tokio_postgres::Client,
    query: &str,
    v: &pgvector::Vector,
) -> Vec<(i64, i32, i32)> {
    client
        .query(query, &[v])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// A `footnote serve` on `store`, ready; killed when dropped.
struct Replica(Child, u16);

impl Replica {
    async fn start(store: &str) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(repo("target/release/footnote"))
            .args([
                "serve",
                "--store",
                store,
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["--corpus", "/nonexistent", "--request-timeout", "600"])
            .current_dir(repo(""))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("target/release/footnote (cargo build --release)");
        let replica = Replica(child, port);
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            let ready = client.get(replica.url("/readyz")).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return replica;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("the replica on {store} did not get ready");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.1)
    }

    /// Asks every question over HTTP; the latencies (ms) and the RSS after.
    async fn ask_all(&self, questions: &[String]) -> (Vec<f64>, f64) {
        let client = reqwest::Client::new();
        let mut latencies = Vec::new();
        for q in questions {
            let started = Instant::now();
            let response = client
                .post(self.url("/v1/ask"))
                .json(&serde_json::json!({ "question": q }))
                .send()
                .await
                .expect("ask");
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.expect("answer");
            latencies.push(ms(started.elapsed()));
        }
        (latencies, rss_mib(self.0.id()))
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (Some(server), Some(phase)) = (args.first(), args.get(1)) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let tiers: Vec<usize> = match args[2..]
        .iter()
        .map(|a| a.parse())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(t) if !t.is_empty() => t,
        _ => vec![10_000, 100_000, 1_000_000],
    };
    let server = server.trim_end_matches('/');
    let models_dir = repo("models");
    let engine = Engine::load(&EngineSettings {
        cache_dir: Some(models_dir.join(".cache")),
        models_dir,
        ..EngineSettings::default()
    })
    .expect("model loads");
    let model = ModelId {
        name: engine.embedder.model_name().to_string(),
        fingerprint: engine.embedder.fingerprint().to_string(),
        dim: engine.embedder.dim(),
    };
    let started = Instant::now();
    let base = base(&engine);
    println!(
        "base: {} articles, {} content sentences, embedded in {:.1}s; {} questions",
        base.documents.len(),
        base.sentences,
        started.elapsed().as_secs_f64(),
        base.questions.len()
    );
    std::fs::create_dir_all(repo("target/store_scale")).expect("target/store_scale");
    for &sentences in &tiers {
        println!("\n## {sentences} sentences");
        let tier = Tier {
            sentences,
            url: format!("{server}/scale_{sentences}"),
            sqlite: repo(&format!("target/store_scale/{sentences}.sqlite3")),
        };
        match phase.as_str() {
            "load" => load(&tier, server, &base, &model).await,
            "measure" => measure(&tier, &base, &engine, &model).await,
            "ask" => ask_only(&tier, &base, &engine).await,
            "recall" => recall_only(&tier, &base, &engine).await,
            _ => {
                eprintln!("{USAGE}");
                std::process::exit(2);
            }
        }
    }
}

const USAGE: &str = "usage: cargo bench --bench store_scale -- postgres://USER@HOST:PORT load|measure|ask|recall [SENTENCES...]";

/// Where one tier's stores are.
struct Tier {
    sentences: usize,
    /// Its PostgreSQL database (`scale_<sentences>`).
    url: String,
    /// Its SQLite file (`target/store_scale/<sentences>.sqlite3`).
    sqlite: PathBuf,
}

impl Tier {
    /// Where the exact top 10 of a question set are kept between runs ([`recall`]).
    fn exact_file(&self, questions: &str) -> PathBuf {
        self.sqlite
            .with_file_name(format!("{}.exact-{questions}.json", self.sentences))
    }
}

/// Makes the tier's stores afresh: loads PostgreSQL (one transaction per batch, no vector index
/// yet, as `footnote migrate` loads) and SQLite, then builds the HNSW indexes.
async fn load(tier: &Tier, server: &str, base: &Base, model: &ModelId) {
    let admin = admin_of(&format!("{server}/postgres")).await;
    let name = format!("scale_{}", tier.sentences);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("dropping the database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("making the database");
    let _ = std::fs::remove_file(&tier.sqlite);
    for questions in ["reported", "tuning"] {
        let _ = std::fs::remove_file(tier.exact_file(questions));
    }
    let store = PostgresStore::open(&tier.url)
        .await
        .expect("opening the store");
    let mut sqlite = Sqlite::open(&tier.sqlite).expect("sqlite");
    let (mut docs, mut loaded) = (0, 0);
    let (mut pg_time, mut sqlite_time) = (Duration::ZERO, Duration::ZERO);
    for batch in documents(base, tier.sentences) {
        let t = Instant::now();
        store.insert(&rows(&batch), model).await.expect("insert");
        pg_time += t.elapsed();
        let t = Instant::now();
        sqlite.insert(&rows(&batch), model).expect("sqlite insert");
        sqlite_time += t.elapsed();
        docs += batch.len();
        loaded += batch
            .iter()
            .map(|(d, _)| d.content_counts().0)
            .sum::<usize>();
    }
    sqlite.mark_seeded().expect("sqlite");
    store.mark_seeded().await.expect("seeded");
    println!(
        "loaded {docs} documents, {loaded} sentences: PostgreSQL {:.1}s ({:.0} sentences/s), SQLite {:.1}s ({:.0} sentences/s)",
        pg_time.as_secs_f64(),
        loaded as f64 / pg_time.as_secs_f64(),
        sqlite_time.as_secs_f64(),
        loaded as f64 / sqlite_time.as_secs_f64()
    );
    let t = Instant::now();
    store.index_vectors(model.dim).await.expect("HNSW indexes");
    println!("HNSW indexes built in {:.1}s", t.elapsed().as_secs_f64());
    // What autovacuum does after a bulk load, done now: without it the text index's pending
    // list is scanned by every query (10x slower keyword search at 10k sentences).
    let t = Instant::now();
    admin_of(&tier.url)
        .await
        .batch_execute("VACUUM ANALYZE")
        .await
        .expect("VACUUM");
    println!("VACUUM ANALYZE in {:.1}s", t.elapsed().as_secs_f64());
}

/// Where the time of an in-process ask goes, one sample per question (ms).
#[derive(Default)]
struct AskTimes {
    /// Embedding the question (zero when given its vector).
    embed: Vec<f64>,
    /// The SQL view: searches, then documents and term counts (from the cache when it has them).
    view: Vec<f64>,
    /// The view's index assembled from its documents.
    assemble: Vec<f64>,
    /// The answering code over that index.
    answer: Vec<f64>,
    total: Vec<f64>,
    /// Each question's answer text, in turn.
    answers: Vec<String>,
}

impl AskTimes {
    fn summary(&mut self) -> String {
        let p50 = |v: &mut Vec<f64>| percentile(v, 0.5);
        format!(
            "p50 {:.1} ms p99 {:.1} ms (p50s: embedding {:.1}, SQL view {:.1}, assembling {:.1}, answering {:.1} ms)",
            p50(&mut self.total),
            percentile(&mut self.total, 0.99),
            p50(&mut self.embed),
            p50(&mut self.view),
            p50(&mut self.assemble),
            p50(&mut self.answer)
        )
    }
}

/// Every question asked once in process, as a replica asks: the view (SQL), its index, the
/// answer; with the question embedded first when `embedding` is given, and `hnsw.ef_search` at
/// `ef_search` (0: the service's default).
async fn ask_round(
    store: &PostgresStore,
    base: &Base,
    vectors: &[Vec<f32>],
    embedding: Option<&Engine>,
    dim: usize,
    ef_search: usize,
) -> AskTimes {
    let options = AskOptions::default();
    let mut times = AskTimes::default();
    for (q, v) in base.questions.iter().zip(vectors) {
        let t = Instant::now();
        let vector = match embedding {
            Some(engine) => engine.embedder.embed(&[q.as_str()]).unwrap().remove(0),
            None => v.clone(),
        };
        times.embed.push(ms(t.elapsed()));
        let terms = content_terms(q);
        let near = [vector.clone()];
        let step = Instant::now();
        let view = store
            .view(
                &Need {
                    ef_search,
                    ..Need::question(&terms, &near, CANDIDATES)
                },
                dim,
            )
            .await
            .unwrap();
        times.view.push(ms(step.elapsed()));
        let step = Instant::now();
        let index = view.into_index(dim);
        times.assemble.push(ms(step.elapsed()));
        let step = Instant::now();
        let answer = answer_with_vector(&index, q, &vector, &options).unwrap();
        times.answer.push(ms(step.elapsed()));
        times.answers.push(answer.answer);
        times.total.push(ms(t.elapsed()));
    }
    times
}

/// Only the in-process asks on PostgreSQL, with where their time goes: a cold round, then
/// `STORE_SCALE_ROUNDS` (default 3) warm rounds together, with a document cache of
/// `STORE_SCALE_CACHE_MIB` (default the service's, 256), searching with `hnsw.ef_search` at
/// `STORE_SCALE_EF_SEARCH` (default the service's).
async fn ask_only(tier: &Tier, base: &Base, engine: &Engine) {
    let dim = engine.embedder.dim();
    let store = PostgresStore::open(&tier.url)
        .await
        .expect("opening the store");
    let questions: Vec<&str> = base.questions.iter().map(String::as_str).collect();
    let vectors = engine.embedder.embed(&questions).expect("embed");
    let setting = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(default)
    };
    let rounds = setting("STORE_SCALE_ROUNDS", 3);
    let cache_mib = setting("STORE_SCALE_CACHE_MIB", CACHE_BYTES >> 20);
    let ef_search = setting("STORE_SCALE_EF_SEARCH", 0);
    store.set_cache_bytes(cache_mib << 20);
    let mut cold = ask_round(&store, base, &vectors, None, dim, ef_search).await;
    let mut warm = AskTimes::default();
    for _ in 0..rounds {
        let round = ask_round(&store, base, &vectors, None, dim, ef_search).await;
        warm.embed.extend(round.embed);
        warm.view.extend(round.view);
        warm.assemble.extend(round.assemble);
        warm.answer.extend(round.answer);
        warm.total.extend(round.total);
        warm.answers = round.answers;
    }
    println!(
        "ask on PostgreSQL ({cache_mib} MiB document cache, ef_search {ef_search}, 0: the service's default), embedding excluded: cold cache {}; warm ({rounds} rounds) {}",
        cold.summary(),
        warm.summary()
    );
    if tier.sentences <= MEMORY_ASKS_UP_TO {
        // What the searches leave out, seen in the answers: the in-memory index ranks every
        // sentence of the corpus, a replica only those of the documents its searches found.
        let (documents, document_vectors): (Vec<Document>, Vec<DocumentVectors>) =
            documents(base, tier.sentences).flatten().unzip();
        let index = Index::from_vectors(documents, document_vectors, dim);
        let options = AskOptions::default();
        let asking = Instant::now();
        let (mut same, mut asked) = (0, 0);
        for ((q, v), replica) in base.questions.iter().zip(&vectors).zip(&warm.answers) {
            if asking.elapsed() > MEMORY_BUDGET {
                break;
            }
            asked += 1;
            same +=
                usize::from(answer_with_vector(&index, q, v, &options).unwrap().answer == *replica);
        }
        println!("same answer as the in-memory index (every sentence ranked): {same} of {asked}");
    }
}

/// Recall of the HNSW top-10 sentences against exact search, at each `ef_search`, for these
/// questions. Besides the top 10's recall, how many of the exact top 10 the service's own
/// search finds (its top `CANDIDATES` sentences, whose documents it answers from).
async fn recall(
    client: &tokio_postgres::Client,
    question_vectors: &[Vec<f32>],
    dim: usize,
    ef_searches: &[usize],
    exact_file: &std::path::Path,
) {
    let nearest = |order: &str, limit: usize| {
        format!(
            "SELECT doc, paragraph, position FROM sentences WHERE embedding IS NOT NULL
             ORDER BY {order} LIMIT {limit}"
        )
    };
    let order = nearest_first(dim);
    let (query, service_query) = (nearest(&order, 10), nearest(&order, CANDIDATES));
    // The truth: full precision, whatever precision the index holds.
    let exact_query = nearest(
        &format!("embedding::vector({dim}) <=> $1::vector({dim})"),
        10,
    );
    let vectors: Vec<pgvector::Vector> = question_vectors
        .iter()
        .map(|v| pgvector::Vector::from(v.clone()))
        .collect();
    // Exact search scans every sentence (seconds each at 1M): kept in `exact` (a file per tier
    // and question set, removed by `load`) for the next run.
    let exact: Vec<Vec<(i64, i32, i32)>> = match std::fs::read(exact_file) {
        Ok(kept) => serde_json::from_slice(&kept).expect("kept exact results"),
        Err(_) => {
            let mut exact = Vec::new();
            for v in &vectors {
                client
                    .batch_execute("BEGIN; SET LOCAL enable_indexscan = off")
                    .await
                    .unwrap();
                exact.push(sentences_found(client, &exact_query, v).await);
                client.batch_execute("COMMIT").await.unwrap();
            }
            std::fs::write(exact_file, serde_json::to_vec(&exact).unwrap()).expect("exact file");
            exact
        }
    };
    for &ef_search in ef_searches {
        let (mut hits, mut total, mut found) = (0, 0, 0);
        let mut hnsw_ms = Vec::new();
        for (v, exact) in vectors.iter().zip(&exact) {
            client
                .batch_execute(&format!("BEGIN; SET LOCAL hnsw.ef_search = {ef_search}"))
                .await
                .unwrap();
            let t = Instant::now();
            let approximate = sentences_found(client, &query, v).await;
            hnsw_ms.push(ms(t.elapsed()));
            let service = sentences_found(client, &service_query, v).await;
            client.batch_execute("COMMIT").await.unwrap();
            hits += exact.iter().filter(|e| approximate.contains(e)).count();
            found += exact.iter().filter(|e| service.contains(e)).count();
            total += exact.len();
        }
        println!(
            "HNSW recall@10 at ef_search {ef_search}: {:.3} ({hits}/{total}); top-10 query p50 {:.2} ms; exact top 10 within the top {CANDIDATES}: {:.3}",
            hits as f64 / total as f64,
            percentile(&mut hnsw_ms, 0.5),
            found as f64 / total as f64
        );
    }
}

/// Only the recall of the HNSW index the tier has, at each `ef_search` of `STORE_SCALE_EF_LIST`
/// (default [`EF_SEARCHES`]): for the tuning questions, then for the reported ones.
async fn recall_only(tier: &Tier, base: &Base, engine: &Engine) {
    let ef_searches: Vec<usize> = match std::env::var("STORE_SCALE_EF_LIST") {
        Ok(list) => list
            .split(',')
            .map(|e| e.trim().parse().expect("STORE_SCALE_EF_LIST: numbers"))
            .collect(),
        Err(_) => EF_SEARCHES.to_vec(),
    };
    let client = admin_of(&tier.url).await;
    let dim = engine.embedder.dim();
    for (what, questions) in [("tuning", &base.tuning), ("reported", &base.questions)] {
        let texts: Vec<&str> = questions.iter().map(String::as_str).collect();
        let vectors = engine.embedder.embed(&texts).expect("embed");
        println!("{what} questions ({}):", questions.len());
        recall(&client, &vectors, dim, &ef_searches, &tier.exact_file(what)).await;
    }
}

/// A plain connection to `url`.
async fn admin_of(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connecting");
    tokio::spawn(connection);
    client
}

/// Measures a loaded tier: recall, ask latency in process on both stores, live ingest, sizes,
/// and a `footnote serve` replica on each store.
async fn measure(tier: &Tier, base: &Base, engine: &Engine, model: &ModelId) {
    let dim = model.dim;
    let url = &tier.url;
    let store = PostgresStore::open(url).await.expect("opening the store");
    let question_vectors: Vec<Vec<f32>> = engine
        .embedder
        .embed(
            &base
                .questions
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .expect("embed");
    let sentences = tier.sentences;
    let sqlite_path = &tier.sqlite;
    let client = admin_of(url).await;
    let exact_file = tier.exact_file("reported");
    recall(&client, &question_vectors, dim, &EF_SEARCHES, &exact_file).await;

    // Ask in process, as a replica does: view (SQL) + scoring; then the in-memory index.
    // Three rounds of every question: with the replica's cache empty, then warm, then warm with
    // the question embedded as part of the ask.
    let mut cold = ask_round(&store, base, &question_vectors, None, dim, 0).await;
    let mut warm = ask_round(&store, base, &question_vectors, None, dim, 0).await;
    let mut embedded = ask_round(&store, base, &question_vectors, Some(engine), dim, 0).await;
    println!(
        "ask on PostgreSQL, embedding excluded: cold cache {}; warm {}; embedding included (warm) {}",
        cold.summary(),
        warm.summary(),
        embedded.summary()
    );
    if sentences > MEMORY_ASKS_UP_TO {
        println!(
            "ask in memory: not measured above {MEMORY_ASKS_UP_TO} sentences (at 1M one answer had \
             not finished after 5 minutes: corroboration over ~130 near-copies of every sentence)"
        );
    } else {
        let t = Instant::now();
        let (documents, vectors): (Vec<Document>, Vec<DocumentVectors>) =
            documents(base, sentences).flatten().unzip();
        let index = Index::from_vectors(documents, vectors, dim);
        let built = t.elapsed();
        let options = AskOptions::default();
        let (mut mem_total, mut mem_embedded) = (Vec::new(), Vec::new());
        let asking = Instant::now();
        for (q, v) in base.questions.iter().zip(&question_vectors) {
            if asking.elapsed() > MEMORY_BUDGET {
                break;
            }
            let t = Instant::now();
            answer_with_vector(&index, q, v, &options).unwrap();
            mem_total.push(ms(t.elapsed()));
            let t = Instant::now();
            let vector = engine.embedder.embed(&[q.as_str()]).unwrap().remove(0);
            answer_with_vector(&index, q, &vector, &options).unwrap();
            mem_embedded.push(ms(t.elapsed()));
        }
        drop(index);
        println!(
            "ask in memory (the SQLite store's index, built in {:.1}s; {} questions): embedding excluded p50 {:.1} ms p99 {:.1} ms; included p50 {:.1} ms p99 {:.1} ms",
            built.as_secs_f64(),
            mem_total.len(),
            percentile(&mut mem_total, 0.5),
            percentile(&mut mem_total, 0.99),
            percentile(&mut mem_embedded, 0.5),
            percentile(&mut mem_embedded, 0.99)
        );
    }

    // Live ingest: one document per request, the indexes in place; then each deleted again.
    let copy = sentences.div_ceil(base.sentences) + 1;
    let live: Vec<(Document, DocumentVectors)> = (0..LIVE_DOCUMENTS)
        .map(|i| copy_of(base, i, copy))
        .collect();
    for (doc, _) in &live {
        // Left by an interrupted run.
        store.delete(&doc.id).await.expect("delete");
    }
    let live_sentences: usize = live.iter().map(|(d, _)| d.content_counts().0).sum();
    let t = Instant::now();
    for one in live.chunks(1) {
        store.insert(&rows(one), model).await.expect("live insert");
    }
    let inserted = t.elapsed();
    let t = Instant::now();
    for (doc, _) in &live {
        assert!(store.delete(&doc.id).await.expect("delete"));
    }
    let deleted = t.elapsed();
    println!(
        "live ingest, indexes in place: {LIVE_DOCUMENTS} documents ({live_sentences} sentences) one per transaction: {:.0} sentences/s, {:.1} ms per document; delete {:.1} ms per document",
        live_sentences as f64 / inserted.as_secs_f64(),
        ms(inserted) / LIVE_DOCUMENTS as f64,
        ms(deleted) / LIVE_DOCUMENTS as f64
    );
    let size: i64 = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .unwrap()
        .get(0);
    let mut parts = Vec::new();
    for r in client
        .query(
            "SELECT relname::text, pg_relation_size(oid) FROM pg_class
             WHERE relname IN ('sentences', 'paragraphs', 'sentence_terms', 'sentence_terms_tsv',
                               'term_df')
                OR relname LIKE '%embedding%' ORDER BY 2 DESC",
            &[],
        )
        .await
        .unwrap()
    {
        parts.push(format!(
            "{} {:.0} MiB",
            r.get::<_, String>(0),
            r.get::<_, i64>(1) as f64 / 1048576.0
        ));
    }
    println!(
        "PostgreSQL database {:.0} MiB ({}); SQLite file {:.0} MiB",
        size as f64 / 1048576.0,
        parts.join(", "),
        std::fs::metadata(sqlite_path).map_or(0, |m| m.len()) as f64 / 1048576.0
    );
    drop(client);
    drop(store);

    // The service itself: a replica on each store, every question over HTTP, then its RSS.
    for (name, store_url) in [
        ("PostgreSQL", url.clone()),
        ("SQLite", format!("sqlite:{}", sqlite_path.display())),
    ] {
        let t = Instant::now();
        let replica = Replica::start(&store_url).await;
        let started = t.elapsed();
        let asked = if name == "SQLite" && sentences > MEMORY_ASKS_UP_TO {
            &base.questions[..0]
        } else {
            &base.questions[..HTTP_QUESTIONS]
        };
        let (mut latencies, rss) = replica.ask_all(asked).await;
        let ready: serde_json::Value = reqwest::get(replica.url("/readyz"))
            .await
            .expect("readyz")
            .json()
            .await
            .expect("readyz JSON");
        println!(
            "serve on {name} ({} documents): ready in {:.1}s; HTTP ask (embedding included) p50 {:.1} ms p99 {:.1} ms; RSS {rss:.0} MiB",
            ready["documents"],
            started.as_secs_f64(),
            percentile(&mut latencies, 0.5),
            percentile(&mut latencies, 0.99)
        );
    }
}
