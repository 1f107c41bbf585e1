//! `POST /v1/ask` and `POST /v1/summarize`: questions and summaries over the stored documents
//! (or, for summaries, over articles sent with the request and not stored).

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::documents::{segment, DocumentInput};
use super::{blocking, non_empty, ApiJson};
use crate::answer::{self, Answer, AskOptions, MAX_ANSWER_SENTENCES};
use crate::document::Document;
use crate::error::Error;
use crate::index::Index;
use crate::server::corpus::embed_documents;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;
use crate::summarize::{self, Length, Summary};
use crate::worker::Priority;

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
    let length = Length::from_options(request.sentences, request.words)?;
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
