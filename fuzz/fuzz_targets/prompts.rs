//! The writing model's prompts with untrusted text: a question and source paragraphs (document
//! id, paragraph number, title, text, all arbitrary) go through the writer's own steps
//! (`compose::defang_inputs` with Qwen3's added tokens, `compose::build_prompt` with the
//! compiled-in `prompts/*.jinja`, cutting sources to a budget) and then into the ChatML chat
//! template (`llm::ChatTemplate`, minijinja).
//!
//! Invariants: rendering never fails nor panics; the final prompt holds each of the tokenizer's
//! chat markers exactly as often as the prompt for a harmless message does, so no article,
//! title, question or document id can end the user's turn or open another.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use footnote::citation::Citation;
use footnote::compose::{build_prompt, defang_inputs, Prompts, Source, Task};
use footnote::llm::{remove_markers, ChatTemplate};
use libfuzzer_sys::fuzz_target;

/// Qwen3's added tokens (its tokenizer.json), longest first as `llm::marker_list` orders them.
const QWEN3_ADDED: [&str; 26] = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<tool_response>",
    "</tool_response>",
    "<think>",
    "</think>",
];

struct Fixed {
    markers: Vec<String>,
    prompts: Prompts,
    chat: ChatTemplate,
    /// How often each marker appears in the prompt of a harmless message.
    expected: Vec<usize>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let mut markers: Vec<String> = QWEN3_ADDED.iter().map(|m| m.to_string()).collect();
        markers.sort_by_key(|m| std::cmp::Reverse(m.len()));
        let chat = ChatTemplate::new(
            include_str!("../../src/llm/chatml.jinja").to_string(),
            String::new(),
            "<|im_end|>".to_string(),
        )
        .expect("the ChatML template compiles");
        let probe = chat.render_user("A harmless message.").expect("it renders");
        let expected = markers
            .iter()
            .map(|m| probe.matches(m.as_str()).count())
            .collect();
        Fixed {
            markers,
            prompts: Prompts::load(None).expect("the compiled-in prompts compile"),
            chat,
            expected,
        }
    })
}

#[derive(Arbitrary, Debug)]
struct Input {
    task: u8,
    question: Option<String>,
    max_sentences: u8,
    /// The most bytes of a message that "fit" (to exercise cutting sources).
    budget: u16,
    sources: Vec<(String, u16, Option<String>, String)>,
}

fuzz_target!(|input: Input| {
    let fixed = fixed();
    let task = match input.task % 3 {
        0 => Task::Answer,
        1 => Task::Summary,
        _ => Task::ArticleSummary,
    };
    let sources: Vec<Source> = input
        .sources
        .into_iter()
        .take(8)
        .filter(|(doc, ..)| footnote::document::is_valid_id(doc))
        .map(|(doc, paragraph, title, text)| Source {
            citation: Citation {
                doc,
                paragraph: usize::from(paragraph).max(1),
            },
            title,
            text,
            score: 0.0,
        })
        .collect();
    let defang = |text: &str| remove_markers(text, &fixed.markers);
    let (question, sources) = defang_inputs(input.question.as_deref(), sources, &defang);
    let budget = usize::from(input.budget) * 4;
    let prompt = build_prompt(
        &fixed.prompts,
        task,
        question.as_deref(),
        usize::from(input.max_sentences % 8).max(1),
        sources,
        &mut |message| Ok(message.len() <= budget),
    )
    .expect("the prompt renders");
    let Some(prompt) = prompt else {
        return;
    };
    let full = fixed
        .chat
        .render_user(&prompt.message)
        .expect("the chat template renders");
    for (marker, &expected) in fixed.markers.iter().zip(&fixed.expected) {
        assert_eq!(
            full.matches(marker.as_str()).count(),
            expected,
            "{marker} injected into the prompt:\n{full}"
        );
    }
});
