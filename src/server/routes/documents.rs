//! `/v1/documents`: storing, listing, reading and deleting documents, and the paragraphs every
//! citation resolves to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{blocking, ApiJson, ApiPath, ApiQuery, WriteAccess};
use crate::document::{Document, Paragraph};
use crate::error::Error;
use crate::server::corpus::Ingested;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;

/// Page size of `GET /v1/documents` when not given, and the most allowed.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 1000;

/// A document sent in a request: to store, or to summarize without storing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// 1-200 characters without spaces, slashes, brackets or ¶; derived from the text when left
    /// out.
    pub id: Option<String>,
    pub title: Option<String>,
    /// The article; blank lines separate paragraphs.
    pub text: String,
}

impl DocumentInput {
    fn into_document(self) -> Result<Document, Error> {
        Document::from_record(self.id, self.title, &self.text)
    }
}

/// Segments documents on a blocking thread; errors name the item when there are several.
pub(super) async fn segment(
    inputs: Vec<DocumentInput>,
    field: &'static str,
) -> Result<Vec<Document>, ApiError> {
    let many = inputs.len() > 1;
    blocking(move || {
        inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                input.into_document().map_err(|e| match e {
                    Error::InvalidInput(message) if many => {
                        Error::InvalidInput(format!("{field}[{i}]: {message}"))
                    }
                    other => other,
                })
            })
            .collect()
    })
    .await
}

/// One document, or an array of them.
#[derive(Debug, ToSchema)]
#[serde(untagged)]
pub enum DocumentsBody {
    One(DocumentInput),
    Many(Vec<DocumentInput>),
}

impl<'de> Deserialize<'de> for DocumentsBody {
    /// Dispatches on the JSON type, so that errors name the field (and the item) at fault
    /// instead of "did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    DocumentInput::deserialize(item)
                        .map_err(|e| D::Error::custom(format!("[{i}]: {e}")))
                })
                .collect::<Result<_, _>>()
                .map(DocumentsBody::Many),
            other => DocumentInput::deserialize(other)
                .map(DocumentsBody::One)
                .map_err(D::Error::custom),
        }
    }
}

/// What was stored: one result, or an array in the order of the request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum IngestResponse {
    One(Ingested),
    Many(Vec<Ingested>),
}

/// Store one or many documents (one transaction per request). The same text again is recognised
/// by its content hash and not stored twice.
#[utoipa::path(
    post,
    path = "/v1/documents",
    tag = "documents",
    request_body = DocumentsBody,
    security((), ("api_key" = [])),
    responses(
        (status = 201, description = "At least one document was stored", body = IngestResponse),
        (status = 200, description = "Every text was already stored; the existing ids are returned", body = IngestResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "An API key is configured and the request lacks it", body = ErrorBody),
        (status = 409, description = "An id is taken by a document with different text", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Missing or empty text, a bad id, wrong types", body = ErrorBody),
        (status = 503, description = "Starting, or the model queue is full", body = ErrorBody),
    )
)]
pub async fn create_documents(
    _: WriteAccess,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DocumentsBody>,
) -> Result<Response, ApiError> {
    let ready = state.ready()?;
    let (inputs, many) = match body {
        DocumentsBody::One(input) => (vec![input], false),
        DocumentsBody::Many(inputs) => (inputs, true),
    };
    if inputs.is_empty() {
        return Err(ApiError::Unprocessable(
            "the array is empty: send at least one document".into(),
        ));
    }
    let documents = segment(inputs, "").await?;
    let results = ready.corpus.ingest(&ready.worker, documents).await?;
    let status = if results.iter().any(|r| r.created) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = match (many, results.first()) {
        (false, Some(result)) => IngestResponse::One(result.clone()),
        _ => IngestResponse::Many(results),
    };
    Ok((status, Json(body)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Documents to skip (default 0).
    pub offset: Option<usize>,
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<usize>,
    /// Only documents whose id or title contains this text, ignoring case; `total` then counts
    /// the matches.
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentListing {
    /// The page, in the order the documents were stored.
    pub documents: Vec<DocumentEntry>,
    /// Documents stored in all (matching `q`, when given).
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// Offset of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentEntry {
    pub id: String,
    pub title: Option<String>,
    pub paragraphs: usize,
}

/// List stored documents, a page at a time, optionally those whose id or title contains `q`.
#[utoipa::path(
    get,
    path = "/v1/documents",
    tag = "documents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of documents", body = DocumentListing),
        (status = 400, description = "offset or limit is not a number", body = ErrorBody),
        (status = 422, description = "limit out of range", body = ErrorBody),
    )
)]
pub async fn list_documents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<DocumentListing>, ApiError> {
    let ready = state.ready()?;
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::Unprocessable(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    let snapshot = ready.corpus.snapshot();
    let needle = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_lowercase);
    let matches = |d: &Document| match &needle {
        None => true,
        Some(needle) => {
            d.id.to_lowercase().contains(needle)
                || d.title
                    .as_deref()
                    .is_some_and(|t| t.to_lowercase().contains(needle))
        }
    };
    let all: Vec<&Document> = snapshot
        .index
        .documents
        .iter()
        .map(|d| &**d)
        .filter(|d| matches(d))
        .collect();
    let documents: Vec<DocumentEntry> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|d| DocumentEntry {
            id: d.id.clone(),
            title: d.title.clone(),
            paragraphs: d.paragraphs.len(),
        })
        .collect();
    let next_offset = Some(offset.saturating_add(limit)).filter(|&n| n < all.len());
    Ok(Json(DocumentListing {
        documents,
        total: all.len(),
        offset,
        limit,
        next_offset,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub title: Option<String>,
    /// Every block of the text, numbered from 1.
    pub paragraphs: Vec<ParagraphView>,
}

/// A paragraph, as a citation `[doc ¶number]` names it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParagraphView {
    pub doc: String,
    pub number: usize,
    /// The citation as it reads in answers: `[doc ¶number]`.
    pub citation: String,
    pub text: String,
    /// False for credits, promotions and captions, which are never cited.
    pub is_content: bool,
}

impl ParagraphView {
    fn new(doc: &Document, paragraph: &Paragraph) -> Self {
        ParagraphView {
            doc: doc.id.clone(),
            number: paragraph.number,
            citation: format!("[{} ¶{}]", doc.id, paragraph.number),
            text: paragraph.text.clone(),
            is_content: paragraph.is_content,
        }
    }
}

/// A stored document with its numbered paragraphs.
#[utoipa::path(
    get,
    path = "/v1/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 404, description = "No such document", body = ErrorBody),
    )
)]
pub async fn get_document(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let snapshot = state.ready()?.corpus.snapshot();
    let doc = snapshot.document(&id).ok_or(Error::UnknownDocument(id))?;
    Ok(Json(DocumentView {
        id: doc.id.clone(),
        title: doc.title.clone(),
        paragraphs: doc
            .paragraphs
            .iter()
            .map(|p| ParagraphView::new(doc, p))
            .collect(),
    }))
}

/// One paragraph: every citation in an answer or summary resolves here.
#[utoipa::path(
    get,
    path = "/v1/documents/{id}/paragraphs/{n}",
    tag = "documents",
    params(
        ("id" = String, Path, description = "Document id"),
        ("n" = usize, Path, description = "Paragraph number, from 1"),
    ),
    responses(
        (status = 200, description = "The paragraph", body = ParagraphView),
        (status = 400, description = "n is not a number", body = ErrorBody),
        (status = 404, description = "No such document or paragraph", body = ErrorBody),
    )
)]
pub async fn get_paragraph(
    State(state): State<AppState>,
    ApiPath((id, number)): ApiPath<(String, usize)>,
) -> Result<Json<ParagraphView>, ApiError> {
    let snapshot = state.ready()?.corpus.snapshot();
    let doc = snapshot.document(&id).ok_or(Error::UnknownDocument(id))?;
    let paragraph = doc.paragraph(number).ok_or_else(|| {
        ApiError::NotFound(format!(
            "document `{}` has no paragraph {number}: its paragraphs are numbered 1 to {}",
            doc.id,
            doc.paragraphs.len()
        ))
    })?;
    Ok(Json(ParagraphView::new(doc, paragraph)))
}

/// Delete a stored document.
#[utoipa::path(
    delete,
    path = "/v1/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    security((), ("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "An API key is configured and the request lacks it", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
    )
)]
pub async fn delete_document(
    _: WriteAccess,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let corpus = state.ready()?.corpus.clone();
    blocking(move || corpus.delete(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
