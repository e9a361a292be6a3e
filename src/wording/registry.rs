//! What a failed registry request means to a person.

use super::Message;
use crate::oci::auth::{host_of, AuthPolicy, AuthRefusal};
use crate::oci::error::{ErrorEntry, MalformedReason, RegistryError, ShownUrl};
use crate::oci::http::Method;
use crate::oci::manifest::{DigestRefusal, ManifestError};
use crate::oci::media::MAX_MANIFEST_BYTES;
use crate::oci::pagination::{LinkError, LinkFault};

/// A registry failure as told to whoever is `signed_in` (None: nobody): a 401 to a
/// signed-in user names the account, since "Sign-in required" would read as a bug.
/// Every screen that shows a failure to the user words it here.
pub fn error_for(error: &RegistryError, signed_in: Option<&str>) -> Message {
    let mut message = self::error(error);
    if let (RegistryError::Unauthorized { .. }, Some(user)) = (error, signed_in) {
        refused_while_signed_in(&mut message, user);
    }
    message
}

/// A registry failure in words, whoever is signed in: for technical details and
/// plain reports (the screens use [`error_for`]).
pub fn error(error: &RegistryError) -> Message {
    let detail = detail(error);
    Message {
        headline: headline(error).to_owned(),
        // The headline says what happened; the rest is the request and its answer.
        account: String::new(),
        requests: vec![detail.clone()],
        detail,
        advice: advice(error),
        // A failed request tells nothing of a change by itself: the change's own
        // error (`change_error`) says what was written.
        outcome: "Nothing was changed: the failure came before any write.".to_owned(),
    }
}

fn headline(error: &RegistryError) -> &'static str {
    match error {
        RegistryError::Network { .. } => "The registry could not be reached",
        RegistryError::Aborted { .. } => "Cancelled",
        RegistryError::StorageUnreadable { .. } => "The registry's storage could not be read",
        RegistryError::TimedOut { .. } => "The registry did not answer in time",
        RegistryError::SignInRefused { refusal, .. } => match refusal {
            AuthRefusal::UntrustedRealm { .. } => "Sign-in refused: untrusted token service",
            AuthRefusal::CleartextCredentials { .. } => {
                "Sign-in refused: the password would travel unencrypted"
            }
            _ => "The registry's token service did not issue a token",
        },
        RegistryError::NotFound { .. } => "Not found",
        RegistryError::Unauthorized { .. } => "Sign-in required",
        RegistryError::Denied { .. } => "Access denied",
        RegistryError::Unsupported { .. } if refused_for_now(error) => {
            "Refused by the registry for now"
        }
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

/// The request and what came of it, with the registry's own error codes.
fn detail(error: &RegistryError) -> String {
    let codes = codes(error.entries());
    match error {
        RegistryError::Network { attempt, detail } => {
            format!("{attempt}: no response ({detail})")
        }
        RegistryError::Aborted { attempt } => format!("{attempt}: cancelled"),
        RegistryError::StorageUnreadable { attempt } => format!(
            "{attempt}: the registry redirects it to its storage, which gave no readable answer"
        ),
        RegistryError::TimedOut { attempt, after_ms } => {
            format!("{attempt}: no complete answer within {} s", after_ms / 1000)
        }
        RegistryError::SignInRefused { attempt, refusal } => {
            format!("{attempt}: not sent: {}", refusal_summary(refusal))
        }
        RegistryError::NotFound { attempt, .. } => format!("{attempt}: not found{codes}"),
        RegistryError::Unauthorized { attempt, .. } => {
            format!("{attempt}: sign-in required{codes}")
        }
        RegistryError::Denied { attempt, .. } => format!("{attempt}: access denied{codes}"),
        RegistryError::Unsupported { attempt, .. } if refused_for_now(error) => {
            format!("{attempt}: refused by the registry (HTTP 405, no reason given){codes}")
        }
        RegistryError::Unsupported { attempt, .. } => {
            format!("{attempt}: not supported by this registry{codes}")
        }
        RegistryError::RateLimited {
            attempt,
            retry_after,
        } => format!(
            "{attempt}: rate limited{}",
            retry_after
                .map(|s| format!(", retry after {s} s"))
                .unwrap_or_default()
        ),
        RegistryError::Invalid {
            attempt, status, ..
        } => format!("{attempt}: rejected as invalid (HTTP {status}){codes}"),
        RegistryError::Server {
            attempt, status, ..
        } => format!("{attempt}: registry error (HTTP {status}){codes}"),
        RegistryError::UnexpectedStatus {
            attempt, status, ..
        } => format!("{attempt}: unexpected HTTP {status}{codes}"),
        RegistryError::Malformed { attempt, reason } => {
            format!("{attempt}: unreadable answer: {}", malformed(reason))
        }
        RegistryError::DigestMismatch {
            attempt,
            expected,
            actual,
        } => format!("{attempt}: content digest is {actual} but {expected} was expected"),
        RegistryError::TooLargeToSend {
            attempt,
            size,
            limit,
        } => format!("{attempt}: not sent: {size} bytes are above the {limit}-byte limit"),
        RegistryError::TooLarge {
            attempt,
            size,
            limit,
        } => {
            format!("{attempt}: an answer of {size} bytes or more is above the {limit}-byte limit")
        }
    }
}

/// What makes an answer unreadable, as the end of a sentence about it.
pub fn malformed(reason: &MalformedReason) -> String {
    match reason {
        MalformedReason::NotARegistryApi => {
            "the answer to /v2/ is not JSON, so this is not a registry API".into()
        }
        MalformedReason::CatalogIncomplete => "the catalog could not be read to its end".into(),
        MalformedReason::RepeatedNextPage => "the next-page link repeats an earlier page".into(),
        MalformedReason::UnexpectedJson { error } => format!("not the expected JSON: {error}"),
        MalformedReason::InvalidDigest(refusal) => {
            format!("not the expected JSON: {}", digest_refusal(refusal))
        }
        MalformedReason::ImageConfig { error } => {
            format!("the image config is not the expected JSON: {error}")
        }
        MalformedReason::NextPageLink(problem) => link_error(problem),
        MalformedReason::NoUploadLocation => {
            "no readable Location header; the registry's CORS settings must expose it \
             (Access-Control-Expose-Headers: Location)"
                .into()
        }
        MalformedReason::BadUploadLocation(problem) => {
            format!("the upload location is not usable: {}", link_error(problem))
        }
        MalformedReason::UploadElsewhere { location } => format!(
            "the upload location {} is on another server than the registry; refusing to \
             send data there",
            ShownUrl(location)
        ),
        MalformedReason::UploadOutsideRepository { location } => format!(
            "the upload location {} is not an upload of the repository written to; \
             refusing to send data there",
            ShownUrl(location)
        ),
        MalformedReason::ListedName(error) => {
            format!("not a valid tag or digest: {}", super::name_error(error))
        }
        MalformedReason::ReferrerNotImage => {
            "a referrer that is not an image manifest is not copied".into()
        }
        MalformedReason::TooManyManifests { max } => {
            format!("the index lists more than {max} manifests")
        }
    }
}

/// Why a Link header (or an upload Location) was not followed.
pub fn link_error(error: &LinkError) -> String {
    match error {
        LinkError::Malformed(fault) => {
            format!("Link header is malformed: {}", link_fault(fault))
        }
        LinkError::OtherOrigin(url) => {
            format!(
                "next page link points at another server ({}); refusing to follow it",
                ShownUrl(url)
            )
        }
        LinkError::OtherList(url) => {
            format!(
                "next page link points at another list ({}); refusing to follow it",
                ShownUrl(url)
            )
        }
    }
}

fn link_fault(fault: &LinkFault) -> String {
    match fault {
        LinkFault::ExpectedOpen { at } => format!("expected '<' at {at:?}"),
        LinkFault::MissingClose => "missing '>'".into(),
        LinkFault::Unexpected { text } => format!("unexpected {text:?}"),
        LinkFault::EmptyParameter => "empty link parameter".into(),
        LinkFault::UnterminatedQuote => "unterminated quoted value".into(),
        LinkFault::BaseNotAbsolute { base } => format!("base URL {base:?} is not absolute"),
    }
}

/// Why manifest bytes were refused.
pub fn manifest_error(error: &ManifestError) -> String {
    match error {
        ManifestError::Malformed(error) => {
            format!("the manifest is not valid JSON of the expected shape: {error}")
        }
        ManifestError::InvalidDigest(refusal) => format!(
            "the manifest is not valid JSON of the expected shape: {}",
            digest_refusal(refusal)
        ),
        ManifestError::TooLarge(size) => format!(
            "the manifest is {size} bytes; registries need only accept {} MiB",
            MAX_MANIFEST_BYTES / (1024 * 1024)
        ),
        ManifestError::StoredDigestMismatch { stored, actual } => {
            format!("stored manifest hashes to {actual}, not {stored}")
        }
    }
}

/// A descriptor's refused digest, where the JSON reader found it.
fn digest_refusal(refusal: &DigestRefusal) -> String {
    refusal.placed(super::name_error(&refusal.error))
}

/// The registry's error entries: " (CODE: message; CODE)", or nothing.
fn codes(errors: &[ErrorEntry]) -> String {
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

/// A 401 while `user` is signed in: the account lacks the rights, or the registry no
/// longer takes its sign-in (Tagdeck then stops sending it until the next sign-in).
fn refused_while_signed_in(message: &mut Message, user: &str) {
    message.headline = format!("Refused for {user}");
    message.advice = format!(
        "The registry did not accept this request from {user}: the account may lack the \
         rights for it, or its sign-in is no longer accepted. Sign in again, or as an \
         account with access."
    );
}

fn refusal_summary(refusal: &AuthRefusal) -> String {
    match refusal {
        AuthRefusal::UntrustedRealm { realm } => {
            format!("untrusted token service {}", shown_realm(realm))
        }
        AuthRefusal::CleartextCredentials { url } => {
            format!("credentials would go in clear text to {}", shown_realm(url))
        }
        AuthRefusal::UnusableToken { realm } => {
            format!("no usable token from {}", shown_realm(realm))
        }
        AuthRefusal::TokenServiceFailed { realm, status } => {
            format!(
                "token service {} answered HTTP {status}",
                shown_realm(realm)
            )
        }
        AuthRefusal::TokenServiceUnreachable { realm } => {
            format!(
                "token service {} gave no readable answer",
                shown_realm(realm)
            )
        }
        AuthRefusal::TokenServiceTimedOut { realm } => {
            format!(
                "token service {} did not answer in time",
                shown_realm(realm)
            )
        }
    }
}

/// A realm (a registry's challenge names it) as messages show it: a user name and
/// password in it, and the values of its query, never reach a message, the activity
/// list (kept in the tab's storage) or a copied report.
fn shown_realm(realm: &str) -> String {
    let Some((scheme, rest)) = realm.split_once("://") else {
        return host_of(realm);
    };
    let path = rest.find(['/', '?']).map_or("", |at| &rest[at..]);
    let path = path.split('#').next().unwrap_or("");
    format!("{scheme}://{}{}", host_of(realm), ShownUrl(path))
}

/// A write refused with a bare 405, no reason given: perhaps only for now (read-only
/// mode). A read refused so is a registry that does not offer it at all.
fn refused_for_now(error: &RegistryError) -> bool {
    matches!(error, RegistryError::Unsupported { attempt, .. }
        if !matches!(attempt.method, Method::Get | Method::Head))
        && !error.is_declared_unsupported()
}

fn advice(error: &RegistryError) -> String {
    match error {
        // The browser tells a page nothing more (an outage and a CORS refusal fail
        // alike); in the middle of a session an outage is the likelier one, and the
        // connection check (ui::connect) tells the two apart for a first contact.
        RegistryError::Network { .. } => {
            "The registry may be down or restarting, or the network was interrupted: try \
            again in a moment. If this registry has never worked from this page, check its \
            URL and that it allows this page's origin (CORS): add Access-Control-Allow-* \
            headers to its configuration, or serve this console from the registry's own \
            origin behind a reverse proxy."
                .into()
        }
        RegistryError::StorageUnreadable { .. } => {
            "The registry sends blobs (image configurations among them) from its storage at \
             another address, and this page could not read them there. Either let the \
             registry serve blobs itself (distribution: storage: redirect: disable: true \
             in its config.yml), or let the storage's CORS rules allow this page's origin \
             (on S3, the bucket's CORS configuration) and add the storage's address to \
             this console's Content-Security-Policy (connect-src)."
                .into()
        }
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
        RegistryError::Unauthorized { attempt, .. } => match attempt.method {
            Method::Get | Method::Head => {
                "Sign in (in the top bar) with an account that may read this registry.".into()
            }
            Method::Put | Method::Post | Method::Patch | Method::Delete => {
                "Sign in (in the top bar) with an account that may change this repository.".into()
            }
        },
        RegistryError::Denied { .. } => {
            "Your account lacks permission for this; ask the registry's administrator.".into()
        }
        RegistryError::Unsupported { attempt, .. } => match attempt.method {
            Method::Get | Method::Head => format!(
                "This registry does not offer {} on this address: check that the \
                 registry is one that speaks the Distribution API v2.",
                attempt.method.as_str()
            ),
            // Said without a reason: not remembered, as it may pass.
            method if refused_for_now(error) => format!(
                "The registry refused {} without saying why (HTTP 405). It may be in \
                 read-only mode for maintenance, such as garbage collection, or a proxy \
                 in front of it refuses the method: try again later, or ask its \
                 administrator.",
                method.as_str()
            ),
            Method::Delete => "This registry does not delete manifests: its storage has \
                               deletes turned off (to allow them, set \
                               storage.delete.enabled: true in its configuration), or it \
                               is a pull-through cache, which takes no changes."
                .into(),
            method => format!(
                "This registry does not accept {} here: it may be a pull-through cache, \
                 which takes no changes, or not support what was sent.",
                method.as_str()
            ),
        },
        RegistryError::RateLimited { retry_after, .. } => match retry_after {
            Some(seconds) => format!("Wait {seconds} seconds, then try again."),
            None => "Wait a moment, then try again.".into(),
        },
        // A manifest put back (Undo, a copy) that lists what the registry no longer
        // has: nothing the user typed is at fault.
        RegistryError::Invalid { errors, .. }
            if errors.iter().any(|e| e.code == "MANIFEST_BLOB_UNKNOWN") =>
        {
            "The registry no longer has something this manifest lists (a layer, or a \
             manifest of a multi-arch image or referrers index, deleted or garbage-collected \
             since): put that back first, or push it again."
                .into()
        }
        RegistryError::Invalid { .. } => {
            "Check the name or content you entered; the registry's message says what it refused."
                .into()
        }
        RegistryError::Server { .. } | RegistryError::UnexpectedStatus { .. } => {
            "Try again; if it keeps failing, check the registry's logs.".into()
        }
        RegistryError::Malformed { reason, .. } => match reason {
            MalformedReason::NotARegistryApi => {
                "Check that the URL points at an OCI / Docker registry (API v2).".into()
            }
            // The registry answered the way registries do: the content is at fault.
            MalformedReason::UnexpectedJson { .. }
            | MalformedReason::InvalidDigest(_)
            | MalformedReason::ImageConfig { .. }
            | MalformedReason::TooManyManifests { .. }
            | MalformedReason::ReferrerNotImage
            | MalformedReason::ListedName(_) => {
                "The registry answers, but what it sent here is not valid (damaged, or not \
                 what the API defines), so this console does not use it. If it is an image, \
                 push it again, or look at it with skopeo or crane."
                    .into()
            }
            _ => "The registry answers, but its links (next pages, uploads) cannot be \
                  followed safely. Try again; if it keeps failing, check the registry or \
                  the proxy in front of it."
                .into(),
        },
        RegistryError::DigestMismatch { .. } => {
            "Do not trust this content: it changed in transit or the registry is inconsistent."
                .into()
        }
        RegistryError::TooLargeToSend { .. } => {
            "Registries need only accept manifests up to 4 MiB; this one was not sent.".into()
        }
        RegistryError::TooLarge { .. } => {
            "This console refuses answers that large (manifests over 4 MiB, say): \
             registries need not accept them and a broken or hostile registry could \
             fill the browser's memory. Use a command-line tool (skopeo, crane) for it."
                .into()
        }
    }
}

/// What to do when signing in could not even start. Names the hosts involved (never
/// a credential: none is part of these values).
fn refusal_advice(refusal: &AuthRefusal) -> String {
    match refusal {
        AuthRefusal::UntrustedRealm { realm } => {
            let asked = format!(
                "The registry asked this console to get sign-in tokens from {}, which is \
                 not the registry's own address. Nothing was sent there.",
                host_of(realm)
            );
            // Only the realm's origin counts for trust: that, JSON-escaped, is the
            // snippet; the realm's own text (which may hold quotes) never is.
            match AuthPolicy::trusted_realms_entry(realm)
                .and_then(|origin| serde_json::to_string(&origin).ok())
            {
                Some(origin) => format!(
                    "{asked} If that host really is your registry's token service, list it \
                     in config.json beside index.html (it counts for the registry config.json \
                     names only): {{\"trustedRealms\": [{origin}]}}."
                ),
                None => format!(
                    "{asked} Its address is not a plain https://host[:port] origin, so this \
                     console cannot suggest a trustedRealms entry for config.json; check the \
                     registry's token settings."
                ),
            }
        }
        AuthRefusal::CleartextCredentials { url } => format!(
            "{} uses plain http, so a password would cross the network unencrypted. \
             Serve the registry (and its token service) over https; plain http is accepted \
             only for this computer (localhost).",
            shown_realm(url)
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
        AuthRefusal::TokenServiceTimedOut { realm } => format!(
            "The token service {} did not answer in time, so nothing was sent to the \
             registry. Try again; if it keeps failing, check the token service.",
            host_of(realm)
        ),
    }
}

/// Why nothing could be read from `address` when connecting, and what to try. A page
/// cannot tell a refused connection from a failed TLS handshake: an https:// address
/// of a registry that speaks plain HTTP fails the same way, so that is said too.
pub fn unreachable_advice(address: &str) -> String {
    let check = "Check the address and that the registry is running and reachable from \
                 this computer.";
    match address.strip_prefix("https://") {
        Some(rest) => format!(
            "No answer could be read from {address}: nothing answered there, or the secure \
             (TLS) connection failed. If the registry serves plain HTTP, as a local \
             registry often does, connect to http://{rest} instead. Otherwise: {}",
            super::after_colon(check)
        ),
        None => format!("Nothing answered at {address}. {check}"),
    }
}
