//! The library's modules form layers: no module depends on one that depends back on it, and the
//! text and retrieval modules never reach the model stack (candle, the encoder, the embedder), so
//! that reading, segmenting, indexing and summarizing documents can be used and tested without
//! loading a model. ARCHITECTURE.md draws the layers; this test keeps the drawing true.
//!
//! Dependencies are read from the source: every `crate::name` path (and each name of a
//! `crate::{a, b}` group) outside comments, per top-level module of `src/` (the binary's `main.rs`
//! and `cli/` are not part of the library).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that must work without the model: they may not depend, even through others, on these.
const MODEL_FREE: [&str; 18] = [
    "answer",
    "citation",
    "claims",
    "compose",
    "doc_vectors",
    "document",
    "hash",
    "index",
    "lexical",
    "lexicon",
    "rouge",
    "segment",
    "signals",
    "summarize",
    "text",
    "vector",
    "verify",
    "written",
];
const MODEL_STACK: [&str; 7] = [
    "cache", "device", "embed", "encoder", "engine", "llm", "model",
];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for entry in entries.map(|e| e.expect("directory entry").path()) {
        if entry.is_dir() {
            source_files(&entry, out);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            out.push(entry);
        }
    }
}

/// The source without line comments (doc links to higher modules are not dependencies).
fn code(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module names a piece of code names after `crate::`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the names at the group's own depth.
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        names.insert(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    // What the crate root re-exports is named by its module (`crate::Engine` is `engine`);
    // `self` is not a module.
    names
        .into_iter()
        .filter(|n| n != "self")
        .map(|n| match n.as_str() {
            "Engine" | "EngineSettings" => "engine".to_string(),
            "Error" | "Result" => "error".to_string(),
            _ => n,
        })
        .collect()
}

/// Each source file of the library, without comments, with its top-level module.
fn module_sources() -> Vec<(String, String)> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut sources = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("inside src/");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs")
            .to_string();
        if ["lib", "main", "cli"].contains(&top.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source is readable");
        sources.push((top, code(&text)));
    }
    sources
}

/// Each top-level module of the library with the modules it names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in module_sources() {
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(named_modules(&code).into_iter().filter(|d| *d != module));
    }
    graph
}

/// The modules `from` reaches through its dependencies (not itself unless by a cycle).
fn reached(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = vec![from];
    while let Some(module) = stack.pop() {
        for dep in graph.get(module).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                stack.push(dep);
            }
        }
    }
    seen
}

#[test]
fn no_module_depends_on_one_that_depends_back_on_it() {
    let graph = module_graph();
    assert!(graph.len() > 10, "the module graph was not read: {graph:?}");
    let cyclic: Vec<&String> = graph
        .keys()
        .filter(|m| reached(&graph, m).contains(*m))
        .collect();
    assert!(
        cyclic.is_empty(),
        "modules in a dependency cycle: {cyclic:?}\n{graph:#?}"
    );
}

/// The external crates of the model stack, which model-free modules must not name.
const MODEL_CRATES: [&str; 4] = [
    "candle_core",
    "candle_nn",
    "candle_transformers",
    "tokenizers",
];

#[test]
fn text_and_retrieval_modules_never_reach_the_model_stack() {
    let graph = module_graph();
    for module in MODEL_FREE {
        assert!(graph.contains_key(module), "no module `{module}` in src/");
        let reach = reached(&graph, module);
        let model: Vec<&str> = MODEL_STACK
            .into_iter()
            .filter(|m| reach.contains(*m))
            .collect();
        assert!(model.is_empty(), "`{module}` reaches {model:?}");
    }
    // Nor do they use the model's crates directly. (They do reach candle's error type through
    // `error::Error::Inference`: one error type for the crate, see ARCHITECTURE.md.)
    for (module, code) in module_sources() {
        if MODEL_FREE.contains(&module.as_str()) {
            for krate in MODEL_CRATES {
                assert!(!code.contains(krate), "`{module}` uses {krate}");
            }
        }
    }
}

#[test]
fn dependencies_are_read_from_paths_and_groups_but_not_comments() {
    let found = named_modules(&code(
        "use crate::a::B;\nuse crate::{b, c::D, d::{e, f}};\n// crate::g\nlet x = crate::h::f();\nuse crate::Engine;",
    ));
    let expected: BTreeSet<String> = ["a", "b", "c", "d", "engine", "h"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, expected);
}
