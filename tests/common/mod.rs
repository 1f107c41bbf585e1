//! Shared fixtures for tests that use the real model: one engine per test binary, loaded (and
//! fetched on first use, as a user's first run would) from the repository's `models/` folder.
//! Also [`server`], a real `footnote serve` for the HTTP tests, and [`cpu`], for tests that need
//! a CPU feature, and [`postgres`], a fresh PostgreSQL database per test.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod cpu;
pub mod postgres;
pub mod server;

use std::path::PathBuf;
use std::sync::OnceLock;

use footnote::document::{self, Document};
use footnote::index::Index;
use footnote::{Engine, EngineSettings};

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// `../shared` beside the repository: the evaluation sets and the parity oracle.
pub fn shared_path(relative: &str) -> PathBuf {
    repo_path("../shared").join(relative)
}

pub fn settings() -> EngineSettings {
    let models_dir = std::env::var_os("FOOTNOTE_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("models"));
    EngineSettings {
        cache_dir: Some(models_dir.join(".cache")),
        models_dir,
        ..EngineSettings::default()
    }
}

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load(&settings()).expect("the default model loads (fetched if missing)")
    })
}

pub fn seed_documents() -> Vec<Document> {
    let loaded = document::load_paths(&[repo_path("seeds")]).expect("seeds load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    loaded.documents
}

pub fn seed_index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| engine().index(seed_documents()).expect("seeds index"))
}
