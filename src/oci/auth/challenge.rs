//! `WWW-Authenticate` challenges (RFC 7235). Parsing is strict about quotes: a scope
//! such as `repository:a:pull,push` arrives quoted and contains commas. Parameters
//! come in any order; names are matched case-insensitively.

use std::collections::BTreeMap;

use crate::oci::bounds::MAX_CHALLENGE_CHARS;

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
    /// `insufficient_scope` when the token sent lacked rights, `invalid_token` when it
    /// expired or was not accepted.
    pub error: Option<String>,
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
    // The realm and service go into token requests, the session and messages (kept
    // with the activity log): a challenge longer than any real one is not followed.
    if header.len() > MAX_CHALLENGE_CHARS {
        return None;
    }
    parse_challenges(header)
        .into_iter()
        .find(|c| c.scheme == "bearer")
        .and_then(|c| {
            Some(BearerChallenge {
                realm: c.param("realm")?.to_owned(),
                service: c.param("service").map(str::to_owned),
                scope: c.param("scope").map(str::to_owned),
                error: c.param("error").map(str::to_owned),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_longer_than_any_real_one_is_not_followed() {
        let realm = format!("https://auth.example/{}", "x".repeat(MAX_CHALLENGE_CHARS));
        let header = format!(r#"Bearer realm="{realm}",service="registry""#);
        assert_eq!(bearer_challenge(&header), None);
        let real = r#"Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull""#;
        assert_eq!(
            bearer_challenge(real).map(|c| c.realm),
            Some("https://auth.example/token".to_owned())
        );
    }
}
