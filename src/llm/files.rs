//! Finding the writing model's files: a local directory, or a hub id fetched on first use.
//!
//! A local directory holds exactly one `.gguf` file and `tokenizer.json`, and may hold
//! `tokenizer_config.json` (whose `chat_template` then wins over the GGUF's own). A hub id names
//! a GGUF repository, `org/name-GGUF`, optionally with the file to take after a colon
//! (`Qwen/Qwen3-0.6B-GGUF:Qwen3-0.6B-Q8_0.gguf`); the tokenizer files come from the base
//! repository, the same id without `-GGUF`, because GGUF repositories rarely carry them. Fetched
//! files go to `<models_dir>/<org>--<name>` (as for the embedder, [`crate::model`]), published
//! in one step so that a crash never leaves half a model.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{copy_into, is_hub_id, local_name, publish, staging_dir};

/// The writing model used unless told otherwise: Qwen3-0.6B, 8-bit.
pub const DEFAULT_LLM: &str = "Qwen/Qwen3-0.6B-GGUF:Qwen3-0.6B-Q8_0.gguf";

/// When a GGUF repository is named without a file, the first of these quantizations it has.
const PREFERRED_QUANTIZATIONS: [&str; 3] = ["Q8_0", "Q4_K_M", "Q4_0"];

/// The files of one writing model, all present.
#[derive(Debug, Clone)]
pub struct LlmFiles {
    /// The hub id asked for, or a local model's file name: used in messages and responses.
    pub name: String,
    pub gguf: PathBuf,
    pub tokenizer: PathBuf,
    /// `tokenizer_config.json`, when present: its `chat_template` and `eos_token` are used.
    pub tokenizer_config: Option<PathBuf>,
}

/// Finds the model's files: in the directory `spec`, or for a hub id in the models dir, fetching
/// them when they are missing.
pub fn resolve(spec: &str, models_dir: &Path) -> Result<LlmFiles> {
    let as_path = Path::new(spec);
    if as_path.is_dir() {
        // Named by its file, not its path: the name is shown to clients (`/readyz`, responses),
        // and a path says more about the server than they need.
        let mut files = files_in(spec, as_path)?;
        if let Some(file) = files.gguf.file_name().and_then(|n| n.to_str()) {
            files.name = file.to_string();
        }
        return Ok(files);
    }
    let (repo, file) = match spec.split_once(':') {
        Some((repo, file)) => (repo, Some(file)),
        None => (spec, None),
    };
    if !is_hub_id(repo) || file.is_some_and(|f| !f.ends_with(".gguf") || f.contains('/')) {
        return Err(llm_error(
            spec,
            "no such directory, and not a hub id of the form `org/name-GGUF[:file.gguf]`",
        ));
    }
    let dir = models_dir.join(local_name(repo));
    if let Ok(files) = files_in(spec, &dir) {
        let named = files.gguf.file_name().and_then(|n| n.to_str());
        return match file {
            Some(wanted) if named != Some(wanted) => Err(llm_error(
                spec,
                format!(
                    "{} holds {}, not {wanted}: remove that folder to fetch {wanted}, or pass \
                     --llm <directory>",
                    dir.display(),
                    named.unwrap_or("another file")
                ),
            )),
            _ => Ok(files),
        };
    }
    fetch(spec, repo, file, &dir)?;
    files_in(spec, &dir)
}

/// The files of a local model directory.
fn files_in(spec: &str, dir: &Path) -> Result<LlmFiles> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut ggufs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gguf") && p.is_file())
        .collect();
    ggufs.sort();
    let gguf = match ggufs.len() {
        1 => ggufs.remove(0),
        0 => {
            return Err(llm_error(
                spec,
                format!("{} holds no .gguf file", dir.display()),
            ))
        }
        n => {
            return Err(llm_error(
                spec,
                format!(
                    "{} holds {n} .gguf files; keep one model per directory",
                    dir.display()
                ),
            ))
        }
    };
    let tokenizer = dir.join("tokenizer.json");
    if !tokenizer.is_file() {
        return Err(llm_error(
            spec,
            format!(
                "{} lacks tokenizer.json (take it from the base model's repository)",
                dir.display()
            ),
        ));
    }
    let config = dir.join("tokenizer_config.json");
    Ok(LlmFiles {
        name: spec.to_string(),
        gguf,
        tokenizer,
        tokenizer_config: config.is_file().then_some(config),
    })
}

/// Fetches the GGUF file and the base model's tokenizer files into `dest`.
fn fetch(spec: &str, repo: &str, file: Option<&str>, dest: &Path) -> Result<()> {
    let base = base_repo(repo);
    tracing::info!(model = spec, dest = %dest.display(), "writing model not found locally, fetching");
    fetch_from_hub(repo, file, &base, dest).map_err(|reason| {
        let file = file.unwrap_or("a .gguf file (Q8_0 is the default)");
        llm_error(
            spec,
            format!(
                "could not fetch it from the model hub ({reason}). On a machine with internet, \
                 download {file} from https://huggingface.co/{repo} and tokenizer.json and \
                 tokenizer_config.json from https://huggingface.co/{base}, put the three files \
                 in {}, and run again (or pass --llm <that directory>)",
                dest.display()
            ),
        )
    })
}

fn fetch_from_hub(
    repo: &str,
    file: Option<&str>,
    base: &str,
    dest: &Path,
) -> std::result::Result<(), String> {
    if std::env::var_os("HF_HUB_OFFLINE").is_some_and(|v| v != "0") {
        return Err("HF_HUB_OFFLINE is set".into());
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(true)
        .build()
        .map_err(|e| e.to_string())?;
    let gguf_repo = api.model(repo.to_string());
    let file = match file {
        Some(f) => f.to_string(),
        None => {
            let listing = gguf_repo.info().map_err(|e| e.to_string())?;
            let names: Vec<String> = listing.siblings.into_iter().map(|s| s.rfilename).collect();
            choose_gguf(&names).ok_or_else(|| format!("{repo} has no single-file .gguf model"))?
        }
    };
    let staging = staging_dir(dest)?;
    let gguf = gguf_repo.get(&file).map_err(|e| e.to_string())?;
    copy_into(&gguf, &staging.path().join(&file))?;
    let base_repo = api.model(base.to_string());
    let tokenizer = base_repo
        .get("tokenizer.json")
        .map_err(|e| format!("tokenizer.json from {base}: {e}"))?;
    copy_into(&tokenizer, &staging.path().join("tokenizer.json"))?;
    // Optional: without it the GGUF's own chat template is used.
    if let Ok(config) = base_repo.get("tokenizer_config.json") {
        copy_into(&config, &staging.path().join("tokenizer_config.json"))?;
    }
    publish(staging, dest)
}

/// The repository holding the tokenizer: `Qwen/Qwen3-0.6B-GGUF` gives `Qwen/Qwen3-0.6B`.
fn base_repo(repo: &str) -> String {
    let lower = repo.to_ascii_lowercase();
    match lower.strip_suffix("-gguf") {
        Some(stem) => repo[..stem.len()].to_string(),
        None => repo.to_string(),
    }
}

/// The file to take from a GGUF repository's listing: the preferred quantization, else the only
/// single-file model. Split models (`-00001-of-00002.gguf`) are not read.
fn choose_gguf(names: &[String]) -> Option<String> {
    let single: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".gguf") && !n.contains("-of-") && !n.contains('/'))
        .collect();
    PREFERRED_QUANTIZATIONS
        .iter()
        .find_map(|q| single.iter().find(|n| n.contains(q)))
        .or(if single.len() == 1 {
            single.first()
        } else {
            None
        })
        .map(|n| n.to_string())
}

fn llm_error(model: &str, message: impl Into<String>) -> Error {
    Error::Model {
        model: model.to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokenizer_comes_from_the_base_repository() {
        assert_eq!(base_repo("Qwen/Qwen3-0.6B-GGUF"), "Qwen/Qwen3-0.6B");
        assert_eq!(base_repo("org/Model-gguf"), "org/Model");
        assert_eq!(base_repo("org/model"), "org/model");
    }

    #[test]
    fn a_listing_gives_the_preferred_single_file() {
        let names: Vec<String> = [
            "README.md",
            "m-Q4_K_M.gguf",
            "m-Q8_0.gguf",
            "big-Q8_0-00001-of-00002.gguf",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(choose_gguf(&names).as_deref(), Some("m-Q8_0.gguf"));
        let other = vec!["m-F16.gguf".to_string()];
        assert_eq!(choose_gguf(&other).as_deref(), Some("m-F16.gguf"));
        let two = vec!["a-F16.gguf".to_string(), "a-BF16.gguf".to_string()];
        assert_eq!(choose_gguf(&two), None);
    }

    #[test]
    fn a_directory_needs_one_gguf_and_a_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().to_str().unwrap();
        let err = resolve(spec, dir.path()).unwrap_err().to_string();
        assert!(err.contains("no .gguf file"), "{err}");
        fs::write(dir.path().join("a.gguf"), b"x").unwrap();
        let err = resolve(spec, dir.path()).unwrap_err().to_string();
        assert!(err.contains("lacks tokenizer.json"), "{err}");
        fs::write(dir.path().join("b.gguf"), b"x").unwrap();
        let err = resolve(spec, dir.path()).unwrap_err().to_string();
        assert!(err.contains("2 .gguf files"), "{err}");
    }
}
