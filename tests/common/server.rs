//! A real `footnote serve` for the HTTP tests, over real HTTP.
//!
//! [`Server::start`] spawns the real binary, `footnote serve --addr 127.0.0.1:0`, on a temporary
//! data directory, reads the bound address from its log line `listening on http://ADDR`, waits
//! for `/readyz`, and talks to it with reqwest. Spawning the binary rather than serving
//! in-process tests exactly what operators run, lets the crash test `kill -9` it and restart it
//! on the same store, and gives each server its own process-wide metrics recorder. The model is
//! the real one, found as `tests/common` finds it. Nothing here asserts on speed: waits have
//! generous upper bounds only so that a broken server fails the test instead of hanging it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;

/// The seed article the tests read, question and summarize.
pub const SEED: &str = "001_49e84201299b6d56";
/// Questions the seeds answer (in [`SEED`]: "50 minutes", "Wilmington").
pub const CALL_QUESTION: &str = "How long did the call between Biden and Putin last?";
pub const WHERE_QUESTION: &str = "Where did Biden take the call from?";
/// Upper bound for start-up (model load, seeding); only there so a broken server fails fast.
const START_LIMIT: Duration = Duration::from_secs(600);

/// A running `footnote serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
    /// Reads the log until the process closes it.
    reader: Option<std::thread::JoinHandle<()>>,
    pub client: Client,
}

impl Server {
    /// Starts `footnote serve` on `data` from the repository (where `seeds/` is) and waits
    /// until it is ready.
    pub async fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_in(&super::repo_path(""), data, extra).await
    }

    /// Starts `footnote serve` on `data` in the working directory `cwd` (on the store `extra`
    /// names with `--store`, if it does) and waits until it is ready.
    pub async fn start_in(cwd: &Path, data: &Path, extra: &[&str]) -> Server {
        let mut server = Server::launch_in(cwd, data, extra);
        server.wait_ready().await;
        server
    }

    /// Starts `footnote serve` and returns once it listens, ready or not.
    pub fn launch_in(cwd: &Path, data: &Path, extra: &[&str]) -> Server {
        let settings = super::settings();
        let mut command = Command::new(env!("CARGO_BIN_EXE_footnote"));
        command
            .current_dir(cwd)
            .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
            .env("RUST_LOG", "footnote=info,warn")
            .args(["serve", "--addr", "127.0.0.1:0", "--request-timeout", "600"]);
        if !extra.contains(&"--store") {
            command.arg("--data").arg(data);
        }
        let mut child = command
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
        Server {
            child,
            base: format!("http://{addr}"),
            log,
            reader: Some(reader),
            client: Client::new(),
        }
    }

    /// Waits (up to the start-up limit) until `/readyz` says ready; fails at once if the
    /// service exits instead.
    pub async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                if let Some(reader) = self.reader.take() {
                    reader.join().unwrap();
                }
                panic!(
                    "the service exited ({status}) before it was ready: {}",
                    self.log()
                );
            }
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits (up to the start-up limit) for a log line that `wanted` accepts: the server's
    /// stderr is read by another thread, so a line written just now may not have arrived yet.
    pub async fn wait_for_log_line(&self, wanted: impl Fn(&str) -> bool) -> bool {
        let started = Instant::now();
        while started.elapsed() < START_LIMIT {
            if self.log().lines().any(&wanted) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
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

    pub async fn metrics(&self) -> String {
        let r = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    }

    /// Waits until one request sits in the model queue; `what` names it if it never arrives.
    pub async fn wait_for_queued_request(&self, what: &str) {
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
    pub fn terminate(&mut self) -> std::process::ExitStatus {
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
pub async fn assert_citations_resolve(server: &Server, sentences: &Value) {
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

/// Where a seed sits in the library's index of the seeds.
pub fn seed_position(id: &str) -> usize {
    super::seed_index()
        .documents
        .iter()
        .position(|d| d.id == id)
        .unwrap()
}

/// Short articles, each unique, for ingest tests.
pub fn articles(prefix: &str, count: usize) -> Vec<(String, String)> {
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
