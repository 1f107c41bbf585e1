//! Faults of the disk under the store, at start and during writes, against the real
//! `footnote serve`: a damaged or foreign store file, a read-only data directory, a full disk.
//! Each gives a clear error (a one-line start-up failure, or a JSON 507 for a write) and leaves
//! the file as it was. The read-only and full disks are small tmpfs mounts; where this process may
//! not mount one, those tests say so and skip; with `FOOTNOTE_REQUIRE_TMPFS` set (`.ci/run` sets
//! it where a tmpfs can be mounted) a skip is a failure instead.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{Server, CALL_QUESTION};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Only so that a service that never exits fails the test instead of hanging it.
const EXIT_LIMIT: Duration = Duration::from_secs(300);

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None`, with a line saying so, where this process may not mount (a panic instead where
    /// `FOOTNOTE_REQUIRE_TMPFS` says it can).
    fn mount(size: &str, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let why = match out {
            Ok(out) if out.status.success() => return Some(Tmpfs { dir }),
            Ok(out) => format!(
                "a tmpfs cannot be mounted here ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => format!("no `mount` here ({e})"),
        };
        assert!(
            std::env::var_os("FOOTNOTE_REQUIRE_TMPFS").is_none(),
            "{test}: {why}, but FOOTNOTE_REQUIRE_TMPFS says this machine can mount one"
        );
        eprintln!("{test}: skipped, {why}");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Fills the filesystem with one file until it is full; returns the file.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        // The last partial block, byte by byte, so that no free block is left.
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

fn digest(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// Runs `footnote serve` on `data`, which must fail at start; returns its stderr.
fn serve_must_fail(data: &Path) -> String {
    let settings = common::settings();
    let mut child = Command::new(env!("CARGO_BIN_EXE_footnote"))
        .current_dir(common::repo_path(""))
        .env("FOOTNOTE_MODELS_DIR", &settings.models_dir)
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > EXIT_LIMIT {
            let _ = child.kill();
            panic!("footnote serve did not exit on a store it cannot use");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "it started: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The one error line of a failed start.
fn error_line(stderr: &str) -> &str {
    stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"))
}

/// A seeded store in `data`, made by a real service that is then stopped.
async fn seeded_store(data: &Path) -> Vec<Value> {
    let mut server = Server::start(data, &[]).await;
    let (_, listing) = server.get("/v1/documents").await;
    assert!(server.terminate().success());
    listing["documents"].as_array().unwrap().clone()
}

/// A store file whose second half is gone: the start fails, naming the damage, and the file is
/// not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_file_stops_the_start_and_is_left_as_it_was() {
    let data = tempfile::tempdir().unwrap();
    seeded_store(data.path()).await;
    let file = data.path().join("footnote.sqlite3");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let before = digest(&file);
    let stderr = serve_must_fail(data.path());
    let line = error_line(&stderr);
    assert!(line.contains("damaged or not an SQLite database"), "{line}");
    assert_eq!(digest(&file), before, "the damaged file was changed");
}

/// Another program's SQLite file where the store would be: refused, and left byte for byte.
#[test]
fn another_programs_database_stops_the_start_and_is_left_as_it_was() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("footnote.sqlite3");
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);")
        .unwrap();
    drop(conn);
    let before = digest(&file);
    let line = error_line(&serve_must_fail(data.path())).to_string();
    assert!(
        line.contains("not footnote's store (its tables: invoices)"),
        "{line}"
    );
    assert_eq!(digest(&file), before);
}

/// A data directory on a read-only filesystem: the start fails saying the store cannot be
/// written there, and the store is left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_data_directory_stops_the_start_and_keeps_the_store() {
    let Some(disk) = Tmpfs::mount("16m", "a_read_only_data_directory") else {
        return;
    };
    seeded_store(disk.path()).await;
    let file = disk.path().join("footnote.sqlite3");
    let before = digest(&file);
    disk.remount_read_only();
    let line = error_line(&serve_must_fail(disk.path())).to_string();
    assert!(line.contains("cannot be written here"), "{line}");
    assert!(line.contains("Read-only file system"), "{line}");
    assert_eq!(digest(&file), before);
}

/// A full disk under a store that was never seeded: the start fails saying the disk is full.
#[test]
fn a_full_disk_at_first_start_is_a_clear_error() {
    let Some(disk) = Tmpfs::mount("1m", "a_full_disk_at_first_start") else {
        return;
    };
    disk.fill();
    let line = error_line(&serve_must_fail(disk.path())).to_string();
    assert!(line.contains("the disk is full"), "{line}");
}

/// A write that runs out of disk half-way is refused with a JSON 507 and leaves the store as it
/// was (the transaction is rolled back whole); the service goes on answering, takes the same
/// write once there is room, and a restart finds exactly what was acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_a_full_disk_gets_507_and_the_store_stays_as_it_was() {
    let Some(disk) = Tmpfs::mount("4m", "a_write_on_a_full_disk") else {
        return;
    };
    let mut server = Server::start(disk.path(), &[]).await;
    let (_, before) = server.get("/v1/documents").await;
    let (_, answer_before) = server
        .post("/v1/ask", &json!({ "question": CALL_QUESTION }))
        .await;
    // Larger than what the seeds left in the write-ahead log, so it needs new disk blocks.
    let text: Vec<String> = (0..400)
        .map(|i| {
            format!(
                "Paragraph {i}: the ferry to Testville island ran {i} times this week, the \
                 harbour master said on Friday."
            )
        })
        .collect();
    let big = json!({ "id": "big", "text": text.join("\n\n") });
    let filler = disk.fill();

    let (status, body) = server.post("/v1/documents", &big).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_eq!(body["error"]["code"], "storage_full", "{body}");
    let (_, after) = server.get("/v1/documents").await;
    assert_eq!(after, before, "a failed write changed the listing");
    let (status, _) = server.get("/v1/documents/big").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = server
        .post("/v1/ask", &json!({ "question": CALL_QUESTION }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["answer"], answer_before["answer"]);

    std::fs::remove_file(filler).unwrap();
    let (status, body) = server.post("/v1/documents", &big).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(server.terminate().success());

    let server = Server::start(disk.path(), &[]).await;
    let (_, restarted) = server.get("/v1/documents").await;
    let ids = |listing: &Value| -> Vec<String> {
        listing["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut expected = ids(&before);
    expected.push("big".into());
    assert_eq!(ids(&restarted), expected);
    let (status, paragraph) = server.get("/v1/documents/big/paragraphs/400").await;
    assert_eq!(status, StatusCode::OK);
    assert!(paragraph["text"]
        .as_str()
        .unwrap()
        .starts_with("Paragraph 399:"));
}
