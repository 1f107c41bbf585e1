//! The writing model (`--generate`) end to end, with models the tests build: no LLM weights can
//! be fetched where footnote is tested, so each test writes a tiny model of a real architecture
//! (`footnote::llm::random`), with random weights or weights that always write one token, and
//! runs the real code on it: loading, the chat template, the command line, the service's queue
//! and stream.
//!
//! Whatever a random model writes, nothing unsupported may come back as verified, and the
//! answer falls back to the copied one with `mode` saying so. That a supported written sentence
//! is kept is tested in `compose`'s unit tests, on texts given to the same code.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use candle_core::quantized::{gguf_file, GgmlDType};
use common::server::{Server, CALL_QUESTION};
use footnote::llm::random::{self, Behaviour, Family, Shape};
use footnote::llm::{self, Generator};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn write(dir: &Path, shape: Shape, behaviour: Behaviour) -> llm::LlmFiles {
    random::write_model(
        dir,
        &dir.display().to_string(),
        &shape,
        GgmlDType::Q8_0,
        &behaviour,
    )
    .unwrap()
}

fn load_error(dir: &Path) -> String {
    let files = llm::resolve(dir.to_str().unwrap(), dir).map_err(|e| e.to_string());
    match files
        .and_then(|f| Generator::load(&f, &candle_core::Device::Cpu).map_err(|e| e.to_string()))
    {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn broken_models_are_refused_with_a_message_that_says_why() {
    // A GGUF that is not one.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), Shape::tiny(Family::Qwen3), Behaviour::Random);
    std::fs::write(dir.path().join("model.gguf"), b"not a gguf at all").unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("not a readable GGUF file"), "{err}");

    // A tokenizer without the chat tokens the template writes.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), Shape::tiny(Family::Qwen3), Behaviour::Random);
    let path = dir.path().join("tokenizer.json");
    let mut tokenizer: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    tokenizer["added_tokens"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["content"] != "<|im_start|>");
    tokenizer["model"]["vocab"]
        .as_object_mut()
        .unwrap()
        .remove("<|im_start|>");
    std::fs::write(&path, tokenizer.to_string()).unwrap();
    let err = load_error(dir.path());
    assert!(err.contains("lacks the chat token <|im_start|>"), "{err}");

    // An architecture candle cannot run.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), Shape::tiny(Family::Qwen3), Behaviour::Random);
    let arch = gguf_file::Value::String("mamba".into());
    let mut file = std::fs::File::create(dir.path().join("model.gguf")).unwrap();
    gguf_file::write(&mut file, &[("general.architecture", &arch)], &[]).unwrap();
    let err = load_error(dir.path());
    assert!(
        err.contains("architecture `mamba` is not supported"),
        "{err}"
    );

    // No chat template anywhere.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), Shape::tiny(Family::Qwen3), Behaviour::Random);
    std::fs::remove_file(dir.path().join("tokenizer_config.json")).unwrap();
    // Without tokenizer_config.json the GGUF's own template is used: it still loads.
    let files = llm::resolve(dir.path().to_str().unwrap(), dir.path()).unwrap();
    assert!(files.tokenizer_config.is_none());
    Generator::load(&files, &candle_core::Device::Cpu).unwrap();
}

/// `footnote --llm DIR ask --generate --json` on the seeds.
fn ask_generated(llm: &Path, extra: &[&str]) -> Value {
    let settings = common::settings();
    let output = Command::new(env!("CARGO_BIN_EXE_footnote"))
        .current_dir(common::repo_path(""))
        .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
        .args(["--no-cache", "--llm"])
        .arg(llm)
        .args(["ask", CALL_QUESTION, "--generate", "--json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn whatever_a_random_model_writes_nothing_unsupported_is_shown_as_verified() {
    for family in [Family::Qwen3, Family::Llama] {
        // Random weights differ on every run: this is a property over what the model writes.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), Shape::tiny(family), Behaviour::Random);
        for extra in [&[][..], &["--show-unverified"][..]] {
            let answer = ask_generated(dir.path(), extra);
            let generation = &answer["generation"];
            assert!(
                generation["prompt_tokens"].as_u64().unwrap() > 100,
                "{answer}"
            );
            assert_eq!(generation["sources"], 6, "{answer}");
            match answer["mode"].as_str().unwrap() {
                // Nothing supported: the copied answer, every sentence verbatim.
                "extractive" => {
                    assert_eq!(answer["abstained"], false);
                    for s in answer["sentences"].as_array().unwrap() {
                        assert_eq!(s["verified"], true, "{answer}");
                    }
                    assert!(answer["answer"].as_str().unwrap().contains("50 minutes"));
                }
                "generated" => {
                    // Possible only if random text passed the verifier: then each sentence
                    // marked verified must be supported when checked again on its own.
                    for s in answer["sentences"].as_array().unwrap() {
                        if s["verified"] == true {
                            let cites: String = s["citations"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|c| {
                                    format!("[{} ¶{}]", c["doc"].as_str().unwrap(), c["paragraph"])
                                })
                                .collect();
                            let text = format!("{} {cites}", s["text"].as_str().unwrap());
                            let report = common::engine()
                                .verify(common::seed_index(), &text)
                                .unwrap();
                            assert!(report.all_supported(), "{text}: {report:?}");
                        }
                    }
                }
                other => panic!("mode {other}: {answer}"),
            }
            for d in answer["dropped"].as_array().unwrap() {
                assert_ne!(d["verdict"], "supported", "{d}");
            }
        }
    }
}

#[test]
fn a_prompt_longer_than_the_context_has_its_sources_cut_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut shape = Shape::tiny(Family::Qwen3);
    // Byte-level tokens: six seed paragraphs are far more than 900 tokens.
    shape.context = 900;
    write(dir.path(), shape, Behaviour::Random);
    let answer = ask_generated(dir.path(), &["--max-tokens", "50"]);
    let generation = &answer["generation"];
    let (sources, cut) = (
        generation["sources"].as_u64().unwrap(),
        generation["sources_cut"].as_u64().unwrap(),
    );
    assert!(sources >= 1 && cut >= 1, "{answer}");
    assert_eq!(sources + cut, 6);
    assert!(generation["prompt_tokens"].as_u64().unwrap() + 50 <= 900);

    // Not even one source fits: the model is not run, and the copied answer says why.
    shape.context = 300;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), shape, Behaviour::Random);
    let answer = ask_generated(dir.path(), &["--max-tokens", "50"]);
    assert_eq!(answer["mode"], "extractive");
    assert_eq!(answer["generation"]["stop"], "context_full", "{answer}");
    assert_eq!(answer["generation"]["sources_cut"], 6);
}

#[test]
fn the_hub_route_offline_says_what_to_download_and_where() {
    // An empty models folder: the writing model is looked for first, and fetched.
    let models = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_footnote"))
        .current_dir(common::repo_path(""))
        .env("HF_HUB_OFFLINE", "1")
        .arg("--llm")
        .arg("Qwen/Qwen3-0.6B-GGUF")
        .args(["ask", CALL_QUESTION, "--generate"])
        .env("FOOTNOTE_MODELS_DIR", models.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("https://huggingface.co/Qwen/Qwen3-0.6B-GGUF"),
        "{stderr}"
    );
    assert!(errors[0].contains("tokenizer.json"), "{stderr}");
}

/// A server on the seeds with a writing model.
async fn server_with(llm: &Path, extra: &[&str]) -> (tempfile::TempDir, Server) {
    let data = tempfile::tempdir().unwrap();
    let mut args = vec!["--llm", llm.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Server::start(data.path(), &args).await;
    (data, server)
}

/// The events of a stream: (event name, data) in order.
fn events(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut name = String::from("message");
        let mut data = String::new();
        for line in block.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            }
        }
        if !data.is_empty() {
            out.push((name, data));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_writes_answers_whole_or_streamed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), Shape::tiny(Family::Qwen3), Behaviour::Random);
    let (_data, server) = server_with(dir.path(), &[]).await;

    let (status, answer) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "generate": true, "max_tokens": 40}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        ["generated", "extractive"].contains(&answer["mode"].as_str().unwrap()),
        "{answer}"
    );
    assert_eq!(answer["generation"]["sources"], 6);
    assert!(answer["generation"]["tokens"].as_u64().unwrap() <= 40);

    let (status, summary) = server
        .post(
            "/v1/summarize",
            &json!({"generate": true, "max_tokens": 30, "sentences": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert!(summary["generation"].is_object(), "{summary}");

    // Streamed: pieces, then the final JSON (the same shape), then [DONE], in that order.
    let response = server
        .client
        .post(server.url("/v1/ask"))
        .json(
            &json!({"question": CALL_QUESTION, "generate": true, "stream": true, "max_tokens": 40}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = response.text().await.unwrap();
    let events = events(&body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(events.last().unwrap().1, "[DONE]", "{body}");
    assert_eq!(names[names.len() - 2], "final", "{body}");
    let first_final = names.iter().position(|n| *n == "final").unwrap();
    assert!(
        names[..first_final]
            .iter()
            .all(|n| *n == "piece" || *n == "verdict"),
        "{names:?}"
    );
    let pieces: String = events
        .iter()
        .filter(|(n, _)| n == "piece")
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let final_answer: Value = serde_json::from_str(&events[first_final].1).unwrap();
    assert!(final_answer["mode"].is_string(), "{final_answer}");
    // Pieces are the visible text: never a thinking block or a chat token.
    assert!(
        !pieces.contains("<think>") && !pieces.contains("<|im_"),
        "{pieces}"
    );
    for (_, data) in events.iter().filter(|(n, _)| n == "verdict") {
        let verdict: Value = serde_json::from_str(data).unwrap();
        assert_eq!(
            verdict["verified"],
            verdict["verdict"] == "supported",
            "{verdict}"
        );
    }

    // Writing options without `generate`, and a stream of several summaries, are refused.
    let (status, body) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "stream": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = server
        .post(
            "/v1/summarize",
            &json!({"generate": true, "stream": true, "per_document": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "generate": true, "max_tokens": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_writing_model_generate_is_refused_and_questions_still_answered() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), &[]).await;
    let (status, body) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "generate": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("--llm"),
        "{body}"
    );
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["mode"], "extractive");
    assert!(answer.get("generation").is_none());
}

/// Waits until the writing queue holds `depth` requests.
async fn wait_for_writing_queue(server: &Server, depth: usize, limit: Duration) -> bool {
    let started = Instant::now();
    let needle = format!("footnote_generation_queue_depth {depth}");
    while started.elapsed() < limit {
        if server.metrics().await.contains(&needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_writing_queue_answers_503_and_a_client_that_leaves_stops_its_writing() {
    // A model that writes "a" until its limit, big enough that 2,000 tokens take seconds.
    let dir = tempfile::tempdir().unwrap();
    let shape = Shape {
        hidden: 512,
        layers: 8,
        feed_forward: 2048,
        heads: 8,
        kv_heads: 4,
        head_dim: 64,
        ..Shape::tiny(Family::Qwen3)
    };
    write(dir.path(), shape, Behaviour::Always("a".into()));
    let (_data, server) = server_with(dir.path(), &["--generate-queue-size", "1"]).await;
    let long =
        json!({"question": CALL_QUESTION, "generate": true, "stream": true, "max_tokens": 2000});

    let mut first = server
        .client
        .post(server.url("/v1/ask"))
        .json(&long)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    // Its first piece: it is being written.
    let mut seen = String::new();
    while !seen.contains("event: piece") {
        let chunk = first.chunk().await.unwrap().expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    // The queue holds one: a second request to write is refused at once, with Retry-After...
    let second = server
        .client
        .post(server.url("/v1/ask"))
        .json(&long)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers()["retry-after"], "1");
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "overloaded");
    // ...and a plain question, which needs only the embedder, is still answered.
    let (status, answer) = server
        .post("/v1/ask", &json!({"question": CALL_QUESTION}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // The client leaves: its writing stops, and the queue is free long before 2,000 tokens.
    drop(first);
    let left = Instant::now();
    assert!(
        wait_for_writing_queue(&server, 0, Duration::from_secs(120)).await,
        "{}",
        server.log()
    );
    let freed = left.elapsed();
    let (status, answer) = server
        .post(
            "/v1/ask",
            &json!({"question": CALL_QUESTION, "generate": true, "max_tokens": 2000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["generation"]["tokens"], 2000, "{answer}");
    let whole = answer["generation"]["seconds"].as_f64().unwrap();
    assert!(
        freed.as_secs_f64() < whole / 2.0,
        "the abandoned writing went on: freed after {freed:?}, a whole one takes {whole} s"
    );
}
