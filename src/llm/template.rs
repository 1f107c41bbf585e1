//! The model's own chat template, rendered with minijinja (a Jinja2 port, as Hugging Face
//! renders it): the template of `tokenizer_config.json` when present, else the GGUF's
//! `tokenizer.chat_template`.
//!
//! footnote sends one user message and asks for the assistant's turn. Qwen3's "thinking" is
//! switched off through the template's own `enable_thinking=false` (it then writes an empty
//! `<think></think>` block for the model); templates that do not know the variable ignore it.

use minijinja::{context, Environment, ErrorKind};

use crate::error::{Error, Result};

const TEMPLATE_NAME: &str = "chat";

/// A chat template ready to render.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// Compiles a template; `bos_token` and `eos_token` are the strings templates may insert.
    pub fn new(source: String, bos_token: String, eos_token: String) -> Result<Self> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        // Templates call these to refuse conversations they cannot render, or for today's date.
        env.add_function(
            "raise_exception",
            |message: String| -> std::result::Result<String, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_function("strftime_now", |_format: String| String::new());
        env.add_template_owned(TEMPLATE_NAME, source)
            .map_err(|e| Error::Tokenizer(format!("the chat template does not compile: {e}")))?;
        Ok(ChatTemplate {
            env,
            bos_token,
            eos_token,
        })
    }

    /// The prompt for one user message, ending where the assistant's answer begins.
    pub fn render_user(&self, message: &str) -> Result<String> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        template
            .render(context! {
                messages => vec![context! { role => "user", content => message }],
                add_generation_prompt => true,
                enable_thinking => false,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|e| Error::Tokenizer(format!("the chat template failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of Qwen3's template that footnote relies on (its full text uses the same
    /// constructs: namespace, string methods, the `enable_thinking` switch).
    const QWEN3_LIKE: &str = "{%- for message in messages %}{%- if message.role == 'user' %}\
        {{- '<|im_start|>' + message.role + '\\n' + message.content.strip() + '<|im_end|>' + '\\n' }}\
        {%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}\
        {%- if enable_thinking is defined and enable_thinking is false %}\
        {{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";

    #[test]
    fn thinking_is_switched_off_and_the_assistant_turn_opened() {
        let t = ChatTemplate::new(QWEN3_LIKE.into(), String::new(), "<|im_end|>".into()).unwrap();
        let prompt = t.render_user(" Who called? ").unwrap();
        assert_eq!(
            prompt,
            "<|im_start|>user\nWho called?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
        );
    }

    #[test]
    fn a_template_that_refuses_gives_an_error_not_a_panic() {
        let t = ChatTemplate::new(
            "{{ raise_exception('System role not supported') }}".into(),
            String::new(),
            String::new(),
        )
        .unwrap();
        let err = t.render_user("hi").unwrap_err().to_string();
        assert!(err.contains("System role not supported"), "{err}");
        assert!(ChatTemplate::new("{% if %}".into(), String::new(), String::new()).is_err());
    }
}
