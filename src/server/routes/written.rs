//! `"generate": true` on `/v1/ask` and `/v1/summarize`: the answer or summary written by the
//! local model under the verifier ([`crate::writer`]), as one JSON response or, with
//! `"stream": true`, as server-sent events.
//!
//! The work runs on the writing model's thread ([`crate::write_worker`]), behind its own bounded
//! queue; it embeds written sentences through the embedding worker like any question. It stops
//! when the request's time (`--request-timeout`, counted from the request's arrival, so the wait
//! in the queue counts) is spent, or when the client disconnects. The stream's events, each `data:` a JSON object:
//!
//! - `event: piece`: `{"text"}`, text as it is written (the draft, not yet checked);
//! - `event: verdict`: `{"index", "text", "citations", "verdict", "verified", "reasons"}`, one per
//!   finished sentence, as the verifier judged it against its citations;
//! - `event: final`: the same JSON as the response without `stream`, which is authoritative (a
//!   sentence repeated, or past `max_sentences`, is not in it);
//! - `event: error`: `{"error": {"code", "message"}}`, instead of `final` when writing failed;
//! - then `data: [DONE]`, as OpenAI-style clients expect.
//!
//! [`AnswerEvents`] and [`SummaryEvents`] describe them in the OpenAPI document.

use std::borrow::Cow;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_stream::StreamExt;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::answers::SummarizeResponse;
use crate::answer::{self, Answer, AskOptions};
use crate::citation::Citation;
use crate::compose::{self, SentenceTracker};
use crate::error::Error;
use crate::index::Index;
use crate::server::corpus::Snapshot;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::Ready;
use crate::summarize::{self, Length, Summary};
use crate::verify::{Claim, Verdict, Verifier};
use crate::worker::{Priority, Worker};
use crate::writer::{WriteOptions, Writer};

/// The most tokens a request may ask the model to write.
pub const MAX_TOKENS: usize = 2048;

/// The writing options of a request, checked.
#[derive(Debug, Clone, Copy)]
pub struct WriteRequest {
    pub options: WriteOptions,
    pub stream: bool,
}

impl WriteRequest {
    /// The request's writing fields: `None` without `generate`, where the others are refused.
    pub fn from_fields(
        generate: bool,
        stream: bool,
        show_unverified: bool,
        max_tokens: Option<usize>,
    ) -> Result<Option<Self>, ApiError> {
        if !generate {
            if stream || show_unverified || max_tokens.is_some() {
                return Err(ApiError::Unprocessable(
                    "`stream`, `show_unverified` and `max_tokens` apply to written answers: add \
                     \"generate\": true"
                        .into(),
                ));
            }
            return Ok(None);
        }
        let max_tokens = max_tokens.unwrap_or(compose::DEFAULT_MAX_TOKENS);
        if !(1..=MAX_TOKENS).contains(&max_tokens) {
            return Err(ApiError::Unprocessable(format!(
                "max_tokens must be between 1 and {MAX_TOKENS}"
            )));
        }
        Ok(Some(WriteRequest {
            options: WriteOptions {
                max_tokens,
                show_unverified,
                ..WriteOptions::default()
            },
            stream,
        }))
    }
}

/// The first check of [`WriteRequest::from_fields`] as a rule of a request's schema (see
/// `routes::FieldRules`).
pub fn write_fields_rule() -> Value {
    json!({
        "description": "`stream`, `show_unverified` and `max_tokens` need `\"generate\": true`",
        "anyOf": [
            { "required": ["generate"], "properties": { "generate": { "const": true } } },
            { "properties": {
                "stream": { "const": false },
                "show_unverified": { "const": false },
                "max_tokens": { "const": null }
            } }
        ]
    })
}

/// The index a request reads: the stored documents' snapshot, or articles sent with it.
pub enum Documents {
    Stored(Arc<Snapshot>),
    AdHoc(Arc<Index>),
}

impl Documents {
    fn index(&self) -> &Index {
        match self {
            Documents::Stored(snapshot) => &snapshot.index,
            Documents::AdHoc(index) => index,
        }
    }
}

/// What the model is asked to write.
pub enum Work {
    Answer {
        documents: Documents,
        question: String,
        query_vector: Vec<f32>,
        options: AskOptions,
    },
    /// One summary of `wanted` (positions in the index), or one per document.
    Summary {
        documents: Documents,
        wanted: Vec<usize>,
        per_document: bool,
        length: Length,
    },
}

/// One server-sent event.
#[derive(Serialize)]
#[serde(untagged)]
enum StreamEvent {
    Piece(Piece),
    Verdict(SentenceVerdict),
    Final(serde_json::Value),
    Error(ErrorBody),
}

/// The data of a `piece` event.
#[derive(Serialize, ToSchema)]
pub struct Piece {
    /// Text as the model writes it: the draft, not yet checked.
    pub text: String,
}

/// The data of a `verdict` event: a finished written sentence, as the verifier judged it against
/// its citations.
#[derive(Serialize, ToSchema)]
pub struct SentenceVerdict {
    /// The sentence's place among those written, from 0.
    pub index: usize,
    pub text: String,
    pub citations: Vec<Citation>,
    pub verdict: Verdict,
    /// Whether the verifier supports it (`verdict` is `supported`).
    pub verified: bool,
    pub reasons: Vec<String>,
}

impl StreamEvent {
    fn name(&self) -> &'static str {
        match self {
            StreamEvent::Piece(_) => "piece",
            StreamEvent::Verdict(_) => "verdict",
            StreamEvent::Final(_) => "final",
            StreamEvent::Error(_) => "error",
        }
    }
}

/// The events of a streamed answer (`final` carries an [`Answer`]).
pub struct AnswerEvents;

/// The events of a streamed summary (`final` carries a [`Summary`]).
pub struct SummaryEvents;

impl PartialSchema for AnswerEvents {
    fn schema() -> RefOr<Schema> {
        events_schema::<Answer>()
    }
}

impl ToSchema for AnswerEvents {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        event_schemas::<Answer>(schemas);
    }
}

impl PartialSchema for SummaryEvents {
    fn schema() -> RefOr<Schema> {
        events_schema::<Summary>()
    }
}

impl ToSchema for SummaryEvents {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        event_schemas::<Summary>(schemas);
    }
}

/// The events of a stream whose `final` event carries an `F`, each as a client reads it: its
/// name (`event:`) and its data (`data:`, JSON whose schema `contentSchema` gives). The stream
/// ends with `data: [DONE]`, an event without a name, which clients read as `message`. The
/// schema is that of one event, as OpenAPI 3.2's `itemSchema` has it and schemathesis reads an
/// event stream's schema in 3.1.
fn events_schema<F: ToSchema>() -> RefOr<Schema> {
    let event = |name: &str, data: Schema| {
        ObjectBuilder::new()
            .property(
                "event",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([name])),
            )
            .required("event")
            .property("data", data)
            .required("data")
    };
    let json = |payload: Cow<'static, str>| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/json")
            .content_schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                payload,
            ))))
            .into()
    };
    let done = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["[DONE]"]))
        .into();
    OneOfBuilder::new()
        .description(Some(
            "One server-sent event: `piece` (the draft as it is written), `verdict` (each \
             finished sentence, checked), then `final` (the response's JSON) or `error`, then \
             `data: [DONE]`",
        ))
        .item(event("piece", json(Piece::name())))
        .item(event("verdict", json(SentenceVerdict::name())))
        .item(event("final", json(F::name())))
        .item(event("error", json(ErrorBody::name())))
        .item(event("message", done))
        .into()
}

/// The schemas [`events_schema`] refers to.
fn event_schemas<F: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.extend([
        (Piece::name().into(), Piece::schema()),
        (SentenceVerdict::name().into(), SentenceVerdict::schema()),
        (F::name().into(), F::schema()),
        (ErrorBody::name().into(), ErrorBody::schema()),
    ]);
    Piece::schemas(schemas);
    SentenceVerdict::schemas(schemas);
    F::schemas(schemas);
    ErrorBody::schemas(schemas);
}

type Events = mpsc::UnboundedSender<StreamEvent>;

/// The service's writing model, or the 422 that says how to start it with one: checked before
/// any work is spent on a request that asks to write.
pub fn writer_of(ready: &Ready) -> Result<&crate::write_worker::WriteWorker, ApiError> {
    ready.writer.as_ref().ok_or_else(|| {
        ApiError::Unprocessable(
            "this service has no writing model: start it with --llm to use \"generate\": true"
                .into(),
        )
    })
}

/// Writes the answer or summary: the JSON response, or the event stream.
pub async fn respond(
    ready: &Ready,
    timeout: Duration,
    work: Work,
    request: WriteRequest,
) -> Result<Response, ApiError> {
    let writer = writer_of(ready)?;
    if request.stream
        && matches!(
            work,
            Work::Summary {
                per_document: true,
                ..
            }
        )
    {
        return Err(ApiError::Unprocessable(
            "a stream carries one summary: leave out `per_document`, or `stream`".into(),
        ));
    }
    let embedder = ready.worker.clone();
    let deadline = Instant::now() + timeout;
    let options = request.options;
    if !request.stream {
        // Dropped with this handler's future when the client leaves or the time runs out: the
        // writing then stops at its next token.
        let waiting = Waiting::default();
        let gone = waiting.gone.clone();
        let reply = writer.submit(move |w| {
            let until = Until { deadline, gone };
            write(w, &work, &options, &embedder, &until, None)
        })?;
        let value = reply
            .await
            .map_err(|_| Error::TaskFailed("the writing model failed on this request".into()))??;
        drop(waiting);
        return Ok(Json(value).into_response());
    }
    let (events, receiver) = mpsc::unbounded_channel();
    let reply = writer.submit(move |w| {
        let until = Until {
            deadline,
            gone: Arc::default(),
        };
        // A panic must still end the stream with an `error` event, never with [DONE] alone.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write(w, &work, &options, &embedder, &until, Some(&events))
        }));
        let last = match outcome {
            Ok(Ok(value)) => StreamEvent::Final(value),
            Ok(Err(e)) => {
                tracing::warn!("a streamed answer failed: {e}");
                StreamEvent::Error(ApiError::from(e).body())
            }
            Err(_) => {
                tracing::error!("the writing model panicked on a streamed request");
                let e = Error::TaskFailed("the writing model failed on this request".into());
                StreamEvent::Error(ApiError::from(e).body())
            }
        };
        let _ = events.send(last);
    })?;
    let stream = UnboundedReceiverStream::new(receiver)
        .map(move |event| {
            // The reply is held as long as the stream: a client that disconnects drops both,
            // and a job still queued is then skipped.
            let _held = &reply;
            let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
            Ok::<Event, Infallible>(Event::default().event(event.name()).data(data))
        })
        .chain(tokio_stream::once(Ok(Event::default().data("[DONE]"))));
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Sets `gone` when dropped: the handler of a request not streamed holds it while it waits.
#[derive(Default)]
struct Waiting {
    gone: Arc<AtomicBool>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.gone.store(true, Ordering::SeqCst);
    }
}

/// When the writing must stop: the request's time, or its client gone.
struct Until {
    deadline: Instant,
    gone: Arc<AtomicBool>,
}

impl Until {
    fn reached(&self) -> bool {
        Instant::now() >= self.deadline || self.gone.load(Ordering::SeqCst)
    }
}

/// Runs on the writing model's thread: the extractive result, then the written one.
fn write(
    writer: &mut Writer,
    work: &Work,
    options: &WriteOptions,
    embedder: &Worker,
    until: &Until,
    events: Option<&Events>,
) -> Result<serde_json::Value, Error> {
    // The request's time ran out while it waited its turn: no prefill is spent on it.
    if until.reached() {
        return Err(Error::TaskFailed(
            "the request's time ran out while it waited for the writing model".into(),
        ));
    }
    let mut embed = |texts: &[&str]| {
        embedder.embed_blocking(
            texts.iter().map(|t| t.to_string()).collect(),
            Priority::Interactive,
        )
    };
    let value = match work {
        Work::Answer {
            documents,
            question,
            query_vector,
            options: ask,
        } => {
            let index = documents.index();
            let extractive = answer::answer_with_vector(index, question, query_vector, ask)?;
            let ranked = answer::ranked_paragraphs(
                index,
                question,
                query_vector,
                ask,
                compose::ANSWER_SOURCES,
            )?;
            let only = answer::resolve_documents(index, ask.documents.as_deref())?;
            let mut live = Live::new(index, only.as_ref(), events, embedder, until);
            let answer = writer.answer(
                index,
                question,
                extractive,
                &ranked,
                only.as_ref(),
                ask.max_sentences,
                options,
                &mut embed,
                &mut |piece| live.piece(piece),
            )?;
            live.finish();
            serde_json::to_value(answer)
        }
        Work::Summary {
            documents,
            wanted,
            per_document,
            length,
        } => {
            let index = documents.index();
            let groups: Vec<Vec<usize>> = if *per_document {
                wanted.iter().map(|&d| vec![d]).collect()
            } else {
                vec![wanted.clone()]
            };
            let mut summaries = Vec::new();
            for group in groups {
                if until.reached() {
                    return Err(Error::TaskFailed(
                        "the request's time ran out before every summary was written".into(),
                    ));
                }
                let extractive = summarize::summarize(index, &group, *length)?;
                let only: HashSet<usize> = group.iter().copied().collect();
                let mut live = Live::new(index, Some(&only), events, embedder, until);
                summaries.push(writer.summary(
                    index,
                    &group,
                    extractive,
                    *length,
                    options,
                    &mut embed,
                    &mut |piece| live.piece(piece),
                )?);
                live.finish();
            }
            if *per_document {
                serde_json::to_value(SummarizeResponse::PerDocument(summaries))
            } else {
                let one = summaries
                    .pop()
                    .ok_or_else(|| Error::TaskFailed("no summary was made".into()))?;
                serde_json::to_value(SummarizeResponse::One(one))
            }
        }
    };
    value.map_err(|e| Error::TaskFailed(format!("serializing the response: {e}")))
}

/// What happens as the model writes: the deadline and the client are watched and, when streaming, pieces are
/// sent, and each finished sentence is verified and its verdict sent.
struct Live<'a> {
    verifier: Verifier<'a>,
    events: Option<&'a Events>,
    embedder: &'a Worker,
    until: &'a Until,
    text: String,
    tracker: SentenceTracker,
    sent: usize,
}

impl<'a> Live<'a> {
    fn new(
        index: &'a Index,
        only: Option<&HashSet<usize>>,
        events: Option<&'a Events>,
        embedder: &'a Worker,
        until: &'a Until,
    ) -> Self {
        Live {
            verifier: Verifier::new(index, only),
            events,
            embedder,
            until,
            text: String::new(),
            tracker: SentenceTracker::default(),
            sent: 0,
        }
    }

    /// Takes a piece; false stops the writing (time spent, or the client gone).
    fn piece(&mut self, piece: &str) -> bool {
        if self.until.reached() {
            return false;
        }
        let Some(events) = self.events else {
            return true;
        };
        if piece.is_empty() {
            return !events.is_closed();
        }
        self.text.push_str(piece);
        let sent = events.send(StreamEvent::Piece(Piece {
            text: piece.to_string(),
        }));
        let finished = self.tracker.finished(&self.text, false);
        self.verdicts(finished);
        sent.is_ok()
    }

    /// The verdicts of the sentences still open when the writing ended.
    fn finish(&mut self) {
        if self.events.is_some() {
            let rest = self.tracker.finished(&self.text, true);
            self.verdicts(rest);
        }
    }

    fn verdicts(&mut self, claims: Vec<Claim>) {
        let Some(events) = self.events else { return };
        for claim in claims {
            let vector = match self
                .embedder
                .embed_blocking(vec![claim.text.clone()], Priority::Interactive)
            {
                Ok(mut v) => v.pop().unwrap_or_default(),
                // The final event still judges it; a verdict event is only a preview. The
                // index still counts it, so that later verdicts name the right sentence.
                Err(e) => {
                    tracing::warn!("no verdict event for a written sentence: {e}");
                    self.sent += 1;
                    continue;
                }
            };
            let report = self.verifier.verify_claim(claim, &vector);
            let _ = events.send(StreamEvent::Verdict(SentenceVerdict {
                index: self.sent,
                verified: report.verdict == Verdict::Supported,
                text: report.text,
                citations: report.citations,
                verdict: report.verdict,
                reasons: report.reasons,
            }));
            self.sent += 1;
        }
    }
}
