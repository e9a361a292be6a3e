//! Implements
//! [`HttpClient`] with gloo-net, with binary bodies and cancellation.

use gloo_net::http::{Method as FetchMethod, RequestBuilder};
use js_sys::Uint8Array;
use web_sys::{AbortController, AbortSignal, RequestCache, RequestCredentials};

use crate::oci::http::{HttpClient, Method, Request, Response, TransportFailure};

/// Sends requests with the page's `fetch`. Clones share one cancellation signal.
#[derive(Clone, Default)]
pub struct FetchClient {
    signal: Option<AbortSignal>,
}

impl FetchClient {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests sent through this client stop when `controller.abort()` is called.
    pub fn cancelled_by(controller: &AbortController) -> Self {
        FetchClient {
            signal: Some(controller.signal()),
        }
    }

    fn is_aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }
}

fn fetch_method(method: Method) -> FetchMethod {
    match method {
        Method::Get => FetchMethod::GET,
        Method::Head => FetchMethod::HEAD,
        Method::Put => FetchMethod::PUT,
        Method::Post => FetchMethod::POST,
        Method::Patch => FetchMethod::PATCH,
        Method::Delete => FetchMethod::DELETE,
    }
}

impl HttpClient for FetchClient {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let mut builder = RequestBuilder::new(&request.url)
            .method(fetch_method(request.method))
            // Registry answers depend on Accept and change after every write: a
            // cached answer would show a tag that no longer exists.
            .cache(RequestCache::NoStore)
            // Never the browser's own credentials (a remembered Basic login, cookies):
            // only the explicit Authorization header the sign-in adds, to the
            // registry's origin. This also keeps the browser's login prompt away.
            .credentials(RequestCredentials::Omit)
            .abort_signal(self.signal.as_ref());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let prepared = match request.body {
            Some(bytes) => builder.body(Uint8Array::from(bytes.as_slice())),
            None => builder.build(),
        }
        .map_err(|e| TransportFailure::Network(e.to_string()))?;

        let response = prepared.send().await.map_err(|e| self.failure(e))?;
        let headers = response.headers().entries().collect();
        let status = response.status();
        let body = if request.method == Method::Head {
            Vec::new()
        } else {
            response.binary().await.map_err(|e| self.failure(e))?
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

impl FetchClient {
    fn failure(&self, error: gloo_net::Error) -> TransportFailure {
        if self.is_aborted() {
            TransportFailure::Aborted
        } else {
            // fetch gives no detail on purpose ("Failed to fetch"): the page may
            // not learn whether the host was down or CORS hid the answer.
            TransportFailure::Network(error.to_string())
        }
    }
}
