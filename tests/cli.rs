//! The `footnote` binary: bad input gets a one-line error and a non-zero exit, never a panic,
//! and good input prints cited output.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn footnote(args: &[&str], stdin: Option<&str>) -> Output {
    footnote_logging(args, stdin, "error")
}

/// [`footnote`] with the log shown from level `log` up.
fn footnote_logging(args: &[&str], stdin: Option<&str>, log: &str) -> Output {
    let settings = common::settings();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_footnote"));
    cmd.current_dir(common::repo_path(""))
        .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
        .env("RUST_LOG", log)
        .args(args);
    match stdin {
        Some(input) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
        None => cmd.output().unwrap(),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_clean_failure(out: &Output, expect: &str) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got: {err}");
    assert!(lines[0].contains(expect), "`{expect}` not in: {err}");
    // Regression: an OS error used to be printed twice ("x: No such file: No such file").
    let clauses: Vec<&str> = lines[0].split(": ").collect();
    assert!(
        clauses.windows(2).all(|w| w[0] != w[1]),
        "repeated clause in: {}",
        lines[0]
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn ask_prints_a_cited_answer_about_the_seeds() {
    let out = footnote(&["ask", "Where did Biden take the call from?"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("Wilmington"), "{text}");
    assert!(text.contains(" ¶"), "{text}");
}

#[test]
fn ask_json_has_the_documented_shape() {
    let out = footnote(
        &[
            "ask",
            "How many Russian troops are at the border?",
            "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["abstained"], false);
    assert!(v["question"].is_string() && v["answer"].is_string());
    assert!(v["confidence"].is_f64());
    let sentence = &v["sentences"][0];
    assert!(sentence["text"].is_string());
    assert!(sentence["citations"][0]["doc"].is_string());
    assert!(sentence["citations"][0]["paragraph"].is_u64());
    let cited = &v["citations"][0];
    assert!(cited["text"].is_string() && cited["score"].is_f64());
    assert_eq!(v["related"], serde_json::json!([]));
}

#[test]
fn summarize_json_has_the_documented_shape() {
    let out = footnote(&["summarize", "--sentences", "4", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["documents"].as_array().unwrap().len(), 5);
    let sentences = v["sentences"].as_array().unwrap();
    assert!(!sentences.is_empty() && sentences.len() <= 4);
    assert!(sentences[0]["citations"][0]["paragraph"].is_u64());
    assert!(sentences[0]["corroborated_by"].is_array());
}

#[test]
fn bad_input_gets_one_line_errors_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.txt", b"");
    let blank = write(dir.path(), "blank.txt", b"\n   \n\t\n");
    let binary = write(
        dir.path(),
        "binary.txt",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 3, 0, 0],
    );
    let latin1 = write(dir.path(), "latin1.txt", b"Caf\xe9 cr\xe8me, na\xefve.");
    let empty_dir = dir.path().join("nothing");
    std::fs::create_dir(&empty_dir).unwrap();
    let empty_dir = empty_dir.to_string_lossy().into_owned();
    let blank_only_labels = write(dir.path(), "labels.txt", b"Photo: AP\n\nEmail\n");
    let q = "Who requested the call?";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["ask", ""], "question is empty"),
        (vec!["ask", "   "], "question is empty"),
        (vec!["ask", q, "--corpus", "/no/such/path"], "/no/such/path"),
        (vec!["ask", q, "--corpus", &empty], "empty"),
        (vec!["ask", q, "--corpus", &blank], "empty"),
        (vec!["ask", q, "--corpus", &binary], "not a UTF-8 text file"),
        (vec!["ask", q, "--corpus", &latin1], "not a UTF-8 text file"),
        (
            vec!["ask", q, "--corpus", &empty_dir],
            "no .txt or .jsonl documents",
        ),
        (vec!["ask", q, "--max-sentences", "0"], "max_sentences"),
        (vec!["summarize", "/no/such/file.txt"], "/no/such/file.txt"),
        (vec!["summarize", &binary], "not a UTF-8 text file"),
        (vec!["summarize", "--sentences", "0"], "at least 1"),
        (vec!["ask", q, "--device", "quantum"], "unknown device"),
        // Refused before a model is looked for: this model does not exist.
        (
            vec![
                "--model",
                "/no/such/model",
                "ask",
                q,
                "--max-sentences",
                "4",
            ],
            "max_sentences",
        ),
        (vec!["embed", &empty_dir], "cannot read input"),
        (
            vec!["bench", "--rounds", "0"],
            "--rounds must be at least 1",
        ),
        (
            vec!["bench", "--corpus", &blank_only_labels],
            "no sentences to time",
        ),
    ];
    for (args, expect) in cases {
        let out = footnote(&args, None);
        assert_clean_failure(&out, expect);
    }
}

#[test]
fn malformed_jsonl_line_is_reported_and_the_rest_of_the_batch_is_summarized() {
    let dir = tempfile::tempdir().unwrap();
    let seed =
        std::fs::read_to_string(common::repo_path("seeds/001_49e84201299b6d56.txt")).unwrap();
    let good_a = serde_json::json!({"id": "a", "text": seed}).to_string();
    let good_b = serde_json::json!({"id": "b", "text": "The council approved the budget on Monday. It takes effect in May."}).to_string();
    let batch = format!("{good_a}\n{{\"id\": \"broken\", \"text\": \n{good_b}\n");
    let path = write(dir.path(), "batch.jsonl", batch.as_bytes());
    let out = footnote(&["summarize", &path, "--sentences", "2"], None);
    assert!(
        !out.status.success(),
        "a batch with a bad line exits non-zero"
    );
    let err = stderr(&out);
    assert!(
        err.contains("batch.jsonl:2:"),
        "the bad line is named: {err}"
    );
    assert!(!err.contains("panicked"));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["a", "b"],
        "both good records are summarized, in order"
    );
    assert!(lines[0]["sentences"].as_array().unwrap().len() <= 2);
}

#[test]
fn embed_reads_lines_and_jsonl_and_reports_bad_lines() {
    let out = footnote(
        &["embed"],
        Some("plain line of text\n{\"text\": \"json text\"}\n{oops\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 3"));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["text"], "json text");
    assert_eq!(lines[0]["embedding"].as_array().unwrap().len(), 384);
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_without_a_panic() {
    let settings = common::settings();
    let mut child = Command::new(env!("CARGO_BIN_EXE_footnote"))
        .current_dir(common::repo_path(""))
        .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
        .args(["bench", "--rounds", "1", "--batch-sizes", "8"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, as `| head -0` would
    let out = child.wait_with_output().unwrap();
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

/// Regression: `bench` had its own device list defaulting to cpu, so `footnote --device cuda:0
/// bench` silently benchmarked the CPU.
#[cfg(not(feature = "cuda"))]
#[test]
fn bench_honours_the_device_named_before_it() {
    let out = footnote(
        &[
            "--device",
            "cuda:0",
            "bench",
            "--rounds",
            "1",
            "--batch-sizes",
            "1",
        ],
        None,
    );
    assert_clean_failure(&out, "built without CUDA");
}

const BIDEN_PUTIN: &str = "002_4612034cd8f006a6";

#[test]
fn verify_names_a_changed_number_and_exits_1() {
    let text = format!("Biden and Putin spoke for 70 minutes on Thursday. [{BIDEN_PUTIN} ¶2]");
    let out = footnote(&["verify"], Some(&text));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(printed.contains("[UNSUPPORTED]"), "{printed}");
    assert!(
        printed.contains("\"70 minutes\" is not stated (the paragraph says \"50 minutes\")"),
        "{printed}"
    );
}

#[test]
fn verify_exits_0_when_every_claim_is_supported() {
    let text =
        format!("# Call\n\nBiden and Putin spoke for 50 minutes on Thursday. [{BIDEN_PUTIN} ¶2]\n");
    let out = footnote(&["verify"], Some(&text));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("1 of 1 claims supported; 1 lines skipped"),
        "{printed}"
    );
}

#[test]
fn verify_json_has_the_documented_shape_and_suggests_the_right_paragraph() {
    let text = format!("Biden and Putin spoke for 50 minutes on Thursday. [{BIDEN_PUTIN} ¶3]");
    let out = footnote(&["verify", "--json"], Some(&text));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &json["sentences"][0];
    assert_eq!(s["verdict"], "unsupported");
    assert_eq!(s["citations"][0]["paragraph"], 3);
    assert_eq!(s["suggestions"][0]["doc"], BIDEN_PUTIN);
    assert_eq!(s["suggestions"][0]["paragraph"], 2);
    assert!(s["reasons"].as_array().is_some_and(|r| !r.is_empty()));
    assert_eq!(
        (&json["supported"], &json["claims"], &json["skipped"]),
        (&0.into(), &1.into(), &0.into())
    );
}

#[test]
fn verify_malformed_citations_are_invalid_not_a_panic() {
    let text = "The call lasted 50 minutes. [¶]\n\nIt ended. [x ¶0]\n\nIt began. [x ¶-1]\n\n\
                It was long. [x ¶99999999999999999999]\n\nIt was short. [nope ¶2]";
    let out = footnote(&["verify", "--json"], Some(text));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sentences = json["sentences"].as_array().unwrap();
    assert_eq!(sentences.len(), 5);
    assert!(sentences.iter().all(|s| s["verdict"] == "invalid_citation"));
}

#[test]
fn verify_bad_input_exits_2_with_one_error_line() {
    let out = footnote(&["verify"], Some(" \n"));
    assert_eq!(out.status.code(), Some(2));
    assert_clean_failure(&out, "the text is empty");
    let out = footnote(&["verify", "no/such/draft.md"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_clean_failure(&out, "no/such/draft.md");
    let huge = "Biden spoke. ".repeat(400_000);
    let out = footnote(&["verify"], Some(&huge));
    assert_eq!(out.status.code(), Some(2));
    assert_clean_failure(&out, "characters");
}

#[test]
fn a_batch_larger_than_one_shared_pass_is_summarized_record_by_record_and_quietly() {
    // 40 records: more than one group of records embedded together. Each record's summary must
    // be the one it gets on its own, and the INFO log must not scroll the progress bar.
    let dir = tempfile::tempdir().unwrap();
    let seed =
        std::fs::read_to_string(common::repo_path("seeds/003_03060291541c335c.txt")).unwrap();
    let paragraphs: Vec<&str> = seed.split("\n\n").filter(|p| p.len() > 80).collect();
    let records: Vec<String> = (0..40)
        .map(|i| {
            let text = format!(
                "{}\n\n{}",
                paragraphs[i % paragraphs.len()],
                paragraphs[(i + 1) % paragraphs.len()]
            );
            serde_json::json!({"id": format!("r{i}"), "text": text}).to_string()
        })
        .collect();
    let all = write(dir.path(), "all.jsonl", records.join("\n").as_bytes());
    let one = write(dir.path(), "one.jsonl", records[35].as_bytes());
    let run = |path: &str| {
        footnote_logging(
            &["--no-cache", "summarize", path, "--sentences", "2"],
            None,
            "info",
        )
    };
    let out = run(&all);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("embedding documents"),
        "{}",
        stderr(&out)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    let ids: Vec<String> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    let expected: Vec<String> = (0..40).map(|i| format!("\"r{i}\"")).collect();
    assert_eq!(ids, expected);
    let alone = run(&one);
    assert_eq!(String::from_utf8_lossy(&alone.stdout).trim(), lines[35]);
}

#[test]
fn eval_multidoc_reports_each_half_with_a_perfect_grounding_audit() {
    let dir = tempfile::tempdir().unwrap();
    let seed = |name: &str| std::fs::read_to_string(common::repo_path(name)).unwrap();
    let reference = "Biden and Putin spoke by phone for 50 minutes about Ukraine.";
    let cluster = |id: &str, seeds: &[&str]| {
        let documents: Vec<serde_json::Value> = seeds
            .iter()
            .enumerate()
            .map(|(i, s)| serde_json::json!({"id": format!("p{}", i + 1), "text": seed(s)}))
            .collect();
        serde_json::json!({"id": id, "documents": documents, "reference": reference}).to_string()
    };
    let set = [
        cluster(
            "seeds-a",
            &[
                "seeds/000_5ec6a81df2388361.txt",
                "seeds/001_49e84201299b6d56.txt",
            ],
        ),
        cluster(
            "seeds-b",
            &[
                "seeds/003_03060291541c335c.txt",
                "seeds/004_c4fa9f1a35a7d1c8.txt",
            ],
        ),
    ]
    .join("\n");
    let path = write(dir.path(), "multidoc.jsonl", set.as_bytes());
    let out = footnote(&["eval", "multidoc", &path, "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = v["multidoc"].as_array().unwrap();
    let splits: Vec<&str> = reports
        .iter()
        .map(|r| r["split"].as_str().unwrap())
        .collect();
    assert_eq!(splits, ["fit", "report", "all"]);
    let clusters = |r: &serde_json::Value| r["clusters"].as_u64().unwrap();
    assert_eq!(clusters(&reports[0]) + clusters(&reports[1]), 2);
    let all = &reports[2];
    assert_eq!((clusters(all), all["documents"].as_u64().unwrap()), (2, 4));
    let grounding = &all["grounding"];
    assert!(grounding["sentences"].as_u64().unwrap() > 2, "{grounding}");
    for field in ["verbatim", "verified"] {
        assert_eq!(grounding[field], grounding["sentences"], "{grounding}");
    }
    assert!(all["footnote"]["rouge1"].as_f64().unwrap() > 0.0);
    assert!(all["lead"]["rouge1"].as_f64().unwrap() > 0.0);
    assert!(all["footnote_words"].as_f64().unwrap() <= 250.0);

    // A document id that cannot appear in a citation is refused, in one line.
    let bad = cluster("seeds/c", &["seeds/002_4612034cd8f006a6.txt"]);
    let path = write(dir.path(), "bad.jsonl", bad.as_bytes());
    assert_clean_failure(
        &footnote(&["eval", "multidoc", &path], None),
        "invalid document id",
    );
}

#[test]
fn a_cluster_record_is_summarized_across_its_documents_and_a_malformed_one_is_skipped() {
    // A batch embeds sentences only, and a cluster is summarized across its documents: each
    // line must be the summary `footnote summarize --json` gives for the same files, whose index
    // also has paragraph vectors.
    let dir = tempfile::tempdir().unwrap();
    let seed = |id: &str| {
        let text = std::fs::read_to_string(common::repo_path(&format!("seeds/{id}.txt"))).unwrap();
        serde_json::json!({"id": id, "text": text})
    };
    let (a, b, c) = (
        "001_49e84201299b6d56",
        "002_4612034cd8f006a6",
        "003_03060291541c335c",
    );
    let records = [
        serde_json::json!({"id": "call", "documents": [seed(a), seed(b)]}),
        serde_json::json!({"id": "bad", "documents": [seed(a), seed(a)]}),
        seed(c),
    ];
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    let path = write(dir.path(), "batch.jsonl", lines.join("\n").as_bytes());
    let out = footnote(
        &["--no-cache", "summarize", &path, "--sentences", "3"],
        None,
    );
    assert!(!out.status.success(), "a malformed cluster exits non-zero");
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains("batch.jsonl:2: cluster `bad`: duplicate document id"),
        "{err}"
    );
    let summaries: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(summaries.len(), 2, "the other records are summarized");
    for (summary, (id, files)) in summaries.iter().zip([("call", vec![a, b]), (c, vec![c])]) {
        let paths: Vec<String> = files
            .iter()
            .map(|f| {
                common::repo_path(&format!("seeds/{f}.txt"))
                    .display()
                    .to_string()
            })
            .collect();
        let mut args = vec!["--no-cache", "summarize", "--sentences", "3", "--json"];
        args.extend(paths.iter().map(String::as_str));
        let alone = footnote(&args, None);
        assert!(alone.status.success(), "{}", stderr(&alone));
        let mut expected: serde_json::Value = serde_json::from_slice(&alone.stdout).unwrap();
        expected["id"] = serde_json::json!(id);
        assert_eq!(summary, &expected);
    }
    assert_eq!(summaries[0]["documents"], serde_json::json!([a, b]));
}

#[test]
fn human_output_lists_corroborating_reports_and_where_sources_differ() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "first.txt",
        b"The talks between the two ministers in Geneva lasted 50 minutes on Monday, officials said.",
    );
    let b = write(
        dir.path(),
        "second.txt",
        b"The talks between the two ministers in Geneva lasted 70 minutes on Monday, officials said.",
    );
    let c = write(
        dir.path(),
        "third.txt",
        b"The talks between the two ministers in Geneva lasted 50 minutes on Monday, officials said.",
    );
    let out = footnote(&["summarize", "--sentences", "2", &a, &b], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Sources differ:\n  on \""), "{text}");
    assert!(
        text.contains("lasted 50 minutes") && text.contains("lasted 70 minutes"),
        "{text}"
    );
    assert!(
        text.contains("[first ¶1]") && text.contains("[second ¶1]"),
        "{text}"
    );
    let out = footnote(
        &[
            "ask",
            "How long did the talks in Geneva last?",
            "--corpus",
            &a,
            "--corpus",
            &c,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("also reported in ["), "{text}");
    assert!(!text.contains("Sources differ:"), "{text}");
}
