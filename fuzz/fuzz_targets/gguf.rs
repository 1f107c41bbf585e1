//! A GGUF file's header as the writing model's loader reads it, from arbitrary bytes:
//! `llm::read_gguf` (footnote's checks, then candle's reader `gguf_file::Content::read`), then footnote's own steps before any tensor is read: the
//! metadata it uses (`llm::GgufMetadata`), whether the native pass can run the file
//! (`llm::native_pass_supports`), and the chat template the file carries, compiled and rendered
//! for a message (`llm::ChatTemplate`) with its chat markers listed. No weights are loaded and
//! no forward pass runs.
//!
//! Invariants: nothing panics, aborts or allocates without bound.
#![no_main]

use std::io::Cursor;

use footnote::llm::{chat_markers, native_pass_supports, read_gguf, ChatTemplate, GgufMetadata};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(content) = read_gguf(&mut Cursor::new(data)) else {
        return;
    };
    let meta = GgufMetadata::read(&content);
    let _ = native_pass_supports(&content);
    if let Some(source) = meta.chat_template {
        if let Ok(template) = ChatTemplate::new(source, "<s>".into(), "</s>".into()) {
            if let Ok(prompt) = template.render_user("How long did the call last?") {
                let _ = chat_markers(&prompt).count();
            }
        }
    }
});
