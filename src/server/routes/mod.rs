//! The HTTP API: request and response types, handlers and the OpenAPI description of both, one
//! module per concern ([`answers`], [`verify`], [`documents`], [`model`], [`operations`], and
//! [`web`], the page at `/`); this
//! module holds what they share (extractors whose rejections are [`ApiError`]s, the API key for
//! writes and, with `--protect-reads`, reads; the OpenAPI document).
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

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::IntoResponse;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
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

/// Which requests need the API key, as the document describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyNeeded {
    /// No `--api-key`: nothing is ever answered 401.
    Never,
    /// `--api-key`: writes need it.
    ForWrites,
    /// `--api-key --protect-reads`: every `/v1` route and `/metrics` need it.
    ForAll,
}

/// The document this service serves: [`ApiDoc`], with the key and its 401 where the service asks
/// for one.
pub fn document(key: KeyNeeded) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    match key {
        KeyNeeded::ForWrites => {}
        KeyNeeded::Never => {
            for operation in operations(&mut doc) {
                operation.security = None;
                operation.responses.responses.remove("401");
            }
        }
        KeyNeeded::ForAll => {
            for (path, item) in doc.paths.paths.iter_mut() {
                if !(path.starts_with("/v1/") || path == "/metrics") {
                    continue;
                }
                for operation in operations_of(item) {
                    operation.security =
                        Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                            "api_key",
                            Vec::<String>::new(),
                        )]);
                    operation
                        .responses
                        .responses
                        .entry("401".into())
                        .or_insert_with(|| {
                            error_response(
                            "The service protects reads (--protect-reads) and the request does not \
                             carry its API key",
                        )
                        });
                }
            }
            add_error_headers(&mut doc);
        }
    }
    doc
}

/// Every operation of the document.
fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(operations_of)
}

/// The operations of one path.
fn operations_of(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
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
/// status carries. Layers run before any handler (`server::router`, `server::listen`): a body
/// announced or sent over `--max-body-bytes` is refused with 413, one that has not arrived within
/// `--body-timeout` with 408, a request that runs past `--request-timeout` with 503 (`timeout`),
/// and a connection past `--max-connections` with 503 (`overloaded`). Every 503 has
/// `Retry-After`, every 401 `WWW-Authenticate: Bearer` ([`ApiError`]'s response).
struct EveryRoute;

impl Modify for EveryRoute {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for operation in operations(openapi) {
            let has_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            responses.entry("413".into()).or_insert_with(|| {
                error_response("The request announces or sends a body larger than --max-body-bytes")
            });
            if has_body {
                responses.entry("408".into()).or_insert_with(|| {
                    error_response(
                        "The body did not all arrive within --body-timeout (`request_timeout`)",
                    )
                });
            }
            const LAYERS: &str = "the request ran past --request-timeout (`timeout`), or \
                 --max-connections connections were open (`overloaded`)";
            match responses.get_mut("503") {
                Some(RefOr::T(response)) => {
                    response.description.push_str("; or ");
                    response.description.push_str(LAYERS);
                }
                Some(RefOr::Ref(_)) => {}
                None => {
                    let mut text = LAYERS.to_string();
                    text[..1].make_ascii_uppercase();
                    responses.insert("503".into(), error_response(&text));
                }
            }
        }
        add_error_headers(openapi);
    }
}

/// The headers of every error response of a status that carries one.
fn add_error_headers(openapi: &mut utoipa::openapi::OpenApi) {
    for operation in operations(openapi) {
        for (status, response) in operation.responses.responses.iter_mut() {
            if let (RefOr::T(response), Some((name, header))) = (response, header_of(status)) {
                response.headers.insert(name.into(), header.into());
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

/// Middleware on the API's routes, before the body is read: a request that needs the API key
/// (a write, whenever the service has one: POST and DELETE on `/v1/documents`; any request here
/// with `--protect-reads`) and does not carry it is refused with 401.
pub async fn key_access(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> axum::response::Response {
    let write = matches!(*request.method(), Method::POST | Method::DELETE)
        && request.uri().path().starts_with("/v1/documents");
    let needed = match state.key_needed() {
        KeyNeeded::ForAll => state.api_key(),
        KeyNeeded::ForWrites if write => state.api_key(),
        _ => None,
    };
    match needed {
        Some(key) if !carries_key(request.headers(), key) => ApiError::Unauthorized.into_response(),
        _ => next.run(request).await,
    }
}

/// Whether the headers carry `Authorization: Bearer <key>`. The two are compared as SHA-256
/// digests in constant time, so neither where they differ nor the key's length shows in the time
/// taken.
fn carries_key(headers: &HeaderMap, key: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|given| {
        let given = Sha256::digest(given.trim().as_bytes());
        bool::from(given.ct_eq(&Sha256::digest(key.as_bytes())))
    })
}

/// Runs CPU-bound work on a blocking thread.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(crate::task::blocking(work).await?)
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
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        assert!(carries_key(&with("Bearer secret"), "secret"));
        assert!(carries_key(&with("Bearer  secret "), "secret"));
        assert!(!carries_key(&with("Bearer secreT"), "secret"));
        assert!(!carries_key(&with("Bearer secret2"), "secret"));
        assert!(!carries_key(&with("Bearer secre"), "secret"));
        assert!(!carries_key(&with("secret"), "secret"));
        assert!(!carries_key(&HeaderMap::new(), "secret"));
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
        for key in [KeyNeeded::Never, KeyNeeded::ForWrites, KeyNeeded::ForAll] {
            let keyed = key != KeyNeeded::Never;
            let doc = serde_json::to_value(document(key)).unwrap();
            for (path, method) in [("/v1/documents", "post"), ("/v1/documents/{id}", "delete")] {
                let operation = &doc["paths"][path][method];
                assert_eq!(operation["security"].is_array(), keyed, "{path}");
                assert_eq!(operation["responses"]["401"].is_object(), keyed, "{path}");
            }
            let reads_keyed = key == KeyNeeded::ForAll;
            for (path, method) in [
                ("/v1/ask", "post"),
                ("/v1/documents", "get"),
                ("/metrics", "get"),
            ] {
                let operation = &doc["paths"][path][method];
                assert_eq!(operation["security"].is_array(), reads_keyed, "{path}");
                let unauthorized = &operation["responses"]["401"];
                assert_eq!(unauthorized.is_object(), reads_keyed, "{path}");
                if reads_keyed {
                    assert!(unauthorized["headers"]["WWW-Authenticate"].is_object());
                }
            }
            for path in ["/healthz", "/readyz", "/openapi.json"] {
                assert!(doc["paths"][path]["get"]["security"].is_null(), "{path}");
            }
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
