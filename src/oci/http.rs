//! The one seam between protocol logic and the network: a request/response pair and
//! a trait that sends one. The browser implements it with fetch (`crate::net`);
//! native tests implement it with canned answers.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::auth::AuthRefusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status of a redirect the browser did not follow and does not show (an
/// "opaque redirect": status, headers and Location hidden).
pub const HIDDEN_REDIRECT: u16 = 307;

/// Answers above this size are refused unread unless a request allows more: a
/// hostile or broken registry must not fill the page's memory.
pub const DEFAULT_RESPONSE_LIMIT: usize = 4 * 1024 * 1024;

/// How long a read may take before it is given up; writes get longer (uploads).
pub const READ_TIMEOUT_MS: u32 = 30_000;
pub const WRITE_TIMEOUT_MS: u32 = 120_000;

/// `Debug` by hand: it shows every header's name but not an `Authorization` value,
/// which is a credential (a panic message or a test's output may print a request).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The largest response body accepted, checked before reading (Content-Length)
    /// and while reading.
    pub response_limit: usize,
    /// Given up after this long: a hung registry must not leave a change stuck.
    pub timeout_ms: u32,
    /// A read whose connection dropped is sent once more (`Registry::execute`),
    /// unless a dropped answer is the expected one (see [`Request::single_attempt`]).
    pub again_if_dropped: bool,
    /// Off: a redirect is the answer, not followed (see [`Request::redirect_answers`]).
    pub follow_redirects: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name.eq_ignore_ascii_case("authorization") {
                    "<hidden>"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body.as_ref().map(Vec::len))
            .field("response_limit", &self.response_limit)
            .field("timeout_ms", &self.timeout_ms)
            .field("again_if_dropped", &self.again_if_dropped)
            .field("follow_redirects", &self.follow_redirects)
            .finish()
    }
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            response_limit: DEFAULT_RESPONSE_LIMIT,
            timeout_ms: match method {
                Method::Get | Method::Head => READ_TIMEOUT_MS,
                _ => WRITE_TIMEOUT_MS,
            },
            again_if_dropped: true,
            follow_redirects: true,
        }
    }

    /// A redirect comes back as the answer instead of being followed. Registries on
    /// cloud storage answer a blob request with a redirect to that storage, which
    /// may not let this page read it (CORS); the redirect alone already says the
    /// repository has the blob. A browser hides where and how it redirects: the
    /// answer is then [`HIDDEN_REDIRECT`] with no headers.
    pub fn redirect_answers(mut self) -> Self {
        self.follow_redirects = false;
        self
    }

    /// Not sent again after a dropped connection: for probes whose usual "no" comes
    /// as no readable answer at all (a route the registry lacks, answered across
    /// origins without CORS headers).
    pub fn single_attempt(mut self) -> Self {
        self.again_if_dropped = false;
        self
    }

    pub fn response_limit(mut self, bytes: usize) -> Self {
        self.response_limit = bytes;
        self
    }

    pub fn is_read(&self) -> bool {
        matches!(self.method, Method::Get | Method::Head)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn body(mut self, bytes: Vec<u8>) -> Self {
        self.body = Some(bytes);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names as received; look them up with [`Response::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Case-insensitive header lookup (HTTP header names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }
}

/// Why no HTTP response arrived at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// The request never produced a response: host unreachable, connection refused,
    /// or (in a browser) refused by CORS, which the page cannot tell apart.
    Network(String),
    /// The caller cancelled the request (the view that wanted it went away, or the
    /// user pressed Cancel).
    Aborted,
    /// No complete answer within the request's timeout.
    TimedOut { after_ms: u32 },
    /// The answer is larger than the request allows; it was not read.
    TooLarge { size: usize, limit: usize },
    /// Signing the request in failed before the registry saw it (see
    /// [`AuthRefusal`]); nothing was sent to the registry.
    Refused(AuthRefusal),
}

/// Sends one HTTP request. Not `Send`: browser futures live on one thread.
#[allow(async_fn_in_trait)] // implemented only inside this crate and its tests
pub trait HttpClient {
    async fn send(&self, request: Request) -> Result<Response, TransportFailure>;

    /// Waits `ms` milliseconds before a retry (a 429's Retry-After). Scripted test
    /// clients need not wait.
    async fn pause(&self, _ms: u32) {}
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn a_request_printed_for_debugging_hides_its_credentials() {
        let request = Request::new(Method::Get, "https://reg.example/v2/")
            .header("Authorization", "Bearer secret-token")
            .header("Accept", "application/json");
        let shown = format!("{request:?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(
            shown.contains("<hidden>") && shown.contains("application/json"),
            "{shown}"
        );
    }
}
