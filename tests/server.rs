//! The HTTP service end to end, over real HTTP.
//!
//! Each test spawns the real binary, `footnote serve --addr 127.0.0.1:0`, on a temporary data
//! directory, reads the bound address from its log line `listening on http://ADDR`, waits for
//! `/readyz`, and talks to it with reqwest. Spawning the binary rather than serving in-process
//! tests exactly what operators run, lets the crash test `kill -9` it and restart it on the same
//! store, and gives each server its own process-wide metrics recorder. The model is the real
//! one, found as `tests/common` finds it. Nothing here asserts on speed: waits have generous
//! upper bounds only so that a broken server fails the test instead of hanging it.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use footnote::answer::{Answer, AskOptions};
use footnote::document::{self, Document};
use footnote::summarize::{self, Length, Summary};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const SEED: &str = "001_49e84201299b6d56";
const CALL_QUESTION: &str = "How long did the call between Biden and Putin last?";
const WHERE_QUESTION: &str = "Where did Biden take the call from?";
/// Upper bound for start-up (model load, seeding); only there so a broken server fails fast.
const START_LIMIT: Duration = Duration::from_secs(600);

struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    /// Reads the log until the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
    client: Client,
}

impl Server {
    /// Starts `footnote serve` on `data` from the repository (where `seeds/` is) and waits
    /// until it is ready.
    async fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_in(&common::repo_path(""), data, extra).await
    }

    /// Starts `footnote serve` on `data` in the working directory `cwd`.
    async fn start_in(cwd: &Path, data: &Path, extra: &[&str]) -> Server {
        let settings = common::settings();
        let mut child = Command::new(env!("CARGO_BIN_EXE_footnote"))
            .current_dir(cwd)
            .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
            .env("RUST_LOG", "footnote=info,warn")
            .args(["serve", "--addr", "127.0.0.1:0", "--request-timeout", "600"])
            .arg("--data")
            .arg(data)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("footnote serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let lines = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("listening on http://").nth(1) {
                    let _ = addr_tx.send(addr.trim().to_string());
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = addr_rx
            .recv_timeout(START_LIMIT)
            .unwrap_or_else(|_| panic!("no address in the log: {:?}", log.lock().unwrap()));
        let server = Server {
            child,
            base: format!("http://{addr}"),
            log,
            reader: Some(reader),
            client: Client::new(),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        loop {
            if let Ok(r) = self.client.get(self.url("/readyz")).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
                assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            }
            assert!(started.elapsed() < START_LIMIT, "not ready: {}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn metrics(&self) -> String {
        let r = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    }

    /// Waits until one request sits in the model queue; `what` names it if it never arrives.
    async fn wait_for_queued_request(&self, what: &str) {
        let started = Instant::now();
        while !self
            .metrics()
            .await
            .contains("footnote_embedding_queue_depth 1")
        {
            assert!(
                started.elapsed() < START_LIMIT,
                "{what} never reached the model"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// SIGTERM, then the exit status once the process has ended and its log is read.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every citation of an answer or summary resolves through the paragraph endpoint, and every
/// sentence is verbatim in a paragraph it cites.
async fn assert_citations_resolve(server: &Server, sentences: &Value) {
    let sentences = sentences.as_array().unwrap();
    for sentence in sentences {
        let text = sentence["text"].as_str().unwrap();
        let mut verbatim = false;
        let citations = sentence["citations"].as_array().unwrap();
        assert!(!citations.is_empty(), "uncited sentence: {sentence}");
        let also = sentence["corroborated_by"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for citation in citations.iter().chain(&also) {
            let (doc, n) = (citation["doc"].as_str().unwrap(), &citation["paragraph"]);
            let (status, paragraph) = server
                .get(&format!("/v1/documents/{doc}/paragraphs/{n}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{citation} does not resolve");
            assert_eq!(paragraph["number"], *n);
            verbatim |= paragraph["text"].as_str().unwrap().contains(text);
        }
        assert!(verbatim, "`{text}` is not in the paragraph it cites");
    }
}

fn seed_position(id: &str) -> usize {
    common::seed_index()
        .documents
        .iter()
        .position(|d| d.id == id)
        .unwrap()
}

/// Short articles, each unique, for ingest tests.
fn articles(prefix: &str, count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let text = format!(
                "The harbour town of {prefix} Bay number {i} opened a new ferry terminal on Monday, \
                 the council said in a statement.\n\n\
                 Residents of {prefix} Bay {i} said the ferry to the island now runs every {} minutes, \
                 and the mayor promised {} new jobs at the terminal.\n\n\
                 The terminal cost {} million euros and took three years to build.",
                10 + i % 50,
                i + 3,
                i % 90 + 7
            );
            (format!("{prefix}-{i}"), text)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_api_over_http() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]).await;

    // Health, readiness, the API description.
    let (status, health) = server.get("/healthz").await;
    assert_eq!((status, &health["status"]), (StatusCode::OK, &json!("ok")));
    let (status, ready) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["documents"], 5, "seeded from seeds/ on first start");
    let (status, openapi) = server.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/v1/ask",
        "/v1/summarize",
        "/v1/documents",
        "/v1/documents/{id}",
        "/v1/documents/{id}/paragraphs/{n}",
        "/v1/embed",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} not described");
    }

    // Listing, paginated, in the order stored (the seeds' file order).
    let seed_ids: Vec<String> = common::seed_documents().into_iter().map(|d| d.id).collect();
    let (status, page) = server.get("/v1/documents?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 5);
    assert_eq!(page["next_offset"], 2);
    let (_, rest) = server.get("/v1/documents?offset=2&limit=50").await;
    assert!(rest.get("next_offset").is_none());
    let listed: Vec<&str> = page["documents"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["documents"].as_array().unwrap())
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, seed_ids);

    // A document with numbered paragraphs, as the library segments it.
    let (status, doc) = server.get(&format!("/v1/documents/{SEED}")).await;
    assert_eq!(status, StatusCode::OK);
    let expected = &common::seed_index().documents[seed_position(SEED)];
    let paragraphs = doc["paragraphs"].as_array().unwrap();
    assert_eq!(paragraphs.len(), expected.paragraphs.len());
    for (got, want) in paragraphs.iter().zip(&expected.paragraphs) {
        assert_eq!(got["number"], want.number);
        assert_eq!(got["text"], want.text.as_str());
        assert_eq!(got["citation"], format!("[{SEED} ¶{}]", want.number));
    }

    // Ask: the same answer, in the same JSON shape, as `footnote ask --json`.
    for question in [
        CALL_QUESTION,
        WHERE_QUESTION,
        "What is the capital of France?",
    ] {
        let (status, body) = server
            .post("/v1/ask", &json!({ "question": question }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let answer: Answer = serde_json::from_value(body.clone()).unwrap();
        let library = common::engine()
            .ask(common::seed_index(), question, &AskOptions::default())
            .unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&body), keys(&serde_json::to_value(&library).unwrap()));
        assert_eq!(answer.answer, library.answer);
        assert_eq!(answer.sentences, library.sentences);
        assert_eq!(answer.abstained, library.abstained);
        assert!((answer.confidence - library.confidence).abs() < 1e-3);
        assert_citations_resolve(&server, &body["sentences"]).await;
        for cited in body["citations"]
            .as_array()
            .unwrap()
            .iter()
            .chain(body["related"].as_array().unwrap())
        {
            let (status, paragraph) = server
                .get(&format!(
                    "/v1/documents/{}/paragraphs/{}",
                    cited["doc"].as_str().unwrap(),
                    cited["paragraph"]
                ))
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(paragraph["text"], cited["text"]);
        }
    }
    let (_, answer) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert!(
        answer["answer"].as_str().unwrap().contains("50 minutes"),
        "{answer}"
    );
    let (status, restricted) = server
        .post(
            "/v1/ask",
            &json!({"question": WHERE_QUESTION, "documents": [SEED], "max_sentences": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(restricted["sentences"].as_array().unwrap().len() <= 1);
    for s in restricted["sentences"].as_array().unwrap() {
        assert_eq!(s["citations"][0]["doc"], SEED);
    }

    // Summaries of stored documents, as `footnote summarize --json`.
    let (status, body) = server
        .post(
            "/v1/summarize",
            &json!({"documents": [SEED], "sentences": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let summary: Summary = serde_json::from_value(body.clone()).unwrap();
    let library = summarize::summarize(
        common::seed_index(),
        &[seed_position(SEED)],
        Length::Sentences(3),
    )
    .unwrap();
    assert_eq!(summary.documents, library.documents);
    let texts = |s: &Summary| {
        s.sentences
            .iter()
            .map(|x| x.text.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&summary), texts(&library));
    assert_citations_resolve(&server, &body["sentences"]).await;
    let (status, all) = server.post("/v1/summarize", &json!({"words": 60})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["documents"].as_array().unwrap().len(), 5);
    assert_citations_resolve(&server, &all["sentences"]).await;
    let (status, per_doc) = server
        .post(
            "/v1/summarize",
            &json!({"documents": [seed_ids[0], seed_ids[1]], "sentences": 2, "per_document": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let per_doc = per_doc.as_array().unwrap();
    assert_eq!(per_doc.len(), 2);
    assert_eq!(per_doc[1]["documents"], json!([seed_ids[1]]));

    // Ad hoc articles are summarized, cited by their own ids, and not stored.
    let (id, text) = articles("adhoc", 1).remove(0);
    let (status, body) = server
        .post(
            "/v1/summarize",
            &json!({"articles": [{"id": id, "text": text}], "sentences": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["documents"], json!([id]));
    assert_eq!(body["sentences"][0]["citations"][0]["doc"], id.as_str());
    assert_eq!(
        server.get(&format!("/v1/documents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Ingest one, recognise the same text again, refuse a taken id, ingest many.
    let (id, text) = articles("ingest", 1).remove(0);
    let (status, created) = server
        .post(
            "/v1/documents",
            &json!({"id": id, "title": "Ferry", "text": text}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let paragraphs = Document::new(id.clone(), None, &text)
        .unwrap()
        .paragraphs
        .len();
    assert_eq!(
        created,
        json!({"id": id, "paragraphs": paragraphs, "created": true})
    );
    let (status, again) = server.post("/v1/documents", &json!({"text": text})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again,
        json!({"id": id, "paragraphs": paragraphs, "created": false})
    );
    let (status, conflict) = server
        .post(
            "/v1/documents",
            &json!({"id": id, "text": "Different text entirely."}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["error"]["code"], "id_conflict");
    let (status, doc) = server.get(&format!("/v1/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["title"], "Ferry");
    let batch = articles("batch", 2);
    let body: Vec<Value> = vec![
        json!({"text": batch[0].1}),
        json!({"id": batch[1].0, "text": batch[1].1}),
        json!({"text": text}),
    ];
    let (status, results) = server.post("/v1/documents", &json!(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{results}");
    assert_eq!(results[0]["id"], document::id_from_text(&batch[0].1));
    assert_eq!(results[1]["id"], batch[1].0.as_str());
    assert_eq!(
        (results[2]["id"].as_str(), results[2]["created"].as_bool()),
        (Some(id.as_str()), Some(false))
    );
    let (_, page) = server.get("/v1/documents").await;
    assert_eq!(page["total"], 8);

    // The index follows ingests: a question about the new article is answered from it.
    let (status, answer) = server
        .post(
            "/v1/ask",
            &json!({"question": "How often does the ferry to the island run from ingest Bay 0?"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["abstained"], false, "{answer}");
    assert_eq!(answer["sentences"][0]["citations"][0]["doc"], id.as_str());
    assert_citations_resolve(&server, &answer["sentences"]).await;

    // Embeddings, as the library computes them.
    let inputs = [
        "The call lasted 50 minutes.",
        "Ferries run every ten minutes.",
    ];
    let (status, body) = server.post("/v1/embed", &json!({ "inputs": inputs })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["dimensions"], 384);
    let library = common::engine().embedder.embed(&inputs).unwrap();
    for (got, want) in body["embeddings"].as_array().unwrap().iter().zip(library) {
        let got: Vec<f32> = serde_json::from_value(got.clone()).unwrap();
        assert!(footnote::vector::cosine(&got, &want) > 0.9999);
    }

    // Delete: gone from the store and from answers.
    let delete = server
        .client
        .delete(server.url(&format!("/v1/documents/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        server.get(&format!("/v1/documents/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "documents": [id]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, answer) = server
        .post(
            "/v1/ask",
            &json!({"question": "How often does the ferry to the island run from ingest Bay 0?"}),
        )
        .await;
    assert!(
        !answer.to_string().contains(&format!("\"{id}\"")),
        "{answer}"
    );

    // Metrics for operators.
    let metrics = server.metrics().await;
    for needle in [
        "footnote_http_requests_total{method=\"POST\",route=\"/v1/ask\",status=\"200\"}",
        "footnote_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/ask\",status=\"200\",le=",
        "footnote_embedding_batch_sequences_bucket",
        "footnote_embedding_batch_tokens_bucket",
        "footnote_embedding_tokens_total",
        "footnote_embedding_tokens_per_second",
        "footnote_embedding_queue_depth 0",
        "footnote_documents_stored 7",
    ] {
        assert!(metrics.contains(needle), "`{needle}` not in metrics:\n{metrics}");
    }
    // One log line per request, with route, status and latency.
    assert!(
        server
            .log()
            .lines()
            .any(|l| l.contains("POST /v1/ask 200") && l.ends_with("ms")),
        "{}",
        server.log()
    );
}

/// One bad request: what is sent and the error expected back.
struct Bad {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    key: Option<&'static str>,
    status: u16,
    code: &'static str,
}

fn bad(
    method: Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    status: u16,
    code: &'static str,
) -> Bad {
    Bad {
        method,
        path: path.to_string(),
        content_type: Some("application/json"),
        body: body.into(),
        key: Some(API_KEY),
        status,
        code,
    }
}

const API_KEY: &str = "test-key";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_and_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let seed_file = common::repo_path(&format!("seeds/{SEED}.txt"));
    let server = Server::start(
        data.path(),
        &[
            "--api-key",
            API_KEY,
            "--max-body-bytes",
            "65536",
            "--corpus",
            seed_file.to_str().unwrap(),
        ],
    )
    .await;
    let (post, get, delete, put) = (Method::POST, Method::GET, Method::DELETE, Method::PUT);
    let huge = format!("{{\"question\": \"{}\"}}", "a".repeat(100_000));
    let many_inputs = json!({ "inputs": vec!["x"; 513] }).to_string();
    let paragraph = |n: &str| format!("/v1/documents/{SEED}/paragraphs/{n}");
    let mut cases = vec![
        bad(post.clone(), "/v1/ask", "", 400, "bad_request"),
        bad(post.clone(), "/v1/ask", huge, 413, "payload_too_large"),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": ",
            400,
            "bad_request",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": 5}",
            422,
            "invalid_input",
        ),
        bad(post.clone(), "/v1/ask", "{}", 422, "invalid_input"),
        bad(post.clone(), "/v1/ask", "[1, 2]", 422, "invalid_input"),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"   \"}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"max_sentences\": 0}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"max_sentences\": -1}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"typo\": 1}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"documents\": []}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"documents\": [\"nope\"]}",
            404,
            "unknown_document",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            b"{\"question\": \"caf\xe9?\"}".to_vec(),
            400,
            "bad_request",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            b"\xff\xfe{}".to_vec(),
            400,
            "bad_request",
        ),
        bad(
            get.clone(),
            "/v1/documents/nope",
            "",
            404,
            "unknown_document",
        ),
        bad(get.clone(), &paragraph("0"), "", 404, "not_found"),
        bad(get.clone(), &paragraph("9999"), "", 404, "not_found"),
        bad(get.clone(), &paragraph("abc"), "", 400, "bad_request"),
        bad(get.clone(), &paragraph("-1"), "", 400, "bad_request"),
        bad(
            get.clone(),
            "/v1/documents?limit=0",
            "",
            422,
            "invalid_input",
        ),
        bad(
            get.clone(),
            "/v1/documents?limit=many",
            "",
            400,
            "bad_request",
        ),
        bad(
            post.clone(),
            "/v1/documents",
            "{\"text\": \"\"}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/documents",
            "{\"text\": \"Fine text here.\", \"id\": \"a b\"}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/documents",
            "{\"id\": \"no-text\"}",
            422,
            "invalid_input",
        ),
        bad(post.clone(), "/v1/documents", "[]", 422, "invalid_input"),
        bad(
            post.clone(),
            "/v1/documents",
            "[{\"text\": \"Good text.\"}, {\"title\": \"no text\"}]",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/documents",
            format!("{{\"id\": \"{SEED}\", \"text\": \"Other text.\"}}"),
            409,
            "id_conflict",
        ),
        bad(
            post.clone(),
            "/v1/documents",
            "\"just a string\"",
            422,
            "invalid_input",
        ),
        bad(
            delete.clone(),
            "/v1/documents/nope",
            "",
            404,
            "unknown_document",
        ),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"sentences\": 2, \"words\": 10}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"sentences\": 0}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"documents\": [\"nope\"]}",
            404,
            "unknown_document",
        ),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"documents\": [\"x\"], \"articles\": [{\"text\": \"A b c.\"}]}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"articles\": [{\"text\": \"   \"}]}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/embed",
            "{\"inputs\": []}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/embed",
            "{\"inputs\": \"not a list\"}",
            422,
            "invalid_input",
        ),
        bad(post.clone(), "/v1/embed", many_inputs, 422, "invalid_input"),
        bad(get.clone(), "/v1/nothing-here", "", 404, "not_found"),
        bad(put.clone(), "/v1/ask", "{}", 405, "method_not_allowed"),
    ];
    // Wrong or missing content type.
    for content_type in [Some("text/plain"), None] {
        cases.push(Bad {
            content_type,
            ..bad(
                post.clone(),
                "/v1/ask",
                "{\"question\": \"Who?\"}",
                415,
                "unsupported_media_type",
            )
        });
    }
    // Write endpoints without the key, or with a wrong one.
    for key in [None, Some("wrong")] {
        cases.push(Bad {
            key,
            ..bad(
                post.clone(),
                "/v1/documents",
                "{\"text\": \"Fine text.\"}",
                401,
                "unauthorized",
            )
        });
        cases.push(Bad {
            key,
            ..bad(
                delete.clone(),
                &format!("/v1/documents/{SEED}"),
                "",
                401,
                "unauthorized",
            )
        });
    }
    assert!(cases.len() >= 20);

    for case in &cases {
        let mut request = server
            .client
            .request(case.method.clone(), server.url(&case.path))
            .body(case.body.clone());
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(key) = case.key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let what = format!(
            "{} {} {:?}",
            case.method,
            case.path,
            String::from_utf8_lossy(&case.body[..case.body.len().min(80)])
        );
        assert_eq!(response.status().as_u16(), case.status, "{what}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{what}"
        );
        if case.status == 401 {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], case.code, "{what}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{what}");
    }

    // Nothing was stored or lost, the item at fault is named, reads need no key, no panics.
    let (status, page) = server.get("/v1/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    let response = server
        .client
        .post(server.url("/v1/documents"))
        .bearer_auth(API_KEY)
        .json(&json!([{"text": "Good text."}, {"title": "no text"}]))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("[1]"),
        "{body}"
    );
    let (status, _) = server
        .post("/v1/ask", &json!({"question": WHERE_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

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
