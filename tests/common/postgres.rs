//! A fresh PostgreSQL database per test, on the cluster `FOOTNOTE_TEST_POSTGRES` names (a URL;
//! `.ci/run` starts a throwaway cluster with `scripts/postgres.sh start` and sets it). Without it
//! the PostgreSQL tests say so and skip; with `CI` set they fail instead, since a skip in CI
//! would hide a broken store.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The URL of a new, empty database, or `None` (with a line saying so) where there is no
/// cluster to test against.
pub async fn fresh_database(test: &str) -> Option<String> {
    let Ok(admin) = std::env::var("FOOTNOTE_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: FOOTNOTE_TEST_POSTGRES is not set, and CI runs the PostgreSQL tests"
        );
        eprintln!(
            "{test}: skipped, FOOTNOTE_TEST_POSTGRES is not set (`scripts/postgres.sh start` \
             prints a URL for it)"
        );
        return None;
    };
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{test}: FOOTNOTE_TEST_POSTGRES={admin}: {e}"));
    tokio::spawn(connection);
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        test.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(30)
            .collect::<String>()
            .to_lowercase()
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("{test}: creating database {name}: {e}"));
    Some(with_database(&admin, &name))
}

/// `url` pointing at database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out = format!("{out}?{query}");
    }
    out
}
