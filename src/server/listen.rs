//! Accepting connections: the limits that hold before a request reaches the router.
//!
//! axum's own `serve` sets no read timeout and no connection cap, so a client that trickles its
//! request head a byte at a time, or opens connections without end, holds the service's sockets
//! for as long as it likes. This is the same loop (hyper-util's builder, graceful shutdown), HTTP/1
//! only, with two limits:
//! - `--max-connections`: a connection past the cap is answered 503 `overloaded` (JSON, with
//!   Retry-After) and closed, rather than left waiting unseen in the kernel's backlog;
//! - `--header-timeout`: a connection whose request head has not fully arrived in time is closed.
//!   hyper's timer starts when it waits for a head, so it also bounds a connection that sends
//!   nothing and an idle keep-alive one. No response is possible there: nothing was read.
//!
//! HTTP/1 only: to tell HTTP/2 apart, the builder first waits for its 24-byte preface with no
//! time limit, and HTTP/2 connections have no header timer at all, so either would let a silent
//! client keep its place under the cap for ever. The API's clients (browsers, curl, load
//! balancers) speak HTTP/1.1.
//!
//! The body's own timeout is the `read_body` middleware (in `super`), where a JSON answer is.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::error::ApiError;

/// Connections open now (gauge).
pub const CONNECTIONS_OPEN: &str = "footnote_connections_open";
/// Connections answered 503 because `--max-connections` were open (counter).
pub const CONNECTIONS_REFUSED: &str = "footnote_connections_refused_total";

/// The limits on connections (from `serve`'s options).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for the
/// connections open to finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut serving = auto::Builder::new(TokioExecutor::new()).http1_only();
    serving
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut refusing = auto::Builder::new(TokioExecutor::new()).http1_only();
    refusing
        .http1()
        .keep_alive(false)
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let refusal = Router::new()
        .fallback(move || async move { ApiError::TooManyConnections(limits.max_connections) });

    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    pause_after_accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let io = TokioIo::new(stream);
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let connection = graceful.watch(
                    serving
                        .serve_connection(io, TowerToHyperService::new(app.clone()))
                        .into_owned(),
                );
                metrics::gauge!(CONNECTIONS_OPEN).increment(1.0);
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!("connection ended: {e}");
                    }
                    metrics::gauge!(CONNECTIONS_OPEN).decrement(1.0);
                    drop(permit);
                });
            }
            Err(_) => {
                metrics::counter!(CONNECTIONS_REFUSED).increment(1);
                let connection = refusing
                    .serve_connection(io, TowerToHyperService::new(refusal.clone()))
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// After a failed accept: a client that gave up before it was accepted is nothing to wait for;
/// anything else (out of file descriptors, say) would fail again at once, so wait a moment, as
/// axum and hyper's examples do.
async fn pause_after_accept_error(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!("accepting a connection failed: {error}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
