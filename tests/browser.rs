//! The web page in a real browser: runs `tests/browser/reading_room.mjs` (playwright-core
//! driving Debian's Chromium, headless) against the real `footnote serve`, started with a tiny
//! made-up writing model (it writes "a" until its token limit: text that is never verified) so
//! that the streamed "write the answer" path runs too. The script asks,
//! opens citations, summarizes, adds, asks about and deletes a document, verifies a draft with a
//! wrong figure, and checks that markup in an article is shown as text and never runs; it prints
//! where its screenshots are.
//!
//! Needs `node`, `tests/browser/node_modules` (`npm ci` there) and Chromium (`CHROMIUM`, default
//! `/usr/bin/chromium`). When one is missing the test says so and passes, unless `CI` is set,
//! where it fails: `.ci/run` installs them.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::quantized::GgmlDType;
use footnote::llm::random::{self, Behaviour, Family, Shape};

fn missing_tools(script_dir: &Path, chromium: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node (apt-get install nodejs npm)".to_string());
    }
    if !script_dir.join("node_modules/playwright-core").is_dir() {
        missing.push(format!(
            "playwright-core (cd {} && npm ci)",
            script_dir.display()
        ));
    }
    if !chromium.is_file() {
        missing.push(format!(
            "{} (apt-get install chromium chromium-driver)",
            chromium.display()
        ));
    }
    missing
}

#[test]
fn the_reading_room_works_in_chromium() {
    let script_dir = common::repo_path("tests/browser");
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let missing = missing_tools(&script_dir, &chromium);
    if !missing.is_empty() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !ci,
            "CI is set and the browser test cannot run; missing: {}",
            missing.join(", ")
        );
        // Straight to stderr, past the harness's capture of `eprintln!`: a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: the browser test needs {} (CI=true makes this a failure)",
            missing.join(", ")
        );
        return;
    }
    let llm = tempfile::tempdir().unwrap();
    random::write_model(
        llm.path(),
        "random-tiny-qwen3",
        &Shape::tiny(Family::Qwen3),
        GgmlDType::Q8_0,
        &Behaviour::Always("a".into()),
    )
    .unwrap();
    let settings = common::settings();
    let status = Command::new("node")
        .arg(script_dir.join("reading_room.mjs"))
        .current_dir(common::repo_path(""))
        .env("FOOTNOTE_BIN", env!("CARGO_BIN_EXE_footnote"))
        .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
        .env("FOOTNOTE_LLM", llm.path())
        .env("CHROMIUM", &chromium)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "the browser test failed (its output is above)"
    );
}
