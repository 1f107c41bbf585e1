//! Operations: liveness, readiness, metrics, the OpenAPI document, and the answers to unknown
//! routes and methods.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub model: String,
    pub documents: usize,
    /// The writing model (`--llm`), when `"generate": true` is accepted; null otherwise.
    pub writer: Option<String>,
}

/// The process is up (it may still be loading).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The model is loaded, its thread is running and the store is open: requests will be served.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Still starting (`not_ready`), or the model thread has stopped (`shutting_down`)", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let ready = state.ready()?;
    if !ready.worker.is_alive() {
        return Err(Error::WorkerStopped.into());
    }
    Ok(Json(Readiness {
        status: "ready",
        model: ready.worker.model().name.clone(),
        documents: ready.corpus.count().await?,
        writer: ready.writer.as_ref().map(|w| w.model().to_string()),
    }))
}

/// Prometheus metrics: requests and latency per route and status, embedding batch sizes and
/// throughput, queue depth, documents stored.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.render_metrics(),
    )
        .into_response()
}

/// This description, of this service: writes need the key when the service has one, and reads
/// too with --protect-reads.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json(super::document(state.key_needed()))
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /openapi.json".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
