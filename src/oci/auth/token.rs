//! The Docker token protocol's exchange: the realm URL for a set of scopes, and the
//! token endpoint's answer, read as hostile input (bounded, checked before it is
//! put into a header).

use serde::Deserialize;

use super::scope::ScopeSet;
use crate::model::route::percent_encode_keeping;
use crate::oci::http::{Method, Request};

/// Without `expires_in` a token lives 60 s (the token specification's default).
pub const DEFAULT_TOKEN_SECONDS: u64 = 60;

/// Tokens are JWTs of a few KiB at most; anything bigger is refused unread: it is
/// the response limit of every token request ([`token_request`]), and checked again
/// after reading ([`TokenResponse::parse`]).
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Query values keep the characters scopes are made of readable (`:` `/` `,`).
const QUERY_VALUE_KEEPS: &[u8] = b"-_.~:/,*";

/// `realm?service=…&scope=…&scope=…`: several `scope` parameters, as one change
/// touching two repositories (a copy) needs.
pub fn token_url(realm: &str, service: Option<&str>, scopes: &ScopeSet) -> String {
    let mut url = realm.to_owned();
    let mut separator = if url.contains('?') { '&' } else { '?' };
    let service = service.map(|s| ("service", s.to_owned()));
    for (key, value) in service
        .into_iter()
        .chain(scopes.to_params().into_iter().map(|s| ("scope", s)))
    {
        url.push(separator);
        url.push_str(key);
        url.push('=');
        url.push_str(&percent_encode_keeping(&value, QUERY_VALUE_KEEPS));
        separator = '&';
    }
    url
}

/// The GET that asks the realm for a token for `scopes`, accepting an answer of
/// [`MAX_TOKEN_RESPONSE_BYTES`] at most: a larger one is refused by the transport
/// before it is read (Content-Length) or as soon as it grows past that.
pub fn token_request(realm: &str, service: Option<&str>, scopes: &ScopeSet) -> Request {
    Request::new(Method::Get, token_url(realm, service, scopes))
        .response_limit(MAX_TOKEN_RESPONSE_BYTES)
}

/// The token endpoint's answer; registries send `token`, `access_token` or both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    /// Anything but a whole number of seconds (`-1`, `3600.5`, `"300"`) counts as
    /// absent: the token in the same answer is still good.
    #[serde(default, deserialize_with = "whole_seconds")]
    pub expires_in: Option<u64>,
}

fn whole_seconds<'de, D: serde::Deserializer<'de>>(json: D) -> Result<Option<u64>, D::Error> {
    Ok(serde_json::Value::deserialize(json)?.as_u64())
}

impl TokenResponse {
    /// `None` unless the body is bounded JSON holding a token that is safe to put
    /// into an `Authorization` header.
    pub fn parse(body: &[u8]) -> Option<Self> {
        if body.len() > MAX_TOKEN_RESPONSE_BYTES {
            return None;
        }
        let response: TokenResponse = serde_json::from_slice(body).ok()?;
        response.bearer().is_some().then_some(response)
    }

    pub fn bearer(&self) -> Option<&str> {
        [self.token.as_deref(), self.access_token.as_deref()]
            .into_iter()
            .flatten()
            .find(|t| is_token_text(t))
    }

    /// Seconds the token lives; 0 or absent means the 60 s default.
    pub fn lifetime_seconds(&self) -> u64 {
        self.expires_in
            .filter(|&s| s > 0)
            .unwrap_or(DEFAULT_TOKEN_SECONDS)
    }
}

/// RFC 6750 token characters: nothing that could end or extend a header.
fn is_token_text(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

#[derive(Deserialize)]
struct Claims {
    /// Absent in tokens that do not list their rights: then nothing is known.
    #[serde(default)]
    access: Option<Vec<AccessClaim>>,
}

#[derive(Deserialize)]
struct AccessClaim {
    #[serde(rename = "type")]
    resource: String,
    name: String,
    #[serde(default)]
    actions: Vec<String>,
}

/// What a JWT token grants, read from its `access` claim (the form distribution's
/// token servers, docker_auth, GitLab and Harbor issue). Unverified: the registry
/// checks the signature; this only lets the console say "read-only" before a write
/// is tried. `None` for opaque tokens.
pub fn granted_scopes(token: &str) -> Option<ScopeSet> {
    let payload = token.split('.').nth(1)?;
    let bytes = super::base64::decode_url_safe(payload)?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let mut granted = ScopeSet::new();
    for claim in claims.access? {
        granted.add(
            &claim.resource,
            &claim.name,
            claim.actions.iter().map(String::as_str),
        );
    }
    Some(granted)
}
