//! `POST /v1/verify`: checks the citations of a text against the stored documents, sentence by
//! sentence, as `footnote verify --json` does.

use std::collections::HashSet;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{blocking, non_empty, ApiJson};
use crate::server::error::{ApiError, ErrorBody};
use crate::server::AppState;
use crate::verify::{self, Report};
use crate::worker::Priority;

/// Sentences verified (counter), by verdict.
pub const VERIFIED_SENTENCES: &str = "footnote_verified_sentences_total";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct VerifyRequest {
    /// The text: sentences followed by citations in footnote's form, `[doc ¶n]`, `[doc ¶2, ¶3]`;
    /// not blank, at most 1,000,000 characters.
    #[schema(
        example = "Biden and Putin spoke for 50 minutes on Thursday. [002_4612034cd8f006a6 ¶2]",
        max_length = 1000000,
        pattern = r"[^\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028-\u2029\u202F\u205F\u3000]"
    )]
    pub text: String,
    /// Verify against these stored documents only (ids): a citation of another document is then
    /// invalid, and only their paragraphs are suggested. All documents when left out; an unknown
    /// id is answered 404.
    #[schema(min_items = 1)]
    pub documents: Option<Vec<String>>,
}

from_objects_only!(VerifyRequest);

/// Check each sentence of a text against the paragraphs it cites: `supported`, `unsupported`
/// (with the reasons), `uncited` or `invalid_citation`, and the paragraphs that would support it.
#[utoipa::path(
    post,
    path = "/v1/verify",
    tag = "answers",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "A verdict per sentence, as `footnote verify --json` prints it", body = Report),
        (status = 400, description = "Malformed JSON, or a body that is not UTF-8", body = ErrorBody),
        (status = 404, description = "An unknown document id in `documents`", body = ErrorBody),
        (status = 413, description = "The body is larger than --max-body-bytes", body = ErrorBody),
        (status = 415, description = "Not JSON (`Content-Type: application/json`)", body = ErrorBody),
        (status = 422, description = "A body the schema refuses: a blank text, a text over 1,000,000 characters, wrong types, an unknown field, an empty `documents`", body = ErrorBody),
        (status = 503, description = "Starting, or the store's database cannot be reached (`not_ready`), the model's queue is full (`overloaded`), or shutting down", body = ErrorBody),
    )
)]
pub async fn verify(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Json<Report>, ApiError> {
    let ready = state.ready()?;
    non_empty(request.documents.as_deref(), "documents")?;
    verify::check_text(&request.text)?;
    let text = request.text;
    let parsed = blocking(move || Ok(verify::parse(&text))).await?;
    // The cited documents and those the text is checked against: what the claims' vectors are
    // looked up in first, then (with the nearest paragraphs' documents) what is read.
    let limited = request.documents.is_some();
    let mut wanted: Vec<String> = parsed.cited().into_iter().map(String::from).collect();
    wanted.extend(request.documents.iter().flatten().cloned());
    let claims_text: String = parsed
        .claims
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let cited = ready
        .corpus
        .for_claims(&wanted, &[], limited, &claims_text)
        .await?;
    // Unknown documents are refused before any work is spent on the model.
    if let Some(ids) = &request.documents {
        for id in ids {
            cited.position(id)?;
        }
    }
    let (parsed, known) = blocking(move || {
        let known = verify::ClaimVectors::new(&cited.index, &parsed);
        Ok((parsed, known))
    })
    .await?;
    // Claims that copy a sentence of a cited document reuse its vector: only the rest queue
    // for the model.
    let claims: Vec<String> = known
        .missing(&parsed)
        .into_iter()
        .map(String::from)
        .collect();
    let embedded = if claims.is_empty() {
        Vec::new()
    } else {
        ready.worker.embed(claims, Priority::Interactive).await?
    };
    let vectors = known.complete(embedded)?;
    let snapshot = ready
        .corpus
        .for_claims(&wanted, &vectors, limited, &claims_text)
        .await?;
    let only = match &request.documents {
        Some(ids) => Some(
            ids.iter()
                .map(|id| snapshot.position(id))
                .collect::<Result<HashSet<usize>, _>>()?,
        ),
        None => None,
    };
    let report =
        blocking(move || verify::report(&snapshot.index, only.as_ref(), parsed, vectors)).await?;
    for sentence in &report.sentences {
        metrics::counter!(VERIFIED_SENTENCES, "verdict" => sentence.verdict.name()).increment(1);
    }
    Ok(Json(report))
}
