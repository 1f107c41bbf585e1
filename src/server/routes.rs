//! The HTTP API: request and response types, handlers and the OpenAPI description of both.
//!
//! Handlers validate, then hand model work to the worker and CPU work (segmenting, ranking,
//! summarizing) to blocking threads, so the async runtime only moves bytes. Answers and
//! summaries are the library's own types, serialized exactly as `footnote ask --json` and
//! `footnote summarize --json` print them.

use std::collections::HashSet;

use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::corpus::{embed_documents, Ingested};
use super::error::{ApiError, ErrorBody};
use super::{AppState, Ready};
use crate::answer::{self, Answer, AskOptions, MAX_ANSWER_SENTENCES};
use crate::document::{Document, Paragraph};
use crate::error::Error;
use crate::index::Index;
use crate::summarize::{self, Length, Summary};
use crate::worker::Priority;

/// Sentences in a summary when the request gives no length.
const DEFAULT_SUMMARY_SENTENCES: usize = 5;
/// Most texts one `/v1/embed` request may send.
pub const MAX_EMBED_INPUTS: usize = 512;
/// Page size of `GET /v1/documents` when not given, and the most allowed.
const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 1000;

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
        ask,
        summarize,
        create_documents,
        list_documents,
        get_document,
        get_paragraph,
        delete_document,
        embed,
        healthz,
        readyz,
        metrics,
        openapi
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "answers", description = "Questions and summaries"),
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
        let Some(key) = state.api_key() else {
            return Ok(WriteAccess);
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(given) if constant_time_eq(given.trim().as_bytes(), key.as_bytes()) => {
                Ok(WriteAccess)
            }
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// Compares secrets in time that does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs CPU-bound work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("background task failed: {e}")))?
        .map_err(ApiError::from)
}

fn non_empty<T>(list: Option<&[T]>, field: &str) -> Result<(), ApiError> {
    match list {
        Some([]) => Err(ApiError::Unprocessable(format!(
            "`{field}` is empty: leave it out, or list at least one"
        ))),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Answers and summaries

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question.
    #[schema(example = "How long did the call between Biden and Putin last?")]
    pub question: String,
    /// Answer only from these stored documents (ids); all documents when left out.
    pub documents: Option<Vec<String>>,
    /// Most sentences in the answer, 1 to 3 (default 3).
    pub max_sentences: Option<usize>,
}

/// Answer a question with verbatim, cited sentences, or abstain.
#[utoipa::path(
    post,
    path = "/v1/ask",
    tag = "answers",
    request_body = AskRequest,
    responses(
        (status = 200, description = "The answer, as `footnote ask --json` prints it", body = Answer),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "An unknown document id", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Empty question, wrong types, max_sentences out of range", body = ErrorBody),
        (status = 503, description = "Starting, or the model queue is full (see Retry-After)", body = ErrorBody),
    )
)]
pub async fn ask(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AskRequest>,
) -> Result<Json<Answer>, ApiError> {
    let ready = state.ready()?;
    non_empty(request.documents.as_deref(), "documents")?;
    let options = AskOptions {
        max_sentences: request.max_sentences.unwrap_or(MAX_ANSWER_SENTENCES),
        documents: request.documents,
    };
    let question = answer::check_question(&request.question, &options)?.to_string();
    let query_vector = ready
        .worker
        .embed(vec![question.clone()], Priority::Interactive)
        .await?
        .pop()
        .unwrap_or_default();
    let snapshot = ready.corpus.snapshot();
    let answer = blocking(move || {
        answer::answer_with_vector(&snapshot.index, &question, &query_vector, &options)
    })
    .await?;
    Ok(Json(answer))
}

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
async fn segment(
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeRequest {
    /// Stored documents to summarize (ids). Leave out both this and `articles` to summarize every
    /// stored document.
    pub documents: Option<Vec<String>>,
    /// Articles to summarize without storing them.
    pub articles: Option<Vec<DocumentInput>>,
    /// Number of sentences (default 5).
    pub sentences: Option<usize>,
    /// A word budget instead of a sentence count.
    pub words: Option<usize>,
    /// One summary per document; the response is then an array of summaries.
    #[serde(default)]
    pub per_document: bool,
}

/// A summary, or one per document when `per_document` is set.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SummarizeResponse {
    One(Summary),
    PerDocument(Vec<Summary>),
}

/// Summarize stored documents or ad hoc articles with verbatim, cited sentences.
#[utoipa::path(
    post,
    path = "/v1/summarize",
    tag = "answers",
    request_body = SummarizeRequest,
    responses(
        (status = 200, description = "The summary as `footnote summarize --json` prints it, or an array of them with `per_document`", body = SummarizeResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "An unknown document id", body = ErrorBody),
        (status = 422, description = "Both or neither of `sentences`/`words` misused, empty text, bad ids", body = ErrorBody),
        (status = 503, description = "Starting, or the model queue is full", body = ErrorBody),
    )
)]
pub async fn summarize(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SummarizeRequest>,
) -> Result<Json<SummarizeResponse>, ApiError> {
    let ready = state.ready()?;
    let length = match (request.sentences, request.words) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "give `sentences` or `words`, not both".into(),
            ))
        }
        (_, Some(words)) => Length::Words(words),
        (Some(sentences), None) => Length::Sentences(sentences),
        (None, None) => Length::Sentences(DEFAULT_SUMMARY_SENTENCES),
    };
    non_empty(request.documents.as_deref(), "documents")?;
    non_empty(request.articles.as_deref(), "articles")?;
    let per_document = request.per_document;
    let summaries = match (request.documents, request.articles) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "give `documents` (stored) or `articles` (ad hoc), not both".into(),
            ))
        }
        (None, Some(articles)) => {
            let documents = segment(articles, "articles").await?;
            let mut seen = HashSet::new();
            if let Some(d) = documents.iter().find(|d| !seen.insert(d.id.as_str())) {
                return Err(ApiError::Unprocessable(format!(
                    "two articles have the id `{}`; ids must differ",
                    d.id
                )));
            }
            let refs: Vec<&Document> = documents.iter().collect();
            let vectors = embed_documents(&ready.worker, &refs, Priority::Interactive).await?;
            let dim = ready.worker.model().dim;
            blocking(move || {
                let all: Vec<usize> = (0..documents.len()).collect();
                let index = Index::from_vectors(documents, vectors, dim);
                summaries_of(&index, all, per_document, length)
            })
            .await?
        }
        (ids, None) => {
            let snapshot = ready.corpus.snapshot();
            let wanted = match ids {
                Some(ids) => ids
                    .iter()
                    .map(|id| snapshot.position(id))
                    .collect::<Result<Vec<_>, _>>()?,
                None => (0..snapshot.index.documents.len()).collect(),
            };
            blocking(move || summaries_of(&snapshot.index, wanted, per_document, length)).await?
        }
    };
    Ok(Json(summaries))
}

/// One summary of the documents at `wanted`, or one per document.
fn summaries_of(
    index: &Index,
    wanted: Vec<usize>,
    per_document: bool,
    length: Length,
) -> Result<SummarizeResponse, Error> {
    if per_document {
        wanted
            .iter()
            .map(|&d| summarize::summarize(index, &[d], length))
            .collect::<Result<_, _>>()
            .map(SummarizeResponse::PerDocument)
    } else {
        summarize::summarize(index, &wanted, length).map(SummarizeResponse::One)
    }
}

// ---------------------------------------------------------------------------------------------
// Documents

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
    let results = ingest(ready, documents).await?;
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

/// Embeds the documents that are new to the corpus and stores them: the path of `POST
/// /v1/documents` and of seeding the store on first start.
pub(super) async fn ingest(
    ready: &Ready,
    documents: Vec<Document>,
) -> Result<Vec<Ingested>, ApiError> {
    let new = ready.corpus.to_embed(&documents)?;
    let to_embed: Vec<&Document> = new.iter().map(|&i| &documents[i]).collect();
    let embedded = embed_documents(&ready.worker, &to_embed, Priority::Bulk).await?;
    let mut vectors = vec![None; documents.len()];
    for (i, v) in new.into_iter().zip(embedded) {
        vectors[i] = Some(v);
    }
    let (corpus, worker) = (ready.corpus.clone(), ready.worker.clone());
    blocking(move || corpus.insert(&documents, vectors, &worker)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Documents to skip (default 0).
    pub offset: Option<usize>,
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentListing {
    /// The page, in the order the documents were stored.
    pub documents: Vec<DocumentEntry>,
    /// Documents stored in all.
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

/// List stored documents, a page at a time.
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
    let all = &snapshot.index.documents;
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

// ---------------------------------------------------------------------------------------------
// Embeddings

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbedRequest {
    /// Texts to embed, 1 to 512.
    pub inputs: Vec<String>,
}

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
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 422, description = "No inputs, or too many", body = ErrorBody),
        (status = 503, description = "Starting, or the model queue is full", body = ErrorBody),
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

// ---------------------------------------------------------------------------------------------
// Operations

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub model: String,
    pub documents: usize,
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
        (status = 503, description = "Still starting, or the model thread has stopped", body = ErrorBody),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let ready = state.ready()?;
    if !ready.worker.is_alive() {
        return Err(Error::WorkerStopped.into());
    }
    Ok(Json(Readiness {
        status: "ready",
        model: ready.worker.model().name.clone(),
        documents: ready.corpus.snapshot().index.documents.len(),
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

/// This description.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; see /openapi.json".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn every_route_is_described() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for path in [
            "/v1/ask",
            "/v1/summarize",
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
