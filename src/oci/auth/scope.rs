//! Token scopes (`repository:team/app:pull,push`, `registry:catalog:*`): what a
//! request needs, what a token was asked for, and what it was granted.
//!
//! Knowing the scope of a request before sending it is what lets a token be reused:
//! without it every request would first be refused with 401 to learn its scope.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::super::http::{Method, Request};
use crate::model::registry_address::registry_identity;

pub const PULL: &str = "pull";
pub const PUSH: &str = "push";
pub const DELETE: &str = "delete";

/// Resource (`repository`, `registry`) and name → actions. Ordered, so that equal
/// sets print equally and serve as cache keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(BTreeMap<(String, String), BTreeSet<String>>);

impl ScopeSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn repository(name: &str, actions: &[&str]) -> Self {
        let mut set = Self::new();
        set.add("repository", name, actions.iter().copied());
        set
    }

    pub fn catalog() -> Self {
        let mut set = Self::new();
        set.add("registry", "catalog", ["*"]);
        set
    }

    pub fn add<'a>(
        &mut self,
        resource: &str,
        name: &str,
        actions: impl IntoIterator<Item = &'a str>,
    ) {
        let entry = self
            .0
            .entry((resource.to_owned(), name.to_owned()))
            .or_default();
        entry.extend(
            actions
                .into_iter()
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
        );
    }

    /// Parses one or more space-separated scopes as a challenge or a token request
    /// carries them. Malformed entries are skipped: a hostile challenge can at worst
    /// ask for less.
    pub fn parse(text: &str) -> Self {
        let mut set = Self::new();
        for scope in text.split_ascii_whitespace() {
            // `type:name:actions`; the name may hold a port-like colon in some
            // registries, so split at the first and the last colon.
            let (Some(first), Some(last)) = (scope.find(':'), scope.rfind(':')) else {
                continue;
            };
            if first == last {
                continue;
            }
            let (resource, name, actions) =
                (&scope[..first], &scope[first + 1..last], &scope[last + 1..]);
            if resource.is_empty() || name.is_empty() || !is_scope_text(scope) {
                continue;
            }
            set.add(resource, name, actions.split(','));
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut merged = self.clone();
        for ((resource, name), actions) in &other.0 {
            merged.add(resource, name, actions.iter().map(String::as_str));
        }
        merged
    }

    /// Whether every action `needed` asks for is in this set (`*` covers all).
    pub fn covers(&self, needed: &ScopeSet) -> bool {
        needed.0.iter().all(|(key, actions)| {
            self.0
                .get(key)
                .is_some_and(|held| held.contains("*") || actions.iter().all(|a| held.contains(a)))
        })
    }

    /// Actions held on `repository`.
    pub fn actions_on(&self, repository: &str) -> Option<&BTreeSet<String>> {
        self.0
            .get(&("repository".to_owned(), repository.to_owned()))
    }

    /// Names of the repositories this set holds actions on.
    pub fn repositories(&self) -> Vec<String> {
        self.0
            .keys()
            .filter(|(resource, _)| resource == "repository")
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Each scope as the token endpoint's `scope` parameter wants it.
    pub fn to_params(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|(_, actions)| !actions.is_empty())
            .map(|((resource, name), actions)| {
                let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
                format!("{resource}:{name}:{}", actions.join(","))
            })
            .collect()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_params().join(" "))
    }
}

/// Scope text goes into a URL: only the characters names, tags and actions use.
fn is_scope_text(scope: &str) -> bool {
    scope
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/:,*()".contains(&b))
}

/// The scope a request to the registry at `registry_base` needs, known from its
/// method and path before it is sent: `pull` to read, `pull,push` to write, `delete`
/// to delete, `pull` on the source too for a cross-repository mount, and
/// `registry:catalog:*` for the catalog. Empty for `/v2/` itself.
pub fn scope_for_request(registry_base: &str, request: &Request) -> ScopeSet {
    let mut needed = ScopeSet::new();
    let (url, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
    // The API follows the registry's own base, which may hold a `/v2/` of its own
    // (a proxy's); both compared as `registry_identity` writes them.
    let url = registry_identity(url);
    let Some(api_path) = (url.strip_prefix(&registry_identity(registry_base)))
        .and_then(|rest| rest.strip_prefix("/v2/"))
    else {
        return needed;
    };
    if api_path == "_catalog" {
        return ScopeSet::catalog();
    }
    let segments: Vec<&str> = api_path.split('/').collect();
    // The rightmost route word followed by something: repository names may contain
    // `blobs` or `tags` as a component, references and upload ids cannot hold '/'.
    let Some(marker) = (0..segments.len().saturating_sub(1))
        .rev()
        .find(|&i| matches!(segments[i], "manifests" | "blobs" | "tags" | "referrers"))
    else {
        return needed;
    };
    if marker == 0 {
        return needed;
    }
    let repository = segments[..marker].join("/");
    let actions: &[&str] = match request.method {
        Method::Get | Method::Head => &[PULL],
        Method::Put | Method::Post | Method::Patch => &[PULL, PUSH],
        Method::Delete => &[DELETE],
    };
    needed.add("repository", &repository, actions.iter().copied());
    if request.method == Method::Post {
        if let Some(from) = query_param(query, "from") {
            needed.add("repository", &from, [PULL]);
        }
    }
    needed
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}
