//! `WWW-Authenticate` challenges (RFC 7235) and the token exchange they lead to.
//! Parsing is strict about quotes: a scope such as
//! `repository:a:pull,push` arrives quoted and contains commas.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lower-cased scheme: `basic`, `bearer`, ...
    pub scheme: String,
    /// Parameters with lower-cased names.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// What a Bearer challenge asks for: where to get a token, for which service and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    pub realm: String,
    pub service: Option<String>,
    pub scope: Option<String>,
}

impl BearerChallenge {
    /// The token endpoint URL for this challenge.
    pub fn token_url(&self) -> String {
        let mut url = self.realm.clone();
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (key, value) in [("service", &self.service), ("scope", &self.scope)] {
            if let Some(value) = value {
                url.push(separator);
                url.push_str(key);
                url.push('=');
                url.push_str(&percent_encode(value));
                separator = '&';
            }
        }
        url
    }
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Parses a header value holding one or more challenges. Malformed trailing parts are
/// dropped rather than failing the whole header: a login prompt is better than none.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let scheme_end = rest
            .find(|c: char| c.is_whitespace() || c == ',')
            .unwrap_or(rest.len());
        let scheme = rest[..scheme_end].to_ascii_lowercase();
        rest = rest[scheme_end..].trim_start();
        let mut params = BTreeMap::new();
        // Parameters continue while the next token is `name=`.
        loop {
            rest = rest.trim_start_matches([',', ' ', '\t']);
            let Some((name, after_name)) = param_name(rest) else {
                break;
            };
            let (value, remaining) = match after_name.strip_prefix('"') {
                Some(quoted) => match quoted_value(quoted) {
                    Some(parsed) => parsed,
                    None => {
                        rest = "";
                        break;
                    }
                },
                None => {
                    let end = after_name
                        .find([',', ' ', '\t'])
                        .unwrap_or(after_name.len());
                    (after_name[..end].to_owned(), &after_name[end..])
                }
            };
            params.insert(name.to_ascii_lowercase(), value);
            rest = remaining;
        }
        if !scheme.is_empty() {
            challenges.push(Challenge { scheme, params });
        }
        rest = rest.trim_start_matches([',', ' ', '\t']);
    }
    challenges
}

/// `name=` at the start of `input`: returns the name and what follows the '='.
fn param_name(input: &str) -> Option<(&str, &str)> {
    let end = input.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))?;
    let (name, after) = input.split_at(end);
    let after = after.trim_start();
    let value = after.strip_prefix('=')?;
    (!name.is_empty()).then_some((name, value.trim_start()))
}

fn quoted_value(input: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '"' => return Some((value, &input[i + 1..])),
            _ => value.push(c),
        }
    }
    None
}

/// The Bearer challenge among `header`'s challenges, if it names a realm.
pub fn bearer_challenge(header: &str) -> Option<BearerChallenge> {
    parse_challenges(header)
        .into_iter()
        .find(|c| c.scheme == "bearer")
        .and_then(|c| {
            Some(BearerChallenge {
                realm: c.param("realm")?.to_owned(),
                service: c.param("service").map(str::to_owned),
                scope: c.param("scope").map(str::to_owned),
            })
        })
}

/// The token endpoint's answer; registries send `token`, `access_token` or both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl TokenResponse {
    pub fn parse(body: &[u8]) -> Option<Self> {
        let response: TokenResponse = serde_json::from_slice(body).ok()?;
        response.bearer().is_some().then_some(response)
    }

    pub fn bearer(&self) -> Option<&str> {
        self.token
            .as_deref()
            .or(self.access_token.as_deref())
            .filter(|t| !t.is_empty())
    }
}

/// The scope a request needs: `pull` to read, `pull,push` to write, `delete` to delete.
pub fn repository_scope(repository: &str, actions: &str) -> String {
    format!("repository:{repository}:{actions}")
}
