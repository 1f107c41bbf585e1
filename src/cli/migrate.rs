//! `footnote migrate`: copy a whole document store into a new one (see `footnote::store::migrate`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use footnote::store::migrate::migrate;
use footnote::store::{AnyStore, StoreUrl};

pub fn run(from: &StoreUrl, to: &StoreUrl) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(from != to, "--from and --to name the same store");
    if let StoreUrl::Sqlite(path) = from {
        // Opening would create an empty store there and copy nothing.
        anyhow::ensure!(path.is_file(), "{from}: no store file there");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let started = Instant::now();
        let source = AnyStore::open(from)
            .await
            .with_context(|| format!("opening {from}"))?;
        let target = AnyStore::open(to)
            .await
            .with_context(|| format!("opening {to}"))?;
        let copied = migrate(&source, &target, |done, total| {
            eprintln!("copied {done}/{total} documents");
        })
        .await
        .with_context(|| format!("migrating {from} into {to}"))?;
        println!(
            "migrated {} documents ({} paragraphs, {} sentences) from {from} to {to} in {:.1} s",
            copied.documents,
            copied.paragraphs,
            copied.sentences,
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    })
}
