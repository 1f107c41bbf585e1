//! `/v1/documents`: storing, listing, reading and deleting documents, and the paragraphs every
//! citation resolves to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::{blocking, ApiJson, ApiPath, ApiQuery};
use crate::document::{Document, Paragraph};
use crate::error::Error;
use crate::server::corpus::Ingested;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;

/// Page size of `GET /v1/documents` when not given, and the most allowed.
const DEFAULT_PAGE: usize = 50;
pub(super) const MAX_PAGE: usize = 1000;

/// A document sent in a request: to store, or to summarize without storing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct DocumentInput {
    /// 1-200 characters without whitespace, control characters, slashes, brackets or ¶; derived
    /// from the text when left out.
    // The patterns list the characters Rust's `char::is_control` and `char::is_whitespace` (which
    // `trim` uses) refuse, as `routes::tests::the_document_states_the_handlers_limits` checks.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0020\u002F\u005B\u005D\u007F-\u00A0\u00B6\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]+$"
    )]
    pub id: Option<String>,
    pub title: Option<String>,
    /// The article, not blank; blank lines separate paragraphs.
    #[schema(
        pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]"
    )]
    pub text: String,
}

from_objects_only!(DocumentInput);

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
#[derive(Debug)]
pub enum DocumentsBody {
    One(DocumentInput),
    Many(Vec<DocumentInput>),
}

impl PartialSchema for DocumentsBody {
    fn schema() -> RefOr<Schema> {
        let input = || RefOr::Ref(Ref::from_schema_name(DocumentInput::name()));
        OneOfBuilder::new()
            .description(Some("One document, or an array of at least one"))
            .item(input())
            .item(ArrayBuilder::new().items(input()).min_items(Some(1)))
            .into()
    }
}

impl ToSchema for DocumentsBody {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((DocumentInput::name().into(), DocumentInput::schema()));
        DocumentInput::schemas(schemas);
    }
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
                    <DocumentInput as Deserialize>::deserialize(item)
                        .map_err(|e| D::Error::custom(format!("[{i}]: {e}")))
                })
                .collect::<Result<_, _>>()
                .map(DocumentsBody::Many),
            other => <DocumentInput as Deserialize>::deserialize(other)
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
    security(("api_key" = [])),
    responses(
        (status = 201, description = "At least one document was stored", body = IngestResponse),
        (status = 200, description = "Every text was already stored; the existing ids are returned", body = IngestResponse),
        (status = 400, description = "Malformed JSON, or a body that is not UTF-8", body = ErrorBody),
        (status = 401, description = "The service has an API key and the request does not carry it", body = ErrorBody),
        (status = 409, description = "An id is taken by a document with different text (stored, or earlier in the request)", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON (`Content-Type: application/json`)", body = ErrorBody),
        (status = 422, description = "A body the schema refuses: a missing or blank text, a bad id, wrong types, an unknown field, an empty array", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`), the model's queue is full (`overloaded`), or shutting down", body = ErrorBody),
        (status = 507, description = "The disk under the store is full (`storage_full`): nothing was stored", body = ErrorBody),
    )
)]
pub async fn create_documents(
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
    #[param(minimum = 0, maximum = 18446744073709551615usize)]
    pub offset: Option<usize>,
    /// Page size, 0 to 1000 (default 50); 0 lists none, to count them (`total`).
    #[param(minimum = 0, maximum = 1000)]
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
    /// Offset of the next page, absent on the last (and with `limit` 0).
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
        (status = 400, description = "`offset` or `limit` is not a number from 0 to 2^64 - 1, or the query is not UTF-8", body = ErrorBody),
        (status = 422, description = "`limit` over 1000", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`)", body = ErrorBody),
    )
)]
pub async fn list_documents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<DocumentListing>, ApiError> {
    let ready = state.ready()?;
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if limit > MAX_PAGE {
        return Err(ApiError::Unprocessable(format!(
            "limit must be between 0 and {MAX_PAGE}"
        )));
    }
    let needle = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let listing = ready.corpus.list(needle, offset, limit).await?;
    let documents: Vec<DocumentEntry> = listing
        .documents
        .into_iter()
        .map(|d| DocumentEntry {
            id: d.id,
            title: d.title,
            paragraphs: d.paragraphs,
        })
        .collect();
    let total = listing.total;
    let next_offset = Some(offset.saturating_add(limit)).filter(|&n| limit > 0 && n < total);
    Ok(Json(DocumentListing {
        documents,
        total,
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
        (status = 400, description = "The id is not UTF-8 once percent-decoded", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`)", body = ErrorBody),
    )
)]
pub async fn get_document(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocumentView>, ApiError> {
    let found = state.ready()?.corpus.document(&id).await?;
    let doc = found.ok_or(Error::UnknownDocument(id))?;
    Ok(Json(DocumentView {
        id: doc.id.clone(),
        title: doc.title.clone(),
        paragraphs: doc
            .paragraphs
            .iter()
            .map(|p| ParagraphView::new(&doc, p))
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
        ("n" = usize, Path, description = "Paragraph number, from 1",
            minimum = 1, maximum = 18446744073709551615usize),
    ),
    responses(
        (status = 200, description = "The paragraph", body = ParagraphView),
        (status = 400, description = "`n` is not a number from 0 to 2^64 - 1, or the id is not UTF-8", body = ErrorBody),
        (status = 404, description = "No such document, or no such paragraph (0 included)", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`)", body = ErrorBody),
    )
)]
pub async fn get_paragraph(
    State(state): State<AppState>,
    ApiPath((id, number)): ApiPath<(String, usize)>,
) -> Result<Json<ParagraphView>, ApiError> {
    let found = state.ready()?.corpus.document(&id).await?;
    let doc = found.ok_or(Error::UnknownDocument(id))?;
    let paragraph = doc.paragraph(number).ok_or_else(|| {
        ApiError::NotFound(format!(
            "document `{}` has no paragraph {number}: its paragraphs are numbered 1 to {}",
            doc.id,
            doc.paragraphs.len()
        ))
    })?;
    Ok(Json(ParagraphView::new(&doc, paragraph)))
}

/// Delete a stored document.
#[utoipa::path(
    delete,
    path = "/v1/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not UTF-8 once percent-decoded", body = ErrorBody),
        (status = 401, description = "The service has an API key and the request does not carry it", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`)", body = ErrorBody),
        (status = 507, description = "The disk under the store is full (`storage_full`): nothing was deleted", body = ErrorBody),
    )
)]
pub async fn delete_document(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.ready()?.corpus.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
