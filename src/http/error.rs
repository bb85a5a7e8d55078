//! The one HTTP error type and its mapping to RFC 9457 problem+json.
//!
//! Client errors name the parameter or field at fault. A 5xx says something
//! generic; its cause is logged once, here, and never sent to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::index::IndexError;
use crate::service::ServiceError;
use crate::store::StoreError;

/// Where a bad value was found.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Query,
    Path,
    Body,
}

/// One problem with one parameter or field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// The parameter or field name.
    pub name: String,
    #[serde(rename = "in")]
    pub location: Location,
    pub detail: String,
}

impl FieldError {
    /// A problem with a query parameter, from the layer below's violation.
    pub fn in_query(v: crate::domain::validate::Violation) -> Self {
        Self::query(v.field, v.detail)
    }

    pub fn query(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            location: Location::Query,
            detail: detail.into(),
        }
    }
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One or more parameters or fields are wrong (400).
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    /// The thing named in the path does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// No valid bearer token (401).
    #[error("authentication required")]
    Unauthorized,
    /// The caller's role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The write clashes with stored data (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests from one client; retry after this many seconds (429).
    #[error("too many requests")]
    TooManyRequests(u64),
    /// This resource is read-only through the API (405).
    #[error("{0}")]
    ReadOnly(String),
    /// The body is larger than allowed (413).
    #[error("body too large")]
    TooLarge,
    /// The body is not of a type this endpoint reads (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The database is unreachable; the client may retry (503).
    #[error("service unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else (500): logged, never described to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(name: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::query(name, detail)])
    }
}

impl ApiError {
    /// No school by that reference (404): the path named a missing resource.
    pub fn no_school(reference: &str) -> Self {
        ApiError::NotFound(format!("no school {reference:?}"))
    }

    /// An index error for a school named in the path: an unknown school is a
    /// missing resource (404); named in the query it is a bad parameter (400,
    /// the `From` below).
    pub fn school_in_path(e: IndexError) -> Self {
        match e {
            IndexError::UnknownSchool(s) => ApiError::no_school(&s.to_string()),
            other => other.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("not found".into()),
            StoreError::Conflict(_) => ApiError::Conflict(
                "conflicts with a stored asset (same source and source_id)".into(),
            ),
            StoreError::Unavailable(_) => ApiError::Unavailable(e),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(violations) => violations.into(),
            ServiceError::Forbidden(why) => ApiError::Forbidden(why.into()),
            ServiceError::Conflict(why) => ApiError::Conflict(why.into()),
            ServiceError::Store(e) => e.into(),
            other @ ServiceError::NoRandomness(_) => ApiError::Internal(other.into()),
        }
    }
}

impl From<Vec<crate::domain::validate::Violation>> for ApiError {
    /// Problems with a request body, each naming its field.
    fn from(violations: Vec<crate::domain::validate::Violation>) -> Self {
        ApiError::Invalid(
            violations
                .into_iter()
                .map(|v| FieldError {
                    name: v.field,
                    location: Location::Body,
                    detail: v.detail,
                })
                .collect(),
        )
    }
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        let detail = e.to_string();
        match e {
            IndexError::UnknownSchool(_) => ApiError::invalid("school", detail),
            IndexError::NoAreaForYear { .. } => ApiError::invalid("year", detail),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

/// Builds a problem+json response.
pub fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: String,
    errors: &[FieldError],
) -> Response {
    let body = Problem {
        kind,
        title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        bytes,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Invalid(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.name, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                problem(
                    StatusCode::BAD_REQUEST,
                    "/problems/invalid-request",
                    "Invalid request",
                    detail,
                    &errors,
                )
            }
            ApiError::NotFound(what) => problem(
                StatusCode::NOT_FOUND,
                "/problems/not-found",
                "Not found",
                what,
                &[],
            ),
            ApiError::Unauthorized => {
                let mut r = problem(
                    StatusCode::UNAUTHORIZED,
                    "/problems/unauthorized",
                    "Authentication required",
                    "send a valid token as Authorization: Bearer <token>".into(),
                    &[],
                );
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            ApiError::Forbidden(why) => problem(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                why,
                &[],
            ),
            ApiError::TooManyRequests(wait) => {
                let mut r = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "/problems/too-many-requests",
                    "Too many requests",
                    "too many requests from this address; try again later".into(),
                    &[],
                );
                if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            ApiError::ReadOnly(why) => {
                let mut r = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "/problems/read-only",
                    "Read-only",
                    why,
                    &[],
                );
                r.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
                r
            }
            ApiError::Conflict(why) => problem(
                StatusCode::CONFLICT,
                "/problems/conflict",
                "Conflict",
                why,
                &[],
            ),
            ApiError::TooLarge => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "Body too large",
                format!("the body may be at most {} bytes", super::body::MAX_BODY),
                &[FieldError {
                    name: "body".into(),
                    location: Location::Body,
                    detail: "too large".into(),
                }],
            ),
            ApiError::UnsupportedMediaType(why) => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "/problems/unsupported-media-type",
                "Unsupported media type",
                why,
                &[],
            ),
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %crate::http::error::chain(&cause), "database unavailable");
                let mut r = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "/problems/unavailable",
                    "Service unavailable",
                    "the database is not reachable; try again shortly".into(),
                    &[],
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                r
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "/problems/internal",
                    "Internal error",
                    "something went wrong on our side".into(),
                    &[],
                )
            }
        }
    }
}

/// An error and its sources on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
