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

pub use super::bounds::{
    bounded, MAX_CHALLENGE_CHARS, MAX_CODE_CHARS, MAX_ERROR_ENTRIES, MAX_HEADER_CHARS,
    MAX_MESSAGE_CHARS, MAX_URL_CHARS,
};

/// One entry of the OCI error envelope `{"errors":[{code, message, detail}]}`.
/// Codes stay strings: registries send codes the spec never listed. `detail` is not
/// kept: it is never shown, and it may be any JSON of any size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

/// Parses the error envelope; a body that is not one yields no entries, not a failure.
/// What is kept is bounded ([`ErrorEntry::bounded`], [`MAX_ERROR_ENTRIES`]).
pub fn parse_error_entries(body: &[u8]) -> Vec<ErrorEntry> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .map(|envelope| {
            envelope
                .errors
                .into_iter()
                .take(MAX_ERROR_ENTRIES)
                .map(ErrorEntry::bounded)
                .collect()
        })
        .unwrap_or_default()
}

impl ErrorEntry {
    /// The entry with its code and message bounded.
    pub fn bounded(self) -> Self {
        ErrorEntry {
            code: bounded(&self.code, MAX_CODE_CHARS),
            message: bounded(&self.message, MAX_MESSAGE_CHARS),
        }
    }
}

/// What a registry request was, for messages ("GET /v2/_catalog").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub method: Method,
    pub url: String,
}

impl Attempt {
    /// The request, its URL bounded ([`MAX_URL_CHARS`]): a URL may come from the
    /// registry (a next-page link, an upload location with its state).
    pub fn new(method: Method, url: &str) -> Self {
        Attempt {
            method,
            url: bounded(url, MAX_URL_CHARS),
        }
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, ShownUrl(&self.url))
    }
}

/// A URL as the console shows and stores it: its query keeps the names of its
/// parameters but only the values that are never secret. Anything else may be (an
/// upload's signed `_state`, a storage redirect's signature), and these lines are
/// stored with the activity list and copied into reports.
pub struct ShownUrl<'a>(pub &'a str);

impl std::fmt::Display for ShownUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((path, query)) = self.0.split_once('?') else {
            return f.write_str(self.0);
        };
        f.write_str(path)?;
        for (at, pair) in query.split('&').enumerate() {
            let separator = if at == 0 { '?' } else { '&' };
            match pair.split_once('=') {
                // Which page, which blob from where, which sign-in scope: never secret.
                Some((key, _))
                    if !matches!(
                        key,
                        "n" | "last" | "digest" | "mount" | "from" | "service" | "scope"
                    ) =>
                {
                    write!(f, "{separator}{key}=…")?
                }
                Some(_) => write!(f, "{separator}{pair}")?,
                // No name=value form: it may be a signature on its own.
                None => write!(f, "{separator}…")?,
            }
        }
        Ok(())
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
    /// (The refusal is left out: it may name a realm holding a registry's secrets.)
    #[error("{attempt}: not sent, sign-in refused")]
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
    /// The upload session's Location is on the registry, but no upload of the
    /// repository written to (a manifest, another repository): nothing is sent there.
    UploadOutsideRepository { location: String },
    /// A name in the registry's tag list is no valid tag.
    ListedName(NameError),
    /// A referrer to copy is not an image manifest.
    ReferrerNotImage,
    /// An index lists more than `max` manifests below it.
    TooManyManifests { max: usize },
}

impl MalformedReason {
    /// [`MalformedReason::UnexpectedJson`] with the JSON reader's message, bounded:
    /// it quotes the body's strings ("invalid type: string \"…\"").
    pub fn unexpected_json(error: &impl std::fmt::Display) -> Self {
        MalformedReason::UnexpectedJson {
            error: bounded(&error.to_string(), MAX_MESSAGE_CHARS),
        }
    }

    /// [`MalformedReason::ListedName`] with the name bounded ([`bounded_name_error`]).
    pub fn listed_name(error: NameError) -> Self {
        MalformedReason::ListedName(bounded_name_error(error))
    }
}

/// A refused name with the name it quotes bounded ([`MAX_MESSAGE_CHARS`]): the
/// name may be a registry's (a listed tag, a manifest's digest) of any length.
pub fn bounded_name_error(error: NameError) -> NameError {
    NameError {
        input: bounded(&error.input, MAX_MESSAGE_CHARS),
        ..error
    }
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
                challenge: response
                    .header("www-authenticate")
                    .map(|challenge| bounded(challenge, MAX_CHALLENGE_CHARS)),
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
            TransportFailure::Network(detail) => RegistryError::Network {
                attempt,
                detail: bounded(&detail, MAX_MESSAGE_CHARS),
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_leaves_what_fits_and_cuts_the_rest_on_a_character() {
        let digest = format!("sha512:{}", "a".repeat(128));
        assert_eq!(bounded(&digest, MAX_HEADER_CHARS), digest);
        let url = "http://reg:5000/v2/team/app/manifests/v1";
        assert_eq!(bounded(url, MAX_URL_CHARS), url);
        assert_eq!(bounded("", 3), "");
        assert_eq!(bounded("abc", 3), "abc");
        assert_eq!(bounded("abcd", 3), "ab…");
        // Multi-byte characters are never split.
        let cut = bounded(&"é€😀".repeat(1000), 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("é€😀é€😀é€😀"));
        // Bounding again cuts nothing more.
        assert_eq!(bounded(&cut, 10), cut);
        assert_eq!(bounded("abc", 0), "");
    }

    #[test]
    fn error_entries_are_bounded_when_parsed() {
        let huge = "m".repeat(1 << 20);
        let entry = serde_json::json!({
            "code": huge,
            "message": huge,
            "detail": {"big": huge},
        });
        // The detail is read past, not kept.
        let mut sent = vec![entry; 3];
        sent.extend(vec![serde_json::json!({"code": "DENIED"}); 10_000]);
        let body = serde_json::to_vec(&serde_json::json!({ "errors": sent })).unwrap();
        let entries = parse_error_entries(&body);
        assert_eq!(entries.len(), MAX_ERROR_ENTRIES);
        assert_eq!(entries[3].code, "DENIED");
        for entry in &entries[..3] {
            assert_eq!(entry.code.chars().count(), MAX_CODE_CHARS);
            assert_eq!(entry.message.chars().count(), MAX_MESSAGE_CHARS);
        }
        // What fits is kept as sent.
        let entries = parse_error_entries(
            br#"{"errors":[{"code":"DENIED","message":"no","detail":[{"Type":"repository"}]}]}"#,
        );
        assert_eq!(entries[0].code, "DENIED");
        assert_eq!(entries[0].message, "no");
    }

    #[test]
    fn name_errors_and_urls_are_bounded() {
        let long = format!("https://auth.example/{}", "x".repeat(1 << 20));
        let tag = super::super::names::Tag::parse(&long).unwrap_err();
        let bounded_tag = bounded_name_error(tag.clone());
        assert_eq!(bounded_tag.input.chars().count(), MAX_MESSAGE_CHARS);
        assert_eq!(bounded_tag.reason, tag.reason);
        assert_eq!(
            Attempt::new(Method::Put, &long).url.chars().count(),
            MAX_URL_CHARS
        );
    }
}
