//! Agreement of `footnote::rouge` with Google's `rouge-score` (use_stemmer=True).
//!
//! Expected scores in tests/data/rouge_expected.jsonl come from the Python package;
//! regenerate them with tests/data/make_rouge_expected.py (see its header).

use footnote::rouge::{score, RougeScore};
use serde::Deserialize;

/// Maximum allowed absolute difference (0.5 ROUGE points).
const TOLERANCE: f64 = 0.005;

#[derive(Deserialize)]
struct Expected {
    precision: f64,
    recall: f64,
    f1: f64,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    reference: String,
    candidate: String,
    r1: Expected,
    r2: Expected,
    rlsum: Expected,
}

#[test]
fn rouge_matches_python_rouge_score() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rouge_expected.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("read rouge_expected.jsonl");
    let cases: Vec<Case> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("parse expected-score line"))
        .collect();
    assert!(cases.len() >= 40, "only {} cases", cases.len());

    let mut max_dev = 0.0f64;
    let mut failures = Vec::new();
    for case in &cases {
        let got = score(&case.reference, &case.candidate);
        for (name, got, want) in [
            ("rouge1", got.rouge1, &case.r1),
            ("rouge2", got.rouge2, &case.r2),
            ("rougeLsum", got.rouge_lsum, &case.rlsum),
        ] {
            let RougeScore {
                precision,
                recall,
                f1,
            } = got;
            for (field, g, w) in [
                ("precision", precision, want.precision),
                ("recall", recall, want.recall),
                ("f1", f1, want.f1),
            ] {
                let dev = (g - w).abs();
                assert!(g.is_finite(), "{} {name} {field} is {g}", case.id);
                max_dev = max_dev.max(dev);
                if dev > TOLERANCE {
                    failures.push(format!("{} {name} {field}: got {g}, want {w}", case.id));
                }
            }
        }
    }
    println!(
        "{} cases, max deviation from rouge-score: {max_dev:e}",
        cases.len()
    );
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}
