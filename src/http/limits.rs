//! The limits every request is held to: at most so many at once (one more is
//! refused at once rather than queued) and at most so long each; both answer
//! 503 with `Retry-After`. Hand-written as one layer: tower's load shedding,
//! concurrency limit and timeout behind axum's `HandleErrorLayer` cost a
//! boxed future and a fresh semaphore handle (itself a boxed future) per
//! request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tower::{Layer, Service};

use super::error::ApiError;

/// Requests at once and the time each may take.
#[derive(Clone)]
pub struct LimitsLayer {
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl LimitsLayer {
    pub fn new(max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(
                max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
            )),
            timeout,
        }
    }
}

impl<S> Layer<S> for LimitsLayer {
    type Service = Limits<S>;
    fn layer(&self, inner: S) -> Limits<S> {
        Limits {
            inner,
            permits: self.permits.clone(),
            timeout: self.timeout,
        }
    }
}

#[derive(Clone)]
pub struct Limits<S> {
    inner: S,
    permits: Arc<Semaphore>,
    timeout: Duration,
}

fn busy() -> Response {
    ApiError::Overloaded("the server is busy; try again in a moment".into()).into_response()
}

fn too_long() -> Response {
    ApiError::Overloaded("the request took too long; try again in a moment".into()).into_response()
}

impl<S> Service<Request> for Limits<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = LimitsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => LimitsFuture::Running {
                fut: self.inner.call(req),
                sleep: tokio::time::sleep(self.timeout),
                permit: Some(permit),
            },
            Err(_) => LimitsFuture::Refused {
                response: Some(busy()),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Limits`]: the permit is held until the answer is ready.
    #[project = LimitsProj]
    pub enum LimitsFuture<F> {
        Running {
            #[pin]
            fut: F,
            #[pin]
            sleep: Sleep,
            permit: Option<OwnedSemaphorePermit>,
        },
        Refused { response: Option<Response> },
    }
}

impl<F> Future for LimitsFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LimitsProj::Running { fut, sleep, permit } => {
                if let Poll::Ready(r) = fut.poll(cx) {
                    permit.take();
                    return Poll::Ready(r);
                }
                if sleep.poll(cx).is_ready() {
                    permit.take();
                    return Poll::Ready(Ok(too_long()));
                }
                Poll::Pending
            }
            LimitsProj::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_else(busy)))
            }
        }
    }
}
