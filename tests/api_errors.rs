//! Every bad request gets a JSON error with the right status and code, and changes nothing: the
//! service's whole error-to-HTTP map, over real HTTP (see `common::server`).

mod common;

use common::server::{Server, SEED, WHERE_QUESTION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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
    let huge_text = format!("{{\"text\": \"{}\"}}", "a".repeat(100_000));
    let mut cases = vec![
        bad(
            post.clone(),
            "/v1/verify",
            "{\"text\": \"  \"}",
            422,
            "invalid_input",
        ),
        bad(post.clone(), "/v1/verify", "{}", 422, "invalid_input"),
        bad(
            post.clone(),
            "/v1/verify",
            "{\"text\": \"A. [x ¶1]\", \"documents\": []}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/verify",
            "{\"text\": \"A. [x ¶1]\", \"documents\": [\"nope\"]}",
            404,
            "unknown_document",
        ),
        bad(
            post.clone(),
            "/v1/verify",
            huge_text,
            413,
            "payload_too_large",
        ),
        bad(
            post.clone(),
            "/v1/verify",
            "{\"text\": 3}",
            422,
            "invalid_input",
        ),
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
        // An array of the fields in order is not the object the document describes.
        bad(post.clone(), "/v1/ask", "[\"Who?\"]", 422, "invalid_input"),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"max_sentences\": 2.5}",
            422,
            "invalid_input",
        ),
        bad(
            post.clone(),
            "/v1/ask",
            "{\"question\": \"Who?\", \"stream\": true}",
            422,
            "invalid_input",
        ),
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
            &paragraph("18446744073709551616"),
            "",
            400,
            "bad_request",
        ),
        bad(
            get.clone(),
            "/v1/documents?limit=1001",
            "",
            422,
            "invalid_input",
        ),
        bad(
            get.clone(),
            "/v1/documents?offset=18446744073709551616",
            "",
            400,
            "bad_request",
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
            "[[null, null, \"Text as an array.\"]]",
            422,
            "invalid_input",
        ),
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
            "/v1/summarize",
            "{\"articles\": [{\"id\": \"a\", \"text\": \"One.\"}, {\"id\": \"a\", \"text\": \"Two.\"}]}",
            409,
            "id_conflict",
        ),
        bad(post.clone(), "/v1/summarize", "[null, null]", 422, "invalid_input"),
        bad(
            post.clone(),
            "/v1/summarize",
            "{\"per_document\": true, \"stream\": true}",
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
    // Wrong or missing content type, on every route that takes JSON.
    for content_type in [Some("text/plain"), None] {
        for path in [
            "/v1/ask",
            "/v1/summarize",
            "/v1/verify",
            "/v1/embed",
            "/v1/documents",
        ] {
            cases.push(Bad {
                content_type,
                ..bad(post.clone(), path, "{}", 415, "unsupported_media_type")
            });
        }
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

    // Every case is tried and every mismatch reported: one wrong answer must not hide the rest.
    let mut mismatches = Vec::new();
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
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].clone();
        let authenticate = response.headers().get("www-authenticate").cloned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().unwrap_or("");
        let mut wrong = Vec::new();
        if status != case.status {
            wrong.push(format!("status {status}, expected {}", case.status));
        }
        if content_type != "application/json" {
            wrong.push(format!("content-type {content_type:?}"));
        }
        if case.status == 401 && authenticate.as_ref().is_none_or(|v| v != "Bearer") {
            wrong.push(format!("www-authenticate {authenticate:?}"));
        }
        if body["error"]["code"] != case.code {
            wrong.push(format!(
                "code {}, expected {}",
                body["error"]["code"], case.code
            ));
        }
        if message.is_empty() {
            wrong.push("no message".to_string());
        }
        if !wrong.is_empty() {
            mismatches.push(format!("{what}: {} ({body})", wrong.join(", ")));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} bad requests were answered wrongly:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );

    // Nothing was stored or lost, the item at fault is named, reads need no key, no panics.
    let (status, page) = server.get("/v1/documents").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    // What the document allows at its edges is served: a page of none (to count), a count
    // written as a float (JSON Schema's integers include 1.0), an empty text to embed.
    let (status, count) = server.get("/v1/documents?limit=0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&count["total"], &count["documents"]),
        (&json!(1), &json!([]))
    );
    assert!(count.get("next_offset").is_none(), "{count}");
    for (path, body) in [
        (
            "/v1/ask",
            json!({"question": WHERE_QUESTION, "max_sentences": 1.0}),
        ),
        (
            "/v1/summarize",
            json!({"words": 2e1, "articles": [{"text": "One sentence, sent to be summarized."}]}),
        ),
        ("/v1/embed", json!({"inputs": [""]})),
    ] {
        let (status, answer) = server.post(path, &body).await;
        assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
    }
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
