//! The command line's definition (clap's `Cli`, its engine flags, the commands and evaluation
//! sets) and the dispatch of each command to its module. Each command's body and printing live in
//! a module of its own; what they share is in `common`.

mod ask;
mod bench;
mod common;
mod embed;
mod eval;
mod migrate;
mod summarize;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use footnote::answer::MAX_ANSWER_SENTENCES;
use footnote::summarize::Length;
use footnote::writer::{WriteOptions, WriterSettings};
use footnote::{Engine, EngineSettings};

/// Grounded, cited answers and summaries over news articles.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(flatten)]
    engine: EngineArgs,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Whether the command is `serve`, which runs as a service rather than a one-shot command.
    pub fn is_serve(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }
}

#[derive(Args)]
struct EngineArgs {
    /// Embedding model: a hub id (fetched into --models-dir on first use) or a local directory.
    #[arg(long, env = "FOOTNOTE_MODEL", default_value = footnote::model::DEFAULT_MODEL, global = true)]
    model: String,
    /// Where hub models are stored.
    #[arg(
        long,
        env = "FOOTNOTE_MODELS_DIR",
        default_value = "models",
        global = true
    )]
    models_dir: PathBuf,
    /// Where document embeddings are cached [default: <models-dir>/.cache]. Not used by
    /// `serve`, which keeps embeddings in its store.
    #[arg(long, env = "FOOTNOTE_CACHE_DIR", global = true)]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the embedding cache (`serve` never uses it).
    #[arg(long, global = true)]
    no_cache: bool,
    /// Where the model runs: cpu, cuda or cuda:N (CUDA needs a build with --features cuda).
    #[arg(long, env = "FOOTNOTE_DEVICE", default_value = "cpu", global = true)]
    device: String,
    /// Forward pass: native (footnote's own, x86-64 CPUs with AVX-512), native-bf16 (the same
    /// with bfloat16 products: faster, slightly less exact), candle (any CPU, CUDA), or auto
    /// (native where it can run, candle otherwise).
    #[arg(long, env = "FOOTNOTE_ENCODER", default_value = "auto", global = true)]
    encoder: footnote::encoder::EncoderChoice,
    /// Writing model for --generate: a hub id (`org/name-GGUF[:file.gguf]`, fetched into
    /// --models-dir on first use, the tokenizer from the base repository) or a directory holding
    /// one .gguf file and tokenizer.json [default: Qwen/Qwen3-0.6B-GGUF:Qwen3-0.6B-Q8_0.gguf].
    /// `serve` loads it, and accepts "generate": true, only when this is set.
    #[arg(long, env = "FOOTNOTE_LLM", global = true)]
    llm: Option<String>,
    /// Writing model's forward pass: native (footnote's own, Qwen3 Q8_0 on x86-64 CPUs with
    /// AVX-512 VNNI and BF16), candle (any model candle reads, CPU or CUDA), or auto (native
    /// where it can run, candle otherwise).
    #[arg(
        long,
        env = "FOOTNOTE_LLM_BACKEND",
        default_value = "auto",
        global = true
    )]
    llm_backend: footnote::llm::Backend,
    /// A folder of prompt templates (answer.jinja, summary.jinja, article-summary.jinja) used
    /// instead of the compiled-in ones from prompts/.
    #[arg(long, env = "FOOTNOTE_PROMPTS", global = true)]
    prompts: Option<PathBuf>,
}

/// Options of a written answer or summary.
#[derive(Args)]
struct GenerateArgs {
    /// Let the local model write the answer from the cited paragraphs; every sentence it writes
    /// is checked by the verifier, and the copied answer is given when none is supported.
    #[arg(long)]
    generate: bool,
    /// With --generate, also show the sentences the verifier did not accept, marked unverified.
    #[arg(long, requires = "generate")]
    show_unverified: bool,
    /// With --generate, the most tokens the model writes.
    #[arg(long, default_value_t = footnote::compose::DEFAULT_MAX_TOKENS, requires = "generate",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_tokens: usize,
    /// With --generate, the most prompt tokens; the sources that do not fit are cut.
    #[arg(long, default_value_t = footnote::compose::DEFAULT_MAX_PROMPT_TOKENS, requires = "generate",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_prompt_tokens: usize,
}

impl GenerateArgs {
    fn options(&self) -> Option<WriteOptions> {
        self.generate.then_some(WriteOptions {
            max_tokens: self.max_tokens,
            max_prompt_tokens: self.max_prompt_tokens,
            show_unverified: self.show_unverified,
        })
    }
}

impl EngineArgs {
    fn settings(&self) -> EngineSettings {
        let cache_dir = (!self.no_cache).then(|| {
            self.cache_dir
                .clone()
                .unwrap_or_else(|| self.models_dir.join(".cache"))
        });
        EngineSettings {
            model: self.model.clone(),
            models_dir: self.models_dir.clone(),
            cache_dir,
            device: self.device.clone(),
            encoder: self.encoder,
        }
    }

    /// The writing model's settings: `--llm`, or the default model.
    fn writer_settings(&self) -> WriterSettings {
        WriterSettings {
            llm: self
                .llm
                .clone()
                .unwrap_or_else(|| footnote::llm::DEFAULT_LLM.to_string()),
            models_dir: self.models_dir.clone(),
            device: self.device.clone(),
            prompts: self.prompts.clone(),
            backend: self.llm_backend,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Answer a question from the articles, citing the paragraph behind every sentence.
    Ask {
        /// The question.
        question: String,
        /// Documents to answer from: .txt files, .jsonl files or directories.
        #[arg(long, default_value = "seeds")]
        corpus: Vec<PathBuf>,
        /// Most sentences in the answer.
        #[arg(long, default_value_t = MAX_ANSWER_SENTENCES)]
        max_sentences: usize,
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        generate: GenerateArgs,
    },
    /// Summarize articles with cited sentences. A JSONL input gives JSONL output, one summary per
    /// record (a document, or a cluster of documents summarized together), for batch jobs.
    Summarize {
        /// .txt files, .jsonl files ({"id","text"} or {"id","documents":[{"id","text"}, ...]}
        /// per line) or directories.
        #[arg(default_value = "seeds")]
        paths: Vec<PathBuf>,
        /// Number of sentences [default: 5].
        #[arg(long, conflicts_with = "words")]
        sentences: Option<usize>,
        /// Word budget instead of a sentence count.
        #[arg(long)]
        words: Option<usize>,
        /// One summary per document instead of one across all (a .jsonl batch always gives one
        /// per record, as JSON lines).
        #[arg(long)]
        per_document: bool,
        /// Print JSON (JSON lines for a .jsonl batch, with or without this flag).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        generate: GenerateArgs,
    },
    /// Check a text's citations: for each sentence, whether the paragraphs it cites ([doc ¶n])
    /// state it. Verdicts: supported, unsupported (with the number, date, name, negation,
    /// antonym, swapped roles or content words the cited paragraphs do not state), uncited,
    /// invalid_citation. Sentences not supported get the corpus paragraphs that best support
    /// them. "Supported" means the cited text restates the sentence's facts, not that it implies
    /// them: a paraphrase in other words is often called unsupported, and about one "supported"
    /// in eight on real revisions (claims.jsonl) is not. A quote given to the wrong speaker within
    /// one paragraph, and some role swaps, are not yet caught. Exit status: 0 when every claim is
    /// supported, 1 when any is not, 2 on bad input.
    Verify {
        /// Text or Markdown files to check [default: stdin].
        files: Vec<PathBuf>,
        /// Documents the citations refer to: .txt files, .jsonl files or directories.
        #[arg(long, default_value = "seeds")]
        corpus: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Embed text: lines or JSONL {"text"} from a file or stdin; JSONL {"text","embedding"} out.
    Embed {
        /// Input file [default: stdin].
        input: Option<PathBuf>,
    },
    /// Fetch the model if it is missing and check that it loads.
    FetchModel,
    /// Time the embedding hot path: tokens/s, sentences/s and batch latency per batch size.
    Bench {
        /// Devices to run on, in turn (cpu, cuda, cuda:N); with two, the ratio is printed
        /// [default: the device named before `bench`, else cpu].
        #[arg(long = "device", value_name = "DEVICE")]
        devices: Vec<String>,
        /// Batch sizes to time.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1, 8, 32, 64])]
        batch_sizes: Vec<usize>,
        /// Texts to embed: the sentences of these documents.
        #[arg(long, default_value = "seeds")]
        corpus: Vec<PathBuf>,
        /// Timed passes over the sentences per batch size.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Also write the benchmarked sentences here, one per line (for timing other systems on
        /// exactly the same input).
        #[arg(long)]
        sentences_out: Option<PathBuf>,
        /// Print one JSON object per device and batch size.
        #[arg(long)]
        json: bool,
        /// Time the writing model (--llm) instead: time to first token, prefill and decode
        /// tokens/s for a prompt of --prompt-tokens tokens and --decode-tokens written.
        #[arg(long)]
        generate: bool,
        /// With --generate, the prompt's length in tokens.
        #[arg(long, default_value_t = 1500, requires = "generate")]
        prompt_tokens: usize,
        /// With --generate, the tokens written per round.
        #[arg(long, default_value_t = 128, requires = "generate")]
        decode_tokens: usize,
    },
    /// Serve the HTTP API (see README, "Running the service").
    Serve(footnote::server::ServeArgs),
    /// Copy a whole document store into a new, empty one: SQLite into PostgreSQL, or back.
    /// Ids, paragraph numbers, sentences and vectors are kept, so citations still resolve; the
    /// copy is read back and compared before this reports success.
    Migrate {
        /// The store to copy: sqlite:PATH or postgres://...
        #[arg(long)]
        from: footnote::store::StoreUrl,
        /// The new store: sqlite:PATH or postgres://... (a database that never held documents).
        #[arg(long)]
        to: footnote::store::StoreUrl,
    },
    /// Measure quality on public evaluation sets (see ../shared/eval/README.md).
    Eval {
        #[command(subcommand)]
        set: EvalSet,
        /// Print JSON instead of a table.
        #[arg(long, global = true)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EvalSet {
    /// STS-B: Spearman correlation of cosine similarity with human scores.
    Sts {
        /// stsb.jsonl
        file: PathBuf,
        #[arg(long, default_value = "test")]
        split: String,
        /// Use an even spread of this many pairs.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// SQuAD 2.0: answer-hit, citation accuracy, abstention, grounding.
    Qa {
        /// squad2-dev-sample.jsonl
        file: PathBuf,
        /// Ask an even spread of this many questions.
        #[arg(long)]
        limit: Option<usize>,
        /// Write each question's outcome as JSONL here.
        #[arg(long)]
        details: Option<PathBuf>,
        /// Write the support model's training data (features of shortlisted sentences) here.
        #[arg(long)]
        features_out: Option<PathBuf>,
        /// `exact` ranks every sentence (what `ask` does); `candidates:K` answers from the
        /// documents the PostgreSQL design's retrieval would fetch (top K sentences by vector,
        /// K/2 paragraphs, K by keyword; `candidates` alone is K=100), emulated in memory.
        #[arg(long, default_value = "exact")]
        retrieval: footnote::eval::Retrieval,
        /// Also index these articles (news-summaries.jsonl's form) as distractors.
        #[arg(long)]
        distractors: Option<PathBuf>,
    },
    /// News summaries: ROUGE of 3-sentence summaries, footnote and lead-3, per set.
    Summaries {
        /// news-summaries.jsonl
        file: PathBuf,
        /// Use an even spread of this many articles per set.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Multi-document summaries (multidoc-summaries.jsonl): one 250-word summary per cluster,
    /// footnote's and a lead baseline's, ROUGE, redundancy and grounding, per half of the clusters.
    Multidoc {
        /// multidoc-summaries.jsonl
        file: PathBuf,
        /// Which half of the clusters (split by a hash of their id): choose thresholds on `fit`,
        /// report `report`; `all` reports fit, report and all clusters.
        #[arg(long, value_enum, default_value = "all")]
        split: footnote::eval::Split,
        /// Use an even spread of this many clusters of the split.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Claim verification (claims.jsonl): each row's evidence is a one-document corpus and the
    /// claim cites its ¶1; precision and recall of `supported`, balanced accuracy, per subset.
    Claims {
        /// claims.jsonl
        file: PathBuf,
        /// Which half of the rows (split by a hash of their group): choose thresholds on `fit`,
        /// report `report`.
        #[arg(long, value_enum, default_value = "report")]
        split: footnote::eval::Split,
        /// Write each claim's verdict and reasons as JSONL here.
        #[arg(long)]
        details: Option<PathBuf>,
    },
    /// STS-B, QA, summaries and multi-document summaries from one folder; with --check, fail on
    /// a grounding or STS parity problem.
    All {
        /// Folder holding stsb.jsonl, squad2-dev-sample.jsonl, news-summaries.jsonl and
        /// multidoc-summaries.jsonl (skipped, with a note, when absent).
        #[arg(long, default_value = "../shared/eval")]
        dir: PathBuf,
        /// A fast slice: 50 questions, 5 articles per summary set and 12 clusters (STS stays
        /// whole).
        #[arg(long)]
        quick: bool,
        /// Exit non-zero unless grounding is 100% and STS-B is within 0.001 of sentence-transformers.
        #[arg(long)]
        check: bool,
    },
}

/// Runs the command; the exit status says whether every input was usable.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = cli.engine.settings();
    match cli.command {
        Command::Ask {
            question,
            corpus,
            max_sentences,
            json,
            generate,
        } => {
            let writer = generate
                .options()
                .map(|options| (cli.engine.writer_settings(), options));
            ask::run(&settings, &question, &corpus, max_sentences, json, writer)
        }
        Command::Summarize {
            paths,
            sentences,
            words,
            per_document,
            json,
            generate,
        } => {
            let length = Length::from_options(sentences, words)?;
            let writer = generate
                .options()
                .map(|options| (cli.engine.writer_settings(), options));
            summarize::run(&settings, &paths, length, per_document, json, writer)
        }
        Command::Verify {
            files,
            corpus,
            json,
        } => verify::run(&settings, &files, &corpus, json),
        Command::Embed { input } => embed::run(&settings, input.as_deref()),
        Command::Serve(args) => {
            let writer = cli
                .engine
                .llm
                .is_some()
                .then(|| cli.engine.writer_settings());
            footnote::server::serve(settings, writer, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { set, json } => eval::run(&settings, set, json),
        Command::Migrate { from, to } => migrate::run(&from, &to),
        Command::Bench {
            devices,
            batch_sizes,
            corpus,
            rounds,
            sentences_out,
            json,
            generate,
            prompt_tokens,
            decode_tokens,
        } => {
            // `footnote --device cuda:0 bench` means the GPU, not the default list.
            let devices = if devices.is_empty() {
                vec![settings.device.clone()]
            } else {
                devices
            };
            if generate {
                let lengths = bench::Lengths {
                    prompt_tokens,
                    decode_tokens,
                    rounds,
                };
                return bench::run_generation(
                    &cli.engine.writer_settings(),
                    &devices,
                    lengths,
                    json,
                );
            }
            bench::run(
                &settings,
                &devices,
                &batch_sizes,
                &corpus,
                rounds,
                sentences_out.as_deref(),
                json,
            )
        }
        Command::FetchModel => {
            let engine = Engine::load(&settings)?;
            println!(
                "model {} ready ({} dimensions, max {} tokens)",
                engine.embedder.model_name(),
                engine.embedder.dim(),
                engine.embedder.max_seq_len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
