//! Registry failures as typed kinds, with the request (its attempt) and what the
//! registry answered. What they mean to a person is `crate::wording`'s to say; the
//! `Display` here is a terse line for logs.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::auth::AuthRefusal;
use super::http::{Method, Response, TransportFailure};
use super::manifest::DigestRefusal;
use super::names::NameError;
use super::pagination::LinkError;

/// One entry of the OCI error envelope `{"errors":[{code, message, detail}]}`.
/// Codes stay strings: registries send codes the spec never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

/// Parses the error envelope; a body that is not one yields no entries, not a failure.
pub fn parse_error_entries(body: &[u8]) -> Vec<ErrorEntry> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .map(|envelope| envelope.errors)
        .unwrap_or_default()
}

/// What a registry request was, for messages ("GET /v2/_catalog").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub method: Method,
    pub url: String,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RegistryError {
    /// No HTTP answer at all. In a browser this is either an unreachable host or a
    /// response the browser hid because CORS did not allow this page to read it.
    #[error("{attempt}: network failure ({detail})")]
    Network { attempt: Attempt, detail: String },

    #[error("{attempt}: aborted")]
    Aborted { attempt: Attempt },

    /// No readable answer, and the registry redirects the request to its storage at
    /// another address (cloud storage, a CDN): that storage gave the page nothing
    /// readable (no CORS headers for this page, or out of reach).
    #[error("{attempt}: redirected to storage that gave no readable answer")]
    StorageUnreadable { attempt: Attempt },

    #[error("{attempt}: timed out after {after_ms} ms")]
    TimedOut { attempt: Attempt, after_ms: u32 },

    /// Signing in failed before the request reached the registry.
    #[error("{attempt}: not sent, sign-in refused ({refusal:?})")]
    SignInRefused {
        attempt: Attempt,
        refusal: AuthRefusal,
    },

    #[error("{attempt}: HTTP 404{}", codes(errors))]
    NotFound {
        attempt: Attempt,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP 401{}", codes(errors))]
    Unauthorized {
        attempt: Attempt,
        /// The raw `WWW-Authenticate` header, when the browser could read it.
        challenge: Option<String>,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP 403{}", codes(errors))]
    Denied {
        attempt: Attempt,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP {status}, unsupported{}", codes(errors))]
    Unsupported {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP 429, retry after {retry_after:?} s")]
    RateLimited {
        attempt: Attempt,
        retry_after: Option<u64>,
    },

    #[error("{attempt}: HTTP {status}{}", codes(errors))]
    Invalid {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP {status}{}", codes(errors))]
    Server {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: HTTP {status}{}", codes(errors))]
    UnexpectedStatus {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    /// The registry answered 2xx but the body or headers make no sense.
    #[error("{attempt}: unreadable answer ({reason:?})")]
    Malformed {
        attempt: Attempt,
        reason: MalformedReason,
    },

    #[error("{attempt}: digest {actual}, expected {expected}")]
    DigestMismatch {
        attempt: Attempt,
        expected: String,
        actual: String,
    },

    /// Not sent: what the request would carry is above what registries must accept.
    #[error("{attempt}: not sent, {size} bytes > {limit}")]
    TooLargeToSend {
        attempt: Attempt,
        size: usize,
        limit: usize,
    },

    #[error("{attempt}: answer of {size} bytes or more > {limit}")]
    TooLarge {
        attempt: Attempt,
        size: usize,
        limit: usize,
    },
}

/// What makes a registry's answer unreadable (`crate::wording::malformed` says it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum MalformedReason {
    /// The answer to `/v2/` is not JSON: a web server, not a registry API.
    NotARegistryApi,
    /// The catalog's pages could not all be read.
    CatalogIncomplete,
    /// A next-page link leads to a page already read.
    RepeatedNextPage,
    /// The body is not the JSON expected; `error` is the JSON parser's message.
    UnexpectedJson { error: String },
    /// A manifest's descriptor has a digest that is no valid digest.
    InvalidDigest(Box<DigestRefusal>),
    /// The image configuration blob is not the JSON expected.
    ImageConfig { error: String },
    /// The next-page Link header could not be followed.
    NextPageLink(LinkError),
    /// An upload session started without a Location this page can read (CORS hides
    /// it unless the registry exposes it).
    NoUploadLocation,
    /// The upload session's Location is not a URL.
    BadUploadLocation(LinkError),
    /// The upload session's Location is on another origin: nothing is sent there.
    UploadElsewhere { location: String },
    /// A name in the registry's tag list is no valid tag.
    ListedName(NameError),
    /// A referrer to copy is not an image manifest.
    ReferrerNotImage,
    /// An index lists more than `max` manifests below it.
    TooManyManifests { max: usize },
}

/// The registry's own error codes, for the log line: " (CODE; CODE)".
fn codes(errors: &[ErrorEntry]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let codes: Vec<&str> = errors.iter().map(|e| e.code.as_str()).collect();
    format!(" ({})", codes.join("; "))
}

impl RegistryError {
    /// Classifies a non-success response. `what` is the request that got it.
    pub fn from_response(attempt: Attempt, response: &Response) -> Self {
        let errors = parse_error_entries(&response.body);
        let has_code = |code: &str| errors.iter().any(|e| e.code == code);
        match response.status {
            401 => RegistryError::Unauthorized {
                attempt,
                challenge: response.header("www-authenticate").map(str::to_owned),
                errors,
            },
            403 => RegistryError::Denied { attempt, errors },
            404 => RegistryError::NotFound { attempt, errors },
            405 => RegistryError::Unsupported {
                attempt,
                status: 405,
                errors,
            },
            400 if has_code("UNSUPPORTED") => RegistryError::Unsupported {
                attempt,
                status: 400,
                errors,
            },
            429 => RegistryError::RateLimited {
                attempt,
                retry_after: response
                    .header("retry-after")
                    .and_then(|v| v.trim().parse().ok()),
            },
            status @ (400 | 409 | 411 | 413 | 416 | 422) => RegistryError::Invalid {
                attempt,
                status,
                errors,
            },
            status @ 500..=599 => RegistryError::Server {
                attempt,
                status,
                errors,
            },
            status => RegistryError::UnexpectedStatus {
                attempt,
                status,
                errors,
            },
        }
    }

    pub fn from_transport(attempt: Attempt, failure: TransportFailure) -> Self {
        match failure {
            TransportFailure::Network(detail) => RegistryError::Network { attempt, detail },
            TransportFailure::Aborted => RegistryError::Aborted { attempt },
            TransportFailure::TimedOut { after_ms } => {
                RegistryError::TimedOut { attempt, after_ms }
            }
            TransportFailure::TooLarge { size, limit } => RegistryError::TooLarge {
                attempt,
                size,
                limit,
            },
            TransportFailure::Refused(refusal) => RegistryError::SignInRefused { attempt, refusal },
        }
    }

    /// The registry's own error entries, if it sent any.
    pub fn entries(&self) -> &[ErrorEntry] {
        match self {
            RegistryError::NotFound { errors, .. }
            | RegistryError::Unauthorized { errors, .. }
            | RegistryError::Denied { errors, .. }
            | RegistryError::Unsupported { errors, .. }
            | RegistryError::Invalid { errors, .. }
            | RegistryError::Server { errors, .. }
            | RegistryError::UnexpectedStatus { errors, .. } => errors,
            _ => &[],
        }
    }

    pub fn has_code(&self, code: &str) -> bool {
        self.entries().iter().any(|e| e.code == code)
    }

    /// A refusal the registry explained, a lasting property of its configuration:
    /// code UNSUPPORTED (distribution: deletes off, or a pull-through
    /// cache, which takes no writes), DIGEST_INVALID for a DELETE by tag. A bare 405
    /// says only that the method is refused now: distribution in read-only mode
    /// (maintenance, garbage collection) answers so, with a plain-text body, as can a
    /// proxy in front of the registry.
    pub fn is_declared_unsupported(&self) -> bool {
        matches!(self, RegistryError::Unsupported { .. })
            && (self.has_code("UNSUPPORTED") || self.has_code("DIGEST_INVALID"))
    }
}
