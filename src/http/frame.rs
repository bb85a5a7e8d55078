//! What every answer goes through last: CORS (reads are open to any origin,
//! so that other sites can embed the data: `GET`, `HEAD` and `OPTIONS` from
//! anywhere, no credentials, no custom request headers), the security
//! headers, and the routing of an OPTIONS request that is not a CORS
//! preflight to the methods its path has. One hand-written layer, so that a
//! request pays for no boxed future, boxed service or fresh header map here
//! (axum's `from_fn` and `map_response` box both; tower-http's CORS builds a
//! header map per request for what is here three constant headers).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};

/// The layer: the content security policy to set, and the routes without
/// layers (for OPTIONS).
#[derive(Clone)]
pub struct FrameLayer {
    pub csp: HeaderValue,
    pub bare: Router,
}

impl<S> Layer<S> for FrameLayer {
    type Service = Frame<S>;
    fn layer(&self, inner: S) -> Frame<S> {
        Frame {
            inner,
            csp: self.csp.clone(),
            bare: self.bare.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Frame<S> {
    inner: S,
    csp: HeaderValue,
    bare: Router,
}

/// What CORS answers vary with.
const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);
/// The methods other origins may use.
const CORS_METHODS: HeaderValue = HeaderValue::from_static("GET,HEAD,OPTIONS");

/// The CORS headers of an answer to another origin's request.
fn cors_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.append(header::VARY, VARY);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// `nosniff` and the referrer policy on every response; the content security
/// policy unless the handler set its own.
fn security_headers(mut r: Response, csp: HeaderValue) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    r
}

impl<S> Service<Request> for Frame<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrameFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let csp = Some(self.csp.clone());
        if req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            // A preflight: answered here, with the methods other origins may
            // use (a write's preflight is thus refused).
            let mut r = Response::new(axum::body::Body::empty());
            cors_headers(&mut r);
            r.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_METHODS, CORS_METHODS);
            return FrameFuture {
                inner: Inner::Ready { response: Some(r) },
                csp,
                cors: false,
            };
        }
        if req.method() == Method::OPTIONS {
            // Not a preflight: it asks which methods a path has, and the
            // routes answer it with `Allow`.
            // Routed afresh: the request's extensions hold the path
            // parameters of the routing that brought it here.
            let (parts, body) = req.into_parts();
            let mut fresh = Request::new(body);
            *fresh.method_mut() = parts.method;
            *fresh.uri_mut() = parts.uri;
            *fresh.version_mut() = parts.version;
            *fresh.headers_mut() = parts.headers;
            return FrameFuture {
                inner: Inner::Options {
                    fut: self.bare.clone().oneshot(fresh),
                },
                csp,
                cors: false,
            };
        }
        FrameFuture {
            inner: Inner::Routed {
                fut: self.inner.call(req),
            },
            csp,
            cors: true,
        }
    }
}

pin_project_lite::pin_project! {
    #[project = InnerProj]
    enum Inner<F> {
        Routed { #[pin] fut: F },
        Options { #[pin] fut: Oneshot<Router, Request> },
        Ready { response: Option<Response> },
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Frame`].
    pub struct FrameFuture<F> {
        #[pin]
        inner: Inner<F>,
        csp: Option<HeaderValue>,
        // Whether the CORS headers of a simple request are still to be set.
        cors: bool,
    }
}

impl<F> Future for FrameFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let r = match this.inner.project() {
            InnerProj::Routed { fut } => ready!(fut.poll(cx)),
            InnerProj::Options { fut } => ready!(fut.poll(cx)),
            InnerProj::Ready { response } => Ok(response
                .take()
                .unwrap_or_else(|| Response::new(axum::body::Body::empty()))),
        };
        let Ok(mut r) = r;
        if *this.cors {
            cors_headers(&mut r);
        }
        let csp = this
            .csp
            .take()
            .unwrap_or_else(|| HeaderValue::from_static("default-src 'self'"));
        Poll::Ready(Ok(security_headers(r, csp)))
    }
}
