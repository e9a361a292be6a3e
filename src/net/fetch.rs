//! Implements [`HttpClient`] with the page's `fetch`: binary bodies, cancellation, a timeout on
//! every request, and a cap on what is read.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, ReadableStreamDefaultReader, RequestCache,
    RequestCredentials, RequestInit, RequestRedirect,
};

use crate::oci::http::{HttpClient, Method, Request, Response, TransportFailure, HIDDEN_REDIRECT};

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

/// What a rejected promise says: an Error's message, or the value as text.
fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Every header of an answer, as the browser lets the page see them.
fn header_pairs(headers: &Headers) -> Vec<(String, String)> {
    let Ok(Some(entries)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pair: Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// What stops one request: the caller's cancel, or its own timeout.
struct Stop {
    timeout: AbortSignal,
    either: AbortSignal,
}

impl FetchClient {
    fn stop_for(&self, request: &Request) -> Stop {
        let timeout = AbortSignal::timeout_with_u32(request.timeout_ms);
        let signals = Array::of1(&timeout);
        if let Some(signal) = &self.signal {
            signals.push(signal);
        }
        Stop {
            either: AbortSignal::any(&signals),
            timeout,
        }
    }

    fn failure(&self, stop: &Stop, request: &Request, error: impl ToString) -> TransportFailure {
        if self.is_aborted() {
            TransportFailure::Aborted
        } else if stop.timeout.aborted() {
            TransportFailure::TimedOut {
                after_ms: request.timeout_ms,
            }
        } else {
            // fetch gives no detail on purpose ("Failed to fetch"): the page may
            // not learn whether the host was down or CORS hid the answer.
            TransportFailure::Network(error.to_string())
        }
    }
}

impl HttpClient for FetchClient {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure> {
        let stop = self.stop_for(&request);
        let network = |e: JsValue| TransportFailure::Network(js_message(&e));
        // `fetch(url, init)`, not `fetch(new Request(…))`: the Request object costs
        // the page's main thread about 0.3 ms more per request (measured over 1000
        // HEADs), and the digests of a large repository are a thousand requests.
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        // Registry answers depend on Accept and change after every write: a cached
        // answer would show a tag that no longer exists.
        init.set_cache(RequestCache::NoStore);
        // Never the browser's own credentials (a remembered Basic login, cookies):
        // only the explicit Authorization header the sign-in adds, to the registry's
        // origin. This also keeps the browser's login prompt away.
        init.set_credentials(RequestCredentials::Omit);
        init.set_signal(Some(&stop.either));
        if !request.follow_redirects {
            init.set_redirect(RequestRedirect::Manual);
        }
        let headers = Headers::new().map_err(network)?;
        for (name, value) in &request.headers {
            headers.append(name, value).map_err(network)?;
        }
        init.set_headers(&headers);
        if let Some(bytes) = &request.body {
            init.set_body(&Uint8Array::from(bytes.as_slice()));
        }
        let window = web_sys::window()
            .ok_or_else(|| TransportFailure::Network("no window to fetch from".into()))?;
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
                .await
                .map_err(|e| self.failure(&stop, &request, js_message(&e)))?
                .unchecked_into();
        // An unfollowed redirect is an opaque one: status 0, nothing readable.
        if !request.follow_redirects && response.status() == 0 {
            return Ok(Response {
                status: HIDDEN_REDIRECT,
                headers: Vec::new(),
                body: Vec::new(),
            });
        }
        let headers = header_pairs(&response.headers());
        let status = response.status();
        let body = if request.method == Method::Head {
            Vec::new()
        } else {
            read_capped(&response, &headers, request.response_limit)
                .await
                .map_err(|failure| match failure {
                    ReadFailure::TooLarge { size } => TransportFailure::TooLarge {
                        size,
                        limit: request.response_limit,
                    },
                    ReadFailure::Stream(error) => self.failure(&stop, &request, error),
                })?
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    async fn pause(&self, ms: u32) {
        let wait = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
            }
        });
        let _ = JsFuture::from(wait).await;
    }
}

enum ReadFailure {
    TooLarge { size: usize },
    Stream(String),
}

/// Reads the body, refusing it unread when Content-Length says it is above `limit`,
/// and stopping as soon as what arrived passes `limit` (the length may be absent or
/// false).
async fn read_capped(
    response: &web_sys::Response,
    headers: &[(String, String)],
    limit: usize,
) -> Result<Vec<u8>, ReadFailure> {
    let declared = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok());
    if let Some(size) = declared.filter(|&size| size > limit) {
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Err(ReadFailure::TooLarge { size });
    }
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| ReadFailure::Stream("the answer cannot be read".into()))?;
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| ReadFailure::Stream(format!("{e:?}")))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
            let part = Uint8Array::new(&value);
            if bytes.len() + part.length() as usize > limit {
                let _ = reader.cancel();
                return Err(ReadFailure::TooLarge {
                    size: bytes.len() + part.length() as usize,
                });
            }
            let start = bytes.len();
            bytes.resize(start + part.length() as usize, 0);
            part.copy_to(&mut bytes[start..]);
        }
    }
}
