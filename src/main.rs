//! The `footnote` command line: ask, summarize, embed, fetch the model.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use footnote::answer::{check_question, AskOptions, MAX_ANSWER_SENTENCES};
use footnote::document::{self, Document};
use footnote::summarize::{self, Length, Summary};
use footnote::{Engine, EngineSettings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Grounded, cited answers and summaries over news articles.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    engine: EngineArgs,
    #[command(subcommand)]
    command: Command,
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
    },
    /// Summarize articles with cited sentences. A JSONL input gives JSONL output, one summary per
    /// record, for batch jobs.
    Summarize {
        /// .txt files, .jsonl files ({"id","text"} per line) or directories.
        #[arg(default_value = "seeds")]
        paths: Vec<PathBuf>,
        /// Number of sentences [default: 5].
        #[arg(long, conflicts_with = "words")]
        sentences: Option<usize>,
        /// Word budget instead of a sentence count.
        #[arg(long)]
        words: Option<usize>,
        /// One summary per document instead of one across all (always so, as JSON lines, when
        /// any input is a .jsonl batch).
        #[arg(long)]
        per_document: bool,
        /// Print JSON (JSON lines for a .jsonl batch, with or without this flag).
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
    },
    /// Serve the HTTP API (see README, "Running the service").
    Serve(footnote::server::ServeArgs),
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
    },
    /// News summaries: ROUGE of 3-sentence summaries, footnote and lead-3, per set.
    Summaries {
        /// news-summaries.jsonl
        file: PathBuf,
        /// Use an even spread of this many articles per set.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// All three sets from one folder; with --check, fail on a grounding or STS parity problem.
    All {
        /// Folder holding stsb.jsonl, squad2-dev-sample.jsonl and news-summaries.jsonl.
        #[arg(long, default_value = "../shared/eval")]
        dir: PathBuf,
        /// A fast slice: 50 questions and 5 articles per summary set (STS stays whole).
        #[arg(long)]
        quick: bool,
        /// Exit non-zero unless grounding is 100% and STS-B is within 0.001 of sentence-transformers.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        end_quietly_on_closed_stdout();
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "footnote=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // A service's log needs times; a command's does not.
    if matches!(cli.command, Command::Serve(_)) {
        logs.init();
    } else {
        logs.without_time().init();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = cli.engine.settings();
    match cli.command {
        Command::Ask {
            question,
            corpus,
            max_sentences,
            json,
        } => ask(&settings, &question, &corpus, max_sentences, json),
        Command::Summarize {
            paths,
            sentences,
            words,
            per_document,
            json,
        } => {
            let length = match (sentences, words) {
                (_, Some(w)) => Length::Words(w),
                (Some(s), None) => Length::Sentences(s),
                (None, None) => Length::Sentences(5),
            };
            if matches!(length, Length::Sentences(0) | Length::Words(0)) {
                bail!("the summary length must be at least 1");
            }
            summarize(&settings, &paths, length, per_document, json)
        }
        Command::Embed { input } => embed(&settings, input.as_deref()),
        Command::Serve(args) => {
            footnote::server::serve(settings, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { set, json } => eval(&settings, set, json),
        Command::Bench {
            devices,
            batch_sizes,
            corpus,
            rounds,
            sentences_out,
            json,
        } => bench(
            &settings,
            // `footnote --device cuda:0 bench` means the GPU, not the default list.
            &if devices.is_empty() {
                vec![settings.device.clone()]
            } else {
                devices
            },
            &batch_sizes,
            &corpus,
            rounds,
            sentences_out.as_deref(),
            json,
        ),
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

/// Loads documents; reports skipped records on stderr. Returns whether any were skipped.
fn load_documents(paths: &[PathBuf]) -> anyhow::Result<(Vec<Document>, bool)> {
    let loaded = document::load_paths(paths)?;
    for problem in &loaded.problems {
        eprintln!("error: {problem} (skipped)");
    }
    if loaded.documents.is_empty() {
        bail!("no readable documents in {}", display_paths(paths));
    }
    Ok((loaded.documents, !loaded.problems.is_empty()))
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn exit_code(had_problems: bool) -> ExitCode {
    if had_problems {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn ask(
    settings: &EngineSettings,
    question: &str,
    corpus: &[PathBuf],
    max_sentences: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let options = AskOptions {
        max_sentences,
        documents: None,
    };
    // Refuse a bad question or option before the model is loaded and the corpus embedded.
    check_question(question, &options)?;
    let (documents, had_problems) = load_documents(corpus)?;
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    let answer = engine.ask(&index, question, &options)?;
    if json {
        print_json(&answer)?;
    } else {
        println!("{}", answer.answer);
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
    }
    Ok(exit_code(had_problems))
}

fn summarize(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
    per_document: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if paths.iter().any(|p| document::is_jsonl(p)) {
        return summarize_batch(settings, paths, length);
    }
    let (documents, had_problems) = load_documents(paths)?;
    let engine = Engine::load(settings)?;
    let index = engine.index(documents)?;
    let groups: Vec<Vec<usize>> = if per_document {
        (0..index.documents.len()).map(|d| vec![d]).collect()
    } else {
        vec![Vec::new()]
    };
    for group in groups {
        let summary = summarize::summarize(&index, &group, length)?;
        if json {
            print_json(&summary)?;
        } else {
            print_summary(&summary);
        }
    }
    Ok(exit_code(had_problems))
}

fn print_summary(summary: &Summary) {
    println!("Summary of {}:", summary.documents.join(", "));
    for s in &summary.sentences {
        let cites: String = s.citations.iter().map(|c| c.to_string()).collect();
        print!("- {} {cites}", s.text);
        if !s.corroborated_by.is_empty() {
            let also: Vec<String> = s.corroborated_by.iter().map(|c| c.to_string()).collect();
            print!(" (also {})", also.join(" "));
        }
        println!();
    }
    println!();
}

/// Summarizes each record of JSONL inputs on its own: one JSON line out per record.
fn summarize_batch(
    settings: &EngineSettings,
    paths: &[PathBuf],
    length: Length,
) -> anyhow::Result<ExitCode> {
    let (documents, had_problems) = load_documents(paths)?;
    let engine = Engine::load(settings)?;
    let progress = ProgressBar::new(documents.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} documents, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut failures = 0usize;
    let stdout = std::io::stdout();
    for doc in documents {
        let id = doc.id.clone();
        let result = engine
            .index(vec![doc])
            .and_then(|index| summarize::summarize(&index, &[], length));
        match result {
            Ok(summary) => {
                #[derive(Serialize)]
                struct Line<'a> {
                    id: &'a str,
                    #[serde(flatten)]
                    summary: &'a Summary,
                }
                let line = serde_json::to_string(&Line {
                    id: &id,
                    summary: &summary,
                })?;
                progress.suspend(|| writeln!(stdout.lock(), "{line}"))?;
            }
            Err(e) => {
                failures += 1;
                progress.suspend(|| eprintln!("error: document {id}: {e}"));
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(exit_code(had_problems || failures > 0))
}

fn embed(settings: &EngineSettings, input: Option<&Path>) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = match input {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| path.display().to_string())?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut texts = Vec::new();
    let mut had_problems = false;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => anyhow::anyhow!("line {}: not UTF-8 text", n + 1),
            _ => anyhow::anyhow!("cannot read input: {e}"),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with('{') {
            #[derive(serde::Deserialize)]
            struct TextRecord {
                text: String,
            }
            match serde_json::from_str::<TextRecord>(&line) {
                Ok(record) => texts.push(record.text),
                Err(e) => {
                    eprintln!("error: line {}: malformed record: {e} (skipped)", n + 1);
                    had_problems = true;
                }
            }
        } else {
            texts.push(line);
        }
    }
    let engine = Engine::load(settings)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = engine.embedder.embed(&refs)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (text, embedding) in texts.iter().zip(vectors) {
        #[derive(Serialize)]
        struct Embedded<'a> {
            text: &'a str,
            embedding: Vec<f32>,
        }
        serde_json::to_writer(&mut out, &Embedded { text, embedding })?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(exit_code(had_problems))
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// STS-B test Spearman of sentence-transformers with all-MiniLM-L6-v2 (../shared/eval/README.md).
const STS_REFERENCE: f64 = 0.8203;
const STS_TOLERANCE: f64 = 0.001;

fn eval(settings: &EngineSettings, set: EvalSet, json: bool) -> anyhow::Result<ExitCode> {
    use footnote::eval;
    let engine = Engine::load(settings)?;
    let mut report = serde_json::Map::new();
    let mut ok = true;
    match set {
        EvalSet::Sts { file, split, limit } => {
            let sts = eval::sts(&engine, &file, &split, limit)?;
            report.insert("sts".into(), serde_json::to_value(&sts)?);
        }
        EvalSet::Qa {
            file,
            limit,
            details,
            features_out,
        } => {
            if let Some(out) = features_out {
                let rows = eval::qa_features(&engine, &file)?;
                write_jsonl(&out, &rows)?;
            }
            let (qa, outcomes) = eval::qa(&engine, &file, limit)?;
            if let Some(out) = details {
                write_jsonl(&out, &outcomes)?;
            }
            ok &= qa.grounding.is_perfect();
            report.insert("qa".into(), serde_json::to_value(&qa)?);
        }
        EvalSet::Summaries { file, limit } => {
            let sums = eval::summaries(&engine, &file, limit)?;
            ok &= sums.iter().all(|s| s.grounding.is_perfect());
            report.insert("summaries".into(), serde_json::to_value(&sums)?);
        }
        EvalSet::All { dir, quick, check } => {
            let sts = eval::sts(&engine, &dir.join("stsb.jsonl"), "test", None)?;
            let (qa, _) = eval::qa(
                &engine,
                &dir.join("squad2-dev-sample.jsonl"),
                quick.then_some(50),
            )?;
            let sums = eval::summaries(
                &engine,
                &dir.join("news-summaries.jsonl"),
                quick.then_some(5),
            )?;
            let grounded =
                qa.grounding.is_perfect() && sums.iter().all(|s| s.grounding.is_perfect());
            let sts_ok = (sts.spearman - STS_REFERENCE).abs() <= STS_TOLERANCE;
            if check {
                if !grounded {
                    eprintln!("error: grounding audit below 100%");
                }
                if !sts_ok && settings.model == footnote::model::DEFAULT_MODEL {
                    eprintln!(
                        "error: STS-B Spearman {:.4} differs from sentence-transformers' {STS_REFERENCE} by more than {STS_TOLERANCE}",
                        sts.spearman
                    );
                    ok = false;
                }
                ok &= grounded;
            }
            report.insert("sts".into(), serde_json::to_value(&sts)?);
            report.insert("qa".into(), serde_json::to_value(&qa)?);
            report.insert("summaries".into(), serde_json::to_value(&sums)?);
        }
    }
    if json {
        print_json(&report)?;
    } else {
        print_eval_tables(&report);
    }
    Ok(exit_code(!ok))
}

fn print_eval_tables(report: &serde_json::Map<String, serde_json::Value>) {
    let pct = |v: &serde_json::Value| format!("{:.3}", v.as_f64().unwrap_or(f64::NAN));
    let audit = |g: &serde_json::Value| {
        let share = |a: &str, b: &str| {
            let (x, y) = (g[a].as_f64().unwrap_or(0.0), g[b].as_f64().unwrap_or(0.0));
            if y == 0.0 {
                100.0
            } else {
                100.0 * x / y
            }
        };
        format!(
            "{:.1}% of {} sentences verbatim in a cited paragraph, {:.1}% of {} citations exist",
            share("verbatim", "sentences"),
            g["sentences"],
            share("existing", "citations"),
            g["citations"]
        )
    };
    if let Some(sts) = report.get("sts") {
        println!(
            "STS-B ({} split, {} pairs)",
            sts["split"].as_str().unwrap_or(""),
            sts["pairs"]
        );
        println!(
            "  Spearman                 {:.4}   [sentence-transformers {STS_REFERENCE}]\n",
            sts["spearman"].as_f64().unwrap_or(f64::NAN)
        );
    }
    if let Some(qa) = report.get("qa") {
        println!(
            "QA, SQuAD 2.0 sample ({} questions: {} answerable, {} unanswerable)",
            qa["questions"], qa["answerable"], qa["unanswerable"]
        );
        println!(
            "  answer-hit               {}   [peers on squad2-dev-sample: dense top-1 0.655, BM25 0.618]",
            pct(&qa["answer_hit"])
        );
        println!(
            "  answer-hit, 1st sentence {}",
            pct(&qa["first_sentence_hit"])
        );
        println!(
            "  citation accuracy        {}",
            pct(&qa["citation_accuracy"])
        );
        println!(
            "  abstention precision     {}",
            pct(&qa["abstention_precision"])
        );
        println!(
            "  abstention recall        {}",
            pct(&qa["abstention_recall"])
        );
        println!(
            "  answer/abstain accuracy  {}   [peers on squad2-dev-sample: best single threshold 0.583]",
            pct(&qa["decision_accuracy"])
        );
        println!("  grounding                {}\n", audit(&qa["grounding"]));
    }
    if let Some(serde_json::Value::Array(sets)) = report.get("summaries") {
        println!("Summaries, ROUGE F1 of 3-sentence summaries (R-1 / R-2 / R-Lsum)");
        for s in sets {
            let r = |sys: &str| {
                format!(
                    "{:.1} / {:.1} / {:.1}",
                    s[sys]["rouge1"].as_f64().unwrap_or(f64::NAN),
                    s[sys]["rouge2"].as_f64().unwrap_or(f64::NAN),
                    s[sys]["rouge_lsum"].as_f64().unwrap_or(f64::NAN)
                )
            };
            println!(
                "  {:<5} ({:>3} articles)  footnote {}   lead-3 {}",
                s["set"].as_str().unwrap_or(""),
                s["articles"],
                r("footnote"),
                r("lead3")
            );
            println!("  grounding                {}", audit(&s["grounding"]));
        }
    }
}

fn write_jsonl(path: &Path, rows: &[impl Serialize]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| path.display().to_string())?,
    );
    for row in rows {
        serde_json::to_writer(&mut out, row)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

fn bench(
    settings: &EngineSettings,
    devices: &[String],
    batch_sizes: &[usize],
    corpus: &[PathBuf],
    rounds: usize,
    sentences_out: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if batch_sizes.contains(&0) {
        bail!("batch sizes must be at least 1");
    }
    let (documents, _) = load_documents(corpus)?;
    let texts: Vec<&str> = documents
        .iter()
        .flat_map(|d| {
            d.content()
                .flat_map(|p| p.sentences.iter().map(String::as_str))
        })
        .collect();
    if texts.is_empty() {
        bail!("no sentences to time in {}", display_paths(corpus));
    }
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if let Some(path) = sentences_out {
        // One sentence per line: a sentence never holds a newline worth keeping for timing.
        let lines: Vec<String> = texts.iter().map(|t| t.replace('\n', " ")).collect();
        std::fs::write(path, lines.join("\n") + "\n")
            .with_context(|| path.display().to_string())?;
    }
    let mut all = Vec::new();
    for device in devices {
        let started = std::time::Instant::now();
        let engine = Engine::load(&EngineSettings {
            device: device.clone(),
            ..settings.clone()
        })?;
        let results = footnote::bench::run(
            &engine.embedder,
            device,
            started.elapsed(),
            &texts,
            batch_sizes,
            rounds,
        )?;
        all.extend(results);
    }
    if json {
        for r in &all {
            println!("{}", serde_json::to_string(r)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(first) = all.first() {
        println!(
            "model {}, {} sentences ({} tokens), {} threads, {} timed rounds",
            first.model, first.sentences, first.tokens, first.threads, rounds
        );
    }
    println!(
        "{:<8} {:<14} {:>6} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "device",
        "encoder",
        "batch",
        "tokens/s",
        "sentences/s",
        "p50 ms",
        "p99 ms",
        "load ms",
        "peak MB"
    );
    for r in &all {
        println!(
            "{:<8} {:<14} {:>6} {:>12.0} {:>12.1} {:>9.2} {:>9.2} {:>9.0} {:>9.0}",
            r.device,
            r.encoder,
            r.batch_size,
            r.tokens_per_second,
            r.sentences_per_second,
            r.p50_ms,
            r.p99_ms,
            r.load_ms,
            r.peak_rss_mb
        );
    }
    if let [first, second, ..] = devices {
        for &b in batch_sizes {
            let speed = |d: &str| {
                all.iter()
                    .find(|r| r.device == d && r.batch_size == b)
                    .map(|r| r.tokens_per_second)
            };
            if let (Some(a), Some(c)) = (speed(first), speed(second)) {
                println!("batch {b}: {second} is {:.1}x {first}", c / a);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `footnote ... | head` closes stdout early. Rust ignores SIGPIPE, so the next `println!`
/// would panic on the broken pipe; restoring the default action ends the command quietly, as
/// other Unix tools do. (Not for `serve`, whose client connections must not end the process.)
fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
