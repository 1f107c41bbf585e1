//! ROUGE-1, ROUGE-2 and ROUGE-Lsum (precision, recall, F1) for summary evaluation.
//!
//! This is a port of Google's Python package `rouge-score` (0.1.2) as configured by
//! `RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)`, the setup that
//! most published summarisation numbers use. It exists so that `footnote` can report
//! scores directly comparable with those numbers without a Python dependency. Every
//! step follows the Python code, including its quirks:
//!
//! * Tokenizer: Unicode lowercase, replace every run of characters outside `[a-z0-9]`
//!   with a space, split on whitespace, Porter-stem tokens longer than 3 characters,
//!   drop empty tokens. Non-ASCII letters are therefore separators (`café` → `caf`).
//! * Stemmer: NLTK's `PorterStemmer` in its default `NLTK_EXTENSIONS` mode (irregular
//!   forms table, `ies`/`ied` tweaks, `y`→`i` only after a consonant, `alli` and
//!   `logi` handling, ...). No crate implements this variant (`porter-stemmer`
//!   follows the original paper/Martin Porter's code and `rust-stemmers` is
//!   Porter2), and they disagree with NLTK on about 2% of news vocabulary, so it is
//!   written out here.
//! * ROUGE-N: clipped n-gram overlap; precision and recall divide by
//!   `max(count, 1)`, so empty texts score 0 rather than NaN.
//! * ROUGE-Lsum: both texts are split into sentences on `'\n'` (empty lines are
//!   dropped); for each reference sentence the union of one LCS with every candidate
//!   sentence (with `rouge-score`'s exact backtracking tie-break) is taken, and hits
//!   are clipped by the token counts of the two summaries, as in ROUGE-1.5.5.
//! * F1 is `2 * p * r / (p + r)`, or 0 when `p + r == 0`, evaluated in the same
//!   order as Python so results agree to the last bit.

use std::collections::HashMap;

/// Precision, recall and F1 of one ROUGE variant, as fractions in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RougeScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// ROUGE-1, ROUGE-2 and ROUGE-Lsum scores of one candidate against one reference.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RougeScores {
    pub rouge1: RougeScore,
    pub rouge2: RougeScore,
    pub rouge_lsum: RougeScore,
}

impl RougeScore {
    const ZERO: RougeScore = RougeScore {
        precision: 0.0,
        recall: 0.0,
        f1: 0.0,
    };

    /// Builds a score from hit counts, like `rouge-score` (true division, then
    /// `scoring.fmeasure`). Callers guarantee nonzero denominators.
    fn from_counts(hits: usize, candidate_total: usize, reference_total: usize) -> Self {
        let precision = hits as f64 / candidate_total as f64;
        let recall = hits as f64 / reference_total as f64;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        RougeScore {
            precision,
            recall,
            f1,
        }
    }
}

/// Score a candidate summary against a reference; for ROUGE-Lsum, sentences are separated by newlines in both texts (as rouge-score expects).
pub fn score(reference: &str, candidate: &str) -> RougeScores {
    let mut vocab = Vocab::default();
    let ref_tokens = vocab.ids(&tokenize(reference));
    let cand_tokens = vocab.ids(&tokenize(candidate));

    let ref_sents: Vec<Vec<usize>> = sentences(reference)
        .map(|s| vocab.ids(&tokenize(s)))
        .collect();
    let cand_sents: Vec<Vec<usize>> = sentences(candidate)
        .map(|s| vocab.ids(&tokenize(s)))
        .collect();

    RougeScores {
        rouge1: rouge_n(&ref_tokens, &cand_tokens, 1),
        rouge2: rouge_n(&ref_tokens, &cand_tokens, 2),
        rouge_lsum: summary_level_lcs(&ref_sents, &cand_sents, vocab.len()),
    }
}

/// `rougeLsum`'s sentence split: `text.split("\n")`, dropping empty strings (but not
/// whitespace-only ones, which tokenize to nothing).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|s| !s.is_empty())
}

/// Maps token strings to dense ids so n-grams and LCS work on integers.
#[derive(Default)]
struct Vocab {
    ids: HashMap<String, usize>,
}

impl Vocab {
    fn ids(&mut self, tokens: &[String]) -> Vec<usize> {
        tokens
            .iter()
            .map(|t| {
                let next = self.ids.len();
                *self.ids.entry(t.clone()).or_insert(next)
            })
            .collect()
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

/// `rouge_score.tokenize.tokenize(text, PorterStemmer())`.
fn tokenize(text: &str) -> Vec<String> {
    // Python's str.lower() and Rust's to_lowercase() both apply the full Unicode
    // mapping (e.g. 'İ' -> "i\u{307}", KELVIN SIGN -> 'k'); everything that does not
    // end up in [a-z0-9] becomes a separator.
    let lowered = text.to_lowercase();
    lowered
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.len() > 3 {
                porter_stem(t)
            } else {
                t.to_string()
            }
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// `_create_ngrams` + `_score_ngrams`.
fn rouge_n(reference: &[usize], candidate: &[usize], n: usize) -> RougeScore {
    let mut ref_counts: HashMap<&[usize], usize> = HashMap::new();
    for gram in reference.windows(n) {
        *ref_counts.entry(gram).or_insert(0) += 1;
    }
    let mut cand_counts: HashMap<&[usize], usize> = HashMap::new();
    for gram in candidate.windows(n) {
        *cand_counts.entry(gram).or_insert(0) += 1;
    }
    let hits: usize = ref_counts
        .iter()
        .map(|(gram, &count)| count.min(cand_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    let ref_total = reference.len().saturating_sub(n - 1);
    let cand_total = candidate.len().saturating_sub(n - 1);
    RougeScore::from_counts(hits, cand_total.max(1), ref_total.max(1))
}

/// `_summary_level_lcs`: summary-level union-LCS ROUGE-L (section 3.2 of Lin 2004)
/// with ROUGE-1.5.5's clipping of hits by token counts.
fn summary_level_lcs(
    ref_sents: &[Vec<usize>],
    cand_sents: &[Vec<usize>],
    vocab: usize,
) -> RougeScore {
    if ref_sents.is_empty() || cand_sents.is_empty() {
        return RougeScore::ZERO;
    }
    let m: usize = ref_sents.iter().map(Vec::len).sum();
    let n: usize = cand_sents.iter().map(Vec::len).sum();
    if m == 0 || n == 0 {
        return RougeScore::ZERO;
    }

    let mut ref_counts = vec![0usize; vocab];
    for &t in ref_sents.iter().flatten() {
        ref_counts[t] += 1;
    }
    let mut cand_counts = vec![0usize; vocab];
    for &t in cand_sents.iter().flatten() {
        cand_counts[t] += 1;
    }

    let mut hits = 0usize;
    let mut in_union = Vec::new();
    for r in ref_sents {
        // `_union_lcs`: union of the reference indices of one LCS per candidate
        // sentence, visited in increasing index order.
        in_union.clear();
        in_union.resize(r.len(), false);
        for c in cand_sents {
            for i in lcs_indices(r, c) {
                in_union[i] = true;
            }
        }
        for (&t, &in_lcs) in r.iter().zip(&in_union) {
            if !in_lcs {
                continue;
            }
            if cand_counts[t] > 0 && ref_counts[t] > 0 {
                hits += 1;
                cand_counts[t] -= 1;
                ref_counts[t] -= 1;
            }
        }
    }
    RougeScore::from_counts(hits, n, m)
}

/// `lcs_ind`: indices into `reference` of one longest common subsequence with
/// `candidate`, chosen by `_backtrack_norec`'s tie-break (in decreasing order).
fn lcs_indices(reference: &[usize], candidate: &[usize]) -> Vec<usize> {
    let rows = reference.len();
    let cols = candidate.len();
    let width = cols + 1;
    let mut table = vec![0u32; (rows + 1) * width];
    for i in 1..=rows {
        for j in 1..=cols {
            table[i * width + j] = if reference[i - 1] == candidate[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (rows, cols);
    while i > 0 && j > 0 {
        if reference[i - 1] == candidate[j - 1] {
            out.push(i - 1);
            i -= 1;
            j -= 1;
        } else if table[i * width + j - 1] > table[(i - 1) * width + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Porter stemmer, NLTK_EXTENSIONS mode (nltk.stem.porter.PorterStemmer()).
// Words here are ASCII [a-z0-9], so byte indexing is character indexing.
// ---------------------------------------------------------------------------

/// `PorterStemmer().stem(word)` for a lowercase ASCII word.
fn porter_stem(word: &str) -> String {
    if let Some(irregular) = irregular_form(word) {
        return irregular.to_string();
    }
    if word.len() <= 2 {
        return word.to_string();
    }
    let w = step1a(word);
    let w = step1b(&w);
    let w = step1c(&w);
    let w = step2(&w);
    let w = step3(&w);
    let w = step4(&w);
    let w = step5a(&w);
    step5b(&w)
}

/// NLTK's table of irregular forms.
fn irregular_form(word: &str) -> Option<&'static str> {
    Some(match word {
        "sky" | "skies" => "sky",
        "dying" => "die",
        "lying" => "lie",
        "tying" => "tie",
        "news" => "news",
        "innings" | "inning" => "inning",
        "outings" | "outing" => "outing",
        "cannings" | "canning" => "canning",
        "howe" => "howe",
        "proceed" => "proceed",
        "exceed" => "exceed",
        "succeed" => "succeed",
        _ => return None,
    })
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Consonant flag of every letter: a 'y' is a consonant iff it starts the word or
/// follows a vowel.
fn consonant_flags(word: &str) -> Vec<bool> {
    let mut flags: Vec<bool> = Vec::with_capacity(word.len());
    for (i, &b) in word.as_bytes().iter().enumerate() {
        let consonant = if is_vowel(b) {
            false
        } else if b == b'y' {
            i == 0 || !flags[i - 1]
        } else {
            true
        };
        flags.push(consonant);
    }
    flags
}

fn is_consonant(word: &str, i: usize) -> bool {
    consonant_flags(&word[..=i])[i]
}

/// Porter's m: the number of vowel-consonant transitions.
fn measure(stem: &str) -> usize {
    consonant_flags(stem)
        .windows(2)
        .filter(|w| !w[0] && w[1])
        .count()
}

fn has_positive_measure(stem: &str) -> bool {
    measure(stem) > 0
}

fn contains_vowel(stem: &str) -> bool {
    consonant_flags(stem).iter().any(|&c| !c)
}

/// Condition *d.
fn ends_double_consonant(word: &str) -> bool {
    let b = word.as_bytes();
    let n = b.len();
    n >= 2 && b[n - 1] == b[n - 2] && is_consonant(word, n - 1)
}

/// Condition *o, with NLTK's extension for two-letter stems.
fn ends_cvc(word: &str) -> bool {
    let b = word.as_bytes();
    let n = b.len();
    if n >= 3 {
        let f = consonant_flags(word);
        f[n - 3] && !f[n - 2] && f[n - 1] && !matches!(b[n - 1], b'w' | b'x' | b'y')
    } else if n == 2 {
        let f = consonant_flags(word);
        !f[0] && f[1]
    } else {
        false
    }
}

type Condition<'a> = &'a dyn Fn(&str) -> bool;

/// `_apply_rule_list`: the first rule whose suffix matches decides; if its
/// condition fails the word is returned unchanged.
fn apply_rules(word: &str, rules: &[(&str, &str, Condition)]) -> String {
    for &(suffix, replacement, condition) in rules {
        if let Some(stem) = word.strip_suffix(suffix) {
            return if condition(stem) {
                format!("{stem}{replacement}")
            } else {
                word.to_string()
            };
        }
    }
    word.to_string()
}

fn always(_: &str) -> bool {
    true
}

fn step1a(word: &str) -> String {
    if word.len() == 4 && word.ends_with("ies") {
        return format!("{}ie", &word[..1]);
    }
    apply_rules(
        word,
        &[
            ("sses", "ss", &always),
            ("ies", "i", &always),
            ("ss", "ss", &always),
            ("s", "", &always),
        ],
    )
}

fn step1b(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ied") {
        let replacement = if word.len() == 4 { "ie" } else { "i" };
        return format!("{stem}{replacement}");
    }
    if let Some(stem) = word.strip_suffix("eed") {
        return if measure(stem) > 0 {
            format!("{stem}ee")
        } else {
            word.to_string()
        };
    }
    let Some(stem) = ["ed", "ing"]
        .iter()
        .filter_map(|suffix| word.strip_suffix(suffix))
        .find(|stem| contains_vowel(stem))
    else {
        return word.to_string();
    };
    for (suffix, replacement) in [("at", "ate"), ("bl", "ble"), ("iz", "ize")] {
        if stem.ends_with(suffix) {
            return format!("{stem}{}", &replacement[suffix.len()..]);
        }
    }
    if ends_double_consonant(stem) {
        let last = stem.as_bytes()[stem.len() - 1];
        return if matches!(last, b'l' | b's' | b'z') {
            stem.to_string()
        } else {
            stem[..stem.len() - 1].to_string()
        };
    }
    if measure(stem) == 1 && ends_cvc(stem) {
        format!("{stem}e")
    } else {
        stem.to_string()
    }
}

fn step1c(word: &str) -> String {
    apply_rules(
        word,
        &[("y", "i", &|stem: &str| {
            stem.len() > 1 && is_consonant(stem, stem.len() - 1)
        })],
    )
}

fn step2(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("alli") {
        if has_positive_measure(stem) {
            return step2(&format!("{stem}al"));
        }
    }
    let m = &has_positive_measure;
    let logi = |_: &str| has_positive_measure(&word[..word.len() - 3]);
    apply_rules(
        word,
        &[
            ("ational", "ate", m),
            ("tional", "tion", m),
            ("enci", "ence", m),
            ("anci", "ance", m),
            ("izer", "ize", m),
            ("bli", "ble", m),
            ("alli", "al", m),
            ("entli", "ent", m),
            ("eli", "e", m),
            ("ousli", "ous", m),
            ("ization", "ize", m),
            ("ation", "ate", m),
            ("ator", "ate", m),
            ("alism", "al", m),
            ("iveness", "ive", m),
            ("fulness", "ful", m),
            ("ousness", "ous", m),
            ("aliti", "al", m),
            ("iviti", "ive", m),
            ("biliti", "ble", m),
            ("fulli", "ful", m),
            ("logi", "log", &logi),
        ],
    )
}

fn step3(word: &str) -> String {
    let m = &has_positive_measure;
    apply_rules(
        word,
        &[
            ("icate", "ic", m),
            ("ative", "", m),
            ("alize", "al", m),
            ("iciti", "ic", m),
            ("ical", "ic", m),
            ("ful", "", m),
            ("ness", "", m),
        ],
    )
}

fn step4(word: &str) -> String {
    let m = &|stem: &str| measure(stem) > 1;
    let ion = |stem: &str| measure(stem) > 1 && (stem.ends_with('s') || stem.ends_with('t'));
    apply_rules(
        word,
        &[
            ("al", "", m),
            ("ance", "", m),
            ("ence", "", m),
            ("er", "", m),
            ("ic", "", m),
            ("able", "", m),
            ("ible", "", m),
            ("ant", "", m),
            ("ement", "", m),
            ("ment", "", m),
            ("ent", "", m),
            ("ion", "", &ion),
            ("ou", "", m),
            ("ism", "", m),
            ("ate", "", m),
            ("iti", "", m),
            ("ous", "", m),
            ("ive", "", m),
            ("ize", "", m),
        ],
    )
}

fn step5a(word: &str) -> String {
    if let Some(stem) = word.strip_suffix('e') {
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            return stem.to_string();
        }
    }
    word.to_string()
}

fn step5b(word: &str) -> String {
    if word.ends_with("ll") && measure(&word[..word.len() - 1]) > 1 {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn identical_texts_score_one() {
        let text = "The cat sat on the mat.\nIt was a sunny day in Paris.";
        let s = score(text, text);
        for v in [s.rouge1, s.rouge2, s.rouge_lsum] {
            assert_close(v.precision, 1.0);
            assert_close(v.recall, 1.0);
            assert_close(v.f1, 1.0);
        }
    }

    #[test]
    fn disjoint_texts_score_zero() {
        let s = score("alpha beta gamma delta", "one two three four");
        for v in [s.rouge1, s.rouge2, s.rouge_lsum] {
            assert_eq!(v, RougeScore::ZERO);
        }
    }

    #[test]
    fn empty_inputs_score_zero_without_nan() {
        for (reference, candidate) in [
            ("The cat sat on the mat.", ""),
            ("", "The cat sat on the mat."),
            ("", ""),
            ("Some words.", "!!! ...\n\n ---"),
            ("\n\n", "a b c"),
        ] {
            let s = score(reference, candidate);
            for v in [s.rouge1, s.rouge2, s.rouge_lsum] {
                assert_eq!(v, RougeScore::ZERO, "{reference:?} vs {candidate:?}");
            }
        }
    }

    #[test]
    fn hand_checked_example() {
        // Reference tokens: the cat sat on the mat (6 tokens, 5 bigrams).
        // Candidate tokens: the cat is on the mat (6 tokens, 5 bigrams).
        // Unigram hits: the x2, cat, on, mat = 5 -> P = R = F1 = 5/6.
        // Bigram hits: "the cat", "on the", "the mat" = 3 -> P = R = F1 = 3/5.
        // One sentence each, LCS = the cat on the mat = 5 -> 5/6.
        let s = score("The cat sat on the mat.", "the cat is on the mat");
        assert_close(s.rouge1.f1, 5.0 / 6.0);
        assert_close(s.rouge2.f1, 3.0 / 5.0);
        assert_close(s.rouge_lsum.f1, 5.0 / 6.0);

        // Asymmetric lengths: candidate "the cat" vs the same reference.
        // ROUGE-1: hits 2, P = 2/2, R = 2/6, F1 = 2*1*(1/3)/(4/3) = 0.5.
        let s = score("The cat sat on the mat.", "the cat");
        assert_close(s.rouge1.precision, 1.0);
        assert_close(s.rouge1.recall, 2.0 / 6.0);
        assert_close(s.rouge1.f1, 0.5);
        assert_close(s.rouge2.precision, 1.0);
        assert_close(s.rouge2.recall, 1.0 / 5.0);
    }

    #[test]
    fn lsum_uses_union_lcs_across_sentences() {
        // Reference sentence "a b c d e"; candidate sentences "a b" and "d e".
        // Union LCS covers a b d e = 4 hits of 5 reference / 4 candidate tokens.
        let s = score("a b c d e", "a b\nd e");
        assert_close(s.rouge_lsum.recall, 4.0 / 5.0);
        assert_close(s.rouge_lsum.precision, 1.0);
        // Unlike ROUGE-L over the joined texts (LCS 2 here), Lsum does not care
        // about the order of the candidate sentences.
        let s = score("a b c d e", "d e\na b");
        assert_close(s.rouge_lsum.recall, 4.0 / 5.0);
    }

    #[test]
    fn tokenizer_matches_rouge_score() {
        assert_eq!(
            tokenize("The café's 5K-run, naïve İstanbul!"),
            ["the", "caf", "s", "5k", "run", "na", "ve", "i", "stanbul"]
        );
        assert_eq!(
            tokenize("Running  quickly\tthrough\nthe generously"),
            ["run", "quickli", "through", "the", "gener"]
        );
    }

    #[test]
    fn porter_matches_nltk_examples() {
        // Expected values from nltk.stem.porter.PorterStemmer() (NLTK_EXTENSIONS).
        for (word, stem) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "tie"),
            ("dies", "die"),
            ("cats", "cat"),
            ("agreed", "agre"),
            ("feed", "feed"),
            ("plastered", "plaster"),
            ("motoring", "motor"),
            ("conflated", "conflat"),
            ("hopping", "hop"),
            ("falling", "fall"),
            ("filing", "file"),
            ("happy", "happi"),
            ("enjoy", "enjoy"),
            ("spied", "spi"),
            ("died", "die"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("generously", "gener"),
            ("analogy", "analog"),
            ("geology", "geolog"),
            ("controlling", "control"),
            ("sensitivities", "sensit"),
            ("skies", "sky"),
            ("dying", "die"),
            ("news", "news"),
            ("agreement", "agreement"),
            ("always", "alway"),
            ("yyyy", "yyyi"),
        ] {
            assert_eq!(porter_stem(word), stem, "{word}");
        }
    }
}
