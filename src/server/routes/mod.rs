//! The HTTP API: request and response types, handlers and the OpenAPI description of both, one
//! module per concern ([`answers`], [`verify`], [`documents`], [`model`], [`operations`], and
//! [`web`], the page at `/`); this
//! module holds what they share (extractors whose rejections are [`ApiError`]s, the API key for
//! writes and, with `--protect-reads`, reads; the OpenAPI document).
//!
//! Handlers only translate HTTP: they validate, then hand model work to the worker and CPU work
//! (segmenting, ranking, summarizing) to blocking threads, so the async runtime only moves bytes.
//! What a request does to the corpus lives in [`super::corpus`]. Answers and summaries are the
//! library's own types, serialized exactly as `footnote ask --json` and `footnote summarize
//! --json` print them.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::OpenApi;

use super::error::ApiError;
use super::AppState;
use crate::error::Error;

pub mod answers;
pub mod documents;
pub mod model;
pub mod operations;
pub mod verify;
pub mod web;
pub mod written;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "footnote",
        description = "Grounded, cited answers and extractive summaries over news articles. \
            Every answer or summary sentence is copied verbatim from a stored article and cited \
            as `[document ¶paragraph]`; each citation resolves at \
            `GET /v1/documents/{id}/paragraphs/{n}`. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        answers::ask,
        answers::summarize,
        verify::verify,
        documents::create_documents,
        documents::list_documents,
        documents::get_document,
        documents::get_paragraph,
        documents::delete_document,
        model::embed,
        operations::healthz,
        operations::readyz,
        operations::metrics,
        operations::openapi
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "answers", description = "Questions, summaries and citation checks"),
        (name = "documents", description = "The stored articles"),
        (name = "model", description = "Raw embeddings"),
        (name = "operations", description = "Health, readiness, metrics, this description")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "api_key",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// `Json` whose rejections are [`ApiError`]s.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `Path` whose rejections are [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejections are [`ApiError`]s.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Proof that the request may write: present when no API key is configured, or when the request
/// carries `Authorization: Bearer <key>`.
pub struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.api_key() {
            Some(key) if !carries_key(&parts.headers, key) => Err(ApiError::Unauthorized),
            _ => Ok(WriteAccess),
        }
    }
}

/// Middleware on the API's routes: with `--protect-reads`, a request without the API key is
/// refused before its handler runs.
pub async fn read_access(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.read_key() {
        Some(key) if !carries_key(request.headers(), key) => ApiError::Unauthorized.into_response(),
        _ => next.run(request).await,
    }
}

/// Whether the headers carry `Authorization: Bearer <key>`. The two are compared as SHA-256
/// digests in constant time, so neither where they differ nor the key's length shows in the time
/// taken.
fn carries_key(headers: &HeaderMap, key: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|given| {
        let given = Sha256::digest(given.trim().as_bytes());
        bool::from(given.ct_eq(&Sha256::digest(key.as_bytes())))
    })
}

/// Runs CPU-bound work on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::TaskFailed(e.to_string()))?
        .map_err(ApiError::from)
}

pub(super) fn non_empty<T>(list: Option<&[T]>, field: &str) -> Result<(), ApiError> {
    match list {
        Some([]) => Err(ApiError::Unprocessable(format!(
            "`{field}` is empty: leave it out, or list at least one"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_compare_whole() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert!(carries_key(&with("Bearer secret"), "secret"));
        assert!(carries_key(&with("Bearer  secret "), "secret"));
        assert!(!carries_key(&with("Bearer secreT"), "secret"));
        assert!(!carries_key(&with("Bearer secret2"), "secret"));
        assert!(!carries_key(&with("Bearer secre"), "secret"));
        assert!(!carries_key(&with("secret"), "secret"));
        assert!(!carries_key(&HeaderMap::new(), "secret"));
    }

    #[test]
    fn every_route_is_described() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for path in [
            "/v1/ask",
            "/v1/summarize",
            "/v1/verify",
            "/v1/documents",
            "/v1/documents/{id}",
            "/v1/documents/{id}/paragraphs/{n}",
            "/v1/embed",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        for schema in [
            "Answer",
            "Summary",
            "Citation",
            "ErrorBody",
            "DocumentInput",
        ] {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "{schema} missing"
            );
        }
    }
}
