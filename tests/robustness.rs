//! The service under stress and across restarts: concurrent asks and ingests, `kill -9` in the
//! middle of an ingest, SIGTERM with a request in flight, a model change, seeds that appear
//! later, and the same model under another name; over real HTTP (see `common::server`).

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use common::server::{
    articles, assert_citations_resolve, Server, CALL_QUESTION, SEED, WHERE_QUESTION,
};
use footnote::document::Document;
use footnote::store::{AnyStore, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_asks_and_ingests_all_succeed_consistently() {
    let data = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start(data.path(), &[]).await);
    // 40 ingests: 20 new articles, each posted twice at once; 60 asks.
    let new = articles("storm", 20);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let server = server.clone();
        let request = if i % 5 < 2 {
            let (id, text) = &new[(i / 5) * 2 % 20 + i % 5];
            json!({"id": id, "text": text})
        } else {
            let question = [CALL_QUESTION, WHERE_QUESTION][i % 2];
            json!({ "question": question })
        };
        tasks.spawn(async move {
            let path = if request.get("text").is_some() {
                "/v1/documents"
            } else {
                "/v1/ask"
            };
            let (status, body) = server.post(path, &request).await;
            (request, status, body)
        });
    }
    let mut created: HashMap<String, usize> = HashMap::new();
    let mut asks = 0;
    while let Some(result) = tasks.join_next().await {
        let (request, status, body) = result.unwrap();
        assert!(status.is_success(), "{request} got {status}: {body}");
        if let Some(question) = request["question"].as_str() {
            asks += 1;
            assert_eq!(body["abstained"], false, "{body}");
            let expected = if question == CALL_QUESTION {
                "50 minutes"
            } else {
                "Wilmington"
            };
            assert!(
                body["answer"].as_str().unwrap().contains(expected),
                "{body}"
            );
            assert_citations_resolve(&server, &body["sentences"]).await;
        } else {
            assert_eq!(body["id"], request["id"]);
            if body["created"] == true {
                *created
                    .entry(body["id"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(asks, 60);
    // Each article was stored exactly once, whichever of its two posts came first.
    assert_eq!(created.len(), 20);
    assert!(created.values().all(|&n| n == 1), "{created:?}");
    let (_, page) = server.get("/v1/documents?limit=100").await;
    assert_eq!(page["total"], 25);
    let ids: HashSet<&str> = page["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    for (id, text) in &new {
        assert!(ids.contains(id.as_str()), "{id} missing");
        let (_, doc) = server.get(&format!("/v1/documents/{id}")).await;
        let expected = Document::new(id.clone(), None, text).unwrap();
        assert_eq!(
            doc["paragraphs"].as_array().unwrap().len(),
            expected.paragraphs.len()
        );
    }
    // The same question now gets the same answer every time.
    let (_, first) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    let (_, second) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(first, second);
}

/// Checks the store file directly: every document is complete (all paragraphs and sentences, as
/// the library segments its text, and a 384-wide vector for each content one) or absent.
fn assert_store_consistent(data: &Path, texts: &HashMap<String, String>) -> Vec<String> {
    let conn = rusqlite::Connection::open(data.join(footnote::store::FILE_NAME)).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let orphans: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM paragraphs WHERE doc_id NOT IN (SELECT id FROM documents))
                  + (SELECT COUNT(*) FROM sentences WHERE doc_id NOT IN (SELECT id FROM documents))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM documents ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for id in &ids {
        let Some(text) = texts.get(id) else { continue };
        let expected = Document::new(id.clone(), None, text).unwrap();
        let paragraphs: Vec<(usize, String, bool, Option<Vec<u8>>)> = conn
            .prepare("SELECT number, text, is_content, embedding FROM paragraphs WHERE doc_id = ?1 ORDER BY number")
            .unwrap()
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            paragraphs.len(),
            expected.paragraphs.len(),
            "{id}: paragraphs"
        );
        for ((number, text, is_content, embedding), want) in
            paragraphs.iter().zip(&expected.paragraphs)
        {
            assert_eq!(
                (*number, text, *is_content),
                (want.number, &want.text, want.is_content)
            );
            assert_eq!(
                embedding.as_ref().map(Vec::len),
                want.is_content.then_some(384 * 4),
                "{id} ¶{number}"
            );
            let sentences: Vec<(String, Option<Vec<u8>>)> = conn
                .prepare("SELECT text, embedding FROM sentences WHERE doc_id = ?1 AND paragraph = ?2 ORDER BY position")
                .unwrap()
                .query_map(rusqlite::params![id, number], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(
                sentences.len(),
                want.sentences.len(),
                "{id} ¶{number}: sentences"
            );
            for ((text, embedding), want_text) in sentences.iter().zip(&want.sentences) {
                assert_eq!(text, want_text);
                assert_eq!(
                    embedding.as_ref().map(Vec::len),
                    want.is_content.then_some(384 * 4)
                );
            }
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_large_ingest_leaves_every_document_whole_or_absent() {
    let data = tempfile::tempdir().unwrap();
    let seed_file = common::repo_path(&format!("seeds/{SEED}.txt"));
    let corpus = ["--corpus", seed_file.to_str().unwrap()];
    let mut server = Server::start(data.path(), &corpus).await;
    // 400 articles in 20 requests of 20, one after another; SIGKILL once 3 are acknowledged,
    // while the next is being embedded or committed.
    let all = articles("crash", 400);
    let texts: HashMap<String, String> = all.iter().cloned().collect();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<String>>();
    let client = server.client.clone();
    let url = server.url("/v1/documents");
    let poster = tokio::spawn(async move {
        for chunk in all.chunks(20) {
            let body: Vec<Value> = chunk
                .iter()
                .map(|(id, text)| json!({"id": id, "text": text}))
                .collect();
            let Ok(response) = client.post(&url).json(&body).send().await else {
                return;
            };
            if response.status() != StatusCode::CREATED {
                return;
            }
            let _ = acked_tx.send(chunk.iter().map(|(id, _)| id.clone()).collect());
        }
    });
    let mut acked: Vec<String> = Vec::new();
    for _ in 0..3 {
        acked.extend(acked_rx.recv().await.expect("a batch is acknowledged"));
    }
    // Kill while the next batch is in the model queue or being written.
    server.wait_for_queued_request("the fourth batch").await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    poster.await.unwrap();
    while let Ok(batch) = acked_rx.try_recv() {
        acked.extend(batch);
    }
    drop(server);

    let stored = assert_store_consistent(data.path(), &texts);
    assert!(
        acked.iter().all(|id| stored.contains(id)),
        "an acknowledged document was lost"
    );
    assert!(
        stored.len() < 401,
        "the kill came before the ingest finished"
    );

    // It restarts on the same store, without re-embedding, and serves what it holds.
    let server = Server::start(data.path(), &corpus).await;
    let (_, page) = server.get("/v1/documents?limit=1000").await;
    assert_eq!(page["total"], stored.len());
    for id in stored.iter().filter(|id| texts.contains_key(*id)).take(5) {
        let (status, doc) = server.get(&format!("/v1/documents/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(doc["paragraphs"].as_array().unwrap().len(), 3);
    }
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": "How often does the ferry run in crash Bay 7?", "documents": ["crash-7"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_citations_resolve(&server, &answer["sentences"]).await;
    assert!(!server.log().contains("re-embedding"), "{}", server.log());
    // Posting the remaining articles completes the corpus.
    let rest: Vec<Value> = articles("crash", 400)
        .into_iter()
        .filter(|(id, _)| !stored.contains(id))
        .map(|(id, text)| json!({"id": id, "text": text}))
        .collect();
    for chunk in rest.chunks(100) {
        let (status, body) = server.post("/v1/documents", &json!(chunk)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, page) = server.get("/v1/documents?limit=1").await;
    assert_eq!(page["total"], 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_and_restarts_reuse_or_refresh_vectors() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[]).await;
    let (_, before) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;

    // SIGTERM while an ingest is in the model queue: it completes, then the server exits 0.
    let body: Vec<Value> = articles("term", 40)
        .into_iter()
        .map(|(id, text)| json!({"id": id, "text": text}))
        .collect();
    let request = server
        .client
        .post(server.url("/v1/documents"))
        .json(&body)
        .send();
    let in_flight = tokio::spawn(request);
    server.wait_for_queued_request("the ingest").await;
    let status = server.terminate();
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(status.success(), "exit status {status}: {}", server.log());
    assert!(server.log().contains("shutting down"));
    drop(server);

    // Restart: the documents are there and nothing is embedded again.
    let mut server = Server::start(data.path(), &[]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 45);
    assert!(
        !server
            .metrics()
            .await
            .contains("footnote_embedding_tokens_total"),
        "re-embedded on restart"
    );
    let (_, after) = server.post("/v1/ask", &json!({"question": CALL_QUESTION, "documents": common::seed_documents().iter().map(|d| d.id.clone()).collect::<Vec<_>>()})).await;
    assert_eq!(after["answer"], before["answer"]);
    assert!(server.terminate().success());
    drop(server);

    // A changed model (here: a store whose fingerprint says its vectors came from another one;
    // a name alone does not count, see the test below) re-embeds
    // everything on start, with progress in the log, and records the model.
    let db = data.path().join(footnote::store::FILE_NAME);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let fingerprint: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'model_fingerprint'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE meta SET value = 'an-older-model' WHERE key = 'model_fingerprint'",
        [],
    )
    .unwrap();
    drop(conn);
    let server = Server::start(data.path(), &[]).await;
    let log = server.log();
    assert!(log.contains("re-embedding 45 documents"), "{log}");
    assert!(log.contains("re-embedded 45/45 documents"), "{log}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let now: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'model_fingerprint'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(now, fingerprint);
    let (_, again) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert!(again["answer"].as_str().unwrap().contains("50 minutes"));
}

/// `--store sqlite:PATH` puts the store where it says (directories created), and a restart on the
/// same URL finds what was stored; `--data` is then not used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_named_by_url_is_kept_there_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("newsroom/archive.sqlite3");
    let url = format!("sqlite:{}", file.display());
    let cwd = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(cwd.path(), dir.path(), &["--store", &url]).await;
    let text = "The harbour bridge reopened on Monday after six weeks of repairs.";
    let (status, _) = server
        .post("/v1/documents", &json!({"id": "bridge", "text": text}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(server.log().contains(&format!("document store {url}")));
    assert!(server.terminate().success());
    drop(server);
    assert!(file.is_file());
    assert!(!cwd.path().join("data").exists(), "--data used as well");

    let server = Server::start_in(cwd.path(), dir.path(), &["--store", &url]).await;
    let (status, paragraph) = server.get("/v1/documents/bridge/paragraphs/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paragraph["text"], text);
}

/// The service on a PostgreSQL store: seeded on first start, answers with citations that
/// resolve, ingests and deletes, and finds it all again after a restart (the store, not the
/// process, holds the corpus).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_runs_on_a_postgres_store_across_restarts() {
    let Some(url) = common::postgres::fresh_database("serve_postgres").await else {
        return;
    };
    let unused = tempfile::tempdir().unwrap();
    let mut server = Server::start(unused.path(), &["--store", &url]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5, "{}", server.log());
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer["answer"].as_str().unwrap().contains("50 minutes"));
    assert_citations_resolve(&server, &answer["sentences"]).await;
    let text = "The harbour bridge reopened on Monday after six weeks of repairs.";
    let (status, _) = server
        .post("/v1/documents", &json!({"id": "bridge", "text": text}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let deleted = server
        .client
        .delete(server.url(&format!("/v1/documents/{SEED}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(server.terminate().success());
    drop(server);

    let server = Server::start(unused.path(), &["--store", &url]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5, "{}", server.log());
    let (status, paragraph) = server.get("/v1/documents/bridge/paragraphs/1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(paragraph["text"], text);
    let (status, _) = server.get(&format!("/v1/documents/{SEED}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted, and not seeded again"
    );
    assert!(
        !server.log().contains("re-embedding"),
        "vectors read back, not made again"
    );
    drop(server);

    // A replica with another model must not re-embed a store others answer from: it refuses.
    let client = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(client.1);
    client
        .0
        .execute(
            "UPDATE footnote_meta SET value = 'another-model' WHERE key = 'model_fingerprint'",
            &[],
        )
        .await
        .unwrap();
    let mut refused = Server::launch_in(&common::repo_path(""), unused.path(), &["--store", &url]);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = refused.child.try_wait().unwrap() {
            break status;
        }
        // Only so that a replica that starts anyway fails the test instead of hanging it.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(300),
            "started on another model's vectors: {}",
            refused.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(!status.success());
    assert!(
        refused
            .wait_for_log_line(|l| l.contains("must run the same model"))
            .await,
        "{}",
        refused.log()
    );
}

/// A PostgreSQL cluster of this test's own (the database goes down and up, which the shared
/// cluster must not), stopped and removed when dropped.
struct OwnCluster {
    dir: tempfile::TempDir,
}

impl OwnCluster {
    fn script(&self, command: &str) -> String {
        let out = std::process::Command::new(common::repo_path("scripts/postgres.sh"))
            .arg(command)
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(common::repo_path("scripts/postgres.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// A replica on PostgreSQL answers, summarizes and verifies as the SQLite store does: with
/// `--candidates` above the store's sentence count it reads the corpus whole, and its term
/// counts (kept by SQL) must then give byte-identical JSON; with the default, retrieval runs
/// (HNSW and text search) and must still find the call's answer, cited, on the seeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_answers_as_the_sqlite_store_does() {
    let Some(url) = common::postgres::fresh_database("parity").await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let sqlite = Server::start(data.path(), &[]).await;
    let whole = Server::start(data.path(), &["--store", &url, "--candidates", "1000"]).await;
    let questions = [
        CALL_QUESTION,
        "What did Biden warn Putin about?",
        "Who won the Super Bowl?",
        "Where was Biden during the call?",
    ];
    let verify = json!({"text": format!(
        "The call lasted 50 minutes [{SEED} ¶3]. Biden spoke from Delaware. Putin asked for the call."
    )});
    let requests: Vec<(&str, Value)> = questions
        .iter()
        .map(|q| ("/v1/ask", json!({"question": q})))
        .chain([
            ("/v1/summarize", json!({})),
            ("/v1/summarize", json!({"documents": [SEED]})),
            ("/v1/verify", verify.clone()),
        ])
        .collect();
    for (path, body) in &requests {
        let (status, expected) = sqlite.post(path, body).await;
        assert_eq!(status, StatusCode::OK, "{path} {body}");
        let (status, got) = whole.post(path, body).await;
        assert_eq!(status, StatusCode::OK, "{path} {body}: {}", whole.log());
        assert_eq!(got, expected, "{path} {body}");
    }
    drop(whole);
    let searching = Server::start(data.path(), &["--store", &url]).await;
    let (status, answer) = searching
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer["answer"].as_str().unwrap().contains("50 minutes"));
    assert_citations_resolve(&searching, &answer["sentences"]).await;
}

/// The database down at start, then during service: the API answers 503 `not_ready` with
/// Retry-After (a replica holds no corpus of its own, so reads need the database as writes do)
/// and recovers by itself when the database is back, with nothing lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_503_and_recovers_without_a_restart() {
    // Only where PostgreSQL tests run (CI starts a cluster; this test starts one of its own).
    if common::postgres::fresh_database("outage").await.is_none() {
        return;
    }
    let cluster = OwnCluster {
        dir: tempfile::Builder::new()
            .prefix("fn-pg-")
            .tempdir_in("/tmp")
            .unwrap(),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = std::process::Command::new(common::repo_path("scripts/postgres.sh"))
        .arg("start")
        .arg(cluster.dir.path())
        .arg(port.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    cluster.script("down");

    let unused = tempfile::tempdir().unwrap();
    let mut server = Server::launch_in(&common::repo_path(""), unused.path(), &["--store", &url]);
    assert!(
        server
            .wait_for_log_line(|l| l.contains("unavailable") && l.contains("waiting for it"))
            .await,
        "{}",
        server.log()
    );
    assert_not_ready(&server, "/v1/ask", &json!({"question": CALL_QUESTION})).await;

    cluster.script("up");
    server.wait_ready().await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5, "{}", server.log());

    cluster.script("down");
    let text = "The ferry service resumed on Tuesday after the storm.";
    assert_not_ready(
        &server,
        "/v1/documents",
        &json!({"id": "ferry", "text": text}),
    )
    .await;
    // Replicas hold no corpus: reads need the database too, and readiness says so.
    assert_not_ready(&server, "/v1/ask", &json!({"question": CALL_QUESTION})).await;
    let (status, _) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    cluster.script("up");
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", server.log());
    assert!(answer["answer"].as_str().unwrap().contains("50 minutes"));
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(
        ready["documents"], 5,
        "the refused write left the corpus as it was"
    );
    let (status, _) = server
        .post("/v1/documents", &json!({"id": "ferry", "text": text}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}", server.log());
    assert!(server.terminate().success());
    drop(server);
    let server = Server::start(unused.path(), &["--store", &url]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 6);
}

/// Posts `body` to `path` and checks the answer is 503 `not_ready` with `Retry-After: 1`.
async fn assert_not_ready(server: &Server, path: &str, body: &Value) {
    let response = server
        .client
        .post(server.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
    assert_eq!(response.headers()["retry-after"], "1", "{path}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_ready", "{path}: {body}");
}

/// kill -9 of a replica during a large ingest into PostgreSQL: every document is whole (all its
/// paragraphs, sentences and vectors) or absent, and every acknowledged one is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_postgres_replica_leaves_every_document_whole_or_absent() {
    let Some(url) = common::postgres::fresh_database("kill_9_postgres").await else {
        return;
    };
    let unused = tempfile::tempdir().unwrap();
    let seed_file = common::repo_path(&format!("seeds/{SEED}.txt"));
    let args = [
        "--store",
        url.as_str(),
        "--corpus",
        seed_file.to_str().unwrap(),
    ];
    let mut server = Server::start(unused.path(), &args).await;
    let all = articles("pgcrash", 200);
    let texts: HashMap<String, String> = all.iter().cloned().collect();
    let mut acked: Vec<String> = Vec::new();
    for chunk in all.chunks(20).take(2) {
        let body: Vec<Value> = chunk
            .iter()
            .map(|(id, text)| json!({"id": id, "text": text}))
            .collect();
        let (status, _) = server.post("/v1/documents", &json!(body)).await;
        assert_eq!(status, StatusCode::CREATED);
        acked.extend(chunk.iter().map(|(id, _)| id.clone()));
    }
    // The next one, killed while it is embedded or written.
    let body: Vec<Value> = all[40..]
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text}))
        .collect();
    let pending = server
        .client
        .post(server.url("/v1/documents"))
        .json(&body)
        .send();
    let pending = tokio::spawn(pending);
    server.wait_for_queued_request("the large ingest").await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(pending.await.unwrap().is_err(), "answered before the kill");
    drop(server);

    let store = AnyStore::open(&url.parse().unwrap()).await.unwrap();
    let stored = store.load(384).await.unwrap();
    for doc in &stored {
        let Some(text) = texts.get(&doc.document.id) else {
            continue;
        };
        let expected = Document::new(doc.document.id.clone(), None, text).unwrap();
        assert_eq!(doc.document, expected, "a document stored in part");
        assert!(
            doc.vectors.is_some(),
            "{} stored without its vectors",
            expected.id
        );
    }
    let ids: HashSet<&str> = stored.iter().map(|d| d.document.id.as_str()).collect();
    assert!(
        acked.iter().all(|id| ids.contains(id.as_str())),
        "an acknowledged document was lost"
    );
    assert!(ids.len() < 201, "the kill came before the ingest finished");
}

/// Ids a replica lists (all pages).
async fn listed(server: &Server) -> Vec<String> {
    let (status, page) = server.get("/v1/documents?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    page["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// Two `serve` replicas on one PostgreSQL database serve one corpus: started together on an
/// empty database they seed it once; a document stored through one is answerable through the
/// other on the next request, and a delete through one is seen by the other at once; the same
/// text posted to both at the same moment is stored once, under one id; an id taken through
/// one is a 409 through the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_database_serve_one_corpus() {
    let Some(url) = common::postgres::fresh_database("two_replicas").await else {
        return;
    };
    let unused = tempfile::tempdir().unwrap();
    let args = ["--store", url.as_str()];
    let (a, b) = tokio::join!(
        Server::start(unused.path(), &args),
        Server::start(unused.path(), &args),
    );
    let seeds = listed(&a).await;
    assert_eq!(seeds.len(), 5, "{}\n{}", a.log(), b.log());
    assert_eq!(listed(&b).await, seeds);

    let text = "The harbour bridge in Port Elwyn reopened on Monday after six weeks of repairs \
                costing 4.2 million dollars.";
    let (status, _) = a
        .post("/v1/documents", &json!({"id": "bridge", "text": text}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = b
        .post(
            "/v1/ask",
            &json!({"question": "How much did the repairs of the Port Elwyn bridge cost?"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer["answer"].as_str().unwrap().contains("4.2 million"),
        "{answer}"
    );
    assert_citations_resolve(&b, &answer["sentences"]).await;

    let deleted = b
        .client
        .delete(b.url("/v1/documents/bridge"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = a.get("/v1/documents/bridge").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The same text through both at once: one row, one id, created once.
    let same = json!({"text": "The ferry to Lisk Island resumed on Tuesday after the storm."});
    let ((status_a, from_a), (status_b, from_b)) = tokio::join!(
        a.post("/v1/documents", &same),
        b.post("/v1/documents", &same)
    );
    let statuses = [status_a, status_b];
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert_eq!(from_a["id"], from_b["id"], "{from_a} {from_b}");
    assert_eq!(listed(&a).await.len(), 6);
    assert_eq!(listed(&b).await, listed(&a).await);

    // An id taken through one replica is taken for the other.
    let (status, _) = a
        .post(
            "/v1/documents",
            &json!({"id": "notice", "text": "First notice text."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = b
        .post(
            "/v1/documents",
            &json!({"id": "notice", "text": "A different notice."}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "id_conflict");
}

/// A store URL footnote cannot use is refused at once with one line saying what it takes.
#[test]
fn an_unknown_store_url_is_refused_with_one_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_footnote"))
        .args(["serve", "--store", "mysql://db/news"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expected sqlite:PATH"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_first_started_without_seeds_is_seeded_when_they_appear() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(elsewhere.path(), data.path(), &[]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 0);
    assert!(server.log().contains("starting empty"), "{}", server.log());
    assert!(server.terminate().success());
    drop(server);

    let server = Server::start(data.path(), &[]).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5, "{}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_model_under_another_name_keeps_the_stored_vectors() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &[]).await;
    assert!(server.terminate().success());
    drop(server);

    // The default hub id's folder, named by its path: the same files, so the same vectors.
    let folder = common::settings().models_dir.join("all-MiniLM-L6-v2");
    let folder = folder.to_str().unwrap();
    let server = Server::start(data.path(), &["--model", folder]).await;
    let log = server.log();
    assert!(!log.contains("re-embedding"), "{log}");
    assert!(
        !server
            .metrics()
            .await
            .contains("footnote_embedding_tokens_total"),
        "re-embedded under the new name"
    );
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5);
    let conn = rusqlite::Connection::open(data.path().join(footnote::store::FILE_NAME)).unwrap();
    let name: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'model_name'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(name, folder, "the store records the name in use");
}
