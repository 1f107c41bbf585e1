//! `POST /v1/embed`: raw embeddings from the service's model.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;
use crate::worker::Priority;

/// Most texts one `/v1/embed` request may send.
pub const MAX_EMBED_INPUTS: usize = 512;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct EmbedRequest {
    /// Texts to embed, 1 to 512.
    #[schema(min_items = 1, max_items = 512)]
    pub inputs: Vec<String>,
}

from_objects_only!(EmbedRequest);

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbedResponse {
    pub model: String,
    pub dimensions: usize,
    /// One L2-normalised vector per input, in order.
    pub embeddings: Vec<Vec<f32>>,
}

/// Embed texts with the service's model.
#[utoipa::path(
    post,
    path = "/v1/embed",
    tag = "model",
    request_body = EmbedRequest,
    responses(
        (status = 200, description = "The embeddings", body = EmbedResponse),
        (status = 400, description = "Malformed JSON, or a body that is not UTF-8", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON (`Content-Type: application/json`)", body = ErrorBody),
        (status = 422, description = "A body the schema refuses: no inputs, more than 512, wrong types, an unknown field", body = ErrorBody),
        (status = 503, description = "Starting (`not_ready`), the model's queue is full (`overloaded`), or shutting down", body = ErrorBody),
    )
)]
pub async fn embed(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<EmbedRequest>,
) -> Result<Json<EmbedResponse>, ApiError> {
    let ready = state.ready()?;
    if !(1..=MAX_EMBED_INPUTS).contains(&request.inputs.len()) {
        return Err(ApiError::Unprocessable(format!(
            "`inputs` must hold 1 to {MAX_EMBED_INPUTS} texts"
        )));
    }
    let embeddings = ready
        .worker
        .embed(request.inputs, Priority::Interactive)
        .await?;
    let model = ready.worker.model();
    Ok(Json(EmbedResponse {
        model: model.name.clone(),
        dimensions: model.dim,
        embeddings,
    }))
}
