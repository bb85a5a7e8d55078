//! The language of an answer: [`Lang`] as an extractor (`lang=`, else
//! `Accept-Language`, else English), `Content-Language` on what is written in
//! it, and problem+json titles and fixed details translated on the way out.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
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

/// Middleware: a problem+json answer gets its title (and the fixed details of
/// 401, 429, 5xx) in the request's language and `Content-Language`. Other
/// answers pass untouched; the request costs two header clones.
pub async fn problems_in_language(req: Request, next: Next) -> Response {
    let uri = req.uri().clone();
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let r = next.run(req).await;
    let is_problem = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if !is_problem {
        return r;
    }
    let lang = negotiate(uri.query(), accept.as_ref());
    let (mut parts, body) = r.into_parts();
    // Problems are small (capped in size); read it whole.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let translated = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|mut p| {
            let slug = p["type"].as_str()?.rsplit('/').next()?.to_owned();
            let title = format!("problem.{slug}");
            if Lang::default().has(&title) {
                p["title"] = Value::from(lang.t(&title));
            }
            let detail = format!("problem.{slug}.detail");
            if Lang::default().has(&detail) {
                p["detail"] = Value::from(lang.t(&detail));
            }
            // Each field's words, where the catalogs have them (with the
            // values they quote carried over).
            if let Some(errors) = p["errors"].as_array_mut() {
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
        });
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = translated
        .map(axum::body::Body::from)
        .unwrap_or_else(|| bytes.into());
    Response::from_parts(parts, body)
}
