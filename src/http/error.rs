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
    Header,
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
    /// A query parameter names something that does not exist (404): a school,
    /// or a school's area for a year.
    #[error("{}", .0.detail)]
    NoSuch(FieldError),
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
    /// The server is at its limit of requests at once, or the request took
    /// too long; the client may retry shortly (503).
    #[error("{0}")]
    Overloaded(String),
    /// The `If-Match` version is no longer the stored one (412).
    #[error("precondition failed")]
    PreconditionFailed(i64),
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
            StoreError::Stale { .. } => {
                ApiError::Conflict("the data changed meanwhile; read it again and retry".into())
            }
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
            ServiceError::PreconditionFailed(v) => ApiError::PreconditionFailed(v),
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
            IndexError::UnknownSchool(_) => ApiError::NoSuch(FieldError::query("school", detail)),
            IndexError::AmbiguousSchool { .. } => ApiError::invalid("school", detail),
            IndexError::NoAreaForYear { .. } => ApiError::NoSuch(FieldError::query("year", detail)),
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

impl ApiError {
    /// The status, the problem type's slug and its title.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Invalid(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-request",
                "Invalid request",
            ),
            ApiError::NotFound(_) | ApiError::NoSuch(_) => {
                (StatusCode::NOT_FOUND, "not-found", "Not found")
            }
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
            ),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            ApiError::TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            ApiError::ReadOnly(_) => (StatusCode::METHOD_NOT_ALLOWED, "read-only", "Read-only"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Body too large"),
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
            ),
            ApiError::Overloaded(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "Service busy",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// A header the client needs to act on the problem.
    fn header(&self) -> Option<(header::HeaderName, HeaderValue)> {
        match self {
            ApiError::Unauthorized => {
                Some((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")))
            }
            ApiError::TooManyRequests(wait) => HeaderValue::from_str(&wait.to_string())
                .ok()
                .map(|v| (header::RETRY_AFTER, v)),
            ApiError::ReadOnly(_) => Some((header::ALLOW, HeaderValue::from_static("GET, HEAD"))),
            ApiError::Unavailable(_) => Some((header::RETRY_AFTER, HeaderValue::from_static("5"))),
            ApiError::Overloaded(_) => Some((header::RETRY_AFTER, HeaderValue::from_static("1"))),
            ApiError::PreconditionFailed(v) => Some((header::ETAG, super::geojson::etag(*v))),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, title) = self.kind();
        let header = self.header();
        let mut errors = Vec::new();
        let detail = match self {
            ApiError::Invalid(list) => {
                let detail = list
                    .iter()
                    .map(|e| format!("{}: {}", e.name, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                errors = list;
                detail
            }
            ApiError::NoSuch(field) => {
                let detail = format!("{}: {}", field.name, field.detail);
                errors.push(field);
                detail
            }
            ApiError::NotFound(why)
            | ApiError::Forbidden(why)
            | ApiError::Conflict(why)
            | ApiError::Overloaded(why)
            | ApiError::ReadOnly(why)
            | ApiError::UnsupportedMediaType(why) => why,
            ApiError::Unauthorized => "send a valid token as Authorization: Bearer <token>".into(),
            ApiError::PreconditionFailed(v) => {
                errors.push(FieldError {
                    name: "If-Match".into(),
                    location: Location::Header,
                    detail: format!("the asset is now at version \"{v}\""),
                });
                format!(
                    "the asset changed since that version; it is now \"{v}\" (its ETag); read it again"
                )
            }
            ApiError::TooManyRequests(_) => {
                "too many requests from this address; try again later".into()
            }
            ApiError::TooLarge => {
                errors.push(FieldError {
                    name: "body".into(),
                    location: Location::Body,
                    detail: "too large".into(),
                });
                format!("the body may be at most {} bytes", super::body::MAX_BODY)
            }
            // A 5xx says something generic; its cause is logged once, here.
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %chain(&cause), "database unavailable");
                "the database is not reachable; try again shortly".into()
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error");
                "something went wrong on our side".into()
            }
        };
        let mut r = problem(status, &format!("/problems/{slug}"), title, detail, &errors);
        if let Some((name, value)) = header {
            r.headers_mut().insert(name, value);
        }
        r
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
