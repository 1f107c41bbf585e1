//! The JSON request bodies of the HTTP API (and the query of `GET /v1/documents`): arbitrary
//! bytes decoded exactly as the handlers' extractor decodes them (`axum::Json::from_bytes`, the
//! first byte picking the route), then put through the same pure checks the handlers run before
//! any model work: writing options, question, summary length, verify text limits, and the
//! segmenting of every document sent.
//!
//! Invariants: nothing panics; a question that passes the check is trimmed and non-empty; a
//! verify text that passes is non-empty and within the limit; a document that is accepted has a
//! valid id and paragraphs numbered from 1.
#![no_main]

use axum::extract::Query;
use axum::http::Uri;
use axum::Json;
use footnote::answer::{check_question, AskOptions, MAX_ANSWER_SENTENCES};
use footnote::document::{is_valid_id, Document};
use footnote::server::routes::answers::{AskRequest, SummarizeRequest};
use footnote::server::routes::documents::{DocumentInput, DocumentsBody, ListQuery};
use footnote::server::routes::model::EmbedRequest;
use footnote::server::routes::verify::VerifyRequest;
use footnote::server::routes::written::WriteRequest;
use footnote::summarize::Length;
use footnote::verify::{check_text, parse, MAX_TEXT_CHARS};
use libfuzzer_sys::fuzz_target;

fn segment(input: DocumentInput) {
    if let Ok(doc) = Document::from_record(input.id, input.title, &input.text) {
        assert!(is_valid_id(&doc.id), "{:?}", doc.id);
        for (i, p) in doc.paragraphs.iter().enumerate() {
            assert_eq!(p.number, i + 1);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    match route % 6 {
        0 => {
            let Ok(Json(r)) = Json::<AskRequest>::from_bytes(body) else {
                return;
            };
            let _ =
                WriteRequest::from_fields(r.generate, r.stream, r.show_unverified, r.max_tokens);
            let options = AskOptions {
                max_sentences: r.max_sentences.unwrap_or(MAX_ANSWER_SENTENCES),
                documents: r.documents,
            };
            if let Ok(question) = check_question(&r.question, &options) {
                assert!(!question.is_empty() && question == question.trim());
            }
        }
        1 => {
            let Ok(Json(r)) = Json::<SummarizeRequest>::from_bytes(body) else {
                return;
            };
            let _ = Length::from_options(r.sentences, r.words);
            let _ =
                WriteRequest::from_fields(r.generate, r.stream, r.show_unverified, r.max_tokens);
            for article in r.articles.into_iter().flatten() {
                segment(article);
            }
        }
        2 => {
            let Ok(Json(r)) = Json::<VerifyRequest>::from_bytes(body) else {
                return;
            };
            if check_text(&r.text).is_ok() {
                assert!(!r.text.trim().is_empty() && r.text.chars().count() <= MAX_TEXT_CHARS);
                let _ = parse(&r.text);
            }
        }
        3 => {
            let Ok(Json(body)) = Json::<DocumentsBody>::from_bytes(body) else {
                return;
            };
            match body {
                DocumentsBody::One(input) => segment(input),
                DocumentsBody::Many(inputs) => inputs.into_iter().for_each(segment),
            }
        }
        4 => {
            let _ = Json::<EmbedRequest>::from_bytes(body);
        }
        _ => {
            let Ok(query) = std::str::from_utf8(body) else {
                return;
            };
            let Ok(uri) = format!("/v1/documents?{query}").parse::<Uri>() else {
                return;
            };
            let _ = Query::<ListQuery>::try_from_uri(&uri);
        }
    }
});
