//! `POST /v1/ask` and `POST /v1/summarize`: questions and summaries over the stored documents
//! (or, for summaries, over articles sent with the request and not stored); with `"generate":
//! true`, written by the local model ([`super::written`]).

use std::collections::HashSet;

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::documents::{segment, DocumentInput};
use super::written::{self, AnswerEvents, Documents, SummaryEvents, Work, WriteRequest};
use super::{at_most_one, blocking, non_empty, whole_number, ApiJson};
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
#[serde(deny_unknown_fields, remote = "Self")]
pub struct AskRequest {
    /// The question: not blank (at least one character that is not whitespace).
    #[schema(
        example = "How long did the call between Biden and Putin last?",
        pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]"
    )]
    pub question: String,
    /// Answer only from these stored documents (ids); all documents when left out. An unknown id
    /// is answered 404.
    #[schema(min_items = 1)]
    pub documents: Option<Vec<String>>,
    /// Most sentences in the answer, 1 to 3 (default 3).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 3)]
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
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 2048)]
    pub max_tokens: Option<usize>,
}

from_objects_only!(AskRequest);

/// What [`AskRequest`]'s fields cannot say alone (see [`super::FieldRules`]).
pub(super) fn ask_rules() -> Vec<Value> {
    vec![written::write_fields_rule()]
}

/// Answer a question with verbatim, cited sentences, or abstain.
#[utoipa::path(
    post,
    path = "/v1/ask",
    tag = "answers",
    request_body = AskRequest,
    responses(
        (status = 200, description = "The answer, as `footnote ask --json` prints it; with `generate` and `stream`, server-sent events (see README, \"Written answers\")",
            content((Answer = "application/json"), (AnswerEvents = "text/event-stream"))),
        (status = 400, description = "Malformed JSON, or a body that is not UTF-8", body = ErrorBody),
        (status = 404, description = "An unknown document id in `documents`", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON (`Content-Type: application/json`)", body = ErrorBody),
        (status = 422, description = "A body the schema refuses: a blank question, wrong types, an unknown field, an empty `documents`, `max_sentences` or `max_tokens` out of range, `stream`, `show_unverified` or `max_tokens` without `generate`; or `generate` on a service without a writing model (`--llm`; `writer` is null in /readyz)", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`), the model's or the writing model's queue is full (`overloaded`), or shutting down", body = ErrorBody),
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
    let snapshot = ready
        .corpus
        .for_question(&question, &query_vector, options.documents.as_deref())
        .await?;
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
#[serde(deny_unknown_fields, remote = "Self")]
pub struct SummarizeRequest {
    /// Stored documents to summarize (ids); an unknown id is answered 404. Leave out both this
    /// and `articles` to summarize every stored document.
    #[schema(min_items = 1)]
    pub documents: Option<Vec<String>>,
    /// Articles to summarize without storing them. Two with the same id (given, or derived from
    /// the same text) are answered 409.
    #[schema(min_items = 1)]
    pub articles: Option<Vec<DocumentInput>>,
    /// Number of sentences (default 5).
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 18446744073709551615usize)]
    pub sentences: Option<usize>,
    /// A word budget instead of a sentence count.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 18446744073709551615usize)]
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
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 1, maximum = 2048)]
    pub max_tokens: Option<usize>,
}

from_objects_only!(SummarizeRequest);

/// What [`SummarizeRequest`]'s fields cannot say alone (see [`super::FieldRules`]).
pub(super) fn summarize_rules() -> Vec<Value> {
    vec![
        written::write_fields_rule(),
        at_most_one(
            "`documents` (stored) or `articles` (sent), not both",
            [("documents", Value::Null), ("articles", Value::Null)],
        ),
        at_most_one(
            "`sentences` or `words`, not both",
            [("sentences", Value::Null), ("words", Value::Null)],
        ),
        at_most_one(
            "a stream carries one summary: `stream` or `per_document`, not both",
            [
                ("stream", Value::Bool(false)),
                ("per_document", Value::Bool(false)),
            ],
        ),
    ]
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
        (status = 200, description = "The summary as `footnote summarize --json` prints it, or an array of them with `per_document`; with `generate` and `stream`, server-sent events (see README, \"Written answers\")",
            content((SummarizeResponse = "application/json"), (SummaryEvents = "text/event-stream"))),
        (status = 400, description = "Malformed JSON, or a body that is not UTF-8", body = ErrorBody),
        (status = 404, description = "An unknown document id in `documents`", body = ErrorBody),
        (status = 409, description = "Two articles have the same id", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON (`Content-Type: application/json`)", body = ErrorBody),
        (status = 422, description = "A body the schema refuses: wrong types, an unknown field, an empty array, a length of 0, both `sentences` and `words`, both `documents` and `articles`, a blank text or a bad id in `articles`, `stream`, `show_unverified` or `max_tokens` without `generate`, `stream` with `per_document`; or `generate` on a service without a writing model (`--llm`; `writer` is null in /readyz)", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`), the model's or the writing model's queue is full (`overloaded`), or shutting down", body = ErrorBody),
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
                return Err(ApiError::Conflict(format!(
                    "two articles have the id `{}`; ids must differ (an id left out is derived \
                     from the text)",
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
            let snapshot = ready.corpus.of_documents(ids.as_deref()).await?;
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
