//! Telling article content from newsroom boilerplate, so that only content is cited as evidence.
//!
//! A block is not content when it has no letters or digits, when it is short and unpunctuated (a
//! bare headline or caption), or when it is short and reads as a photo credit, a promotion aimed
//! at the reader, or a contributor, copyright or editor's note. Long blocks are always content:
//! phrase matching never dismisses a real paragraph that merely mentions a newsletter. The phrases
//! are in [`crate::lexicon`]; the rules that apply them are here.

use super::sentences::{ends_with_terminal, CLOSERS, OPENERS};
use crate::lexicon::{
    CONTRIBUTOR_OPENERS, CONTRIBUTOR_PHRASES, CREDIT_LABELS, CREDIT_LINKS, PROMOTION_OPENERS,
    PROMOTION_PHRASES,
};

#[cfg(test)]
mod tests;

/// A block with fewer words than this and no sentence-ending punctuation is a
/// headline or caption. Longer unpunctuated blocks are articles cut mid-sentence
/// and still carry evidence.
const HEADLINE_MIN_WORDS: usize = 20;

/// Newsroom boilerplate is short; longer blocks are never dismissed by phrase
/// matching, so a real paragraph that merely mentions a newsletter is kept.
const BOILERPLATE_MAX_WORDS: usize = 40;

/// Most words on either side of the slash in a `Name / Agency` credit.
const CREDIT_NAME_MAX_WORDS: usize = 5;

/// Whether a block is article content usable as evidence (false for photo credits, app promotions, contributor/credit lines, bare headlines or captions).
pub fn is_content(block: &str) -> bool {
    let block = block.trim();
    if !block.chars().any(char::is_alphanumeric) {
        return false;
    }
    // Counting stops early: only "short or not" matters, and a 5 MB block
    // should not be split into millions of words for that.
    let words = block
        .split_whitespace()
        .take(BOILERPLATE_MAX_WORDS + 1)
        .count();
    if words < HEADLINE_MIN_WORDS && !ends_with_terminal(block) {
        return false;
    }
    if words > BOILERPLATE_MAX_WORDS {
        return true;
    }
    let lower = block.to_lowercase();
    !(is_photo_credit(block, &lower) || is_promotion(&lower) || is_contributor_note(&lower))
}

/// `Photo: ...` labels and `Name Surname / Agency` credits.
fn is_photo_credit(block: &str, lower: &str) -> bool {
    let lower = lower.trim_start_matches(OPENERS);
    CREDIT_LABELS.iter().any(|label| lower.starts_with(label)) || is_slash_credit(block)
}

/// A photographer and an agency separated by a slash, both made of
/// capitalised words: `Adam Schultz / AP`, `(AP Photo/Evan Vucci)`.
fn is_slash_credit(block: &str) -> bool {
    let core = block.trim_matches(|c: char| {
        OPENERS.contains(&c) || CLOSERS.contains(&c) || c == '.' || c.is_whitespace()
    });
    core.rsplit_once('/')
        .is_some_and(|(who, source)| is_credit_name(who) && is_credit_name(source))
}

/// One to [`CREDIT_NAME_MAX_WORDS`] words, each capitalised or a linking word.
fn is_credit_name(part: &str) -> bool {
    let mut words = 0;
    for word in part.split_whitespace() {
        words += 1;
        if words > CREDIT_NAME_MAX_WORDS
            || !(word.starts_with(char::is_uppercase) || CREDIT_LINKS.contains(&word))
        {
            return false;
        }
    }
    words > 0
}

/// App, newsletter and link promotions aimed at the reader.
fn is_promotion(lower: &str) -> bool {
    PROMOTION_OPENERS
        .iter()
        .any(|opener| lower.starts_with(opener))
        || PROMOTION_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
}

/// Contributor, reporting-credit, copyright and editor's notes (an editor's note is about the
/// article, not the news).
fn is_contributor_note(lower: &str) -> bool {
    let opening = lower.trim_start_matches(OPENERS);
    CONTRIBUTOR_OPENERS
        .iter()
        .any(|opener| opening.starts_with(opener))
        || CONTRIBUTOR_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
}
