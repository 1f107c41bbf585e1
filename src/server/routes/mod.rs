//! The HTTP API: request and response types, handlers and the OpenAPI description of both, one
//! module per concern ([`answers`], [`verify`], [`documents`], [`model`], [`operations`], and
//! [`web`], the page at `/`); this
//! module holds what they share (extractors whose rejections are [`ApiError`]s, write access, the
//! OpenAPI document).
//!
//! The OpenAPI document states every constraint a handler enforces and every status a route
//! answers: a request the document allows is served (or refused only for the state of the
//! service: an unknown id 404, a taken id 409, 503 when busy), and one it forbids is refused with
//! a 4xx. Field constraints are written on the request types; what no single field can say is
//! added here ([`FieldRules`], [`EveryRoute`]). `scripts/schemathesis.sh` checks the document
//! against the running service.
//!
//! Handlers only translate HTTP: they validate, then hand model work to the worker and CPU work
//! (segmenting, ranking, summarizing) to blocking threads, so the async runtime only moves bytes.
//! What a request does to the corpus lives in [`super::corpus`]. Answers and summaries are the
//! library's own types, serialized exactly as `footnote ask --json` and `footnote summarize
//! --json` print them.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Content, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema};

use super::error::ApiError;
use super::AppState;
use crate::error::Error;

/// Implements `Deserialize` for request types whose derived deserializer is kept as an inherent
/// function (`#[serde(remote = "Self")]`), taking them from a JSON object only: serde's derived
/// structs also take an array of their fields in order (`["Who?"]` for `{"question": "Who?"}`),
/// which no client means and the OpenAPI document does not allow.
macro_rules! from_objects_only {
    ($($request:ty),+) => {$(
        impl<'de> serde::Deserialize<'de> for $request {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Fields;
                impl<'de> serde::de::Visitor<'de> for Fields {
                    type Value = $request;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a JSON object")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        map: A,
                    ) -> Result<$request, A::Error> {
                        <$request>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(Fields)
            }
        }
    )+};
}

pub mod answers;
pub mod documents;
pub mod model;
pub mod operations;
pub mod verify;
pub mod web;
pub mod written;

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
        answers::ask,
        answers::summarize,
        verify::verify,
        documents::create_documents,
        documents::list_documents,
        documents::get_document,
        documents::get_paragraph,
        documents::delete_document,
        model::embed,
        operations::healthz,
        operations::readyz,
        operations::metrics,
        operations::openapi
    ),
    modifiers(&BearerAuth, &EveryRoute, &FieldRules),
    tags(
        (name = "answers", description = "Questions, summaries and citation checks"),
        (name = "documents", description = "The stored articles"),
        (name = "model", description = "Raw embeddings"),
        (name = "operations", description = "Health, readiness, metrics, this description")
    )
)]
pub struct ApiDoc;

/// The document this service serves: [`ApiDoc`], where writing needs no key (and is never
/// answered 401) when the service has none (`--api-key`).
pub fn document(keyed: bool) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    if !keyed {
        for operation in operations(&mut doc) {
            operation.security = None;
            operation.responses.responses.remove("401");
        }
    }
    doc
}

/// Every operation of the document.
fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

struct BearerAuth;

impl Modify for BearerAuth {
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

/// What every route may answer, whatever its handler does, and the headers every error of a
/// status carries. Two layers run before any handler (`server::router`): a request announcing a body
/// over `--max-body-bytes` is refused with 413, and one that runs past `--request-timeout` with
/// 503 (`timeout`). Every 503 has `Retry-After`, every 401 `WWW-Authenticate: Bearer`
/// ([`ApiError`]'s response).
struct EveryRoute;

impl Modify for EveryRoute {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations(openapi) {
            let responses = &mut operation.responses.responses;
            responses.entry("413".into()).or_insert_with(|| {
                error_response("The request announces a body larger than --max-body-bytes")
            });
            match responses.get_mut("503") {
                Some(RefOr::T(response)) => response
                    .description
                    .push_str("; or the request ran past --request-timeout (`timeout`)"),
                Some(RefOr::Ref(_)) => {}
                None => {
                    responses.insert(
                        "503".into(),
                        error_response("The request ran past --request-timeout (`timeout`)"),
                    );
                }
            }
            for (status, response) in responses.iter_mut() {
                if let (RefOr::T(response), Some((name, header))) = (response, header_of(status)) {
                    response.headers.insert(name.into(), header.into());
                }
            }
        }
    }
}

/// The header every error response of `status` carries.
fn header_of(status: &str) -> Option<(&'static str, Header)> {
    let (name, schema, description) = match status {
        "503" => (
            "Retry-After",
            u64::schema(),
            "Seconds to wait before trying again",
        ),
        "401" => ("WWW-Authenticate", String::schema(), "`Bearer`"),
        _ => return None,
    };
    let header = HeaderBuilder::new()
        .schema(Some(schema))
        .description(Some(description))
        .build();
    Some((name, header))
}

/// An error response: [`ErrorBody`](super::error::ErrorBody) as JSON.
fn error_response(description: &str) -> RefOr<Response> {
    let body = RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"));
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(body)))
        .build()
        .into()
}

/// Rules between the fields of a request, which its derived schema cannot state (it constrains
/// each field alone): JSON Schema, listed in an `allOf` beside the schema's properties. utoipa's
/// [`Object`](utoipa::openapi::schema::Object) has no `allOf` of its own, so the keyword is
/// written through its `extensions` map, which serializes flat, as any keyword.
struct FieldRules;

impl Modify for FieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, rules) in [
            ("AskRequest", answers::ask_rules()),
            ("SummarizeRequest", answers::summarize_rules()),
        ] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object
                    .extensions
                    .get_or_insert_with(Default::default)
                    .insert("allOf".into(), Value::Array(rules));
            }
        }
    }
}

/// A rule of [`FieldRules`]: at most one of two fields is set, where a field is unset when it is
/// absent or equal to its `unset` value.
pub(super) fn at_most_one(description: &str, fields: [(&str, Value); 2]) -> Value {
    let alternatives: Vec<Value> = fields
        .into_iter()
        .map(|(field, unset)| serde_json::json!({ "properties": { field: { "const": unset } } }))
        .collect();
    serde_json::json!({ "description": description, "anyOf": alternatives })
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
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::TaskFailed(e.to_string()))?
        .map_err(ApiError::from)
}

/// Deserializes an optional count given as a JSON number that is a whole number from 0 to
/// 2^64 - 1: `2`, or `2.0`, which JSON Schema's `integer` allows too (a client computing a count
/// in floating point sends it so). Fields using it are `#[serde(default)]`, so that absent is
/// `None` as with a plain `Option`.
pub(super) fn whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    use serde::de::{Error as _, Unexpected};
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    // 2^64, the first float past u64::MAX, is out of range; so is any negative number.
    let whole = number.as_u64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(f))
            .map(|f| f as u64)
    });
    let count = whole.and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
        D::Error::invalid_value(
            Unexpected::Other(&number.to_string()),
            &"a whole number from 0 to 2^64 - 1",
        )
    })?;
    Ok(Some(count))
}

pub(super) fn non_empty<T>(list: Option<&[T]>, field: &str) -> Result<(), ApiError> {
    match list {
        Some([]) => Err(ApiError::Unprocessable(format!(
            "`{field}` is empty: leave it out, or list at least one"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            "/v1/verify",
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

    /// A JSON Schema character class of the characters for which `listed` holds (all in the
    /// BMP), as `\uXXXX` escapes and ranges: the form ECMA-262 and Python regular expressions
    /// both read.
    fn class(listed: impl Fn(char) -> bool) -> String {
        use std::fmt::Write;
        assert!((0x10000..=0x10FFFF)
            .filter_map(char::from_u32)
            .all(|c| !listed(c)));
        let codes: Vec<u32> = (0..=0xFFFF)
            .filter(|&c| char::from_u32(c).is_some_and(&listed))
            .collect();
        let mut class = String::new();
        let mut i = 0;
        while i < codes.len() {
            let start = codes[i];
            while i + 1 < codes.len() && codes[i + 1] == codes[i] + 1 {
                i += 1;
            }
            match codes[i] {
                end if end == start => write!(class, "\\u{start:04X}"),
                end => write!(class, "\\u{start:04X}-\\u{end:04X}"),
            }
            .unwrap();
            i += 1;
        }
        class
    }

    /// The document states exactly what the handlers refuse: blank texts (Rust's whitespace),
    /// ids `is_valid_id` refuses, and the limits of the code.
    #[test]
    fn the_document_states_the_handlers_limits() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let field = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
        let non_blank = format!("[^{}]", class(char::is_whitespace));
        for (schema, name) in [
            ("AskRequest", "question"),
            ("VerifyRequest", "text"),
            ("DocumentInput", "text"),
        ] {
            assert_eq!(field(schema, name)["pattern"], non_blank, "{schema}.{name}");
        }
        let refused = |c: char| c.is_control() || c.is_whitespace() || "[]/¶".contains(c);
        for c in (0..=0xFFFF).filter_map(char::from_u32) {
            assert_eq!(
                crate::document::is_valid_id(&c.to_string()),
                !refused(c),
                "{c:?}"
            );
        }
        let id = field("DocumentInput", "id");
        assert_eq!(id["pattern"], format!("^[^{}]+$", class(refused)));
        let longest = id["maxLength"].as_u64().unwrap() as usize;
        assert!(crate::document::is_valid_id(&"a".repeat(longest)));
        assert!(!crate::document::is_valid_id(&"a".repeat(longest + 1)));

        assert_eq!(
            field("VerifyRequest", "text")["maxLength"],
            crate::verify::MAX_TEXT_CHARS
        );
        assert_eq!(
            field("EmbedRequest", "inputs")["maxItems"],
            model::MAX_EMBED_INPUTS
        );
        assert_eq!(
            field("AskRequest", "max_sentences")["maximum"],
            crate::answer::MAX_ANSWER_SENTENCES
        );
        for schema in ["AskRequest", "SummarizeRequest"] {
            assert_eq!(field(schema, "max_tokens")["maximum"], written::MAX_TOKENS);
        }
        let limit = &doc["paths"]["/v1/documents"]["get"]["parameters"][1];
        assert_eq!(limit["name"], "limit");
        assert_eq!(limit["schema"]["maximum"], documents::MAX_PAGE);
        // Counts parse as 64-bit numbers, so 2^64 and above are out of the document.
        assert_eq!(
            field("SummarizeRequest", "words")["maximum"],
            json!(u64::MAX)
        );
    }

    #[test]
    fn the_served_document_asks_for_a_key_only_where_there_is_one() {
        for keyed in [true, false] {
            let doc = serde_json::to_value(document(keyed)).unwrap();
            for (path, method) in [("/v1/documents", "post"), ("/v1/documents/{id}", "delete")] {
                let operation = &doc["paths"][path][method];
                assert_eq!(operation["security"].is_array(), keyed, "{path}");
                assert_eq!(operation["responses"]["401"].is_object(), keyed, "{path}");
            }
            assert!(doc["paths"]["/v1/ask"]["post"]["security"].is_null());
        }
    }

    #[test]
    fn every_route_states_the_answers_of_the_layers_before_it() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let responses = &operation["responses"];
                assert!(responses["413"].is_object(), "{method} {path}");
                let unavailable = &responses["503"];
                assert!(
                    unavailable["description"]
                        .as_str()
                        .unwrap()
                        .contains("--request-timeout"),
                    "{method} {path}"
                );
                assert!(unavailable["headers"]["Retry-After"].is_object());
                if responses["401"].is_object() {
                    assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object());
                }
                operations += 1;
            }
        }
        assert_eq!(operations, 13);
    }

    #[test]
    fn counts_are_whole_numbers_written_either_way() {
        #[derive(Deserialize)]
        struct Count {
            #[serde(default, deserialize_with = "whole_number")]
            n: Option<usize>,
        }
        let count = |body: &str| serde_json::from_str::<Count>(body).map(|c| c.n);
        for (body, n) in [
            ("{}", None),
            (r#"{"n": null}"#, None),
            (r#"{"n": 2}"#, Some(2)),
            (r#"{"n": 2.0}"#, Some(2)),
            (r#"{"n": 1e2}"#, Some(100)),
            (r#"{"n": 18446744073709551615}"#, Some(usize::MAX)),
        ] {
            assert_eq!(count(body).unwrap(), n, "{body}");
        }
        for body in [
            r#"{"n": 2.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": -1.0}"#,
            r#"{"n": "2"}"#,
            r#"{"n": 18446744073709551616}"#,
            r#"{"n": 1e300}"#,
        ] {
            assert!(count(body).is_err(), "{body}");
        }
    }

    #[test]
    fn requests_are_objects_not_arrays_of_their_fields() {
        let ask = |body: &str| serde_json::from_str::<answers::AskRequest>(body);
        assert!(ask(r#"{"question": "Who?"}"#).is_ok());
        let refused = ask(r#"["Who?"]"#).unwrap_err().to_string();
        assert!(refused.contains("expected a JSON object"), "{refused}");
        assert!(ask(r#"{"question": "Who?", "typo": 1}"#).is_err());
        let summarize = |body: &str| serde_json::from_str::<answers::SummarizeRequest>(body);
        assert!(summarize(r#"{"articles": [{"text": "A b c."}]}"#).is_ok());
        assert!(summarize(r#"{"articles": [[null, null, "A b c."]]}"#).is_err());
        assert!(summarize("[null, null]").is_err());
    }
}
