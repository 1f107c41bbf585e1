//! The writing model's prompts: minijinja templates in `prompts/`, compiled in; `--prompts DIR`
//! reads files of the same names from DIR instead (a file missing there keeps the compiled-in
//! text).

use std::path::Path;

use minijinja::{context, Environment};
use serde::Serialize;

use crate::error::{Error, Result};

/// What the model is asked to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// An answer to a question, from retrieved paragraphs.
    Answer,
    /// One summary across several documents.
    Summary,
    /// The summary of one article.
    ArticleSummary,
}

impl Task {
    const ALL: [Task; 3] = [Task::Answer, Task::Summary, Task::ArticleSummary];

    fn file(self) -> &'static str {
        match self {
            Task::Answer => "answer.jinja",
            Task::Summary => "summary.jinja",
            Task::ArticleSummary => "article-summary.jinja",
        }
    }

    fn compiled_in(self) -> &'static str {
        match self {
            Task::Answer => include_str!("../../prompts/answer.jinja"),
            Task::Summary => include_str!("../../prompts/summary.jinja"),
            Task::ArticleSummary => include_str!("../../prompts/article-summary.jinja"),
        }
    }
}

/// A source paragraph as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView<'a> {
    /// `[doc ¶n]`: what the model must write after each sentence.
    pub label: String,
    pub title: Option<&'a str>,
    pub text: &'a str,
}

/// The three templates, compiled.
pub struct Prompts {
    env: Environment<'static>,
}

impl Prompts {
    /// The compiled-in prompts, or those of `dir` where it has a file of the same name.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for task in Task::ALL {
            let custom = dir.map(|d| d.join(task.file())).filter(|p| p.is_file());
            let source = match &custom {
                Some(path) => std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?,
                None => task.compiled_in().to_string(),
            };
            env.add_template_owned(task.file(), source).map_err(|e| {
                let origin =
                    custom.map_or_else(|| task.file().to_string(), |p| p.display().to_string());
                Error::InvalidInput(format!("prompt {origin} does not compile: {e}"))
            })?;
        }
        Ok(Prompts { env })
    }

    /// The user message for `task`.
    pub fn render(
        &self,
        task: Task,
        question: Option<&str>,
        sources: &[SourceView<'_>],
        max_sentences: usize,
    ) -> Result<String> {
        let template = self
            .env
            .get_template(task.file())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        template
            .render(context! { question, sources, max_sentences })
            .map_err(|e| Error::InvalidInput(format!("prompt {}: {e}", task.file())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Vec<SourceView<'static>> {
        vec![
            SourceView {
                label: "[a ¶2]".into(),
                title: Some("Call"),
                text: "The call lasted 50 minutes.",
            },
            SourceView {
                label: "[b ¶1]".into(),
                title: None,
                text: "Putin spoke first.",
            },
        ]
    }

    #[test]
    fn every_prompt_numbers_the_sources_with_their_citation_labels() {
        let prompts = Prompts::load(None).unwrap();
        for task in Task::ALL {
            let text = prompts
                .render(task, Some("How long?"), &sources(), 3)
                .unwrap();
            assert!(
                text.contains("[a ¶2] (Call) The call lasted 50 minutes.")
                    || task == Task::ArticleSummary,
                "{text}"
            );
            assert!(text.contains("[b ¶1] Putin spoke first."), "{text}");
            assert!(text.contains("at most 3"), "{text}");
        }
        let answer = prompts
            .render(Task::Answer, Some("How long?"), &sources(), 3)
            .unwrap();
        assert!(answer.contains("Question: How long?"), "{answer}");
        assert!(answer.contains("The sources do not say"), "{answer}");
    }

    #[test]
    fn a_prompts_folder_overrides_only_its_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("answer.jinja"),
            "Q={{ question }} n={{ sources|length }}",
        )
        .unwrap();
        let prompts = Prompts::load(Some(dir.path())).unwrap();
        assert_eq!(
            prompts
                .render(Task::Answer, Some("why"), &sources(), 1)
                .unwrap(),
            "Q=why n=2"
        );
        let summary = prompts.render(Task::Summary, None, &sources(), 1).unwrap();
        assert!(summary.contains("[a ¶2]"), "{summary}");
        std::fs::write(dir.path().join("summary.jinja"), "{% if %}").unwrap();
        let err = Prompts::load(Some(dir.path())).err().unwrap().to_string();
        assert!(err.contains("summary.jinja"), "{err}");
    }
}
