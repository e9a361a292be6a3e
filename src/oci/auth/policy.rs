//! Where credentials may go. A hostile registry can name any token realm in its
//! challenge; the user's password must only ever reach the registry itself and a
//! realm the deployment trusts, and never cross the network in clear text.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::super::pagination::origin_of;
use crate::model::registry_address::{is_host_and_port, is_loopback_authority, registry_identity};

/// A user name and a password or access token. Kept in memory only; `Debug` never
/// shows the secret, so it cannot leak into a log or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    username: String,
    secret: String,
}

impl Credentials {
    pub fn new(username: &str, secret: &str) -> Self {
        Credentials {
            username: username.to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    /// The `Authorization` value for HTTP Basic.
    pub fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.secret);
        format!("Basic {}", super::base64::encode(pair.as_bytes()))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Why signing a request in failed before the registry saw it: the console would
/// have put credentials where they may not go, or the token service did not help.
/// Nothing was sent to the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum AuthRefusal {
    /// The registry's challenge names a token service on another origin that the
    /// deployment did not list in `config.json` `trustedRealms`.
    UntrustedRealm { realm: String },
    /// Credentials over plain http to a host that is not this computer.
    CleartextCredentials { url: String },
    /// The token service answered 2xx without a usable token.
    UnusableToken { realm: String },
    /// The token service failed (5xx, or another unexpected status).
    TokenServiceFailed { realm: String, status: u16 },
    /// No answer from the token service this page could read: down, or (across
    /// origins) it sends no CORS headers, as most token services do not.
    TokenServiceUnreachable { realm: String },
    /// The token service did not answer in time.
    TokenServiceTimedOut { realm: String },
}

/// The registry and the token realms this console may send credentials to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    /// The registry's base URL ([`registry_identity`]): requests under it are the
    /// registry's, not every request to its origin (another registry may live
    /// under another path of the same host).
    registry_base: String,
    registry_origin: String,
    trusted_realm_origins: Vec<String>,
}

impl AuthPolicy {
    /// `trusted_realms`: URLs or origins from `config.json`; only their origins count.
    pub fn new(registry_base: &str, trusted_realms: &[String]) -> Self {
        AuthPolicy {
            registry_base: registry_identity(registry_base),
            registry_origin: origin_without_default_port(registry_base),
            trusted_realm_origins: trusted_realms
                .iter()
                .map(|realm| origin_without_default_port(realm.trim()))
                .filter(|origin| !origin.is_empty())
                .collect(),
        }
    }

    pub fn registry_origin(&self) -> &str {
        &self.registry_origin
    }

    pub fn registry_base(&self) -> &str {
        &self.registry_base
    }

    /// Whether `url` is the registry's: under its base URL, path segment by segment.
    /// A path with dot segments (`/team-a/../team-b`, written plainly or
    /// percent-encoded) is not: the browser would resolve it outside the base.
    pub fn is_registry(&self, url: &str) -> bool {
        // Browsers read `\` as `/` and drop tabs and line breaks in http URLs: such
        // a URL is never taken for the registry's, whatever it resolves to.
        if url.contains(['\\', '\t', '\r', '\n']) {
            return false;
        }
        let url = registry_identity(url);
        let path = url.split_once("://").map_or("", |(_, rest)| rest);
        let dot_segment = |segment: &str| {
            let segment = segment.to_ascii_lowercase().replace("%2e", ".");
            segment == "." || segment == ".."
        };
        if path.split('/').any(dot_segment) {
            return false;
        }
        url.strip_prefix(&self.registry_base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// A realm on the registry's own origin (the deployment's own token service,
    /// wherever the registry sits under it), or one the deployment listed.
    pub fn check_realm(&self, realm: &str) -> Result<(), AuthRefusal> {
        // As in `is_registry`: a browser reads `\` as `/`, so such a realm's origin
        // is not the one written.
        if realm.contains(['\\', '\t', '\r', '\n']) {
            return Err(AuthRefusal::UntrustedRealm {
                realm: realm.to_owned(),
            });
        }
        let origin = origin_without_default_port(realm);
        let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
        if scheme_ok
            && (origin == self.registry_origin || self.trusted_realm_origins.contains(&origin))
        {
            Ok(())
        } else {
            Err(AuthRefusal::UntrustedRealm {
                realm: realm.to_owned(),
            })
        }
    }

    /// What to list in `config.json` `trustedRealms` to trust `realm`: its origin,
    /// as [`check_realm`](Self::check_realm) compares only that. `None` unless that
    /// origin is a plain `http(s)://host[:port]` (no user name, nothing a hostile
    /// realm could smuggle into the advice).
    pub fn trusted_realms_entry(realm: &str) -> Option<String> {
        let origin = origin_of(realm.trim());
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))?;
        is_host_and_port(authority, |_| false).then_some(origin)
    }

    /// Credentials travel only over https, or over http to this computer (a
    /// loopback address never leaves it).
    pub fn check_credentials_transport(&self, url: &str) -> Result<(), AuthRefusal> {
        let origin = origin_of(url);
        if origin.starts_with("https://") || is_loopback_origin(&origin) {
            Ok(())
        } else {
            Err(AuthRefusal::CleartextCredentials {
                url: origin_or_url(&origin, url),
            })
        }
    }
}

/// The origin of `url`, without the scheme's own port (`:443`, `:80`): the same
/// origin to a browser, written either way.
fn origin_without_default_port(url: &str) -> String {
    registry_identity(&origin_of(url))
}

fn origin_or_url(origin: &str, url: &str) -> String {
    if origin.is_empty() {
        url.to_owned()
    } else {
        origin.to_owned()
    }
}

/// `http://` and an authority that is this computer (see
/// [`is_loopback_authority`]): a loopback address never leaves it.
fn is_loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(is_loopback_authority)
}
