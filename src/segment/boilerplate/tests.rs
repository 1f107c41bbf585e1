//! Tests of [`is_content`]: credits, promotions, contributor and editor's notes, headlines, and
//! real sentences that merely mention such words.

use super::*;

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

#[test]
fn promotion_openers_match_only_with_their_trailing_space_or_colon() {
    // The lexicon's "download ", "click ", "subscribe:" and "follow us " end in a space or colon;
    // an entry that lost it would dismiss these real sentences.
    for block in [
        "Downloads of the app rose to two million this year.",
        "Clicks on the site doubled after the launch.",
        "Subscribers to the service rose by a third.",
        "Follow usual procedures, the manual says.",
    ] {
        assert!(is_content(block), "{block:?}");
    }
    for block in [
        "Download the app for more.",
        "Subscribe: it is free.",
        "Follow us on the app.",
    ] {
        assert!(!is_content(block), "{block:?}");
    }
}
