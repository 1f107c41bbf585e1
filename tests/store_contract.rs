//! What every store promises the service, tested on each: SQLite always, PostgreSQL where a
//! cluster is given (`FOOTNOTE_TEST_POSTGRES`, see `common::postgres`). One body per property,
//! run against both, so the two cannot drift apart; then what only PostgreSQL has to get right
//! (migrations under concurrent starts, refusing what is not its own, an unreachable server).

mod common;

use footnote::doc_vectors::DocumentVectors;
use footnote::document::Document;
use footnote::error::Error;
use footnote::index::{CandidateLimits, Index};
use footnote::store::postgres::{nearest_first, Need};
use footnote::store::{AnyStore, ModelId, NewDocument, PostgresStore, Store, StoreUrl};
use footnote::text::content_terms;

fn model(dim: usize) -> ModelId {
    ModelId {
        name: "test-model".into(),
        fingerprint: "f1".into(),
        dim,
    }
}

/// Vectors made up for `doc`: distinct, `dim` wide, starting at `first`.
fn vectors_for(doc: &Document, dim: usize, first: f32) -> DocumentVectors {
    let texts = DocumentVectors::texts(doc).len();
    let mut values = (0..texts).map(|i| (0..dim).map(|j| first + (i * dim + j) as f32).collect());
    DocumentVectors::take(doc, &mut values)
}

/// Document `i`'s vectors from [`vectors_for`] starting at `i`.
fn numbered_vectors(docs: &[Document]) -> Vec<DocumentVectors> {
    docs.iter()
        .enumerate()
        .map(|(i, d)| vectors_for(d, 2, i as f32))
        .collect()
}

/// The rows that insert `docs` with their `vectors`.
fn rows_of<'a>(docs: &'a [Document], vectors: &'a [DocumentVectors]) -> Vec<NewDocument<'a>> {
    docs.iter()
        .zip(vectors)
        .map(|(document, vectors)| NewDocument { document, vectors })
        .collect()
}

fn article(id: &str, text: &str) -> Document {
    Document::new(id, Some(format!("Title of {id}")), text).unwrap()
}

const TEXT: &str =
    "Photo: Agency\n\nThe council approved the budget on Monday. It passed 7 to 2.\n\n\
                    Work on the bridge starts in March.";

/// A fresh store of each kind, with its URL (to open it again).
async fn stores(test: &str) -> Vec<(StoreUrl, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![(StoreUrl::in_data_dir(dir.path()), dir)];
    if let Some(url) = common::postgres::fresh_database(test).await {
        out.push((url.parse().unwrap(), tempfile::tempdir().unwrap()));
    }
    out
}

async fn open(url: &StoreUrl) -> AnyStore {
    AnyStore::open(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_round_trip_with_segmentation_vectors_and_model() {
    for (url, _dir) in stores("round_trip").await {
        let store = open(&url).await;
        assert_eq!(store.model().await.unwrap(), None, "{url}");
        let a = article("a", TEXT);
        let b = article("b", "A second article. It has two sentences.");
        let (va, vb) = (vectors_for(&a, 3, 0.5), vectors_for(&b, 3, 100.0));
        let rows = [
            NewDocument {
                document: &a,
                vectors: &va,
            },
            NewDocument {
                document: &b,
                vectors: &vb,
            },
        ];
        store.insert(&rows, &model(3)).await.unwrap();
        drop(store);

        let store = open(&url).await;
        assert_eq!(store.model().await.unwrap(), Some(model(3)), "{url}");
        let loaded = store.load(3).await.unwrap();
        assert_eq!(loaded.len(), 2, "{url}");
        assert_eq!(loaded[0].document, a, "{url}");
        assert_eq!(loaded[0].vectors.as_ref(), Some(&va), "{url}");
        assert_eq!(loaded[1].document, b, "{url}");
        assert_eq!(loaded[1].vectors.as_ref(), Some(&vb), "{url}");
        // Vectors of another width do not fit: the service embeds again.
        assert!(store.load(4).await.unwrap()[0].vectors.is_none(), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_insert_stores_nothing_and_a_taken_id_is_named() {
    for (url, _dir) in stores("failed_insert").await {
        let store = open(&url).await;
        let a = article("a", "One sentence here.");
        let other = article("a", "Another text under the same id.");
        let (va, vo) = (vectors_for(&a, 2, 0.0), vectors_for(&other, 2, 9.0));
        let batch = [
            NewDocument {
                document: &a,
                vectors: &va,
            },
            NewDocument {
                document: &other,
                vectors: &vo,
            },
        ];
        let err = store.insert(&batch, &model(2)).await.unwrap_err();
        assert!(
            matches!(err, Error::IdTaken(ref id) if id == "a"),
            "{url}: {err}"
        );
        assert!(store.load(2).await.unwrap().is_empty(), "{url}");
        assert_eq!(store.model().await.unwrap(), None, "{url}: model written");

        store.insert(&batch[..1], &model(2)).await.unwrap();
        let err = store.insert(&batch[1..], &model(2)).await.unwrap_err();
        assert!(matches!(err, Error::IdTaken(_)), "{url}: {err}");
        assert_eq!(store.load(2).await.unwrap().len(), 1, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_a_document_whole_and_frees_its_id() {
    for (url, _dir) in stores("delete").await {
        let store = open(&url).await;
        let a = article("a", TEXT);
        let b = article("b", "Kept. Still here.");
        let (va, vb) = (vectors_for(&a, 2, 0.0), vectors_for(&b, 2, 50.0));
        let rows = [
            NewDocument {
                document: &a,
                vectors: &va,
            },
            NewDocument {
                document: &b,
                vectors: &vb,
            },
        ];
        store.insert(&rows, &model(2)).await.unwrap();
        assert!(store.delete("a").await.unwrap(), "{url}");
        assert!(!store.delete("a").await.unwrap(), "{url}");
        let loaded = store.load(2).await.unwrap();
        assert_eq!(loaded.len(), 1, "{url}");
        assert_eq!(loaded[0].document, b, "{url}");
        // The same id and text again: stored afresh, nothing of the old rows left in the way.
        store.insert(&rows[..1], &model(2)).await.unwrap();
        let loaded = store.load(2).await.unwrap();
        assert_eq!(loaded[1].document, a, "{url}");
        assert_eq!(loaded[1].vectors.as_ref(), Some(&va), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_is_recorded_and_vectors_can_be_replaced_under_a_new_model() {
    for (url, _dir) in stores("seed_and_reembed").await {
        let store = open(&url).await;
        assert!(!store.is_seeded().await.unwrap(), "{url}");
        store.mark_seeded().await.unwrap();
        let a = article("a", TEXT);
        let old = vectors_for(&a, 2, 0.0);
        let rows = [NewDocument {
            document: &a,
            vectors: &old,
        }];
        store.insert(&rows, &model(2)).await.unwrap();

        let newer = ModelId {
            name: "other".into(),
            fingerprint: "f2".into(),
            dim: 4,
        };
        let fresh = vectors_for(&a, 4, 7.0);
        let rows = [NewDocument {
            document: &a,
            vectors: &fresh,
        }];
        store.replace_vectors(&newer, &rows).await.unwrap();
        drop(store);

        let store = open(&url).await;
        assert!(store.is_seeded().await.unwrap(), "{url}");
        assert_eq!(store.model().await.unwrap(), Some(newer.clone()), "{url}");
        let loaded = store.load(4).await.unwrap();
        assert_eq!(loaded[0].vectors.as_ref(), Some(&fresh), "{url}");
        store.set_model(&model(4)).await.unwrap();
        assert_eq!(store.model().await.unwrap(), Some(model(4)), "{url}");
    }
}

/// The PostgreSQL store keeps the corpus's term counts with every write, so that a request
/// reading a few documents scores them as an index over all of them would: after inserts and a
/// delete, idf and BM25 from a view equal those of an index built from the documents left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_term_counts_follow_writes_exactly() {
    let Some(url) = common::postgres::fresh_database("term_counts").await else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    let docs = [
        article("a", TEXT),
        article(
            "b",
            "The council met again. The budget vote was close, 5 to 4.",
        ),
        article(
            "c",
            "Photo: Agency\n\nA bridge in March, a bridge in May. Budget talks.",
        ),
    ];
    let vectors = numbered_vectors(&docs);
    let rows = rows_of(&docs, &vectors);
    store.insert(&rows[..2], &model(2)).await.unwrap();
    store.insert(&rows[2..], &model(2)).await.unwrap();
    assert!(store.delete("b").await.unwrap());
    let kept = [0, 2];
    let rebuilt = Index::from_vectors(
        kept.iter().map(|&i| docs[i].clone()).collect(),
        kept.iter().map(|&i| vectors[i].clone()).collect(),
        2,
    );
    let question = "Did the council pass the budget for the bridge?";
    let terms = content_terms(question);
    // A view of one document only: counts must still be the whole corpus's.
    let ids = ["c".to_string()];
    let need = Need {
        ids: &ids,
        terms: &terms,
        ..Need::default()
    };
    let view = store.view(&need, 2).await.unwrap();
    assert_eq!(view.documents.len(), 1);
    let partial = view.into_index(2);
    // The counts a view holds: its documents' terms and the ones asked for.
    let text_of_c: Vec<&str> = docs[2].paragraphs.iter().map(|p| p.text.as_str()).collect();
    for term in content_terms(&text_of_c.join(" "))
        .into_iter()
        .chain(terms.clone())
        .chain(["unseen".to_string()])
    {
        assert_eq!(partial.idf(&term), rebuilt.idf(&term), "idf of {term}");
    }
    // BM25 of document c's sentences for the question, read through the view and in full.
    let lexical = |index: &Index| -> Vec<(String, u32)> {
        let mut scores: Vec<(String, u32)> = index
            .rank(question, &[1.0, 0.0], |e| index.documents[e.doc].id == "c")
            .iter()
            .map(|c| {
                (
                    index.sentence_text(c.sentence).to_string(),
                    c.lexical.to_bits(),
                )
            })
            .collect();
        scores.sort();
        scores
    };
    assert_eq!(lexical(&partial), lexical(&rebuilt));
    assert!(lexical(&rebuilt).iter().any(|(_, bits)| *bits != 0));
}

/// A replica's term counts, kept between views, follow a write made through another replica:
/// the next view of the same (cached) document counts the new document's terms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cached_term_counts_follow_a_write_elsewhere() {
    let Some(url) = common::postgres::fresh_database("term_counts_cached").await else {
        return;
    };
    let replica = PostgresStore::open(&url).await.unwrap();
    let other = PostgresStore::open(&url).await.unwrap();
    let docs = [
        article("a", TEXT),
        article("c", "A bridge in March, a bridge in May. Budget talks."),
        article("d", "The bridge opened. Budget cuts came later."),
    ];
    let vectors = numbered_vectors(&docs);
    let rows = rows_of(&docs, &vectors);
    let (ids, terms) = (["c".to_string()], content_terms("bridge budget talks"));
    let need = Need {
        ids: &ids,
        terms: &terms,
        ..Need::default()
    };
    let idf =
        |index: &Index| -> Vec<u32> { terms.iter().map(|t| index.idf(t).to_bits()).collect() };
    let rebuilt = |n: usize| Index::from_vectors(docs[..n].to_vec(), vectors[..n].to_vec(), 2);
    replica.insert(&rows[..2], &model(2)).await.unwrap();
    // Twice: the second view finds every count in the cache.
    for _ in 0..2 {
        let view = replica.view(&need, 2).await.unwrap().into_index(2);
        assert_eq!(idf(&view), idf(&rebuilt(2)));
    }
    other.insert(&rows[2..], &model(2)).await.unwrap();
    let view = replica.view(&need, 2).await.unwrap().into_index(2);
    assert_eq!(idf(&view), idf(&rebuilt(3)));
    assert_ne!(idf(&rebuilt(2)), idf(&rebuilt(3)));
}

/// The ids of the documents a view reads, sorted.
async fn view_ids(store: &PostgresStore, need: &Need<'_>) -> Vec<String> {
    let view = store.view(need, 2).await.unwrap();
    let mut ids: Vec<String> = view
        .documents
        .iter()
        .map(|d| d.document().id.clone())
        .collect();
    ids.sort();
    ids
}

/// A view finds documents by vector (nearest sentences, nearest paragraphs) and by text search,
/// and reads a small store whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_views_find_documents_by_vector_and_by_rare_terms() {
    let Some(url) = common::postgres::fresh_database("views").await else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    twenty_directions(&store).await;
    let near = [direction(12)];
    let by_sentence = two_nearest_sentences(&near);
    assert_eq!(view_ids(&store, &by_sentence).await, ["d12"]);
    let searched_wider = Need {
        ef_search: 1000,
        ..by_sentence
    };
    assert_eq!(view_ids(&store, &searched_wider).await, ["d12"]);
    let by_paragraph = Need {
        near: &near,
        limits: CandidateLimits {
            paragraphs: 1,
            ..CandidateLimits::default()
        },
        ..Need::default()
    };
    assert_eq!(view_ids(&store, &by_paragraph).await, ["d12"]);
    // "tagus" is in 1 of 40 sentences; "trade" in 20 (over 10%): only the rare term searches.
    let keywords = content_terms("Tagus trade");
    let by_text = five_by_text(&keywords);
    assert_eq!(view_ids(&store, &by_text).await, ["d7"]);
    let whole = Need {
        whole_up_to: 40,
        ..by_text
    };
    assert_eq!(view_ids(&store, &whole).await.len(), 20);
}

/// A database at schema version 3 (content terms in `sentences.tsv`) is upgraded in place:
/// migration 4 moves the stored sentences' terms into `sentence_terms`, where text search and
/// deletes find them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_migration_4_keeps_the_content_terms_of_stored_sentences() {
    let Some(url) = common::postgres::fresh_database("migration_4").await else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    twenty_directions(&store).await;
    // Back to version 3's layout, as that footnote left it.
    let client = connect(&url).await;
    client
        .batch_execute(
            "ALTER TABLE sentences ADD COLUMN tsv tsvector;
             UPDATE sentences s SET tsv = t.tsv FROM sentence_terms t
              WHERE (s.doc, s.paragraph, s.position) = (t.doc, t.paragraph, t.position);
             DROP TABLE sentence_terms;
             CREATE INDEX sentences_tsv ON sentences USING gin (tsv);
             DELETE FROM footnote_migrations WHERE version = 4;",
        )
        .await
        .unwrap();
    let store = PostgresStore::open(&url).await.unwrap();
    let moved: i64 = client
        .query_one("SELECT count(*) FROM sentence_terms", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(moved, 40);
    let keywords = content_terms("Tagus");
    let by_text = five_by_text(&keywords);
    assert_eq!(view_ids(&store, &by_text).await, ["d7"]);
    assert!(store.delete("d7").await.unwrap());
    assert!(view_ids(&store, &by_text).await.is_empty());
    let left: i64 = client
        .query_one("SELECT count(*) FROM sentence_terms", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 38);
}

/// The vector searches' order is the expression the HNSW indexes hold, so that PostgreSQL
/// serves them from the index (were the two to differ, every search would scan the table: seconds
/// at a million sentences, and nothing else would notice); and a store indexed at full precision,
/// as footnote did before, keeps only the half-precision indexes once reopened and indexed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_vector_searches_are_served_by_the_half_precision_indexes() {
    let Some(url) = common::postgres::fresh_database("half_indexes").await else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    let client = connect(&url).await;
    for table in ["sentences", "paragraphs"] {
        client
            .batch_execute(&format!(
                "CREATE INDEX {table}_embedding_2 ON {table}
                 USING hnsw ((embedding::vector(2)) vector_cosine_ops)"
            ))
            .await
            .unwrap();
    }
    twenty_directions(&store).await;
    let indexes: Vec<String> = first_column(
        &client,
        "SELECT indexname::text FROM pg_indexes WHERE indexname LIKE '%embedding%' ORDER BY 1",
        &[],
    )
    .await;
    assert_eq!(
        indexes,
        ["paragraphs_embedding_half_2", "sentences_embedding_half_2"]
    );
    // Twenty rows: without this the planner rightly prefers reading them all.
    client
        .batch_execute("SET enable_seqscan = off")
        .await
        .unwrap();
    let near = pgvector::Vector::from(direction(3));
    for table in ["sentences", "paragraphs"] {
        let explain = format!(
            "EXPLAIN SELECT doc FROM {table} WHERE embedding IS NOT NULL
             ORDER BY {} LIMIT 2",
            nearest_first(2)
        );
        let plan: Vec<String> = first_column(&client, &explain, &[&near]).await;
        let plan = plan.join("\n");
        assert!(
            plan.contains(&format!("Index Scan using {table}_embedding_half_2")),
            "{plan}"
        );
    }
}

/// A replica's cache never brings back a document deleted through another replica, and a
/// replica keeping no documents at all (`--cache-mib 0`) reads the same views.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_views_never_return_a_document_deleted_elsewhere() {
    let Some(url) = common::postgres::fresh_database("views_deleted").await else {
        return;
    };
    let (replica, other) = (
        PostgresStore::open(&url).await.unwrap(),
        PostgresStore::open(&url).await.unwrap(),
    );
    twenty_directions(&replica).await;
    let near = [direction(12)];
    let need = two_nearest_sentences(&near);
    assert_eq!(view_ids(&replica, &need).await, ["d12"], "now in its cache");
    assert!(other.delete("d12").await.unwrap());
    let after = view_ids(&replica, &need).await;
    // d11 and d13 are equally near: either, or one sentence of each.
    assert!(
        !after.is_empty() && after.iter().all(|id| id == "d11" || id == "d13"),
        "the nearest left, not the cached deleted one: {after:?}"
    );
    replica.set_cache_bytes(0);
    assert_eq!(view_ids(&replica, &need).await, after);
    assert_eq!(
        view_ids(&replica, &need).await,
        after,
        "read again, not kept"
    );
}

/// Twenty documents stored in `store` (2-wide vectors, HNSW indexes built), document `i`'s
/// vectors all pointing in [`direction`]`(i)`; only document 7 names the Tagus.
async fn twenty_directions(store: &PostgresStore) {
    store.index_vectors(2).await.unwrap();
    let docs: Vec<Document> = (0..20)
        .map(|i| {
            let place = if i == 7 { "the Tagus" } else { "the river" };
            article(
                &format!("d{i}"),
                &format!("Boats sailed on {place} in week {i}. Trade grew."),
            )
        })
        .collect();
    let vectors: Vec<DocumentVectors> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let n = DocumentVectors::texts(d).len();
            let mut rows = (0..n).map(|_| direction(i));
            DocumentVectors::take(d, &mut rows)
        })
        .collect();
    store
        .insert(&rows_of(&docs, &vectors), &model(2))
        .await
        .unwrap();
}

/// A view of the documents of the two sentences nearest `near` (in [`twenty_directions`]: both
/// sentences of the nearest document).
fn two_nearest_sentences(near: &[Vec<f32>]) -> Need<'_> {
    Need {
        near,
        limits: CandidateLimits {
            sentences: 2,
            ..CandidateLimits::default()
        },
        ..Need::default()
    }
}

/// A view of the documents of the five sentences ranked best by text search for `keywords`.
fn five_by_text(keywords: &[String]) -> Need<'_> {
    Need {
        keywords,
        limits: CandidateLimits {
            keyword: 5,
            ..CandidateLimits::default()
        },
        ..Need::default()
    }
}

/// Document `i`'s direction in [`twenty_directions`].
fn direction(i: usize) -> Vec<f32> {
    let angle = i as f32 * 0.15;
    vec![angle.cos(), angle.sin()]
}

/// Replicas starting together on a new database: every one of them opens (a second application
/// of a migration would fail on its tables), all migrations are recorded, and they see one
/// another's writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_starting_together_migrate_once() {
    let Some(url) = common::postgres::fresh_database("migrate_once").await else {
        return;
    };
    let url: StoreUrl = url.parse().unwrap();
    let opens = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { AnyStore::open(&url).await })
    });
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.unwrap().expect("every replica opens"));
    }
    let a = article("a", TEXT);
    let va = vectors_for(&a, 2, 0.0);
    let rows = [NewDocument {
        document: &a,
        vectors: &va,
    }];
    stores[0].insert(&rows, &model(2)).await.unwrap();
    assert_eq!(stores[3].load(2).await.unwrap().len(), 1);

    let client = connect(&postgres_url(&url)).await;
    // Every migration recorded (a replica that skipped one, or failed on one another had
    // applied, would not have opened above).
    let versions: Vec<i32> = first_column(
        &client,
        "SELECT version FROM footnote_migrations ORDER BY version",
        &[],
    )
    .await;
    assert_eq!(versions, [1, 2, 3, 4]);
}

/// A database footnote did not make, or made by a newer footnote, is refused and left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_a_newer_schema_and_a_foreign_documents_table() {
    let Some(newer) = common::postgres::fresh_database("newer_schema").await else {
        return;
    };
    let url: StoreUrl = newer.parse().unwrap();
    drop(open(&url).await);
    let client = connect(&newer).await;
    client
        .execute(
            "INSERT INTO footnote_migrations (version, name) VALUES (99, 'from the future')",
            &[],
        )
        .await
        .unwrap();
    let err = AnyStore::open(&url).await.err().expect("refused");
    assert!(matches!(err, Error::StoreFormat(_)), "{err}");
    assert!(err.to_string().contains("schema version 99"), "{err}");

    let Some(foreign) = common::postgres::fresh_database("foreign_table").await else {
        return;
    };
    let client = connect(&foreign).await;
    client
        .batch_execute("CREATE TABLE documents (name text); INSERT INTO documents VALUES ('ann')")
        .await
        .unwrap();
    let err = AnyStore::open(&foreign.parse().unwrap())
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("footnote did not make"), "{err}");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM documents", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
    let ours: bool = client
        .query_one("SELECT to_regclass('footnote_migrations') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!ours, "footnote wrote to a database that is not its own");
}

/// A server that does not answer is "unavailable" (the API's 503), within the pool's wait, not
/// a hang or a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_postgres_is_unavailable_not_a_hang() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url: StoreUrl = format!("postgres://footnote:secret@127.0.0.1:{port}/news")
        .parse()
        .unwrap();
    let started = std::time::Instant::now();
    let err = AnyStore::open(&url).await.err().expect("no server there");
    assert!(matches!(err, Error::StoreUnavailable(_)), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The first column of every row `sql` returns.
async fn first_column<T: tokio_postgres::types::FromSqlOwned>(
    client: &tokio_postgres::Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Vec<T> {
    let rows = client.query(sql, params).await.unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

fn postgres_url(url: &StoreUrl) -> String {
    match url {
        StoreUrl::Postgres(url) => url.clone(),
        StoreUrl::Sqlite(_) => unreachable!("a PostgreSQL test"),
    }
}

/// Runs `footnote migrate`; its exit status and output.
fn run_migrate(from: &StoreUrl, to: &StoreUrl) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_footnote"))
        .args(["migrate", "--from", &from.to_string(), "--to"])
        .arg(match to {
            StoreUrl::Postgres(url) => url.clone(),
            StoreUrl::Sqlite(_) => to.to_string(),
        })
        .output()
        .unwrap()
}

/// `footnote migrate` copies a SQLite store into PostgreSQL (into another SQLite file where no
/// cluster is given) and back: the same documents, paragraphs, vectors, model and seeded flag;
/// a target that is not new is refused with one line and left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_a_store_whole_and_refuses_a_used_target() {
    let dir = tempfile::tempdir().unwrap();
    let source = StoreUrl::Sqlite(dir.path().join("desk.sqlite3"));
    let store = open(&source).await;
    let a = article("a", TEXT);
    let b = article("b", "A second article. It has two sentences.");
    let (va, vb) = (vectors_for(&a, 3, 0.5), vectors_for(&b, 3, 100.0));
    let rows = [
        NewDocument {
            document: &a,
            vectors: &va,
        },
        NewDocument {
            document: &b,
            vectors: &vb,
        },
    ];
    store.insert(&rows, &model(3)).await.unwrap();
    store.mark_seeded().await.unwrap();
    let original = store.load(3).await.unwrap();

    let target: StoreUrl = match common::postgres::fresh_database("migrate").await {
        Some(url) => url.parse().unwrap(),
        None => StoreUrl::Sqlite(dir.path().join("copy.sqlite3")),
    };
    let out = run_migrate(&source, &target);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("migrated 2 documents (4 paragraphs, 5 sentences)"),
        "{stdout}"
    );
    let copy = open(&target).await;
    assert_eq!(copy.model().await.unwrap(), Some(model(3)));
    assert!(copy.is_seeded().await.unwrap());
    let copied = copy.load(3).await.unwrap();
    assert_eq!(copied.len(), original.len());
    for (c, o) in copied.iter().zip(&original) {
        assert_eq!(c.document, o.document);
        assert_eq!(c.vectors, o.vectors);
    }

    // Again into the same target: refused, nothing added.
    let out = run_migrate(&source, &target);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the target store is not new"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(copy.load(3).await.unwrap().len(), 2);

    // And back, into a new file.
    let back = StoreUrl::Sqlite(dir.path().join("back.sqlite3"));
    let out = run_migrate(&target, &back);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = open(&back).await.load(3).await.unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[1].document, b);
    assert_eq!(loaded[1].vectors.as_ref(), Some(&vb));
}
