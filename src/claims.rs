//! Claims across documents: which sentences of different reports state the same fact, and where
//! reports give different values for one thing.
//!
//! A news sentence often carries several facts ("The call, which came at Putin's request, lasted
//! 50 minutes"), so sentences are compared clause by clause. Two sentences state the same claim
//! when a clause of either is found in the other: most of the clause's content words, weighted by
//! how rare each is in the corpus (so that "Biden" and "Putin", in every report, count for little
//! and "request" for much), and at least [`MIN_SHARED_TERMS`] of them, in two sentences close in
//! meaning. Topic similarity alone is not enough: "the call lasted 50 minutes" and "the call was
//! serious and substantive" are one topic and two facts. Numbers are not words here: they are
//! compared as the values they allow ([`crate::signals::Quantity`]), so that "50 minutes" and
//! "just under an hour" agree, and a figure stated in both is shared like two words. Two sentences that share a claim but give a number in the same
//! role values no reading allows both ("10,000 troops", "100,000 troops") disagree about it.
//!
//! The summarizer ranks facts by how many documents carry them, never picks two sentences of one
//! claim, and lists the rest as corroboration; the answer step does the same for answer
//! sentences.

use std::cell::OnceCell;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::index::Index;
use crate::lexicon::{MONTHS, TIME_UNITS, TIME_WORDS};
use crate::signals::{quantities, Bound, Quantity};
use crate::text::content_terms;
use crate::vector::cosine;

/// Sentences less similar than this in meaning are about different things, whatever words they
/// share.
const MIN_COSINE: f32 = 0.5;
/// Share of a clause's content-word weight that the other sentence must contain for the two to
/// state the clause's claim.
const MIN_CONTAINED: f32 = 0.6;
/// Content words a clause and the other sentence must share: "officials said" is no claim.
const MIN_SHARED_TERMS: usize = 3;
/// Of those, words that are not names: who is involved is not yet what happened ("President
/// Joe Biden asked Russian President Vladimir Putin" shares only names with a report of the call).
const MIN_SHARED_WORDS: usize = 2;
/// Disagreement is said only between sentences this close in meaning: a false disagreement
/// misleads more than a missed one.
const DIFFER_MIN_COSINE: f32 = 0.6;

/// Sentences whose [`word_overlap`] is at least this repeat each other's words: one of them
/// adds little to a summary holding the other.
pub const REPEATED_WORDS: f64 = 0.6;

/// Where two reports give different values for one thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Disagreement {
    /// The figure as the first statement gives it, with the word that says what it counts:
    /// "50 minutes", "100,000 troops".
    pub about: String,
    /// The statements that differ, the first one footnote gave first.
    pub statements: Vec<Statement>,
}

/// A sentence as a report states it, with its paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Statement {
    pub text: String,
    pub citation: Citation,
}

/// How two sentences relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// They state (at least) one claim in common, and no number of it differs.
    Same,
    /// They state one claim but a number in the same role differs: the first sentence's
    /// quantity at this position in its [`Facts::quantities`] (in reading order).
    Differ { quantity: usize },
    /// Nothing in common that makes one claim.
    Distinct,
}

/// What one sentence states, as the comparison reads it.
struct Facts {
    /// Its content terms, without numbers (numbers are compared as quantities).
    terms: HashSet<String>,
    /// Its terms written only as names (capitalized, not opening the sentence).
    names: HashSet<String>,
    /// Its [`clauses`].
    clauses: Vec<Clause>,
    quantities: Vec<Quantity>,
    /// Its [`time_words`].
    times: HashSet<String>,
}

/// A clause of a sentence: its content terms (numbers left out) and its figures (positions in
/// the sentence's [`Facts::quantities`]).
#[derive(Debug, Default, PartialEq)]
struct Clause {
    terms: Vec<String>,
    figures: Vec<usize>,
}

impl Clause {
    fn size(&self) -> usize {
        self.terms.len() + self.figures.len()
    }
}

/// The claim comparison over one index, reading each sentence's facts once, when first needed.
pub struct Claims<'a> {
    index: &'a Index,
    /// Boxed: a slot per sentence of the index is one pointer until the sentence is read.
    facts: Vec<OnceCell<Box<Facts>>>,
}

impl<'a> Claims<'a> {
    pub fn new(index: &'a Index) -> Self {
        Claims {
            index,
            facts: (0..index.sentences.len())
                .map(|_| OnceCell::new())
                .collect(),
        }
    }

    fn facts(&self, i: usize) -> &Facts {
        self.facts[i].get_or_init(|| {
            let text = self.index.sentence_text(i);
            let quantities = quantities(text);
            Box::new(Facts {
                terms: self
                    .index
                    .sentence_terms(i)
                    .iter()
                    .filter(|t| !is_number(t))
                    .cloned()
                    .collect(),
                names: name_terms(text),
                clauses: clauses(text, &quantities),
                quantities,
                times: time_words(text),
            })
        })
    }

    /// How sentences `i` and `j` (index positions) relate.
    pub fn relation(&self, i: usize, j: usize) -> Relation {
        let similarity = cosine(self.index.sentence_vector(i), self.index.sentence_vector(j));
        if i == j || similarity < MIN_COSINE {
            return Relation::Distinct;
        }
        let (a, b) = (self.facts(i), self.facts(j));
        let one_claim = self.clause_within(a, b)
            || self.clause_within(b, a)
            || same_figure(a, b)
            || same_figure(b, a);
        if !one_claim {
            return Relation::Distinct;
        }
        // A figure in the same role with another value: a disagreement when it is the one thing
        // that differs between two close statements; two figures of one time and one count
        // differing are statements of different moments ("through July, 32 cases"; "through
        // September, 50 cases"), and a count beside dates that differ may be too. Either way the
        // two do not corroborate each other.
        let differing: Vec<usize> = a
            .quantities
            .iter()
            .enumerate()
            .filter(|(_, q)| {
                b.quantities
                    .iter()
                    .any(|e| q.contradicts(e) && e.role.iter().any(|r| q.role.contains(r)))
            })
            .map(|(k, _)| k)
            .collect();
        match differing[..] {
            [] => Relation::Same,
            [quantity]
                if similarity >= DIFFER_MIN_COSINE
                    && (a.quantities[quantity].is_date() || dates_agree(a, b)) =>
            {
                Relation::Differ { quantity }
            }
            _ => Relation::Distinct,
        }
    }

    /// Whether a clause of `a` is stated in `b`'s words and figures. A figure counts as two
    /// terms (a value and what it measures) weighing as much as its digits' term: "lasted 50
    /// minutes" is stated by "spoke for 50 minutes" and by "the 50-minute call".
    fn clause_within(&self, a: &Facts, b: &Facts) -> bool {
        a.clauses.iter().any(|clause| {
            let (mut shared, mut shared_words, mut shared_weight, mut weight) = (0, 0, 0.0, 0.0);
            for term in &clause.terms {
                let w = self.index.idf(term);
                weight += w;
                if b.terms.contains(term) {
                    shared += 1;
                    shared_weight += w;
                    shared_words += usize::from(!a.names.contains(term));
                }
            }
            for &f in &clause.figures {
                let figure = &a.quantities[f];
                let w = content_terms(&figure.text)
                    .iter()
                    .map(|t| self.index.idf(t))
                    .fold(0.0f32, f32::max);
                weight += w;
                let stated = b.quantities.iter().any(|e| {
                    is_figure(e)
                        && figure.agrees_with(e)
                        && (figure.unit.is_some() || e.role.iter().any(|r| figure.role.contains(r)))
                });
                if stated {
                    shared += 2;
                    shared_words += 2;
                    shared_weight += w;
                }
            }
            shared >= MIN_SHARED_TERMS
                && shared_words >= MIN_SHARED_WORDS
                && shared_weight >= MIN_CONTAINED * weight
        })
    }

    /// The sentences among `pool` of documents other than `i`'s that state a claim of `i`
    /// without differing from it, in pool order.
    pub fn corroborating(&self, i: usize, pool: &[usize]) -> Vec<usize> {
        let doc = self.index.sentences[i].doc;
        pool.iter()
            .copied()
            .filter(|&j| self.index.sentences[j].doc != doc)
            .filter(|&j| self.relation(i, j) == Relation::Same)
            .collect()
    }

    /// The paragraphs of `sentences`, each once, in order.
    pub fn paragraphs(&self, sentences: &[usize]) -> Vec<Citation> {
        let mut out: Vec<Citation> = Vec::new();
        for &j in sentences {
            let citation = self.index.citation(j);
            if !out.contains(&citation) {
                out.push(citation);
            }
        }
        out
    }

    /// Where sentences of `pool` from other documents share a claim with `i` but give one of its
    /// numbers another value: one disagreement per number of `i`.
    pub fn disagreements(&self, i: usize, pool: &[usize]) -> Vec<Disagreement> {
        let doc = self.index.sentences[i].doc;
        let mut found: Vec<(usize, Vec<usize>)> = Vec::new();
        for &j in pool {
            if self.index.sentences[j].doc == doc {
                continue;
            }
            if let Relation::Differ { quantity } = self.relation(i, j) {
                match found.iter_mut().find(|(q, _)| *q == quantity) {
                    Some((_, others)) => others.push(j),
                    None => found.push((quantity, vec![j])),
                }
            }
        }
        let statement = |k: usize| Statement {
            text: self.index.sentence_text(k).to_string(),
            citation: self.index.citation(k),
        };
        found
            .into_iter()
            .map(|(quantity, others)| Disagreement {
                about: self.facts(i).quantities[quantity].phrase.clone(),
                statements: std::iter::once(i).chain(others).map(statement).collect(),
            })
            .collect()
    }

    /// The number of documents that state a claim of `i` (its own included).
    pub fn support(&self, i: usize, pool: &[usize]) -> usize {
        let mut docs: HashSet<usize> = self
            .corroborating(i, pool)
            .into_iter()
            .map(|j| self.index.sentences[j].doc)
            .collect();
        docs.insert(self.index.sentences[i].doc);
        docs.len()
    }
}

/// Whether every date either sentence gives meets one the other gives, as written (bounds set
/// aside: "through 1 July" and "through 1 September" are two cut-offs), and both name the same
/// months and days without numbers ("through July", "on Monday"): counts from reports of
/// different days ("through July, 32 cases"; "50 cases so far this year, Monday") may both be
/// right.
fn dates_agree(a: &Facts, b: &Facts) -> bool {
    let as_written = |q: &Quantity| Quantity {
        bound: Bound::Exact,
        ..q.clone()
    };
    let covered = |x: &Facts, y: &Facts| {
        x.quantities.iter().filter(|q| q.is_date()).all(|q| {
            y.quantities
                .iter()
                .any(|e| e.is_date() && !as_written(q).contradicts(&as_written(e)))
        })
    };
    covered(a, b) && covered(b, a) && a.times == b.times
}

/// The words of a text that name a moment without a number: months, weekdays, "yesterday"
/// (units such as "year" are left out: they measure, they do not date).
fn time_words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphabetic())
        .map(str::to_lowercase)
        .filter(|w| {
            (MONTHS.contains(&w.as_str()) || TIME_WORDS.contains(&w.as_str()))
                && !TIME_UNITS.contains(&w.as_str())
        })
        .collect()
}

/// Word overlap of two sentences: |A ∩ B| / min(|A|, |B|), where A and B are the sets of the
/// sentences' content terms ([`content_terms`]: lower-cased, stemmed, stop words dropped). 1 when
/// every content term of the shorter sentence is in the longer one, whatever else the longer one
/// says; 0 when either sentence has no content term.
pub fn word_overlap(a: &str, b: &str) -> f64 {
    terms_overlap(&content_terms(a), &content_terms(b))
}

/// [`word_overlap`] of two sentences given their content terms (the index keeps them).
pub fn terms_overlap(a: &[String], b: &[String]) -> f64 {
    let (a, b): (HashSet<&String>, HashSet<&String>) = (a.iter().collect(), b.iter().collect());
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        0.0
    } else {
        a.intersection(&b).count() as f64 / smaller as f64
    }
}

/// Whether a content term is a number ("50", "3.7", "2021"), compared as a quantity instead.
fn is_number(term: &str) -> bool {
    term.chars().any(|c| c.is_ascii_digit())
}

/// The content terms a text writes only capitalized, past its first word: the terms of names
/// ("Joe", "Putin", "Thursday").
fn name_terms(text: &str) -> HashSet<String> {
    let (mut names, mut words) = (HashSet::new(), HashSet::new());
    for (k, word) in text.split_whitespace().enumerate() {
        let capitalized = word
            .chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(char::is_uppercase);
        let terms = content_terms(word);
        if capitalized && k > 0 {
            names.extend(terms);
        } else {
            words.extend(terms);
        }
    }
    names.retain(|t| !words.contains(t));
    names
}

/// The first place from `from` where `needle` is written in `text` as a whole: neither a letter
/// nor a digit just before or after it.
fn whole_match(text: &str, from: usize, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut start = from;
    while let Some(offset) = text[start..].find(needle) {
        let at = start + offset;
        let end = at + needle.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return Some(at);
        }
        start = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Whether two sentences state one figure of one thing: the same duration ("lasted 50 minutes",
/// "the 50-minute call"), or a value both allow with two words of what it counts in common
/// ("100,000 troops massed", "massed about 100,000 troops"; not "arrested two people" and "two
/// people died"). Names do not say what a figure counts.
fn same_figure(a: &Facts, b: &Facts) -> bool {
    a.quantities.iter().filter(|q| is_figure(q)).any(|q| {
        b.quantities.iter().filter(|e| is_figure(e)).any(|e| {
            let shared_role = q
                .role
                .iter()
                .filter(|r| e.role.contains(r) && !a.names.contains(*r))
                .count();
            q.agrees_with(e) && (q.unit.is_some() || shared_role >= MIN_SHARED_WORDS)
        })
    })
}

/// Whether a quantity states one value (exactly or about): a bound ("up to 175,000") says what
/// a figure may be, not what it is, and is never the same figure as another.
fn is_figure(q: &Quantity) -> bool {
    matches!(q.bound, Bound::Exact | Bound::About)
}

/// The clauses of a sentence: the parts between commas, semicolons, colons, dashes and brackets
/// (a comma between digits is part of a number). Parts are gathered until they hold
/// [`MIN_SHARED_TERMS`] terms and figures, so a short part ("The call", "officials said") joins
/// the next one, or the last clause when it ends the sentence; a sentence too short for one
/// clause is one clause. `quantities` are the sentence's, in order; each
/// [`is_figure`] joins the clause it is written in.
fn clauses(text: &str, quantities: &[Quantity]) -> Vec<Clause> {
    let bytes = text.as_bytes();
    let digit_at = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_digit);
    let mut ends: Vec<usize> = text
        .char_indices()
        .filter(|&(k, c)| {
            matches!(c, ',' | ';' | ':' | '—' | '–' | '(' | ')')
                && !(c == ',' && k > 0 && digit_at(k - 1) && digit_at(k + 1))
        })
        .map(|(k, _)| k)
        .collect();
    ends.push(text.len());
    // Where each figure is written: the first match of its text after the previous figure's that
    // is not inside a longer number or word ("2" in "2021"). Several reads of one token ("10-12")
    // share its text and its place. A figure whose text is not found as written ("December 7
    // 2021" for "December 7, 2021") joins no clause.
    let mut cursor = 0;
    let mut figures: Vec<(usize, usize)> = Vec::new();
    let mut previous: Option<(&str, usize)> = None;
    for (f, q) in quantities.iter().enumerate() {
        let found = match previous {
            Some((written, at)) if written == q.text => Some(at),
            _ => whole_match(text, cursor, &q.text),
        };
        if let Some(at) = found {
            cursor = at + q.text.len();
            previous = Some((&q.text, at));
            if is_figure(q) {
                figures.push((at, f));
            }
        }
    }
    let mut out: Vec<Clause> = Vec::new();
    let mut pending = Clause::default();
    let mut start = 0;
    for end in ends {
        for term in content_terms(&text[start..end]) {
            let seen = pending.terms.contains(&term) || out.iter().any(|c| c.terms.contains(&term));
            if !is_number(&term) && !seen {
                pending.terms.push(term);
            }
        }
        pending.figures.extend(
            figures
                .iter()
                .filter(|&&(at, _)| start <= at && at < end)
                .map(|&(_, f)| f),
        );
        if pending.size() >= MIN_SHARED_TERMS {
            out.push(std::mem::take(&mut pending));
        }
        start = (end + 1).min(text.len());
        while !text.is_char_boundary(start) {
            start += 1;
        }
    }
    match out.last_mut() {
        Some(last) => {
            last.terms.extend(pending.terms);
            last.figures.extend(pending.figures);
        }
        None if pending.size() > 0 => out.push(pending),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause_terms(text: &str) -> Vec<Vec<String>> {
        clauses(text, &quantities(text))
            .into_iter()
            .map(|c| c.terms)
            .collect()
    }

    #[test]
    fn clauses_are_split_at_punctuation_and_short_parts_join_a_neighbour() {
        let text = "The call, which came at Putin's request, lasted 50 minutes, officials said.";
        // "The call" opens the sentence, too short alone: it joins the next part. "lasted 50
        // minutes" is a clause of two terms and a figure; "officials said" joins it.
        let found = clauses(text, &quantities(text));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].terms, ["call", "came", "putin", "request"]);
        assert_eq!(found[1].terms, ["last", "minut", "offici", "said"]);
        assert_eq!(found[1].figures, [0]);
        let clauses = clause_terms(
            "Putin requested the call this week, and Biden was eager to answer the call today.",
        );
        assert_eq!(clauses.len(), 2, "{clauses:?}");
        assert!(clauses[0].contains(&"request".to_string()), "{clauses:?}");
        assert!(clause_terms("").is_empty());
        assert_eq!(clause_terms("Officials said.").len(), 1);
    }

    #[test]
    fn a_figure_joins_the_clause_it_is_written_in_not_a_longer_number() {
        let text = "In 2021, the storms killed 2 people in the county, officials said.";
        let found = clauses(text, &quantities(text));
        let with_two: Vec<&Clause> = found
            .iter()
            .filter(|c| c.terms.contains(&"storm".to_string()))
            .collect();
        let two = quantities(text).iter().position(|q| q.text == "2").unwrap();
        assert!(with_two[0].figures.contains(&two), "{found:?}");
        assert_eq!(whole_match("In 2021, 2 died", 0, "2"), Some(9));
        assert_eq!(whole_match("2021", 0, "2"), None);
    }

    #[test]
    fn a_comma_inside_a_number_does_not_split_a_clause_and_bounds_are_no_figures() {
        let text =
            "Russia has massed 100,000 troops, and could send up to 175,000, officials said.";
        let found = clauses(text, &quantities(text));
        let figures: Vec<usize> = found.iter().flat_map(|c| c.figures.clone()).collect();
        assert_eq!(figures, [0], "{found:?}");
        assert_eq!(found[0].terms, ["russia", "mass", "troop"], "{found:?}");
    }

    #[test]
    fn names_are_the_terms_only_written_capitalized_after_the_first_word() {
        let names = name_terms("President Joe Biden said the state of the State Department.");
        let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["biden", "depart", "joe"]);
    }

    #[test]
    fn numbers_are_not_terms() {
        assert!(is_number("50"));
        assert!(is_number("3.7"));
        assert!(!is_number("minut"));
    }
}
