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
//! * **No boilerplate as evidence.** Photo captions and credits, bylines,
//!   promotions (apps, newsletters, social accounts), author contact lines,
//!   contributor and reporting credits, and bare headlines are flagged so they
//!   are not cited as facts (the kinds and their rules: `boilerplate.rs`).
//!
//! This module cuts an article into numbered paragraphs. Splitting a
//! paragraph into sentences (`sentences.rs`) and telling content from
//! boilerplate (`boilerplate.rs`) are modules of their own, re-exported here.

mod boilerplate;
mod sentences;

pub use boilerplate::is_content;
pub use sentences::sentences;

use sentences::{ends_with_terminal, SHORT_LINE_MAX_WORDS};

#[cfg(test)]
mod tests;

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
