//! `POST /v1/ask` and `POST /v1/summarize`: questions and summaries over the stored documents
//! (or, for summaries, over articles sent with the request and not stored); with `"generate":
//! true`, written by the local model ([`super::written`]).

use std::collections::HashSet;

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::documents::{segment, DocumentInput};
use super::written::{self, Documents, Work, WriteRequest};
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
    /// Let the local model write the answer (the service must run with `--llm`). Every written
    /// sentence is checked by the verifier against the paragraphs it cites; the copied answer
    /// is given when none is supported (`mode` says which).
    #[serde(default)]
    pub generate: bool,
    /// With `generate`: answer as server-sent events (`text/event-stream`): `piece`, `verdict`,
    /// then `final` (this response's JSON) or `error`, then `data: [DONE]`.
    #[serde(default)]
    pub stream: bool,
    /// With `generate`: also keep written sentences the verifier did not accept, marked
    /// `"verified": false`.
    #[serde(default)]
    pub show_unverified: bool,
    /// With `generate`: the most tokens written, 1 to 2048 (default 320).
    pub max_tokens: Option<usize>,
}

/// Answer a question with verbatim, cited sentences, or abstain.
#[utoipa::path(
    post,
    path = "/v1/ask",
    tag = "answers",
    request_body = AskRequest,
    responses(
        (status = 200, description = "The answer, as `footnote ask --json` prints it; with `generate` and `stream`, server-sent events (see README, \"Written answers\")", body = Answer),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 404, description = "An unknown document id", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Empty question, wrong types, max_sentences or max_tokens out of range, `generate` without a writing model", body = ErrorBody),
        (status = 503, description = "Starting, or the model's or the writing model's queue is full (see Retry-After)", body = ErrorBody),
    )
)]
pub async fn ask(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<AskRequest>,
) -> Result<Response, ApiError> {
    let ready = state.ready()?;
    non_empty(request.documents.as_deref(), "documents")?;
    let write = WriteRequest::from_fields(
        request.generate,
        request.stream,
        request.show_unverified,
        request.max_tokens,
    )?;
    if write.is_some() {
        written::writer_of(ready)?;
    }
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
    if let Some(write) = write {
        // Unknown document ids are refused before the request waits for the writing model.
        answer::check_request(&snapshot.index, &question, &options)?;
        let work = Work::Answer {
            documents: Documents::Stored(snapshot),
            question,
            query_vector,
            options,
        };
        return written::respond(ready, state.request_timeout(), work, write).await;
    }
    let answer = blocking(move || {
        answer::answer_with_vector(&snapshot.index, &question, &query_vector, &options)
    })
    .await?;
    Ok(Json(answer).into_response())
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
    /// Let the local model write the summary (the service must run with `--llm`); every
    /// written sentence is checked by the verifier, the copied summary given when none is
    /// supported (`mode` says which).
    #[serde(default)]
    pub generate: bool,
    /// With `generate` (one summary, not `per_document`): server-sent events, as for `/v1/ask`.
    #[serde(default)]
    pub stream: bool,
    /// With `generate`: also keep written sentences the verifier did not accept, marked
    /// `"verified": false`.
    #[serde(default)]
    pub show_unverified: bool,
    /// With `generate`: the most tokens written per summary, 1 to 2048 (default 320).
    pub max_tokens: Option<usize>,
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
        (status = 422, description = "Both or neither of `sentences`/`words` misused, empty text, bad ids, `generate` without a writing model", body = ErrorBody),
        (status = 503, description = "Starting, or the model's or the writing model's queue is full", body = ErrorBody),
    )
)]
pub async fn summarize(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SummarizeRequest>,
) -> Result<Response, ApiError> {
    let ready = state.ready()?;
    let length = Length::from_options(request.sentences, request.words)?;
    let write = WriteRequest::from_fields(
        request.generate,
        request.stream,
        request.show_unverified,
        request.max_tokens,
    )?;
    if write.is_some() {
        written::writer_of(ready)?;
    }
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
            if let Some(write) = write {
                let wanted = (0..documents.len()).collect();
                let index = Index::from_vectors(documents, vectors, dim);
                let work = Work::Summary {
                    documents: Documents::AdHoc(Arc::new(index)),
                    wanted,
                    per_document,
                    length,
                };
                return written::respond(ready, state.request_timeout(), work, write).await;
            }
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
            if let Some(write) = write {
                let work = Work::Summary {
                    documents: Documents::Stored(snapshot),
                    wanted,
                    per_document,
                    length,
                };
                return written::respond(ready, state.request_timeout(), work, write).await;
            }
            blocking(move || summaries_of(&snapshot.index, wanted, per_document, length)).await?
        }
    };
    Ok(Json(summaries).into_response())
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
