//! Paragraph and sentence segmentation for news articles.
//!
//! footnote answers questions with sentences copied verbatim, each cited by
//! its paragraph (`[doc ¶3]`), so segmentation has three jobs:
//!
//! * **Stable numbering.** Paragraphs are blank-line-separated blocks numbered
//!   from 1 in order, every non-empty block counted, so a number means the same
//!   block to every part of the tool. A block whose lines mostly end a sentence
//!   is text written one paragraph per line (many exports and scraped pages
//!   are), so each of its lines is a paragraph: a citation then names the line,
//!   not the whole article. Prose hard-wrapped inside a paragraph has lines that
//!   end mid-sentence and stays one block.
//! * **Verbatim text.** Every paragraph and sentence is a trimmed slice of its
//!   input, never rewritten, so a quoted citation can always be checked with a
//!   substring search, and the sentences of a paragraph together cover all of
//!   its non-whitespace text.
//! * **No boilerplate as evidence.** Photo credits, app promotions,
//!   contributor notes and bare headlines or captions are flagged so they are
//!   not cited as facts.
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

/// Longest sentence returned, in bytes. Longer runs without sentence-ending
/// punctuation (tables, scraped navigation, garbage) are cut near this length so
/// that downstream prompt and token budgets stay bounded.
const MAX_SENTENCE_BYTES: usize = 2_000;

/// A newline after a line of at most this many words that ends in a word
/// starts a new sentence: such a line is a caption, credit or heading, not prose
/// wrapped mid-sentence (wrapped prose lines are longer).
const SHORT_LINE_MAX_WORDS: usize = 8;

/// A block with fewer words than this and no sentence-ending punctuation is a
/// headline or caption. Longer unpunctuated blocks are articles cut mid-sentence
/// and still carry evidence.
const HEADLINE_MIN_WORDS: usize = 20;

/// Newsroom boilerplate is short; longer blocks are never dismissed by phrase
/// matching, so a real paragraph that merely mentions a newsletter is kept.
const BOILERPLATE_MAX_WORDS: usize = 40;

/// How many words may precede the speech verb in an attribution such as
/// `“Why now?” Senate Majority Leader Schumer asked.`
const ATTRIBUTION_MAX_WORDS: usize = 5;

/// Characters that end a sentence.
const TERMINALS: &[char] = &['.', '!', '?', '…', '。', '！', '？'];

/// Full-width terminators end a sentence even without a following space,
/// because CJK text does not put spaces between sentences.
const FULL_WIDTH_TERMINALS: &[char] = &['。', '！', '？'];

/// Closing quotes and brackets that stay with the sentence they close.
const CLOSERS: &[char] = &[
    '"', '\'', '”', '’', '»', '›', ')', ']', '}', '」', '』', '）',
];

/// The closers that are quotation marks.
const CLOSING_QUOTES: &[char] = &['"', '\'', '”', '’', '»', '›'];

/// Opening quotes and brackets that may precede the first word of a sentence.
const OPENERS: &[char] = &[
    '"', '\'', '“', '‘', '«', '‹', '(', '[', '{', '「', '『', '（', '¿', '¡',
];

/// Dashes that may open a sentence (a list item, a dialogue line).
const DASHES: &[char] = &['-', '–', '—'];

/// Abbreviations that precede a name or a number, so a sentence never ends
/// right after them: `Lt. Cmdr. Russ Wolfkiel`, `Mr. Biden`, `e.g. sanctions`.
const ALWAYS_CONTINUE: &[&str] = &[
    "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "Sen", "Sens", "Rep", "Reps", "Gov", "Govs", "Gen",
    "Lt", "Cmdr", "Col", "Sgt", "Capt", "Adm", "Maj", "Cpl", "Pvt", "Rev", "Hon", "Pres", "Supt",
    "Det", "Insp", "Atty", "vs", "e.g", "i.e", "cf", "approx",
];

/// Abbreviations that usually continue a sentence (`Jan. 10`, `Acme Inc.
/// said`) but can also end one (`tanks, trucks, etc. The convoy`). Like
/// initialisms and single initials, they end a sentence only when the next word
/// is a typical sentence opener.
const MAY_END: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "St",
    "Jr", "Sr", "No", "Nos", "Inc", "Corp", "Ltd", "Co", "Bros", "etc", "al", "Ave", "Blvd", "Mt",
    "Ft",
];

/// Function words that typically open an English sentence. After an
/// ambiguous abbreviation they signal a sentence break (`sent to the U.S. The
/// next day`), whereas a name or acronym does not (`the U.S. European Command`,
/// `3:35 p.m. ET`).
const SENTENCE_OPENERS: &[&str] = &[
    "A",
    "An",
    "The",
    "This",
    "That",
    "These",
    "Those",
    "There",
    "Here",
    "It",
    "Its",
    "He",
    "His",
    "She",
    "Her",
    "They",
    "Their",
    "We",
    "Our",
    "I",
    "You",
    "Your",
    "My",
    "But",
    "And",
    "Or",
    "So",
    "Yet",
    "Nor",
    "If",
    "In",
    "On",
    "At",
    "As",
    "By",
    "For",
    "From",
    "To",
    "Of",
    "With",
    "Without",
    "After",
    "Before",
    "During",
    "Since",
    "Until",
    "When",
    "While",
    "Where",
    "What",
    "Who",
    "Why",
    "How",
    "Although",
    "Though",
    "Because",
    "However",
    "Meanwhile",
    "Still",
    "Also",
    "Then",
    "Now",
    "Today",
    "Yesterday",
    "Tomorrow",
    "Earlier",
    "Later",
    "Instead",
    "Despite",
    "Some",
    "Many",
    "Most",
    "Several",
    "Such",
    "Both",
    "Each",
    "Every",
    "All",
    "Other",
    "Others",
    "Another",
    "One",
    "No",
    "Not",
    "According",
];

/// Verbs of attribution that follow a quotation: `“Why now?” Biden asked.`
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "asked",
    "asks",
    "added",
    "adds",
    "told",
    "tells",
    "replied",
    "wrote",
    "writes",
    "continued",
    "explained",
    "insisted",
    "noted",
    "shouted",
    "recalled",
    "answered",
    "responded",
    "warned",
];

/// How photo credits start: `Photo: Alex Wong/Getty Images`.
const CREDIT_LABELS: &[&str] = &[
    "photo:",
    "photos:",
    "photo by",
    "photograph:",
    "photograph by",
    "image:",
    "image by",
    "image credit",
    "photo credit",
    "credit:",
    "courtesy of",
    "file photo",
    "pictured:",
];

/// Most words on either side of the slash in a `Name / Agency` credit.
const CREDIT_NAME_MAX_WORDS: usize = 5;

/// Lowercase words allowed inside a `Name / Agency` credit, as in
/// `Mandel Ngan/AFP via Getty Images`.
const CREDIT_LINKS: &[&str] = &["via", "for", "and", "&"];

/// How promotions start: an imperative aimed at the reader.
const PROMOTION_OPENERS: &[&str] = &[
    "download ",
    "sign up ",
    "subscribe ",
    "subscribe:",
    "click ",
    "tap here",
    "follow us ",
    "read more",
    "related:",
    "watch:",
    "listen:",
    "get the app",
    "join our ",
    "don't miss",
    "advertisement",
];

/// Phrases that mark a promotion wherever they appear in a short block:
/// `For Breaking News & Analysis Download the Free CBS News app`.
const PROMOTION_PHRASES: &[&str] = &[
    "download our",
    "download the free",
    "our free app",
    "our newsletter",
    "subscribe to our",
    "click here",
    "tap here",
    "follow us on",
];

/// How contributor, copyright and editor's notes start: `With information from ...`,
/// `(Reporting by ...; Editing by ...)`, `Editor's note: In this series ...`. An editor's note
/// is about the article, not the news.
const CONTRIBUTOR_OPENERS: &[&str] = &[
    "editor's note",
    "editor’s note",
    "editors' note",
    "editors’ note",
    "with information from",
    "with reporting by",
    "with reporting from",
    "additional reporting by",
    "reporting by",
    "writing by",
    "editing by",
    "edited by",
    "compiled by",
    "written by",
    "this story has been updated",
    "this article has been updated",
    "this story was originally published",
    "this article was originally published",
    "copyright",
    "©",
];

/// Phrases that mark a contributor or copyright note anywhere in a short
/// block: `David Martin, Fin Gomez and Fritz Farrow contributed to this report.`
const CONTRIBUTOR_PHRASES: &[&str] = &[
    "contributed to this report",
    "contributed to this story",
    "contributed to this article",
    "contributed reporting",
    "all rights reserved",
];

/// A paragraph of an article (a blank-line-separated block, or one line of a block written one
/// paragraph per line), numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph<'a> {
    /// Position among the article's paragraphs, from 1.
    pub number: usize,
    /// The paragraph trimmed of surrounding whitespace: a verbatim slice of the article.
    pub text: &'a str,
    /// Whether the block is article content usable as evidence; see [`is_content`].
    pub is_content: bool,
}

/// Split an article into paragraphs: blocks separated by one or more blank lines (a line that is empty or only whitespace), each line a paragraph of its own in a block written one paragraph per line ([`is_line_per_paragraph`]). Every non-empty paragraph is counted and numbered in order from 1; `text` is trimmed of surrounding whitespace (a verbatim slice of the input). Handles \r\n line endings.
pub fn paragraphs(article: &str) -> Vec<Paragraph<'_>> {
    blocks(article)
        .into_iter()
        .flat_map(|block| {
            let lines: Vec<&str> = block.lines().map(str::trim).collect();
            if is_line_per_paragraph(&lines) {
                lines
            } else {
                vec![block]
            }
        })
        .enumerate()
        .map(|(index, text)| Paragraph {
            number: index + 1,
            text,
            is_content: is_content(text),
        })
        .collect()
}

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

// ---------------------------------------------------------------------------
// Paragraphs

/// Whether a block's lines are its paragraphs: at least half of its prose lines (longer than a
/// label, [`SHORT_LINE_MAX_WORDS`]), not counting the last line, end a sentence. Hard-wrapped prose
/// ends its lines mid-sentence, all but the last; text written one paragraph per line ends most
/// of them with a full stop. Short lines (headings, captions, sharing-button labels such as
/// "Email") say nothing either way.
fn is_line_per_paragraph(lines: &[&str]) -> bool {
    let Some((_, before_last)) = lines.split_last() else {
        return false;
    };
    let prose = before_last.iter().filter(|l| {
        l.split_whitespace().take(SHORT_LINE_MAX_WORDS + 1).count() > SHORT_LINE_MAX_WORDS
    });
    let (lines, ending_a_sentence) = prose.fold((0, 0), |(n, ending), line| {
        (n + 1, ending + usize::from(ends_with_terminal(line)))
    });
    lines > 0 && 2 * ending_a_sentence >= lines
}

/// The article's blocks: maximal runs of non-blank lines, each trimmed.
fn blocks(article: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    // Byte range of the block being collected, if any.
    let mut current: Option<(usize, usize)> = None;
    let mut offset = 0;
    // `split_inclusive` keeps each line's "\n" (and any "\r" before it), so
    // offsets stay exact; `trim` treats "\r" as whitespace, so CRLF needs no
    // special case.
    for line in article.split_inclusive('\n') {
        let end = offset + line.len();
        if line.trim().is_empty() {
            if let Some((start, stop)) = current.take() {
                blocks.push(article[start..stop].trim());
            }
        } else {
            let start = current.map_or(offset, |(start, _)| start);
            current = Some((start, end));
        }
        offset = end;
    }
    if let Some((start, stop)) = current {
        blocks.push(article[start..stop].trim());
    }
    blocks
}

// ---------------------------------------------------------------------------
// Sentences

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
fn period_ends_sentence(word: &str, next_word: &str) -> bool {
    if ALWAYS_CONTINUE.contains(&word) {
        return false;
    }
    if MAY_END.contains(&word) || is_initial(word) || is_initialism(word) {
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

// ---------------------------------------------------------------------------
// Content classification

/// Whether `block` ends with sentence-ending punctuation, possibly inside
/// closing quotes or brackets.
fn ends_with_terminal(block: &str) -> bool {
    block
        .trim_end_matches(|c: char| CLOSERS.contains(&c) || c.is_whitespace())
        .ends_with(TERMINALS)
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

/// Contributor, reporting-credit and copyright notes.
fn is_contributor_note(lower: &str) -> bool {
    let opening = lower.trim_start_matches(OPENERS);
    CONTRIBUTOR_OPENERS
        .iter()
        .any(|opener| opening.starts_with(opener))
        || CONTRIBUTOR_PHRASES
            .iter()
            .any(|phrase| lower.contains(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the sentence invariants: every sentence is a non-empty, trimmed,
    /// bounded slice of `text`; slices are in order and do not overlap; and
    /// together they hold exactly the non-whitespace chars of `text`.
    fn assert_sentence_invariants(text: &str) {
        let found = sentences(text);
        let base = text.as_ptr() as usize;
        let mut cursor = 0;
        for sentence in &found {
            assert!(!sentence.is_empty(), "empty sentence in {text:?}");
            assert_eq!(*sentence, sentence.trim(), "untrimmed sentence");
            assert!(sentence.len() <= MAX_SENTENCE_BYTES, "sentence too long");
            assert!(text.contains(sentence));
            let start = sentence.as_ptr() as usize - base;
            assert!(start >= cursor, "sentences out of order in {text:?}");
            assert_eq!(&text[start..start + sentence.len()], *sentence);
            cursor = start + sentence.len();
        }
        let joined: String = found
            .iter()
            .flat_map(|s| s.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        let expected: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, expected, "non-whitespace text lost in {text:?}");
    }

    fn assert_one_sentence(text: &str) {
        assert_eq!(sentences(text), vec![text]);
    }

    // --- abbreviations, initialisms, numbers -------------------------------

    #[test]
    fn keeps_mr_biden_together() {
        // Seed 004, block 2.
        let text = "President Biden told Russian President Vladimir Putin in a phone call on Thursday that the U.S. and its allies will react “decisively” if Ukraine is invaded, White House press secretary Jen Psaki said. A senior administration official said Mr. Biden and Putin and agreed to a “sequence of strategic stability dialogue.”";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("Jen Psaki said."));
        assert!(found[1].starts_with("A senior administration official said Mr. Biden"));
        assert!(found[1].ends_with("dialogue.”"));
    }

    #[test]
    fn keeps_titles_together() {
        for title in ALWAYS_CONTINUE {
            let text = format!("The report was read by {title}. Smith on Monday. It was long.");
            let found = sentences(&text);
            assert_eq!(found.len(), 2, "{found:?}");
        }
    }

    #[test]
    fn keeps_lt_cmdr_russ_wolfkiel_together() {
        // Seed 003, block 34.
        assert_one_sentence("The first flight, on Monday, marked the first time a JSTARS aircraft had flown over the region, said Lt. Cmdr. Russ Wolfkiel, a spokesman for the US European Command.");
    }

    #[test]
    fn keeps_us_officials_together() {
        // Seed 001, block 5.
        let text = "Russia has amassed a significant military presence on its border with Ukraine in recent months, stirring up both rhetoric and fears of a possible invasion. The Kremlin could be planning a multi-pronged incursion that could involve up to 175,000 troops, the\u{a0}Washington Post reported earlier this month, citing U.S. officials and an intelligence document.";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[1].ends_with("citing U.S. officials and an intelligence document."));
    }

    #[test]
    fn keeps_initialism_before_proper_noun() {
        // Seed 004, block 5.
        let text = "In a statement, the U.S. European Command said it routinely operates aircraft in the Black Sea region in support of “various U.S. and coalition intelligence objectives.” The U.S. European Command said the event was preplanned and “not in response to any specific event.”\u{a0}";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[1].starts_with("The U.S. European Command"));
    }

    #[test]
    fn splits_after_initialism_before_sentence_opener() {
        let found = sentences("The package was sent to the U.S. The next day it came back.");
        assert_eq!(
            found,
            vec![
                "The package was sent to the U.S.",
                "The next day it came back."
            ]
        );
    }

    #[test]
    fn keeps_us_possessive_before_quote_together() {
        // Seed 004, block 10.
        assert_one_sentence("Mr. Biden urged Putin to deescalate tensions with Ukraine, and the official said the U.S.’ focus is “really on actions and on indicators not on words” and will continue to prepare for whatever decision Putin makes with regard to Ukraine.");
    }

    #[test]
    fn keeps_pm_et_time_together() {
        // Seed 002, block 7.
        assert_one_sentence("Biden hoped Thursday's phone call, which the White House said began at 3:35 p.m. ET and ended 50 minutes later, would yield more progress in easing tensions.");
    }

    #[test]
    fn splits_after_pm_before_sentence_opener() {
        let found = sentences("The leaders spoke at 5 p.m. The call lasted an hour.");
        assert_eq!(
            found,
            vec!["The leaders spoke at 5 p.m.", "The call lasted an hour."]
        );
        assert_one_sentence("They met at 9 a.m. Moscow time on Friday.");
    }

    #[test]
    fn keeps_month_abbreviations_with_dates() {
        // Seed 003, blocks 4 and 20.
        assert_one_sentence("Biden and Putin last spoke on Dec. 7, in a videoconference that ended with a promise to restart diplomatic discussions — but no indication that Russia was preparing to scale back the mobilization.");
        let text = "Deputy Secretary of State Wendy Sherman will lead the US delegation in the talks, which are scheduled for Jan. 10, they told the CNN several sources familiar with the subject. Biden and Putin must not participate in person.";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("familiar with the subject."));
        // Seed 001, block 4: the abbreviation may also end the text.
        assert_one_sentence("Administration officials described the call as a means of setting the tone and tenor for future diplomatic engagements, namely at the series of meetings scheduled for the week of Jan. 10.");
    }

    #[test]
    fn keeps_single_initials_together() {
        // Seed 003, block 31.
        let text = "Meanwhile, the US maintained its stance in the region. Defense Secretary Lloyd Austin ordered the aircraft carrier Harry S. Truman and its escort ships to stay in the Mediterranean area instead of sailing to the Middle East, as part of an effort to reassure European allies.";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[1].contains("Harry S. Truman and its escort ships"));
        assert_one_sentence("John F. Kennedy spoke in Berlin.");
    }

    #[test]
    fn keeps_decimals_and_grouped_numbers_together() {
        // Seed 003, block 37.
        assert_one_sentence("An on-board antenna has a 120-degree field of view that can cover about 51,799,762 square kilometers to monitor ground movements, according to an Air Force fact sheet, and can also detect aircraft.");
        assert_one_sentence("The economy grew 3.5 percent, up from 2.1 percent.");
    }

    #[test]
    fn splits_after_a_number_ending_a_sentence() {
        let found = sentences(
            "Another flight took place on December 27. The flight was by a JSTARS aircraft.",
        );
        assert_eq!(found.len(), 2);
        let found = sentences("The troops arrived in 2014. 10,000 of them stayed.");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn keeps_latin_and_company_abbreviations_together() {
        assert_one_sentence("Some measures, e.g. sanctions, are ready.");
        assert_one_sentence("The measure, i.e. the sanctions, is ready.");
        assert_one_sentence("It is Russia vs. Ukraine again.");
        assert_one_sentence("Acme Inc. said profits fell at Acme Corp. Europe.");
        assert_one_sentence("The No. 2 official at the Pentagon agreed.");
    }

    #[test]
    fn etc_can_end_a_sentence() {
        let found = sentences("They moved tanks, trucks, etc. The convoy was long.");
        assert_eq!(
            found,
            vec!["They moved tanks, trucks, etc.", "The convoy was long."]
        );
        assert_one_sentence("Tanks, trucks, etc. were seen near the border.");
    }

    #[test]
    fn lowercase_after_period_does_not_split() {
        // Seed 003, block 35 ends with a stray period before lowercase text.
        let text = "Wolfkiel told CNN that the US “usually operates aircraft in the Black Sea region in support of various US and coalition intelligence objectives,” but the flights take place as the US tries to gather information on Russian troop movements along the border. with Ukraine.";
        assert_one_sentence(text);
    }

    // --- terminal punctuation and quotes ------------------------------------

    #[test]
    fn splits_on_question_exclamation_and_ellipsis_runs() {
        let found = sentences("Is it over?! Nobody knows. Wait... Then it ended… The end!");
        assert_eq!(
            found,
            vec![
                "Is it over?!",
                "Nobody knows.",
                "Wait...",
                "Then it ended…",
                "The end!"
            ]
        );
        assert_one_sentence("He paused... and went on.");
    }

    #[test]
    fn closing_quotes_stay_with_their_sentence() {
        // Seed 002, block 3.
        let text = "A statement from the White House said that Biden “urged Russia to de-escalate tensions with Ukraine. He made clear that the United States and its allies and partners will respond decisively if Russia further invades Ukraine.”";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("tensions with Ukraine."));
        assert!(found[1].ends_with("invades Ukraine.”"));
    }

    #[test]
    fn quote_then_attribution_splits_after_said() {
        // Seed 003, block 28.
        let text = "“It’s not entirely static from our perspective,” the official said. “What the Russians have been doing in and around this border area remains a continuing source of great concern.”";
        assert_eq!(
            sentences(text),
            vec![
                "“It’s not entirely static from our perspective,” the official said.",
                "“What the Russians have been doing in and around this border area remains a continuing source of great concern.”",
            ]
        );
        let found = sentences("“It’s not entirely static from our perspective,” the official said. “What the Russians have been doing remains…”");
        assert_eq!(found.len(), 2);
        assert!(found[1].ends_with("remains…”"));
    }

    #[test]
    fn straight_quotes_split_like_curly_quotes() {
        // Seed 001, block 11.
        let text = "\"They see the military aspect as a threat to Russia's national security,\" he said. \"They want guarantees that military infrastructure won't move closer to the border in the future.\"";
        let found = sentences(text);
        assert_eq!(found.len(), 2);
        assert!(found[0].ends_with("he said."));
        assert!(found[1].ends_with("future.\""));
    }

    #[test]
    fn question_in_quote_before_attribution_does_not_split() {
        assert_one_sentence("“Why now?” he asked.");
        assert_one_sentence("“Why now?” Biden asked reporters.");
        assert_one_sentence("“Will they invade?!” Senate Majority Leader Schumer asked.");
        let found = sentences("“Why now?” The question hung in the air.");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn stray_space_before_closing_quote_stays_attached() {
        // Seed 000, block 9 ends with "escalation. ”".
        let text = "“President Biden reiterated that substantive progress in these dialogues can occur only in an environment of de-escalation rather than escalation. ”";
        assert_one_sentence(text);
    }

    #[test]
    fn bracketed_insertion_starts_a_sentence() {
        let found = sentences("The call ended. [Biden] made clear the US would respond.");
        assert_eq!(found.len(), 2);
        assert!(found[1].starts_with("[Biden]"));
    }

    // --- dashes -------------------------------------------------------------

    #[test]
    fn em_dash_does_not_split() {
        // Seed 003, block 3.
        assert_one_sentence("Putin requested the call this week, and Biden — who believes nothing can replace direct conversations between heads of state — was eager to answer.");
    }

    #[test]
    fn en_dash_and_double_hyphen_do_not_split() {
        // Seed 002, block 8.
        assert_one_sentence("US officials said he would tell Putin a pathway exists to avoid conflict -- and by extension avert the withering economic sanctions the West is poised to levy should Russian troops move over the border.");
        assert_one_sentence("Biden spoke – briefly – with Putin.");
    }

    // --- newlines and cut-off text -------------------------------------------

    #[test]
    fn newline_after_terminal_punctuation_splits() {
        let found = sentences("The call ended.\nThe officials left.\r\nNobody spoke.");
        assert_eq!(
            found,
            vec!["The call ended.", "The officials left.", "Nobody spoke."]
        );
    }

    #[test]
    fn wrapped_line_inside_a_sentence_does_not_split() {
        assert_one_sentence("The talks between Biden and Putin come about two weeks before\nAmericans and Russian diplomats meet in Geneva.");
        assert_one_sentence("The talks will\nbe held in Geneva.");
        assert_one_sentence("A senior official said Mr.\nBiden would call.");
    }

    #[test]
    fn caption_line_splits_from_next_line_verbatim() {
        // Seed 002, block 1: a caption followed by the same caption fused with
        // its credit.
        let text = "Biden and Putin\nBiden and PutinReuters";
        assert_eq!(
            sentences(text),
            vec!["Biden and Putin", "Biden and PutinReuters"]
        );
        assert_eq!(
            sentences("Biden and Putin\r\nBiden and PutinReuters"),
            vec!["Biden and Putin", "Biden and PutinReuters"]
        );
    }

    #[test]
    fn sentence_cut_at_end_of_block_is_kept() {
        // Seed 003, block 16.
        let text = "In preparation for these discussions, Russia has publicly offered a list of security concerns and demands it wishes to address, including a commitment that Ukraine will never be allowed to join the";
        assert_one_sentence(text);
        let found = sentences("The talks ended. Russia wants Ukraine never to join the");
        assert_eq!(
            found,
            vec!["The talks ended.", "Russia wants Ukraine never to join the"]
        );
    }

    #[test]
    fn cut_sentence_across_blocks_is_kept_verbatim() {
        // Seed 003, blocks 16 and 17: one sentence cut across two blocks.
        let first = "In preparation for these discussions, Russia has publicly offered a list of security concerns and demands it wishes to address, including a commitment that Ukraine will never be allowed to join the";
        let second = "NATO and that the alliance’s military equipment is not deployed in the former Soviet states.";
        let article = format!("{first}\n\n{second}\n");
        let found = paragraphs(&article);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].number, found[0].text), (1, first));
        assert_eq!((found[1].number, found[1].text), (2, second));
        assert!(found[0].is_content && found[1].is_content);
        assert_eq!(sentences(found[0].text), vec![first]);
        assert_eq!(sentences(found[1].text), vec![second]);
    }

    // --- robustness -----------------------------------------------------------

    #[test]
    fn empty_and_whitespace_input_has_no_sentences() {
        assert!(sentences("").is_empty());
        assert!(sentences(" \n\t\r\n \u{a0}").is_empty());
    }

    #[test]
    fn non_ascii_text_does_not_panic() {
        for text in [
            "Путин сказал. Байден ответил.",
            "😀. 😀! 🚀? Done.",
            "Émile a dit. « Non ! » Puis il est parti.",
            "今天天气很好。我们去公园吧！好的？",
            "مرحبا. كيف حالك؟",
            "\u{200b}.\u{200b} \u{301}.",
        ] {
            assert_sentence_invariants(text);
        }
        assert_eq!(
            sentences("今天天气很好。我们去公园吧！好的？"),
            vec!["今天天气很好。", "我们去公园吧！", "好的？"]
        );
    }

    #[test]
    fn five_mb_line_is_chunked_without_panic() {
        let spaced = "word ".repeat(1_000_000);
        assert_sentence_invariants(&spaced);
        let found = sentences(&spaced);
        assert!(found.len() >= 5_000_000 / MAX_SENTENCE_BYTES);
        assert!(found
            .iter()
            .all(|s| s.starts_with("word") && s.ends_with("word")));

        // No whitespace at all, and multi-byte chars: cuts fall on char boundaries.
        let dense = "é漢😀".repeat(580_000);
        assert!(dense.len() > 5_000_000);
        assert_sentence_invariants(&dense);
    }

    #[test]
    fn long_runs_are_cut_at_whitespace() {
        let text = "word ".repeat(2_000);
        for sentence in sentences(&text) {
            assert!(sentence.len() <= MAX_SENTENCE_BYTES);
            assert!(sentence.starts_with("word") && sentence.ends_with("word"));
        }
    }

    #[test]
    fn sentences_hold_invariants_on_seed_excerpts_and_odd_strings() {
        let fixed = [
            "",
            ".",
            "...",
            "?!",
            "” ” ”",
            "Mr.",
            "U.S.",
            "a. b. c.",
            "A. B. C.",
            "Mr. . . Dr.",
            "\n\n\nThe\n\n",
            "x\r\ny\r\n",
            "Biden and Putin\nBiden and PutinReuters",
            "“1–1e made clear that the United States and its allies and partners will respond decisively if Russia further invades Ukraine,” Jen Psaki, White House press secretary, said in a statement on Thursday. “President Biden reiterated that substantive progress in these dialogues can occur only in an environment of de-escalation rather than escalation. ”",
            "Putin “noted that this is one of the key points included in the project [sobre as garantias de segurança que a Rússia busca],” added Ushakov.",
            "Deputy Secretary of State Wendy Sherman will lead the US delegation in the talks, which are scheduled for Jan. 10, they told the CNN several sources familiar with the subject. Biden and Putin must not participate in person.",
        ];
        for text in fixed {
            assert_sentence_invariants(text);
        }

        // Random concatenations of awkward fragments, from a fixed-seed
        // generator so failures reproduce.
        let fragments = [
            "Mr.",
            "U.S.",
            " ",
            "  ",
            "\n",
            "\r\n",
            "\n\n",
            ".",
            "?",
            "!",
            "…",
            "...",
            "”",
            "“",
            "\"",
            "'",
            "’",
            "(",
            ")",
            "—",
            "--",
            "é",
            "😀",
            "中文",
            "。",
            "a",
            "The",
            "p.m.",
            "3.5",
            "A",
            "etc.",
            "\t",
            "\u{a0}",
            "x",
            "Biden",
            "said",
            "“Why?”",
            "asked",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % bound
        };
        for _ in 0..2_000 {
            let length = next(40);
            let text: String = (0..length)
                .map(|_| fragments[next(fragments.len())])
                .collect();
            assert_sentence_invariants(&text);
            for paragraph in paragraphs(&text) {
                assert!(text.contains(paragraph.text));
                assert_sentence_invariants(paragraph.text);
            }
        }
    }

    // --- paragraphs -------------------------------------------------------------

    #[test]
    fn paragraphs_are_numbered_from_one_and_trimmed() {
        let article =
            "\n\n  First block.  \n\n\n\tSecond block,\nstill second.\n \t \nThird block.";
        let found = paragraphs(article);
        let texts: Vec<_> = found.iter().map(|p| (p.number, p.text)).collect();
        assert_eq!(
            texts,
            vec![
                (1, "First block."),
                (2, "Second block,\nstill second."),
                (3, "Third block.")
            ]
        );
    }

    #[test]
    fn paragraphs_handle_crlf_line_endings() {
        let article = "First block,\r\nstill first.\r\n\r\nSecond block.\r\n";
        let found = paragraphs(article);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].text, "First block,\r\nstill first.");
        assert_eq!(found[1].text, "Second block.");
    }

    #[test]
    fn text_written_one_paragraph_per_line_is_cited_by_line() {
        // As BBC pages and many exports come: no blank lines, a paragraph per line, and lines
        // that are labels rather than sentences.
        let article = "Share this with\nEmail\n\
                       These are external links and will open in a new window\n\
                       The council approved the budget on Monday after a long debate.\r\n\
                       Critics said the plan cut too deep into services for the elderly.\n\
                       The vote was 7-2.";
        let found = paragraphs(article);
        let texts: Vec<_> = found.iter().map(|p| (p.number, p.text)).collect();
        assert_eq!(
            texts,
            vec![
                (1, "Share this with"),
                (2, "Email"),
                (3, "These are external links and will open in a new window"),
                (
                    4,
                    "The council approved the budget on Monday after a long debate."
                ),
                (
                    5,
                    "Critics said the plan cut too deep into services for the elderly."
                ),
                (6, "The vote was 7-2."),
            ]
        );
        // The label line is no longer glued to the first sentence as one "sentence".
        assert_eq!(
            sentences(found[3].text),
            vec!["The council approved the budget on Monday after a long debate."]
        );
    }

    #[test]
    fn hard_wrapped_prose_stays_one_paragraph() {
        let article = "The council approved the budget on Monday after a long\n\
                       debate. Critics said the plan cut too deep, and the vote\n\
                       was close.\n\nA second paragraph.";
        let found = paragraphs(article);
        assert_eq!(found.len(), 2);
        assert!(found[0].text.ends_with("was close."));
    }

    #[test]
    fn whitespace_only_lines_separate_paragraphs() {
        // Seed 004 ends lines with a no-break space; a line holding only one is blank.
        let found = paragraphs("One.\u{a0}\n\u{a0}\nTwo.");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].text, "One.");
    }

    #[test]
    fn empty_article_has_no_paragraphs() {
        assert!(paragraphs("").is_empty());
        assert!(paragraphs("\n \r\n\t\n").is_empty());
    }

    #[test]
    fn seed_004_boilerplate_blocks_are_flagged() {
        // Seed 004, blocks 1, 2 (shortened), 7, 8, 14, 15, 16, 17.
        let article = "Biden tells Putin U.S. and allies will respond “decisively” if Russia invades Ukraine\n\nPresident Biden told Russian President Vladimir Putin in a phone call on Thursday that the U.S. and its allies will react “decisively” if Ukraine is invaded, White House press secretary Jen Psaki said.\n\nPresident Biden speaking to Russian President Vladimir Putin\n\nAdam Schultz / AP\n\nCBS News has reported that the 10,000 withdrawn troops is just a fraction of the number that still remains at the border.\n\nDavid Martin, Fin Gomez and Fritz Farrow contributed to this report.\u{a0}\n\nDownload our Free App\n\nFor Breaking News & Analysis Download the Free CBS News app\n";
        let flags: Vec<_> = paragraphs(article)
            .iter()
            .map(|p| (p.number, p.is_content))
            .collect();
        assert_eq!(
            flags,
            vec![
                (1, false),
                (2, true),
                (3, false),
                (4, false),
                (5, true),
                (6, false),
                (7, false),
                (8, false)
            ]
        );
    }

    // --- is_content -------------------------------------------------------------

    #[test]
    fn photo_credit_is_not_content() {
        for block in [
            "Adam Schultz / AP",
            "Name Surname/Reuters",
            "Alex Wong/Getty Images.",
            "Photo: Alex Wong/Getty Images",
            "Photo by Jane Doe for The Times.",
            "Getty Images",
            "(AP Photo/Evan Vucci)",
            "Mandel Ngan/AFP via Getty Images",
        ] {
            assert!(!is_content(block), "{block:?}");
        }
    }

    #[test]
    fn app_and_newsletter_promotion_is_not_content() {
        for block in [
            "Download our Free App",
            "For Breaking News & Analysis Download the Free CBS News app",
            "Sign up for our newsletter.",
            "Click here to read the full statement.",
            "Subscribe to our daily briefing for more.",
        ] {
            assert!(!is_content(block), "{block:?}");
        }
    }

    #[test]
    fn contributor_line_is_not_content() {
        for block in [
            "David Martin, Fin Gomez and Fritz Farrow contributed to this report.\u{a0}",
            "With information from Natasha Bertrand and Anna Chernova",
            "Reporting by Jane Doe; Editing by John Roe",
            "(Reporting by Jane Doe in Moscow; Editing by John Roe.)",
            "Additional reporting by Jane Doe in Kyiv.",
        ] {
            assert!(!is_content(block), "{block:?}");
        }
    }

    #[test]
    fn editors_note_is_not_content() {
        for block in [
            "Editor's note: In our series, correspondents share their experiences in covering news.",
            "EDITOR’S NOTE: This story contains descriptions of violence.",
        ] {
            assert!(!is_content(block), "{block:?}");
        }
        assert!(is_content(
            "The editor's note said the story had been corrected twice."
        ));
    }

    #[test]
    fn bare_headline_or_caption_is_not_content() {
        for block in [
            "Biden tells Putin U.S. and allies will respond “decisively” if Russia invades Ukraine",
            "President Biden speaking to Russian President Vladimir Putin",
            "Biden and Putin\nBiden and PutinReuters",
        ] {
            assert!(!is_content(block), "{block:?}");
        }
    }

    #[test]
    fn empty_or_punctuation_only_block_is_not_content() {
        for block in ["", "   \n\t", "...", "* * *", "—", "“”"] {
            assert!(!is_content(block), "{block:?}");
        }
    }

    #[test]
    fn long_block_cut_without_punctuation_is_content() {
        // Seed 003, block 16.
        assert!(is_content("In preparation for these discussions, Russia has publicly offered a list of security concerns and demands it wishes to address, including a commitment that Ukraine will never be allowed to join the"));
    }

    #[test]
    fn continuation_block_is_content() {
        // Seed 003, block 17.
        assert!(is_content("NATO and that the alliance’s military equipment is not deployed in the former Soviet states."));
    }

    #[test]
    fn short_real_sentences_are_content() {
        for block in [
            "Biden handled the call from his home in Wilmington, Delaware.",
            "But US officials suggested that the move did not signify a significant demobilization.",
            "“There will be a very careful and very intensive coordination transparency among our partners and allies,” the official said.\u{a0}",
            "What happens next?",
        ] {
            assert!(is_content(block), "{block:?}");
        }
    }

    #[test]
    fn sentences_mentioning_boilerplate_words_are_content() {
        for block in [
            "Millions of people download the game each month, the company said.",
            "Russia wants the US to sign up for a new security treaty.",
            "The Biden/Putin call ended after 50 minutes.",
            "Reporters asked who had contributed to the report, but officials declined to say.",
            "By Thursday, about 100,000 Russian troops had gathered near the border.",
        ] {
            assert!(is_content(block), "{block:?}");
        }
    }

    #[test]
    fn long_paragraph_with_boilerplate_phrase_is_content() {
        let block = format!(
            "{} Sign up for our newsletter.",
            "The talks between Biden and Putin come about two weeks before Americans and Russian diplomats meet in Geneva to discuss the ongoing crisis, officials said on Thursday after the call ended."
                .repeat(2)
        );
        assert!(is_content(&block));
    }
}
