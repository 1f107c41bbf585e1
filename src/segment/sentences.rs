//! Splitting a paragraph into sentences, each a verbatim slice of it.
//!
//! The sentence splitter is rule-based rather than learned: it is small,
//! predictable and explainable, which matters more for citations than the last
//! percent of accuracy. A sentence ends at `.`, `!`, `?` or `…` (plus any
//! closing quotes or brackets) followed by whitespace and something that can
//! start a sentence, except after abbreviations, initialisms and initials
//! (which end a sentence only before a typical opening word such as "The"),
//! and except where a quoted question is followed by its attribution. Dashes
//! never split. Inside a block, a newline splits only after terminal
//! punctuation or after a short unpunctuated line such as a caption. CJK
//! full-width terminators split without a following space. Very long
//! unpunctuated runs are cut at whitespace so that no sentence exceeds 2,000
//! bytes. All functions run in time linear in their input and never panic.
//!
//! The word lists it reads (abbreviations, sentence openers, speech verbs) are
//! in [`crate::lexicon`]; the punctuation it knows is here.

use crate::lexicon::{
    COMMON_ABBREVIATIONS, MONTH_ABBREVIATIONS, PREFIX_ABBREVIATIONS, SENTENCE_OPENERS, SPEECH_VERBS,
};

#[cfg(test)]
mod tests;

/// Longest sentence returned, in bytes. Longer runs without sentence-ending
/// punctuation (tables, scraped navigation, garbage) are cut near this length so
/// that downstream prompt and token budgets stay bounded.
const MAX_SENTENCE_BYTES: usize = 2_000;

/// A newline after a line of at most this many words that ends in a word
/// starts a new sentence: such a line is a caption, credit or heading, not prose
/// wrapped mid-sentence (wrapped prose lines are longer).
pub(super) const SHORT_LINE_MAX_WORDS: usize = 8;

/// How many words may precede the speech verb in an attribution such as
/// `“Why now?” Senate Majority Leader Schumer asked.`
const ATTRIBUTION_MAX_WORDS: usize = 5;

/// Characters that end a sentence.
const TERMINALS: &[char] = &['.', '!', '?', '…', '。', '！', '？'];

/// Full-width terminators end a sentence even without a following space,
/// because CJK text does not put spaces between sentences.
const FULL_WIDTH_TERMINALS: &[char] = &['。', '！', '？'];

/// Closing quotes and brackets that stay with the sentence they close.
pub(super) const CLOSERS: &[char] = &[
    '"', '\'', '”', '’', '»', '›', ')', ']', '}', '」', '』', '）',
];

/// The closers that are quotation marks.
const CLOSING_QUOTES: &[char] = &['"', '\'', '”', '’', '»', '›'];

/// Opening quotes and brackets that may precede the first word of a sentence.
pub(super) const OPENERS: &[char] = &[
    '"', '\'', '“', '‘', '«', '‹', '(', '[', '{', '「', '『', '（', '¿', '¡',
];

/// Dashes that may open a sentence (a list item, a dialogue line).
const DASHES: &[char] = &['-', '–', '—'];

/// Split a paragraph into sentences; each sentence is a verbatim, trimmed slice of the input (so `paragraph.contains(sentence)` always holds) and together they cover all non-whitespace text of the input in order.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut sentences = Vec::new();
    let mut start = 0;
    for cut in cut_points(text) {
        push_bounded(&text[start..cut], &mut sentences);
        start = cut;
    }
    push_bounded(&text[start..], &mut sentences);
    sentences
}

/// Byte offsets at which `text` is cut into sentences, in increasing order.
/// Each offset is on a char boundary.
fn cut_points(text: &str) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        if TERMINALS.contains(&c) {
            let (punct_end, run_end) = terminal_run(text, i);
            if ends_sentence(text, i, punct_end, run_end) {
                cuts.push(run_end);
            }
            // The run holds no newline, so `line_start` stays valid.
            i = run_end;
            continue;
        }
        let next = i + c.len_utf8();
        if c == '\n' {
            if is_standalone_line(&text[line_start..i], &text[next..]) {
                cuts.push(i);
            }
            line_start = next;
        }
        i = next;
    }
    cuts
}

/// For the terminal punctuation starting at `start`, the offsets where the
/// punctuation run (`?!`, `...`) ends and where the closing quotes and
/// brackets after it end.
fn terminal_run(text: &str, start: usize) -> (usize, usize) {
    let punct_end = skip_while(text, start, |c| TERMINALS.contains(&c));
    let run_end = skip_while(text, punct_end, |c| CLOSERS.contains(&c));
    (punct_end, run_end)
}

/// The first offset at or after `from` whose char fails `keep`.
fn skip_while(text: &str, from: usize, keep: impl Fn(char) -> bool) -> usize {
    text[from..]
        .find(|c: char| !keep(c))
        .map_or(text.len(), |offset| from + offset)
}

/// Whether the punctuation `text[start..punct_end]`, with its closers up to
/// `run_end`, ends a sentence.
fn ends_sentence(text: &str, start: usize, punct_end: usize, run_end: usize) -> bool {
    let punct = &text[start..punct_end];
    if punct.contains(FULL_WIDTH_TERMINALS) {
        return true;
    }
    // No whitespace after the run means it is inside a token: "3.5", "U.S",
    // "e.g.,", "Yahoo!News".
    let rest = &text[run_end..];
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    // What follows must look like a sentence start; this also rejects the end
    // of the text, where there is nothing to split off.
    let next = rest.trim_start();
    if !next.starts_with(starts_sentence) {
        return false;
    }
    let closers = &text[punct_end..run_end];
    if punct.contains(['?', '!']) && closers.contains(CLOSING_QUOTES) && is_attribution(next) {
        return false;
    }
    if punct == "." {
        return period_ends_sentence(word_before(text, start), first_word(next));
    }
    true
}

/// Whether `c` can open a sentence: a capital (or uncased) letter, a digit, an
/// opening quote or bracket, or a dash.
fn starts_sentence(c: char) -> bool {
    (c.is_alphabetic() && !c.is_lowercase())
        || c.is_numeric()
        || OPENERS.contains(&c)
        || DASHES.contains(&c)
}

/// Whether a single period after `word` ends the sentence, given the word
/// that follows.
///
/// Abbreviations that precede a name or a number ([`PREFIX_ABBREVIATIONS`])
/// never end a sentence: `Lt. Cmdr. Russ Wolfkiel`, `Mr. Biden`, `e.g.
/// sanctions`. Other abbreviations usually continue a sentence (`Jan. 10`,
/// `Acme Inc. said`) but can also end one (`tanks, trucks, etc. The convoy`).
/// Like initialisms and single initials, they end a sentence only when the next
/// word is a typical sentence opener ([`SENTENCE_OPENERS`]): a function word
/// signals a sentence break (`sent to the U.S. The next day`), whereas a name or
/// acronym does not (`the U.S. European Command`, `3:35 p.m. ET`).
fn period_ends_sentence(word: &str, next_word: &str) -> bool {
    if PREFIX_ABBREVIATIONS.contains(&word) {
        return false;
    }
    if MONTH_ABBREVIATIONS.contains(&word)
        || COMMON_ABBREVIATIONS.contains(&word)
        || is_initial(word)
        || is_initialism(word)
    {
        return SENTENCE_OPENERS.contains(&next_word);
    }
    true
}

/// A single letter, as in `John F. Kennedy` or `Harry S. Truman`.
fn is_initial(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
}

/// Short letter groups joined by periods: `U.S`, `a.m`, `D.C`, `Ph.D`. The
/// final period is not part of `word`.
fn is_initialism(word: &str) -> bool {
    word.contains('.')
        && word.split('.').all(|part| {
            let letters = part.chars().count();
            (1..=2).contains(&letters) && part.chars().all(char::is_alphabetic)
        })
}

/// The word ending at byte `end`, without leading opening quotes or brackets.
/// Scanning back stops at whitespace, and only periods followed by whitespace
/// get here, so the scanned stretches never overlap and the total work stays
/// linear.
fn word_before(text: &str, end: usize) -> &str {
    let head = &text[..end];
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    head[start..].trim_start_matches(OPENERS)
}

/// The leading run of letters of `text`, after any opening quotes or brackets.
fn first_word(text: &str) -> &str {
    let word = text.trim_start_matches(OPENERS);
    let end = word
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(word.len());
    &word[..end]
}

/// Whether `next` opens with a capitalised speaker and a speech verb, as in
/// `“Why now?” Biden asked.`: the question mark then belongs to the quotation,
/// and the sentence goes on.
fn is_attribution(next: &str) -> bool {
    for word in next.split_whitespace().take(ATTRIBUTION_MAX_WORDS) {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if SPEECH_VERBS.contains(&word) {
            return true;
        }
        if !word.starts_with(char::is_uppercase) {
            return false;
        }
    }
    false
}

/// Whether the newline after `line` ends a sentence even though `line` has no
/// terminal punctuation: a short line ending in a word, followed by a line that
/// starts like a sentence, is a caption, credit or heading. Longer lines are
/// taken as prose wrapped mid-sentence.
fn is_standalone_line(line: &str, rest: &str) -> bool {
    let line = line.trim();
    line.ends_with(char::is_alphanumeric)
        && line.split_whitespace().nth(SHORT_LINE_MAX_WORDS).is_none()
        && rest.trim_start().starts_with(starts_sentence)
}

/// Push `piece`, trimmed, unless empty; a piece longer than
/// [`MAX_SENTENCE_BYTES`] is pushed as several chunks.
fn push_bounded<'a>(piece: &'a str, out: &mut Vec<&'a str>) {
    let mut rest = piece.trim();
    while rest.len() > MAX_SENTENCE_BYTES {
        let (head, tail) = rest.split_at(chunk_end(rest));
        out.push(head.trim_end());
        rest = tail.trim_start();
    }
    if !rest.is_empty() {
        out.push(rest);
    }
}

/// Where to cut a chunk off the front of `text` (which is longer than
/// [`MAX_SENTENCE_BYTES`] and starts with non-whitespace): at the last
/// whitespace in the second half of the allowed length, so words stay whole,
/// or else at the last char boundary within it. Either way the chunk is
/// non-empty and at least half the limit long, which keeps chunking linear.
fn chunk_end(text: &str) -> usize {
    let limit = floor_char_boundary(text, MAX_SENTENCE_BYTES);
    match text[..limit].rfind(char::is_whitespace) {
        Some(space) if space >= limit / 2 => space,
        _ => limit,
    }
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let index = index.min(text.len());
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// Whether `block` ends with sentence-ending punctuation, possibly inside
/// closing quotes or brackets.
pub(super) fn ends_with_terminal(block: &str) -> bool {
    block
        .trim_end_matches(|c: char| CLOSERS.contains(&c) || c.is_whitespace())
        .ends_with(TERMINALS)
}
