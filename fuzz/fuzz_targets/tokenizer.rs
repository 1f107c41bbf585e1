//! A model's `tokenizer.json` and `tokenizer_config.json` from arbitrary bytes, used as the
//! model loaders use them (the first byte picks which): the tokenizer is read
//! (`embed::tokenizer_from_bytes`, which the encoder and the writing model load with), its end-of-turn tokens looked up, its added tokens
//! listed as chat markers (`llm::marker_list`) and taken out of a text (`llm::remove_markers`),
//! a short prompt encoded and decoded; the config is read for its chat template and special
//! tokens (`llm::read_tokenizer_config`) and the template compiled and rendered.
//!
//! Invariants: no panic reaches footnote's caller (the `tokenizers` crate panics on some files;
//! footnote turns those into errors, so this target's panic hook only prints, and a panic that
//! escapes still aborts: libfuzzer-sys aborts on any panic out of the target); markers are listed
//! longest first and none is blank.
#![no_main]

use std::sync::Once;

use footnote::embed::tokenizer_from_bytes;
use footnote::llm::{marker_list, read_tokenizer_config, remove_markers, ChatTemplate};
use libfuzzer_sys::fuzz_target;

const PROBE: &str = "<|im_start|>user\nHow long did the call last? [a ¶2]<|im_end|>\n";

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    // libfuzzer-sys's hook aborts on every panic, even one footnote catches: print instead.
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| eprintln!("panic (caught or not): {info}")))
    });
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    if kind & 1 == 0 {
        let Ok(tokenizer) = tokenizer_from_bytes(bytes) else {
            return;
        };
        for t in ["<|im_end|>", "<|endoftext|>", "</s>"] {
            if let Some(id) = tokenizer.token_to_id(t) {
                let _ = tokenizer.id_to_token(id);
            }
        }
        let markers = marker_list(&tokenizer);
        assert!(markers.iter().all(|m| !m.trim().is_empty()));
        assert!(markers.windows(2).all(|w| w[0].len() >= w[1].len()));
        let _ = remove_markers(PROBE, &markers);
        if let Ok(encoding) = tokenizer.encode(PROBE, false) {
            let _ = tokenizer.decode(encoding.get_ids(), true);
        }
        let _ = tokenizer.decode(&[0, 1, 2, 3, 100, 1000], true);
    } else {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return;
        };
        let Ok(settings) = read_tokenizer_config(text) else {
            return;
        };
        if let Some(source) = settings.chat_template {
            let bos = settings.bos_token.unwrap_or_default();
            let eos = settings.eos_token.unwrap_or_default();
            if let Ok(template) = ChatTemplate::new(source, bos, eos) {
                let _ = template.render_user("How long did the call last?");
            }
        }
    }
});
