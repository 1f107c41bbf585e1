//! Tests of the sentence splitter: abbreviations and initialisms, terminal punctuation and
//! quotes, dashes, newlines, and the invariants (verbatim, in order, complete, bounded) on odd and
//! random input.

use super::*;
use crate::segment::paragraphs;

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
    for title in PREFIX_ABBREVIATIONS.iter() {
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
    let found =
        sentences("Another flight took place on December 27. The flight was by a JSTARS aircraft.");
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
