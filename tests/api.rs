//! The HTTP API does what the library does, over real HTTP: one test per concern, each on a
//! server of its own (see `common::server`), so that one failure hides nothing else.

mod common;

use std::ffi::OsString;

use common::server::{
    articles, assert_citations_resolve, seed_position, Server, CALL_QUESTION, SEED, WHERE_QUESTION,
};
use footnote::answer::{Answer, AskOptions};
use footnote::document::{self, Document};
use footnote::summarize::{self, Length, Summary};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// A question about the article `articles("ingest", 1)` adds.
const FERRY_QUESTION: &str = "How often does the ferry to the island run from ingest Bay 0?";

/// A server on a store seeded from `seeds/`, in a data directory that must outlive it. The
/// store is a copy of one seeded once per test binary: seeding embeds the seeds, which takes
/// seconds per server, where loading a seeded store takes none.
async fn seeded_server(extra: &[&str]) -> (tempfile::TempDir, Server) {
    static SEEDED: OnceCell<Vec<(OsString, Vec<u8>)>> = OnceCell::const_new();
    let files = SEEDED
        .get_or_init(|| async {
            let data = tempfile::tempdir().unwrap();
            let mut server = Server::start(data.path(), &[]).await;
            assert!(server.terminate().success(), "{}", server.log());
            std::fs::read_dir(data.path())
                .unwrap()
                .map(|entry| {
                    let entry = entry.unwrap();
                    (entry.file_name(), std::fs::read(entry.path()).unwrap())
                })
                .collect()
        })
        .await;
    let data = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(data.path().join(name), bytes).unwrap();
    }
    let server = Server::start(data.path(), extra).await;
    let (_, ready) = server.get("/readyz").await;
    assert_eq!(ready["documents"], 5, "{}", server.log());
    (data, server)
}

fn seed_ids() -> Vec<String> {
    common::seed_documents().into_iter().map(|d| d.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_description_metrics_and_logs_serve_operators() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]).await;
    let (status, health) = server.get("/healthz").await;
    assert_eq!((status, &health["status"]), (StatusCode::OK, &json!("ok")));
    let (status, ready) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["documents"], 5, "seeded from seeds/ on first start");
    assert_eq!(
        ready["writer"],
        Value::Null,
        "no writing model without --llm"
    );
    // The web page and its files (tests/browser.rs drives it in a browser).
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let r = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
        let policy = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
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
    // Without --api-key, writing needs no key, and the document says so.
    assert!(openapi["paths"]["/v1/documents"]["post"]["security"].is_null());

    // Metrics, once a question has gone through the model.
    let (status, _) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let metrics = server.metrics().await;
    for needle in [
        "footnote_http_requests_total{method=\"POST\",route=\"/v1/ask\",status=\"200\"}",
        "footnote_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/ask\",status=\"200\",le=",
        "footnote_embedding_batch_sequences_bucket",
        "footnote_embedding_batch_tokens_bucket",
        "footnote_embedding_tokens_total",
        "footnote_embedding_tokens_per_second",
        "footnote_embedding_queue_depth 0",
        "footnote_documents_stored 5",
    ] {
        assert!(metrics.contains(needle), "`{needle}` not in metrics:\n{metrics}");
    }
    // One log line per request, with route, status and latency.
    assert!(
        server
            .wait_for_log_line(|l| l.contains("POST /v1/ask 200") && l.ends_with("ms"))
            .await,
        "{}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_listed_in_pages_and_read_with_numbered_paragraphs() {
    let (_data, server) = seeded_server(&[]).await;
    // Listing, paginated, in the order stored (the seeds' file order).
    let (status, page) = server.get("/v1/documents?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 5);
    assert_eq!(page["next_offset"], 2);
    let (_, rest) = server.get("/v1/documents?offset=2&limit=50").await;
    assert!(rest.get("next_offset").is_none());
    let (status, none) = server.get("/v1/documents?offset=2&limit=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&none["total"], &none["documents"]),
        (&json!(5), &json!([]))
    );
    assert!(
        none.get("next_offset").is_none(),
        "limit 0 has no next page"
    );
    let listed: Vec<&str> = page["documents"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["documents"].as_array().unwrap())
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, seed_ids());
    // Search: ids or titles containing the text, ignoring case; `total` counts the matches.
    let wanted = &seed_ids()[2];
    let (status, found) = server
        .get(&format!("/v1/documents?q={}", wanted.to_uppercase()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], 1);
    assert_eq!(found["documents"][0]["id"], json!(wanted));
    let (_, none) = server.get("/v1/documents?q=no-such-thing").await;
    assert_eq!(
        (&none["total"], &none["documents"]),
        (&json!(0), &json!([]))
    );

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
}

/// Answered, abstaining and all: the questions the ask tests put.
const QUESTIONS: [&str; 3] = [
    CALL_QUESTION,
    WHERE_QUESTION,
    "What is the capital of France?",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_gives_the_library_answer_in_the_same_json_shape() {
    let (_data, server) = seeded_server(&[]).await;
    // The same answer, in the same JSON shape, as `footnote ask --json`.
    for question in QUESTIONS {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_citation_of_an_answer_resolves_to_its_paragraph() {
    let (_data, server) = seeded_server(&[]).await;
    for question in QUESTIONS {
        let (status, body) = server
            .post("/v1/ask", &json!({ "question": question }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summaries_match_the_library_and_ad_hoc_articles_are_not_stored() {
    let (_data, server) = seeded_server(&[]).await;
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
    // Across documents: the same claims, corroboration and disagreements as the library gives.
    let all_summary: Summary = serde_json::from_value(all.clone()).unwrap();
    let library_all = summarize::summarize(common::seed_index(), &[], Length::Words(60)).unwrap();
    assert_eq!(all_summary.sentences, library_all.sentences);
    assert_eq!(all_summary.disagreements, library_all.disagreements);
    assert!(
        !all_summary.sentences[0].corroborated_by.is_empty(),
        "{all}"
    );
    assert_citations_resolve(&server, &all["sentences"]).await;
    let seed_ids = seed_ids();
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_ingested_recognised_by_their_text_and_refused_a_taken_id() {
    let (_data, server) = seeded_server(&[]).await;
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
    let metrics = server.metrics().await;
    assert!(metrics.contains("footnote_documents_stored 8"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_follow_ingests_and_deletes() {
    let (_data, server) = seeded_server(&[]).await;
    let (id, text) = articles("ingest", 1).remove(0);
    let (status, created) = server
        .post("/v1/documents", &json!({"id": id, "text": text}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // The index follows ingests: a question about the new article is answered from it.
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": FERRY_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["abstained"], false, "{answer}");
    assert_eq!(answer["sentences"][0]["citations"][0]["doc"], id.as_str());
    assert_citations_resolve(&server, &answer["sentences"]).await;

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
        .post("/v1/ask", &json!({"question": FERRY_QUESTION}))
        .await;
    assert!(
        !answer.to_string().contains(&format!("\"{id}\"")),
        "{answer}"
    );
    let metrics = server.metrics().await;
    assert!(metrics.contains("footnote_documents_stored 5"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_are_the_library_embeddings() {
    let (_data, server) = seeded_server(&[]).await;
    let inputs = [
        "The call lasted 50 minutes.",
        "Ferries run every ten minutes.",
    ];
    let (status, body) = server.post("/v1/embed", &json!({ "inputs": inputs })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["dimensions"], 384);
    let library = common::engine().embedder.embed(&inputs).unwrap();
    let embeddings = body["embeddings"].as_array().unwrap();
    assert_eq!(embeddings.len(), inputs.len());
    for (got, want) in embeddings.iter().zip(library) {
        let got: Vec<f32> = serde_json::from_value(got.clone()).unwrap();
        assert!(footnote::vector::cosine(&got, &want) > 0.9999);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_api_key_writes_need_it_and_reads_do_not() {
    const KEY: &str = "test-key";
    let (_data, server) = seeded_server(&["--api-key", KEY]).await;
    let (id, text) = articles("keyed", 1).remove(0);
    let response = server
        .client
        .post(server.url("/v1/documents"))
        .bearer_auth(KEY)
        .json(&json!({"id": id, "text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // The document says which routes need the key.
    let (_, openapi) = server.get("/openapi.json").await;
    let paths = &openapi["paths"];
    assert_eq!(
        paths["/v1/documents"]["post"]["security"],
        json!([{"api_key": []}])
    );
    assert!(paths["/v1/documents"]["get"]["security"].is_null());
    // Reads, questions and summaries included, need no key.
    assert_eq!(
        server.get(&format!("/v1/documents/{id}")).await.0,
        StatusCode::OK
    );
    let (status, _) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .post("/v1/summarize", &json!({"documents": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = server
        .client
        .delete(server.url(&format!("/v1/documents/{id}")))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_gives_the_library_verdicts_and_can_be_restricted() {
    let (_data, server) = seeded_server(&[]).await;
    let article = "002_4612034cd8f006a6";
    let text = format!(
        "# Draft\n\nBiden and Putin spoke for 70 minutes on Thursday. [{article} ¶2]\n\n\
         Biden and Putin spoke for 50 minutes on Thursday. [{article} ¶2]\n\n\
         The call was arranged at short notice."
    );
    let (status, body) = server.post("/v1/verify", &json!({ "text": text })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same report, in the same JSON shape, as `footnote verify --json`.
    let library = common::engine()
        .verify(common::seed_index(), &text)
        .unwrap();
    let library = serde_json::to_value(&library).unwrap();
    assert_eq!(body["claims"], library["claims"]);
    assert_eq!(body["supported"], library["supported"]);
    assert_eq!(body["skipped"], library["skipped"]);
    let verdicts = |v: &Value| -> Vec<String> {
        v["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["verdict"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(verdicts(&body), ["unsupported", "supported", "uncited"]);
    assert_eq!(verdicts(&body), verdicts(&library));
    assert!(body["sentences"][0]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("70 minutes"));

    // Restricted to another seed, the citation names a document outside the set.
    let other = seed_ids().into_iter().find(|id| id != article).unwrap();
    let (status, restricted) = server
        .post(
            "/v1/verify",
            &json!({ "text": text, "documents": [other.clone()] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{restricted}");
    assert_eq!(restricted["sentences"][1]["verdict"], "invalid_citation");
    for s in restricted["sentences"].as_array().unwrap() {
        for suggestion in s["suggestions"].as_array().unwrap() {
            assert_eq!(suggestion["doc"], other.as_str(), "{restricted}");
        }
    }
    let (status, body) = server
        .post(
            "/v1/verify",
            &json!({ "text": text, "documents": ["no-such-doc"] }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("footnote_verified_sentences_total{verdict=\"supported\"}"),
        "{metrics}"
    );
}
