//! Registry failures as typed kinds. Each kind knows how to tell a user what happened
//! and what to do next, so no view ever has to show a bare status code.

use serde::Deserialize;
use thiserror::Error;

use super::auth::{host_of, AuthRefusal};
use super::http::{Method, Response, TransportFailure};

/// One entry of the OCI error envelope `{"errors":[{code, message, detail}]}`.
/// Codes stay strings: registries send codes the spec never listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub method: Method,
    pub url: String,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// No HTTP answer at all. In a browser this is either an unreachable host or a
    /// response the browser hid because CORS did not allow this page to read it.
    #[error("{attempt}: no response ({detail})")]
    Network { attempt: Attempt, detail: String },

    #[error("{attempt}: cancelled")]
    Aborted { attempt: Attempt },

    #[error("{attempt}: no complete answer within {} s", after_ms / 1000)]
    TimedOut { attempt: Attempt, after_ms: u32 },

    /// Signing in failed before the request reached the registry.
    #[error("{attempt}: not sent: {}", refusal_summary(refusal))]
    SignInRefused {
        attempt: Attempt,
        refusal: AuthRefusal,
    },

    #[error("{attempt}: not found{}", summary(errors))]
    NotFound {
        attempt: Attempt,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: login required{}", summary(errors))]
    Unauthorized {
        attempt: Attempt,
        /// The raw `WWW-Authenticate` header, when the browser could read it.
        challenge: Option<String>,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: access denied{}", summary(errors))]
    Denied {
        attempt: Attempt,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: not supported by this registry{}", summary(errors))]
    Unsupported {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: rate limited{}", retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited {
        attempt: Attempt,
        retry_after: Option<u64>,
    },

    #[error("{attempt}: rejected as invalid (HTTP {status}){}", summary(errors))]
    Invalid {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: registry error (HTTP {status}){}", summary(errors))]
    Server {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    #[error("{attempt}: unexpected HTTP {status}{}", summary(errors))]
    UnexpectedStatus {
        attempt: Attempt,
        status: u16,
        errors: Vec<ErrorEntry>,
    },

    /// The registry answered 2xx but the body or headers make no sense.
    #[error("{attempt}: unreadable answer: {detail}")]
    Malformed { attempt: Attempt, detail: String },

    #[error("{attempt}: content digest is {actual} but {expected} was expected")]
    DigestMismatch {
        attempt: Attempt,
        expected: String,
        actual: String,
    },

    /// Not sent: what the request would carry is above what registries must accept.
    #[error("{attempt}: not sent: {size} bytes are above the {limit}-byte limit")]
    TooLargeToSend {
        attempt: Attempt,
        size: usize,
        limit: usize,
    },

    #[error("{attempt}: an answer of {size} bytes or more is above the {limit}-byte limit")]
    TooLarge {
        attempt: Attempt,
        size: usize,
        limit: usize,
    },
}

fn refusal_summary(refusal: &AuthRefusal) -> String {
    match refusal {
        AuthRefusal::UntrustedRealm { realm } => format!("untrusted token service {realm}"),
        AuthRefusal::CleartextCredentials { url } => {
            format!("credentials would go in clear text to {url}")
        }
        AuthRefusal::UnusableToken { realm } => format!("no usable token from {realm}"),
        AuthRefusal::TokenServiceFailed { realm, status } => {
            format!("token service {realm} answered HTTP {status}")
        }
        AuthRefusal::TokenServiceUnreachable { realm } => {
            format!("token service {realm} gave no readable answer")
        }
    }
}

fn summary(errors: &[ErrorEntry]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            if e.message.is_empty() {
                e.code.clone()
            } else {
                format!("{}: {}", e.code, e.message)
            }
        })
        .collect();
    format!(" ({})", parts.join("; "))
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

    /// A short headline for the user.
    pub fn headline(&self) -> &'static str {
        match self {
            RegistryError::Network { .. } => "The registry could not be reached",
            RegistryError::Aborted { .. } => "Cancelled",
            RegistryError::TimedOut { .. } => "The registry did not answer in time",
            RegistryError::SignInRefused { refusal, .. } => match refusal {
                AuthRefusal::UntrustedRealm { .. } => "Sign-in refused: untrusted token service",
                AuthRefusal::CleartextCredentials { .. } => {
                    "Sign-in refused: the password would travel unencrypted"
                }
                _ => "The registry's token service did not issue a token",
            },
            RegistryError::NotFound { .. } => "Not found",
            RegistryError::Unauthorized { .. } => "Login required",
            RegistryError::Denied { .. } => "Access denied",
            RegistryError::Unsupported { .. } => "Not supported by this registry",
            RegistryError::RateLimited { .. } => "Too many requests",
            RegistryError::Invalid { .. } => "The registry rejected the request",
            RegistryError::Server { .. } => "The registry failed",
            RegistryError::UnexpectedStatus { .. } => "Unexpected answer from the registry",
            RegistryError::Malformed { .. } => "Unreadable answer from the registry",
            RegistryError::DigestMismatch { .. } => "Content does not match its digest",
            RegistryError::TooLarge { .. } => "Answer too large",
            RegistryError::TooLargeToSend { .. } => "Manifest too large",
        }
    }

    /// What the user can do about it.
    pub fn advice(&self) -> String {
        match self {
            RegistryError::Network { .. } => "Check that the registry URL is right and the registry is running. \
                If it is, the registry probably does not allow this page's origin (CORS): \
                add Access-Control-Allow-* headers to its configuration, or serve this console \
                from the registry's own origin behind a reverse proxy."
                .into(),
            RegistryError::Aborted { .. } => {
                "The request was cancelled; if it was a change, the registry is read again \
                 to tell what it did."
                    .into()
            }
            RegistryError::TimedOut { .. } => {
                "The registry or the network is slow or stuck. Try again; if it keeps \
                 happening, check the registry and anything between it and this computer."
                    .into()
            }
            RegistryError::SignInRefused { refusal, .. } => refusal_advice(refusal),
            RegistryError::NotFound { .. } => {
                "It may have been deleted or renamed; reload the list to see what exists now.".into()
            }
            RegistryError::Unauthorized { .. } => {
                "Log in with an account that may read this registry.".into()
            }
            RegistryError::Denied { .. } => {
                "Your account lacks permission for this; ask the registry's administrator.".into()
            }
            RegistryError::Unsupported { .. } => {
                "This registry does not offer this operation (for deletes: set \
                 storage.delete.enabled: true in its configuration)."
                    .into()
            }
            RegistryError::RateLimited { retry_after, .. } => match retry_after {
                Some(seconds) => format!("Wait {seconds} seconds, then try again."),
                None => "Wait a moment, then try again.".into(),
            },
            RegistryError::Invalid { .. } => {
                "Check the name or content you entered; the registry's message says what it refused."
                    .into()
            }
            RegistryError::Server { .. } | RegistryError::UnexpectedStatus { .. } => {
                "Try again; if it keeps failing, check the registry's logs.".into()
            }
            RegistryError::Malformed { .. } => {
                "Check that the URL points at an OCI / Docker registry (API v2).".into()
            }
            RegistryError::DigestMismatch { .. } => {
                "Do not trust this content: it changed in transit or the registry is inconsistent. \
                 Nothing was written."
                    .into()
            }
            RegistryError::TooLargeToSend { .. } => {
                "Registries need only accept manifests up to 4 MiB; this one was not sent. \
                 Nothing was changed."
                    .into()
            }
            RegistryError::TooLarge { .. } => {
                "This console refuses answers that large (manifests over 4 MiB, say): \
                 registries need not accept them and a broken or hostile registry could \
                 fill the browser's memory. Use a command-line tool (skopeo, crane) for it."
                    .into()
            }
        }
    }
}

/// What to do when signing in could not even start. Names the hosts involved (never
/// a credential: none is part of these values).
fn refusal_advice(refusal: &AuthRefusal) -> String {
    match refusal {
        AuthRefusal::UntrustedRealm { realm } => format!(
            "The registry asked this console to get sign-in tokens from {}, which is not the \
             registry's own address. Nothing was sent there. If that host really is your \
             registry's token service, list it in config.json beside index.html: \
             {{\"trustedRealms\": [\"{}\"]}}.",
            host_of(realm),
            realm
        ),
        AuthRefusal::CleartextCredentials { url } => format!(
            "{url} uses plain http, so a password would cross the network unencrypted. \
             Serve the registry (and its token service) over https; plain http is accepted \
             only for this computer (localhost)."
        ),
        AuthRefusal::UnusableToken { realm } => format!(
            "The token service {} answered without a usable token. Check its logs.",
            host_of(realm)
        ),
        AuthRefusal::TokenServiceFailed { realm, status } => format!(
            "The token service {} answered HTTP {status}. Try again; if it keeps failing, \
             check its logs.",
            host_of(realm)
        ),
        AuthRefusal::TokenServiceUnreachable { realm } => format!(
            "The token service {} did not answer this page. Token services send no CORS \
             headers, so a page on another origin cannot read them: forward the token \
             path through the registry's origin (deploy/ has nginx and Caddy setups that do).",
            host_of(realm)
        ),
    }
}
