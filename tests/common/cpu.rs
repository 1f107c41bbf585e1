//! Tests that need a CPU feature (the native encoder's AVX-512 kernels) run where the CPU has
//! it. Where it does not, such a test must not pass in silence: it prints a "skipped" line that
//! the test harness does not swallow, or fails when `FOOTNOTE_REQUIRE_CPU` names the feature.
//! `.ci/run` sets that variable to the features `/proc/cpuinfo` lists, so on a machine that has
//! them a skip is a failure.
//!
//! One helper for the integration tests (through `tests/common`) and the kernels' unit tests
//! (which include this file with `#[path]`), so it uses nothing but std.

use std::io::Write;

/// The environment variable naming the CPU features this machine must have (see
/// [`Feature::name`]), separated by spaces or commas.
pub const REQUIRE_VAR: &str = "FOOTNOTE_REQUIRE_CPU";

/// A CPU feature some tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// AVX-512 Foundation: the native encoder.
    Avx512f,
    /// AVX-512 BF16 (with AVX-512F): the native encoder's bf16 products.
    Avx512Bf16,
}

impl Feature {
    const ALL: [Feature; 2] = [Feature::Avx512f, Feature::Avx512Bf16];

    /// The name `is_x86_feature_detected!` gives it, as `FOOTNOTE_REQUIRE_CPU` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Feature::Avx512f => "avx512f",
            Feature::Avx512Bf16 => "avx512bf16",
        }
    }

    /// Whether this CPU has the feature.
    pub fn detected(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            let avx512f = std::arch::is_x86_feature_detected!("avx512f");
            match self {
                Feature::Avx512f => avx512f,
                Feature::Avx512Bf16 => avx512f && std::arch::is_x86_feature_detected!("avx512bf16"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// Whether a test that needs `feature` can run here; the test returns at once when it cannot.
/// A CPU without the feature is a failure when `FOOTNOTE_REQUIRE_CPU` names it, and otherwise
/// a "skipped" line on the terminal.
pub fn test_can_run(feature: Feature) -> bool {
    let required = required_features();
    if feature.detected() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let name = feature.name();
    assert!(
        !required.contains(&feature),
        "{test}: this CPU lacks {name}, which {REQUIRE_VAR} says it has"
    );
    // Straight to stderr, past the harness's capture of `eprintln!`: a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test} needs {name}, which this CPU lacks ({REQUIRE_VAR}={name} makes this a failure)"
    );
    false
}

/// The features `FOOTNOTE_REQUIRE_CPU` names; a name it does not know is a failure, since a
/// misspelt requirement would let tests skip again.
fn required_features() -> Vec<Feature> {
    let list = std::env::var(REQUIRE_VAR).unwrap_or_default();
    list.split([' ', ','])
        .filter(|name| !name.is_empty())
        .map(|name| {
            Feature::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .unwrap_or_else(|| {
                    let known = Feature::ALL.map(Feature::name).join(", ");
                    panic!("{REQUIRE_VAR}: unknown CPU feature `{name}` (known: {known})")
                })
        })
        .collect()
}
