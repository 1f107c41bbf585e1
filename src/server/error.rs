//! Every error the HTTP API returns, mapped to a status and a JSON body in one place.
//!
//! The body is always `{"error": {"code", "message"}}`: `code` is a stable machine-readable
//! word, `message` says what to fix. Library errors ([`crate::Error`]) are mapped here too, so
//! a handler only ever writes `?`.

use std::time::Duration;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// Seconds a client is asked to wait after a 503.
const RETRY_AFTER_SECONDS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Engine(#[from] Error),
    /// Malformed JSON, a body that is not UTF-8, a path or query that does not parse.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed JSON with the wrong fields or types, or values out of range.
    #[error("{0}")]
    Unprocessable(String),
    #[error("this endpoint needs `Authorization: Bearer <API key>`")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    /// Ids that clash within a request.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("the request took longer than {0:?} and was abandoned")]
    Timeout(Duration),
    #[error("the request body did not arrive within {0:?} (--body-timeout)")]
    BodyTimeout(Duration),
    #[error("the service has {0} connections open, its limit (--max-connections); retry shortly")]
    TooManyConnections(usize),
    #[error("the service is starting (loading the model and the document store); retry shortly")]
    NotReady,
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `bad_request`, `invalid_input`, `unauthorized`, `not_found`,
    /// `unknown_document`, `id_conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `method_not_allowed`, `request_timeout`, `overloaded`, `timeout`, `not_ready`,
    /// `shutting_down`, `storage_full`, `internal`.
    pub code: &'static str,
    /// What went wrong and how to fix it.
    pub message: String,
}

impl ApiError {
    /// The body a response for this error carries (also sent as a stream's `error` event).
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.status_and_code().1,
                message: self.to_string(),
            },
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Engine(e) => match e {
                Error::EmptyQuestion | Error::InvalidInput(_) | Error::BadRecord { .. } => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
                }
                Error::UnknownDocument(_) => (StatusCode::NOT_FOUND, "unknown_document"),
                Error::IdTaken(_) | Error::StoredMeanwhile => (StatusCode::CONFLICT, "id_conflict"),
                Error::Overloaded { .. } => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
                Error::WorkerStopped => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
                Error::StoreFull => (StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
                Error::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
                Error::Io { .. }
                | Error::NotUtf8 { .. }
                | Error::EmptyFile { .. }
                | Error::NoDocuments { .. }
                | Error::Model { .. }
                | Error::Unsupported(_)
                | Error::Inference(_)
                | Error::Tokenizer(_)
                | Error::Store(_)
                | Error::StoreFormat(_)
                | Error::StoreNotWritable { .. }
                | Error::TaskFailed(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "id_conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Timeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::TooManyConnections(_) => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!("{self}");
        }
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        // After these the rest of the body may still be on its way: the connection cannot carry
        // another request.
        if matches!(
            status,
            StatusCode::REQUEST_TIMEOUT | StatusCode::PAYLOAD_TOO_LARGE
        ) {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let message = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => ApiError::Unprocessable(message),
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ),
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::PayloadTooLarge(
                    "the request body is larger than the service accepts (--max-body-bytes)".into(),
                )
            }
            _ => ApiError::BadRequest(message),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_is_503_with_retry_after_and_a_json_body() {
        let response = ApiError::from(Error::Overloaded { capacity: 4 }).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn library_errors_map_to_client_statuses() {
        let status = |e: Error| ApiError::from(e).status_and_code().0;
        assert_eq!(
            status(Error::EmptyQuestion),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(Error::UnknownDocument("x".into())),
            StatusCode::NOT_FOUND
        );
        assert_eq!(status(Error::IdTaken("x".into())), StatusCode::CONFLICT);
        assert_eq!(
            ApiError::Unauthorized.into_response().headers()[header::WWW_AUTHENTICATE],
            "Bearer"
        );
    }
}
