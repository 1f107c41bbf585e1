//! The limits that hold before a request reaches a handler, tried as a hostile or careless client
//! would, over raw sockets against the real `footnote serve`: an announced oversized body, headers
//! or a body trickled in, more connections than the cap, the API key on reads, and CORS.
//! Durations here are the service's documented timeouts with generous upper bounds, only so that a
//! service that never cuts a client off fails instead of hanging; nothing asserts on speed.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::server::{Server, CALL_QUESTION};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Upper bound on any single raw-socket read here.
const READ_LIMIT: Duration = Duration::from_secs(60);

fn address(server: &Server) -> String {
    server.url("").trim_start_matches("http://").to_string()
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_LIMIT)).unwrap();
    stream
}

/// Sends one `GET path` on `stream` (kept alive) and returns the response head and body read so
/// far (the responses here are small and sent in one go).
fn get_on(stream: &mut TcpStream, addr: &str, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut buffer = [0u8; 4096];
    let n = stream.read(&mut buffer).unwrap();
    String::from_utf8_lossy(&buffer[..n]).to_string()
}

/// Reads until the service closes the connection; false if it kept it open past the limit.
fn read_to_close(stream: &mut TcpStream) -> (String, bool) {
    let mut answer = Vec::new();
    let closed = stream.read_to_end(&mut answer).is_ok();
    (String::from_utf8_lossy(&answer).to_string(), closed)
}

/// A client that announces a body over the limit and sends only part of it is answered 413 from
/// the header, without the service waiting for the rest, and the connection is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_oversized_body_is_refused_from_its_header() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--max-body-bytes", "65536"]).await;
    let addr = address(&server);
    let (text, closed) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&addr);
        let head = format!(
            "POST /v1/ask HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 67108864\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        // A megabyte of the 64 announced; the service may close before it has all gone.
        let _ = stream.write_all(&vec![b'a'; 1 << 20]);
        read_to_close(&mut stream)
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    assert!(closed, "the connection was kept open: {text}");
}

/// A client that sends its request head a byte at a time is cut off once --header-timeout has
/// passed, and other clients are answered meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_cut_off_while_others_are_served() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--header-timeout", "2"]).await;
    let addr = address(&server);
    let trickler = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&addr);
        let started = Instant::now();
        let head = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
        for byte in head.bytes().chain(std::iter::repeat(b'a')) {
            if stream.write_all(&[byte]).is_err() || started.elapsed() > READ_LIMIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            // Writes into a closed socket may go on succeeding for a while; a read that does not
            // block shows the close (0 bytes) or an answer, either of which ends the head.
            stream.set_nonblocking(true).unwrap();
            let mut probe = [0u8; 64];
            let closed = stream.read(&mut probe).is_ok();
            stream.set_nonblocking(false).unwrap();
            if closed {
                break;
            }
        }
        started.elapsed()
    });
    // While it trickles, others are served.
    for _ in 0..5 {
        let (status, body) = server.get("/healthz").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cut_off = trickler.await.unwrap();
    assert!(
        cut_off >= Duration::from_millis(1900),
        "cut off before the timeout: {cut_off:?}"
    );
    assert!(
        cut_off < READ_LIMIT,
        "a trickling client was never cut off ({cut_off:?})"
    );
}

/// A client that connects and sends nothing is cut off after --header-timeout too: it cannot keep
/// its place under --max-connections for ever (with HTTP/2 detection it could: the wait for the
/// HTTP/2 preface had no timer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_nothing_is_cut_off() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--header-timeout", "2"]).await;
    let addr = address(&server);
    let (cut_off, text) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&addr);
        let started = Instant::now();
        let (text, closed) = read_to_close(&mut stream);
        assert!(closed, "the silent connection was kept open");
        (started.elapsed(), text)
    })
    .await
    .unwrap();
    assert!(text.is_empty(), "{text}");
    assert!(cut_off >= Duration::from_millis(1900), "{cut_off:?}");
    assert!(cut_off < READ_LIMIT, "{cut_off:?}");
}

/// A write without the API key is refused from its headers: the service does not wait for (or
/// hold) a body it would refuse anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_the_key_is_refused_before_its_body_is_read() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--api-key", "k", "--body-timeout", "60"]).await;
    let addr = address(&server);
    let text = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&addr);
        let head = format!(
            "POST /v1/documents HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\n\r\n{{"
        );
        stream.write_all(head.as_bytes()).unwrap();
        let mut buffer = [0u8; 4096];
        let n = stream.read(&mut buffer).unwrap();
        String::from_utf8_lossy(&buffer[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.contains("\"unauthorized\""), "{text}");
}

/// A body that has not all arrived within --body-timeout gets a JSON 408 and the connection
/// closes; the service goes on answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_gets_408() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--body-timeout", "2"]).await;
    let addr = address(&server);
    let (text, closed) = tokio::task::spawn_blocking(move || {
        let mut stream = connect(&addr);
        let head = format!(
            "POST /v1/ask HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"question\""
        );
        stream.write_all(head.as_bytes()).unwrap();
        read_to_close(&mut stream)
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"request_timeout\""), "{text}");
    assert!(closed, "the connection was kept open: {text}");
    let (status, _) = server
        .post("/v1/ask", &json!({ "question": CALL_QUESTION }))
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Past --max-connections a new connection is answered 503 `overloaded` with Retry-After and
/// closed; once connections close, new ones are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_get_503_and_are_served_once_others_close() {
    const CAP: usize = 3;
    let data = tempfile::tempdir().unwrap();
    let mut server = Server::start(data.path(), &["--max-connections", &CAP.to_string()]).await;
    // The client that waited for /readyz keeps a connection in its pool: close it.
    server.client = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let addr = address(&server);
    let (held, refused, after) = tokio::task::spawn_blocking(move || {
        let held: Vec<(TcpStream, String)> = (0..CAP)
            .map(|_| {
                let mut stream = connect(&addr);
                let answer = get_on(&mut stream, &addr, "/healthz");
                (stream, answer)
            })
            .collect();
        let mut extra = connect(&addr);
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        extra.write_all(request.as_bytes()).unwrap();
        let refused = read_to_close(&mut extra);
        let answers: Vec<String> = held.into_iter().map(|(_, answer)| answer).collect();
        // The held connections are closed now (dropped above).
        std::thread::sleep(Duration::from_millis(300));
        let mut again = connect(&addr);
        let after = get_on(&mut again, &addr, "/healthz");
        (answers, refused, after)
    })
    .await
    .unwrap();
    for answer in &held {
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let (text, closed) = refused;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("\"overloaded\""), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    assert!(closed, "the refused connection was kept open");
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    assert!(server
        .metrics()
        .await
        .contains("footnote_connections_refused_total 1"));
}

/// With --protect-reads every API route and /metrics need the key; health, readiness, the
/// OpenAPI document and the web page stay open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_protect_reads_reads_need_the_key_too() {
    const KEY: &str = "reading-key";
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &["--api-key", KEY, "--protect-reads"]).await;
    let client = &server.client;
    let ask = json!({ "question": CALL_QUESTION });
    for (path, body) in [
        ("/v1/ask", Some(&ask)),
        ("/v1/verify", Some(&json!({ "text": "x" }))),
        ("/v1/documents", None),
        ("/v1/documents/anything", None),
        ("/metrics", None),
    ] {
        let request = match body {
            Some(body) => client.post(server.url(path)).json(body),
            None => client.get(server.url(path)),
        };
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
    }
    let r = client
        .post(server.url("/v1/ask"))
        .bearer_auth("wrong-key")
        .json(&ask)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client
        .post(server.url("/v1/ask"))
        .bearer_auth(KEY)
        .json(&ask)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let answer: Value = r.json().await.unwrap();
    assert!(answer["answer"].as_str().unwrap().contains("50 minutes"));
    for path in ["/healthz", "/readyz", "/openapi.json", "/", "/app.js"] {
        let r = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

/// --protect-reads without a key to protect them with is refused at start, in one line.
#[test]
fn protect_reads_without_a_key_is_refused_at_start() {
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_footnote"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--protect-reads",
            "--data",
        ])
        .arg(data.path())
        .env_remove("FOOTNOTE_API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--protect-reads needs --api-key"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// No cross-origin access by default (the web page is same-origin); --allow-origin opens the API
/// to the listed origins only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_closed_by_default_and_open_only_to_listed_origins() {
    let preflight = |server: &Server, origin: &str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/v1/ask"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let data = tempfile::tempdir().unwrap();
    let closed = Server::start(data.path(), &[]).await;
    let r = preflight(&closed, "https://elsewhere.example")
        .await
        .unwrap();
    assert_eq!(allowed(&r), None);
    let r = closed
        .client
        .get(closed.url("/v1/documents"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(allowed(&r), None);
    drop(closed);

    let data = tempfile::tempdir().unwrap();
    let open = Server::start(data.path(), &["--allow-origin", "https://newsroom.example"]).await;
    let r = preflight(&open, "https://newsroom.example").await.unwrap();
    assert_eq!(allowed(&r).as_deref(), Some("https://newsroom.example"));
    let r = preflight(&open, "https://elsewhere.example").await.unwrap();
    assert_eq!(allowed(&r), None);
}
