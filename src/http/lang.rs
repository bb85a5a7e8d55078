//! The language of an answer: [`Lang`] as an extractor (`lang=`, else
//! `Accept-Language`, else English), `Content-Language` on what is written in
//! it, and problem+json titles and fixed details translated on the way out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::HttpBody;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::i18n::Lang;

/// The `lang` parameter of a query string, if any.
fn lang_param(query: Option<&str>) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == "lang").then_some(v))
}

fn negotiate(query: Option<&str>, accept: Option<&HeaderValue>) -> Lang {
    Lang::negotiate(
        lang_param(query).as_deref(),
        accept.and_then(|v| v.to_str().ok()),
    )
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(negotiate(
            parts.uri.query(),
            parts.headers.get(header::ACCEPT_LANGUAGE),
        ))
    }
}

/// An answer written in `lang`: `Content-Language` says so.
pub fn in_language(lang: Lang, r: impl IntoResponse) -> Response {
    let mut r = r.into_response();
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    r.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Language"));
    r
}

/// The layer that puts problem+json answers in the request's language: the
/// title (and the fixed details of 401, 429, 5xx, and each field's words)
/// translated, `Content-Language` set. Every other answer passes untouched at
/// the cost of two cheap clones (the URI and `Accept-Language`) and no
/// allocation: the service's future is a plain state machine, not boxed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemsInLanguageLayer;

impl<S> tower::Layer<S> for ProblemsInLanguageLayer {
    type Service = ProblemsInLanguage<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProblemsInLanguage { inner }
    }
}

/// See [`ProblemsInLanguageLayer`].
#[derive(Debug, Clone)]
pub struct ProblemsInLanguage<S> {
    inner: S,
}

impl<S> tower::Service<Request> for ProblemsInLanguage<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = InLanguage<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // Only what a problem's language is read from: the query when it
        // names `lang` (rare; most requests keep nothing) and Accept-Language.
        let query = req
            .uri()
            .query()
            .filter(|q| q.contains("lang="))
            .map(str::to_owned);
        let accept = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
        InLanguage {
            inner: self.inner.call(req),
            asked: Some((query, accept)),
            problem: None,
        }
    }
}

/// A problem answer being read whole to be translated.
struct Reading {
    lang: Lang,
    parts: axum::http::response::Parts,
    body: axum::body::Body,
    bytes: Vec<u8>,
}

pin_project_lite::pin_project! {
    /// The future of [`ProblemsInLanguage`].
    pub struct InLanguage<F> {
        #[pin]
        inner: F,
        asked: Option<(Option<String>, Option<HeaderValue>)>,
        problem: Option<Box<Reading>>,
    }
}

impl<F, E> Future for InLanguage<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.problem.is_none() {
            let r = match ready!(this.inner.poll(cx)) {
                Ok(r) => r,
                Err(e) => return Poll::Ready(Err(e)),
            };
            let is_problem = r
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes() == b"application/problem+json");
            if !is_problem {
                return Poll::Ready(Ok(r));
            }
            let (query, accept) = this.asked.take().unwrap_or_default();
            let (parts, body) = r.into_parts();
            *this.problem = Some(Box::new(Reading {
                lang: negotiate(query.as_deref(), accept.as_ref()),
                parts,
                body,
                bytes: Vec::new(),
            }));
        }
        let Some(reading) = this.problem.as_mut() else {
            return Poll::Pending;
        };
        // Problems are small (capped in size) and usually one frame.
        while let Some(Ok(frame)) = ready!(Pin::new(&mut reading.body).poll_frame(cx)) {
            if let Ok(data) = frame.into_data() {
                reading.bytes.extend_from_slice(&data);
            }
        }
        let Some(reading) = this.problem.take() else {
            return Poll::Pending;
        };
        let Reading {
            lang,
            mut parts,
            bytes,
            ..
        } = *reading;
        let body = translated(lang, &bytes).unwrap_or(bytes);
        parts.headers.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.code()),
        );
        parts.headers.remove(header::CONTENT_LENGTH);
        Poll::Ready(Ok(Response::from_parts(
            parts,
            axum::body::Body::from(body),
        )))
    }
}

/// A problem+json body with its title, fixed details and field words in `lang`.
fn translated(lang: Lang, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut p = serde_json::from_slice::<Value>(bytes).ok()?;
    let slug = p["type"].as_str()?.rsplit('/').next()?.to_owned();
    let title = format!("problem.{slug}");
    if Lang::default().has(&title) {
        p["title"] = Value::from(lang.t(&title));
    }
    let detail = format!("problem.{slug}.detail");
    if Lang::default().has(&detail) {
        p["detail"] = Value::from(lang.t(&detail));
    }
    // Each field's words, where the catalogs have them (with the values they
    // quote carried over).
    // `get_mut`: indexing would add `"errors": null` to a problem without them.
    if let Some(errors) = p.get_mut("errors").and_then(Value::as_array_mut) {
        for e in errors.iter_mut() {
            if let Some(words) = lang.detail(e["detail"].as_str().unwrap_or_default()) {
                e["detail"] = Value::from(words);
            }
        }
        if slug == "invalid-request" {
            let joined: Vec<String> = errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["name"].as_str().unwrap_or_default(),
                        e["detail"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            p["detail"] = Value::from(joined.join("; "));
        }
    }
    serde_json::to_vec(&p).ok()
}
