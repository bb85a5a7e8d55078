//! Streamed answers: a body written piece by piece, each piece made on the
//! blocking pool, so a whole-district report or export holds about one chunk
//! in memory and never keeps an async worker from other requests.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// About how many bytes one step of the stream gathers before it is sent.
const CHUNK_BYTES: usize = 64 * 1024;

/// A body from pieces that take CPU to make: each step runs on the blocking
/// pool and gathers pieces until it holds [`CHUNK_BYTES`] or they run out. A
/// step that panics ends the body with an error, so the client sees a broken
/// transfer, never a short file that looks whole.
pub fn blocking_body<I>(pieces: I) -> Body
where
    I: Iterator<Item = Vec<u8>> + Send + 'static,
{
    let stream = futures_util::stream::unfold(Some(pieces), |state| async move {
        let mut pieces = state?;
        let step = tokio::task::spawn_blocking(move || {
            let mut chunk: Vec<u8> = Vec::new();
            while chunk.len() < CHUNK_BYTES {
                match pieces.next() {
                    Some(p) if chunk.is_empty() => chunk = p,
                    Some(p) => chunk.extend_from_slice(&p),
                    None => return (None, chunk),
                }
            }
            (Some(pieces), chunk)
        })
        .await;
        match step {
            Ok((_, chunk)) if chunk.is_empty() => None,
            Ok((rest, chunk)) => Some((Ok(Bytes::from(chunk)), rest)),
            Err(e) => {
                tracing::error!(error = %e, "a streamed answer failed part way");
                Some((
                    Err(std::io::Error::other("the answer failed part way")),
                    None,
                ))
            }
        }
    });
    Body::from_stream(stream)
}

/// A streamed answer of type `content_type`.
pub fn typed(body: Body, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A streamed answer to save as `name`, of type `content_type`.
pub fn attachment(body: Body, content_type: &'static str, name: &str) -> Response {
    let mut r = typed(body, content_type);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn pieces_arrive_whole_and_in_order() {
        let pieces = (0..10_000u32).map(|i| format!("{i},").into_bytes());
        let expected: String = (0..10_000u32).map(|i| format!("{i},")).collect();
        let body = blocking_body(pieces).collect().await.expect("body");
        assert_eq!(body.to_bytes(), Bytes::from(expected));
    }

    #[tokio::test]
    async fn a_panic_breaks_the_body() {
        let pieces = (0..3u32).map(|i| {
            assert!(i < 2, "made to fail");
            vec![b'x'; 100_000]
        });
        let result = blocking_body(pieces).collect().await;
        assert!(
            result.is_err(),
            "a failed step must not end the body cleanly"
        );
    }
}
