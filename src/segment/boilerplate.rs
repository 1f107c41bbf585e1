//! Telling article content from newsroom boilerplate, so that only content is cited as evidence.
//!
//! A block is not content when it has no letters or digits, when it is short and unpunctuated (a
//! bare headline or caption), or when it reads as one of the kinds of page furniture that news
//! sites print between paragraphs:
//!
//! * a **photo caption**: an agency's `FILE - In this ... file photo, ...`, a handout line
//!   (`This image provided by ...`), a page's caption or player label (`Image caption ...`,
//!   `Media caption ...`), a block closing on a bracketed credit (`... at the rally. (AP
//!   Photo/Jane Doe)`), or a short present-tense description of a person with a weekday (`A man
//!   waves a flag Tuesday in Paris.`);
//! * a **photo credit**: `Photo: ...`, `Name Surname / Agency`;
//! * a **byline**: `By Jane Doe, Agency.`;
//! * a **promotion** aimed at the reader: apps, newsletters, `Follow ... on Twitter`, `Related:`;
//! * a **contributor, copyright or editor's note**, a staff line (`... is a staff writer at ...`),
//!   a syndication note (`Originally published on ...`), or a short reporting credit
//!   (`Jane Doe reported from Paris.`).
//!
//! Long blocks are always content: phrase matching never dismisses a real paragraph that merely
//! mentions a newsletter. Captions, whose agency forms run longer, are recognised up to
//! [`CAPTION_MAX_WORDS`]; everything else up to [`BOILERPLATE_MAX_WORDS`]. The words and phrases
//! are in [`crate::lexicon`]; the rules that apply them are here.

use super::sentences::{ends_with_terminal, sentences, CLOSERS, OPENERS};
use crate::lexicon::{
    CAPTION_NOUNS, CAPTION_OPENERS, CAPTION_VERBS, CONTRIBUTOR_OPENERS, CONTRIBUTOR_PHRASES,
    CREDIT_LABELS, CREDIT_LINKS, MONTHS, MONTH_ABBREVIATIONS, PROMOTION_OPENERS, PROMOTION_PHRASES,
    REPORTING_CREDITS, SOCIAL_NETWORKS, WEEKDAYS,
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

/// Captions run longer than other boilerplate (an agency caption adds a sentence of context), so
/// the caption rules look at blocks up to this many words; longer blocks are always content.
const CAPTION_MAX_WORDS: usize = 80;

/// A present-tense caption of a person with a weekday (`A man holds a candle Tuesday.`) has at
/// most this many words; the tense alone is weak evidence, so only short blocks qualify.
const PRESENT_CAPTION_MAX_WORDS: usize = 30;

/// ... and at most this many sentences (a caption may add one: `He's wearing a mask.`).
const PRESENT_CAPTION_MAX_SENTENCES: usize = 2;

/// Most capitalised words naming the person before a present-tense caption's verb
/// (`Former President Jane Doe waves`).
const CAPTION_SUBJECT_MAX_WORDS: usize = 5;

/// Words of an `In this ...` opening searched for what it shows: `In this Tuesday, Nov. 10, 2009
/// file photo`.
const CAPTION_NOUN_WINDOW: usize = 10;

/// Most words of a bracketed credit closing a caption: `(AP Photo/Jane Doe)`, `(Family photos)`.
const CLOSING_CREDIT_MAX_WORDS: usize = 6;

/// A reporting credit (`Jane Doe reported from Paris.`) is a block of at most this many words;
/// a longer paragraph may tell that someone reported from a place as news.
const REPORTING_CREDIT_MAX_WORDS: usize = 20;

/// A byline (`By Jane Doe, Agency.`) has at most this many words.
const BYLINE_MAX_WORDS: usize = 8;

/// Most words on either side of the slash in a `Name / Agency` credit.
const CREDIT_NAME_MAX_WORDS: usize = 5;

/// Whether a block is article content usable as evidence (false for photo captions and credits,
/// bylines, promotions, contributor and credit lines, bare headlines).
pub fn is_content(block: &str) -> bool {
    let block = block.trim();
    if !block.chars().any(char::is_alphanumeric) {
        return false;
    }
    // Counting stops early: only "short or not" matters, and a 5 MB block
    // should not be split into millions of words for that.
    let words = block.split_whitespace().take(CAPTION_MAX_WORDS + 1).count();
    if words < HEADLINE_MIN_WORDS && !ends_with_terminal(block) {
        return false;
    }
    if words > CAPTION_MAX_WORDS {
        return true;
    }
    let lower = block.to_lowercase();
    if is_caption(block, &lower, words) {
        return false;
    }
    if words > BOILERPLATE_MAX_WORDS {
        return true;
    }
    !(is_photo_credit(block, &lower)
        || is_byline(block, words)
        || is_promotion(&lower)
        || is_contributor_note(&lower)
        || (words <= REPORTING_CREDIT_MAX_WORDS && is_reporting_credit(&lower)))
}

/// A word lowercased and stripped of the punctuation around it: `"Tuesday,"` is `tuesday`.
fn bare(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// A photo or video caption: by its opening, by the photo its `In this ...` opening names, by the
/// bracketed credit that closes it, or (short blocks only) as a present-tense description of a
/// person with a weekday.
fn is_caption(block: &str, lower: &str, words: usize) -> bool {
    let opening = lower.trim_start_matches(OPENERS);
    CAPTION_OPENERS
        .iter()
        .any(|opener| opening.starts_with(opener))
        || names_a_picture(opening)
        || ends_with_photo_credit(block)
        || (words <= PRESENT_CAPTION_MAX_WORDS && {
            let sentences = sentences(block);
            sentences.len() <= PRESENT_CAPTION_MAX_SENTENCES
                && sentences
                    .first()
                    .is_some_and(|first| describes_a_person_now(first))
        })
}

/// `In this ... photo, ...`: an opening that says what picture the block is about.
fn names_a_picture(opening: &str) -> bool {
    opening.starts_with("in this ")
        && opening
            .split_whitespace()
            .take(CAPTION_NOUN_WINDOW)
            .any(|word| CAPTION_NOUNS.contains(&bare(word).as_str()))
}

/// A block closing on a short bracketed credit after its text: `... at the rally. (AP Photo/Jane
/// Doe)`, `... before her illness. (Family photos)`.
fn ends_with_photo_credit(block: &str) -> bool {
    let core = block.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let Some(inside) = core.strip_suffix(')') else {
        return false;
    };
    let Some((before, credit)) = inside.rsplit_once('(') else {
        return false;
    };
    let words = credit.split_whitespace().count();
    // A credit names its source, capitalised: `(see video below)` is the writer's aside.
    !before.trim().is_empty()
        && credit.trim_start().starts_with(char::is_uppercase)
        && (1..=CLOSING_CREDIT_MAX_WORDS).contains(&words)
        && (is_slash_credit(credit)
            || credit
                .split(|c: char| c.is_whitespace() || c == '/')
                .any(|word| CAPTION_NOUNS.contains(&bare(word).as_str())))
}

/// A month's name or its abbreviation, lowercased: `may`, `sept`.
fn is_month(word: &str) -> bool {
    MONTHS.contains(&word)
        || MONTH_ABBREVIATIONS
            .iter()
            .any(|abbreviation| abbreviation.eq_ignore_ascii_case(word))
}

/// `President Jane Doe waves Tuesday during a rally.`: a person named in capitalised words, a
/// present-tense verb of what a photo shows ([`CAPTION_VERBS`]), and a weekday. News prose
/// tells such an event in the past (`waved`) or schedules it (`will speak`).
fn describes_a_person_now(sentence: &str) -> bool {
    let subject = sentence
        .split_whitespace()
        .take_while(|word| word.starts_with(char::is_uppercase))
        .count();
    // The first word that is not capitalised: the verb, if the sentence is a caption.
    let verb = sentence
        .split_whitespace()
        .nth(subject)
        .map(bare)
        .unwrap_or_default();
    (1..=CAPTION_SUBJECT_MAX_WORDS).contains(&subject)
        && CAPTION_VERBS.contains(&verb.as_str())
        && sentence
            .split_whitespace()
            .any(|word| WEEKDAYS.contains(&bare(word).as_str()))
}

/// `By Jane Doe, Agency.`: "By" and names only, no date (`By Friday.` is no byline, and
/// `By Thursday, troops had gathered` is news).
fn is_byline(block: &str, words: usize) -> bool {
    let mut parts = block.split_whitespace();
    words <= BYLINE_MAX_WORDS
        && parts
            .next()
            .is_some_and(|first| first.eq_ignore_ascii_case("by"))
        && parts.all(|word| {
            let word_bare = bare(word);
            (word.starts_with(char::is_uppercase) || CREDIT_LINKS.contains(&word))
                && !WEEKDAYS.contains(&word_bare.as_str())
                && !is_month(&word_bare)
        })
}

/// `Jane Doe reported from Paris.`: a short note on where or by whom the story was reported.
fn is_reporting_credit(lower: &str) -> bool {
    REPORTING_CREDITS
        .iter()
        .any(|phrase| lower.contains(phrase))
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

/// App, newsletter, link and social-network promotions aimed at the reader.
fn is_promotion(lower: &str) -> bool {
    PROMOTION_OPENERS
        .iter()
        .any(|opener| lower.starts_with(opener))
        || PROMOTION_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
        || (lower.starts_with("follow ")
            && lower
                .split_whitespace()
                .any(|word| SOCIAL_NETWORKS.contains(&bare(word).as_str())))
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
