//! `footnote serve`: the engine behind an HTTP API (axum on tokio).
//!
//! This module holds the command's options, the router (the API, and the web page at `/`) with
//! its middleware (request log and metrics, timeout, panic guard, the body read under its size and
//! time limits, the API key for reads, CORS) and graceful shutdown. The service binds
//! its address first and answers `/healthz` at once; `/readyz` and the API answer 503 until the
//! model is loaded and the store is open (and, on first start, seeded), which can take a while
//! when a changed model makes it re-embed the store.
//!
//! - [`routes`]: handlers, request and response types, the OpenAPI description;
//! - [`error`]: the one mapping of errors to statuses and JSON bodies;
//! - [`corpus`]: the stored documents and the index over them, kept in step;
//! - [`listen`]: accepting connections under a cap and a header read timeout;
//! - `startup`: loading the model, refreshing stale vectors and seeding the store, after which
//!   the service is ready.

pub mod corpus;
pub mod error;
pub mod listen;
pub mod routes;
mod startup;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::store::StoreUrl;
use crate::worker::{self, Worker};
use crate::write_worker::{self, WriteWorker};
use crate::writer::WriterSettings;
use crate::EngineSettings;
use corpus::Corpus;
use error::ApiError;

/// Requests served (counter), by method, route and status.
const HTTP_REQUESTS: &str = "footnote_http_requests_total";
/// Request latency (histogram), by method, route and status.
const HTTP_SECONDS: &str = "footnote_http_request_duration_seconds";

/// Options of `footnote serve` (each also an environment variable).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the log says which).
    #[arg(long, env = "FOOTNOTE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory of the document store (created if missing): the SQLite file
    /// `footnote.sqlite3` in it, unless --store names a store.
    #[arg(long, env = "FOOTNOTE_DATA", default_value = "data")]
    pub data: PathBuf,
    /// The document store, as a URL: `sqlite:PATH` (an SQLite file, created if missing) or
    /// `postgres://user:password@host/database` (PostgreSQL with pgvector; several replicas may
    /// share one) [default: sqlite:DATA/footnote.sqlite3, DATA being --data].
    #[arg(long, env = "FOOTNOTE_STORE", conflicts_with = "data")]
    pub store: Option<StoreUrl>,
    /// On a PostgreSQL store, how many sentences each of a question's searches returns (by
    /// vector, and by text; half as many paragraphs by vector): the question is answered from
    /// their documents. A store of at most this many sentences is read whole, exactly as SQLite
    /// would answer.
    #[arg(long, env = "FOOTNOTE_CANDIDATES", default_value_t = 100,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub candidates: usize,
    /// On a PostgreSQL store, how many candidates pgvector's HNSW search keeps
    /// (`hnsw.ef_search`, at most 1000, never below --candidates): higher finds the true nearest
    /// sentences more often and costs more per question (at 1M sentences here, recall@10 0.86 at
    /// 200, 0.94 at 400, 0.96 at 600, 0.99 at 1000; BENCHMARKS.md) [default: 600].
    #[arg(long, env = "FOOTNOTE_EF_SEARCH",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub ef_search: Option<usize>,
    /// On a PostgreSQL store, how many MiB of documents a replica keeps between requests, read
    /// and indexed once for every later question that needs them (stored documents never
    /// change, so a larger cache costs memory, never freshness). A full cache takes somewhat
    /// more than this: its count covers each document's text, vectors and terms, not every
    /// allocation of its indexed form.
    #[arg(long, env = "FOOTNOTE_CACHE_MIB", default_value_t = 256,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1 << 20))]
    pub cache_mib: usize,
    /// Documents (.txt, .jsonl or directories) ingested on first start, when the store has never
    /// been seeded [default: seeds].
    #[arg(long, env = "FOOTNOTE_CORPUS", value_delimiter = ',')]
    pub corpus: Vec<PathBuf>,
    /// When set, POST and DELETE on /v1/documents need `Authorization: Bearer <key>`.
    #[arg(long, env = "FOOTNOTE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// With --api-key: every /v1 route and /metrics need the key too, not only writes
    /// (/healthz, /readyz, /openapi.json and the web page's files stay open).
    #[arg(long, env = "FOOTNOTE_PROTECT_READS")]
    pub protect_reads: bool,
    /// Origins whose web pages may call the API from a browser (CORS), comma-separated, or `*`
    /// for any. None by default: only the service's own web page, which is same-origin.
    #[arg(long, env = "FOOTNOTE_ALLOW_ORIGIN", value_delimiter = ',')]
    pub allow_origin: Vec<String>,
    /// Largest request body, in bytes (413 beyond; refused from `Content-Length` before the body
    /// is read).
    #[arg(long, env = "FOOTNOTE_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds a client has to send a request's headers; the connection is closed after that.
    /// Also how long an idle keep-alive connection is kept.
    #[arg(long, env = "FOOTNOTE_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's whole body (408 after that).
    #[arg(long, env = "FOOTNOTE_BODY_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Connections open at once; one more is answered 503 and closed.
    #[arg(long, env = "FOOTNOTE_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,
    /// Seconds a request may take before it is abandoned with a 503.
    #[arg(long, env = "FOOTNOTE_REQUEST_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Requests that may wait for the model at once; more get 503 with Retry-After.
    #[arg(long, env = "FOOTNOTE_QUEUE_SIZE", default_value_t = 256,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub queue_size: usize,
    /// Most tokens the model worker takes from the queue into one round, and most padded tokens
    /// in one forward pass.
    #[arg(long, env = "FOOTNOTE_MAX_BATCH_TOKENS", default_value_t = 8192,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_batch_tokens: usize,
    /// Requests that may wait for the writing model (`"generate": true`) at once, the one being
    /// written included; more get 503 with Retry-After. Only used with --llm.
    #[arg(long, env = "FOOTNOTE_GENERATE_QUEUE_SIZE", default_value_t = 4,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub generate_queue_size: usize,
}

impl ServeArgs {
    /// Where the store is: --store, or the SQLite file in --data.
    pub fn store_url(&self) -> StoreUrl {
        self.store
            .clone()
            .unwrap_or_else(|| StoreUrl::in_data_dir(&self.data))
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

struct Shared {
    ready: OnceLock<Ready>,
    api_key: Option<String>,
    /// `--protect-reads`: reads need the API key too.
    protect_reads: bool,
    metrics: PrometheusHandle,
    /// `--request-timeout`: also how long a model may write for one request.
    request_timeout: Duration,
}

/// What the API needs once start-up is done.
#[derive(Clone)]
pub struct Ready {
    pub worker: Worker,
    pub corpus: Arc<Corpus>,
    /// The writing model, when the service was started with `--llm`.
    pub writer: Option<WriteWorker>,
}

impl AppState {
    fn ready(&self) -> Result<&Ready, ApiError> {
        self.0.ready.get().ok_or(ApiError::NotReady)
    }

    /// Makes the API serve `ready`; false if it was set before.
    fn set_ready(&self, ready: Ready) -> bool {
        self.0.ready.set(ready).is_ok()
    }

    fn request_timeout(&self) -> Duration {
        self.0.request_timeout
    }

    fn api_key(&self) -> Option<&str> {
        self.0.api_key.as_deref()
    }

    /// Which requests need the API key.
    fn key_needed(&self) -> routes::KeyNeeded {
        match (self.api_key(), self.0.protect_reads) {
            (None, _) => routes::KeyNeeded::Never,
            (Some(_), false) => routes::KeyNeeded::ForWrites,
            (Some(_), true) => routes::KeyNeeded::ForAll,
        }
    }

    fn render_metrics(&self) -> String {
        self.0.metrics.render()
    }
}

/// Runs the service until SIGTERM or SIGINT, then finishes in-flight requests and returns. With
/// `writer`, the writing model is loaded too and `"generate": true` is accepted.
pub fn serve(
    settings: EngineSettings,
    writer: Option<WriterSettings>,
    args: ServeArgs,
) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(settings, writer, args))
}

async fn run(
    settings: EngineSettings,
    writer: Option<WriterSettings>,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let api_key = args.api_key.clone().filter(|k| !k.is_empty());
    if args.protect_reads && api_key.is_none() {
        anyhow::bail!("--protect-reads needs --api-key (the key that reads will need)");
    }
    let cors = cors(&args.allow_origin)?;
    let metrics = install_metrics()?;
    let store = startup::open_store(&args.store_url()).await?;
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let state = AppState(Arc::new(Shared {
        ready: OnceLock::new(),
        api_key,
        protect_reads: args.protect_reads,
        metrics: metrics.clone(),
        request_timeout: Duration::from_secs(args.request_timeout),
    }));
    let app = router(state.clone(), &args, cors);
    let limits = listen::Limits {
        max_connections: args.max_connections,
        header_timeout: Duration::from_secs(args.header_timeout),
    };
    tracing::info!("listening on http://{}", listener.local_addr()?);

    let upkeep = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            metrics.run_upkeep();
        }
    });
    let (failed_tx, failed_rx) = oneshot::channel();
    let startup = tokio::spawn(startup::start(state, store, settings, writer, args));
    let shutdown = async move {
        let failure = tokio::select! {
            () = signalled() => None,
            result = startup => match result {
                Ok(Ok(())) => {
                    signalled().await;
                    None
                }
                Ok(Err(e)) => Some(e),
                Err(e) => Some(anyhow::anyhow!("start-up task failed: {e}")),
            },
        };
        match failure {
            None => tracing::info!("shutting down: finishing requests in flight"),
            Some(error) => {
                let _ = failed_tx.send(error);
            }
        }
    };
    listen::serve(listener, app, limits, shutdown).await;
    upkeep.abort();
    match failed_rx.await {
        Ok(error) => Err(error.context("start-up failed")),
        Err(_) => {
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// The CORS layer for `--allow-origin`; none (cross-origin reads closed) when it is empty.
fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let parsed = origins
            .iter()
            .map(|origin| {
                anyhow::ensure!(
                    is_origin(origin),
                    "--allow-origin {origin:?}: an origin is scheme://host[:port] (no path), or *"
                );
                HeaderValue::from_str(origin)
                    .with_context(|| format!("--allow-origin {origin:?} is not a header value"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(parsed)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
            .max_age(Duration::from_secs(600)),
    ))
}

/// Whether `origin` is what a browser sends in `Origin`: `http(s)://host[:port]`, nothing after.
/// (A path would never match, so the cross-origin page would fail with no hint why.)
fn is_origin(origin: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    !authority.is_empty()
        && !authority
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace())
}

fn router(state: AppState, args: &ServeArgs, cors: Option<CorsLayer>) -> Router {
    let timeout = Duration::from_secs(args.request_timeout);
    let body = BodyLimits {
        max_bytes: args.max_body_bytes,
        timeout: Duration::from_secs(args.body_timeout),
    };
    let app = Router::new()
        .route("/", get(routes::web::index))
        .route("/app.js", get(routes::web::script))
        .route("/app.css", get(routes::web::style))
        .route("/healthz", get(routes::operations::healthz))
        .route("/readyz", get(routes::operations::readyz))
        .route("/openapi.json", get(routes::operations::openapi))
        .route_layer(middleware::from_fn_with_state(body, read_body))
        .merge(api_router(state.clone(), body))
        .fallback(routes::operations::not_found)
        .method_not_allowed_fallback(routes::operations::method_not_allowed)
        // The Json extractor's own limit (axum's default is 2 MB): the body is whole by then.
        .layer(DefaultBodyLimit::max(args.max_body_bytes))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(timeout, time_limit));
    let app = match cors {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(middleware::from_fn(observe)).with_state(state)
}

/// The routes that read or write the store or use the model. The API key is checked before the
/// body is read (a client without it gets its 401 without making the service hold a body):
/// writes need it whenever one is set, everything here with `--protect-reads`.
fn api_router(state: AppState, body: BodyLimits) -> Router<AppState> {
    Router::new()
        .route("/v1/ask", post(routes::answers::ask))
        .route("/v1/summarize", post(routes::answers::summarize))
        .route("/v1/verify", post(routes::verify::verify))
        .route(
            "/v1/documents",
            get(routes::documents::list_documents).post(routes::documents::create_documents),
        )
        .route(
            "/v1/documents/{id}",
            get(routes::documents::get_document).delete(routes::documents::delete_document),
        )
        .route(
            "/v1/documents/{id}/paragraphs/{n}",
            get(routes::documents::get_paragraph),
        )
        .route("/v1/embed", post(routes::model::embed))
        .route("/metrics", get(routes::operations::metrics))
        // The last layer added runs first.
        .route_layer(middleware::from_fn_with_state(body, read_body))
        .route_layer(middleware::from_fn_with_state(state, routes::key_access))
}

/// One log line and the request metrics per request.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_SECONDS, &labels).record(elapsed.as_secs_f64());
    let [(_, method), (_, route), (_, status)] = &labels;
    tracing::info!(
        "{method} {route} {status} {:.1}ms",
        elapsed.as_secs_f64() * 1000.0
    );
    response
}

/// `--max-body-bytes` and `--body-timeout`.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    max_bytes: usize,
    timeout: Duration,
}

/// Reads the whole request body before the handler runs, within its limits: a `Content-Length`
/// over `--max-body-bytes` is refused from the header, at once (without this, a client that
/// announces 64 MiB and sends less waits for an answer that never comes; text-embeddings-inference
/// refuses from the header too); a body larger than that as it arrives is refused as soon as it
/// passes the limit; one that has not arrived within `--body-timeout` gets a 408. Every route
/// takes JSON of bounded size, so holding it whole costs nothing a handler would not spend.
async fn read_body(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let max = limits.max_bytes;
    if let Some(bytes) = announced.filter(|&bytes| bytes > max as u64) {
        return ApiError::PayloadTooLarge(format!(
            "the request announces {bytes} bytes; the service accepts at most {max} \
             (--max-body-bytes)"
        ))
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(limits.timeout, Limited::new(body, max).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            return ApiError::PayloadTooLarge(format!(
                "the request body is larger than the service accepts ({max} bytes, \
                 --max-body-bytes)"
            ))
            .into_response()
        }
        Ok(Err(e)) => {
            return ApiError::BadRequest(format!("the request body could not be read: {e}"))
                .into_response()
        }
        Err(_) => return ApiError::BodyTimeout(limits.timeout).into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Abandons a request that takes longer than the limit (its model work is dropped too).
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout(limit).into_response(),
    }
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    ApiError::Internal(format!("the request hit a bug ({message})")).into_response()
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn signalled() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    const SECONDS: [f64; 14] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
    ];
    const SEQUENCES: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
    const TOKENS: [f64; 9] = [
        16.0, 64.0, 256.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0, 65536.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)?
        .set_buckets_for_metric(Matcher::Full(worker::BATCH_SEQUENCES.into()), &SEQUENCES)?
        .set_buckets_for_metric(Matcher::Full(worker::BATCH_TOKENS.into()), &TOKENS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests served");
    metrics::describe_histogram!(HTTP_SECONDS, metrics::Unit::Seconds, "HTTP request latency");
    metrics::describe_gauge!(
        worker::QUEUE_DEPTH,
        "Requests queued for the model or being embedded"
    );
    metrics::describe_counter!(
        worker::REJECTED,
        "Requests refused with 503: model queue full"
    );
    metrics::describe_histogram!(worker::BATCH_SEQUENCES, "Texts per model round");
    metrics::describe_histogram!(worker::BATCH_TOKENS, "Tokens per model round");
    metrics::describe_histogram!(
        worker::BATCH_SECONDS,
        metrics::Unit::Seconds,
        "Time per model round"
    );
    metrics::describe_counter!(worker::TOKENS, "Tokens embedded");
    metrics::describe_gauge!(
        worker::TOKENS_PER_SECOND,
        "Embedding throughput of the latest model round"
    );
    metrics::describe_gauge!(
        write_worker::QUEUE_DEPTH,
        "Requests queued for the writing model or being written"
    );
    metrics::describe_counter!(
        write_worker::REJECTED,
        "Requests to write refused with 503: the writing model's queue full"
    );
    metrics::describe_gauge!(corpus::DOCUMENTS, "Documents in the store");
    metrics::describe_gauge!(listen::CONNECTIONS_OPEN, "Client connections open");
    metrics::describe_counter!(
        listen::CONNECTIONS_REFUSED,
        "Connections answered 503: --max-connections were open"
    );
    metrics::describe_counter!(
        routes::verify::VERIFIED_SENTENCES,
        "Sentences checked by /v1/verify, by verdict"
    );
    Ok(handle)
}

#[cfg(test)]
mod tests {
    use super::is_origin;

    #[test]
    fn allow_origin_takes_scheme_host_and_port_only() {
        for good in ["https://newsroom.example", "http://localhost:8080"] {
            assert!(is_origin(good), "{good}");
        }
        // Each of these would never equal a browser's `Origin` header.
        for bad in [
            "newsroom.example",
            "https://",
            "https://newsroom.example/",
            "https://newsroom.example/app",
            "https://newsroom.example?x=1",
            "https://user@newsroom.example",
            "ftp://newsroom.example",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
