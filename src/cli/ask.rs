//! `footnote ask`: answers a question from the corpus and prints the answer with its sources (or,
//! when it abstains, related reading), or the answer as JSON. With `--generate` the local model
//! writes the answer, its draft printed as it comes when stdout is a terminal, then checked.

use std::path::PathBuf;
use std::process::ExitCode;

use footnote::answer::{check_question, AskOptions};
use footnote::writer::{WriteOptions, Writer, WriterSettings};
use footnote::{Engine, EngineSettings};

use super::common::{
    exit_code, load_documents, print_disagreements, print_generation, print_json, DraftPrinter,
};

pub fn run(
    settings: &EngineSettings,
    question: &str,
    corpus: &[PathBuf],
    max_sentences: usize,
    json: bool,
    generate: Option<(WriterSettings, WriteOptions)>,
) -> anyhow::Result<ExitCode> {
    let options = AskOptions {
        max_sentences,
        documents: None,
    };
    // Refuse a bad question or option before the models are loaded and the corpus embedded.
    check_question(question, &options)?;
    let (documents, had_problems) = load_documents(corpus)?;
    let mut writer = match &generate {
        Some((writer_settings, _)) => Some(Writer::load(writer_settings)?),
        None => None,
    };
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    let answer = match (&mut writer, &generate) {
        (Some(writer), Some((_, write))) => {
            let mut draft = DraftPrinter::new(json);
            let answer =
                engine.ask_written(writer, &index, question, &options, write, &mut |piece| {
                    draft.print(piece)
                })?;
            draft.finish();
            answer
        }
        _ => engine.ask(&index, question, &options)?,
    };
    if json {
        print_json(&answer)?;
    } else {
        println!("{}", answer.answer);
        for s in answer
            .sentences
            .iter()
            .filter(|s| !s.corroborated_by.is_empty())
        {
            let also: Vec<String> = s.corroborated_by.iter().map(|c| c.to_string()).collect();
            let cited: String = s.citations.iter().map(|c| c.to_string()).collect();
            println!("  {cited} also reported in {}", also.join(" "));
        }
        if !answer.disagreements.is_empty() {
            println!();
            print_disagreements(&answer.disagreements);
        }
        let (heading, passages) = if answer.abstained {
            ("Related reading", &answer.related)
        } else {
            ("Sources", &answer.citations)
        };
        if !passages.is_empty() {
            println!("\n{heading}:");
            for p in passages {
                println!("  [{} ¶{}] {}", p.doc, p.paragraph, p.text);
            }
        }
        print_generation(answer.mode, &answer.dropped, answer.generation.as_ref());
    }
    Ok(exit_code(had_problems))
}
