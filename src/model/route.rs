//! Every view has its own address. State lives in the query string
//! (`?registry=…&repo=…&ref=…`), not the path, so a reload or a shared link works
//! even from a plain static file server that knows nothing about this app.

use crate::model::registry_address::without_credentials;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Catalog,
    Repository {
        name: String,
    },
    /// A tag or a digest of a repository. `index`: the multi-arch image (its tag or
    /// digest) this platform was opened from (`&index=`), for a way back to it; only an
    /// address claims it, so the view shows it once that image was read and lists this
    /// one.
    Image {
        repository: String,
        reference: String,
        index: Option<String>,
    },
    /// The clean-up planner for a repository, or for every repository under a
    /// namespace (`namespace: true`, `target` without the trailing `/`). Its rules
    /// live beside the route in the address (`CleanupRules::to_query`).
    Cleanup {
        target: String,
        namespace: bool,
    },
    /// Where a digest is used across the registry (`?view=find&digest=…`); the
    /// digest is what the user typed, validated by the view.
    FindDigest {
        digest: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// The registry from the address, if any (else config.json or same origin).
    pub registry: Option<String>,
    pub view: View,
}

impl Route {
    /// Parses `location.search` (with or without the leading `?`).
    pub fn from_query(search: &str) -> Route {
        let mut registry = None;
        let mut repository = None;
        let mut reference = None;
        let mut cleanup = None;
        let mut find = false;
        let mut index = None;
        let mut digest = String::new();
        for pair in search.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            if value.is_empty() {
                continue;
            }
            match key {
                // A password in a shared link must not travel on in every link and
                // history entry this page makes from it (see `ui::router`).
                "registry" => {
                    registry = Some(without_credentials(&value)).filter(|r| !r.is_empty())
                }
                "repo" => repository = Some(value),
                "ref" => reference = Some(value),
                "index" => index = Some(value),
                "view" => find = value == "find",
                "digest" => digest = value,
                "cleanup" => cleanup = Some((value, false)),
                "cleanupNamespace" => cleanup = Some((value.trim_matches('/').to_owned(), true)),
                _ => {}
            }
        }
        let view = match (cleanup, repository, reference) {
            (Some((target, namespace)), _, _) => View::Cleanup { target, namespace },
            _ if find => View::FindDigest { digest },
            (None, Some(repository), Some(reference)) => View::Image {
                repository,
                reference,
                index,
            },
            (None, Some(name), None) => View::Repository { name },
            _ => View::Catalog,
        };
        Route { registry, view }
    }

    /// The query string for this route, starting with `?` (or empty).
    pub fn to_query(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(registry) = &self.registry {
            pairs.push(("registry", registry.as_str()));
        }
        match &self.view {
            View::Catalog => {}
            View::Repository { name } => pairs.push(("repo", name)),
            View::Image {
                repository,
                reference,
                index,
            } => {
                pairs.push(("repo", repository));
                pairs.push(("ref", reference));
                if let Some(index) = index {
                    pairs.push(("index", index));
                }
            }
            View::Cleanup { target, namespace } => pairs.push((
                if *namespace {
                    "cleanupNamespace"
                } else {
                    "cleanup"
                },
                target,
            )),
            View::FindDigest { digest } => {
                pairs.push(("view", "find"));
                if !digest.is_empty() {
                    pairs.push(("digest", digest));
                }
            }
        }
        if pairs.is_empty() {
            return String::new();
        }
        let encoded: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        format!("?{}", encoded.join("&"))
    }

    /// The same registry, another view.
    pub fn with_view(&self, view: View) -> Route {
        Route {
            registry: self.registry.clone(),
            view,
        }
    }
}

/// A view's own setting kept in the address beside the route (the tag filter, the
/// sort order): `?registry=…&repo=…&q=…`. Views keep it with `history.replaceState`,
/// so Back returns to the view as the user left it and a copied link reproduces it,
/// and nothing else needs to remember it. Unknown to [`Route`], which ignores it.
pub fn query_param(search: &str, key: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, value)| percent_decode(value))
        .filter(|value| !value.is_empty())
}

/// `search` with `key` set to `value` (or removed when `value` is empty), every other
/// pair kept as it was; starts with `?`, or is empty.
pub fn with_query_param(search: &str, key: &str, value: &str) -> String {
    let mut pairs: Vec<String> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| pair.split('=').next() != Some(key))
        .map(str::to_owned)
        .collect();
    if !value.is_empty() {
        pairs.push(format!("{key}={}", percent_encode(value)));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// Encodes everything but unreserved characters and `/` (kept for readable repository
/// names in the address bar) and `:` (digests).
pub fn percent_encode(value: &str) -> String {
    percent_encode_keeping(value, b"-_.~/:")
}

/// `value` with every byte but ASCII letters, digits and `keep` as `%XX`. Written
/// out rather than taken from the percent-encoding crate, whose encoder carries a
/// table of all 256 escapes into the main module.
pub fn percent_encode_keeping(value: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
    out
}

/// Decodes `%XX` and `+`; malformed escapes are kept as they are.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                // Two hex digits exactly: `from_str_radix` alone would take "+A".
                let hex = Some(&bytes[i + 1..i + 3])
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(decoded) => {
                        out.push(decoded);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_registry_address_is_not_kept() {
        let route =
            Route::from_query("?registry=https%3A%2F%2Falice%3As3cret%40reg.example&repo=a");
        assert_eq!(route.registry.as_deref(), Some("https://reg.example"));
        assert!(!route.to_query().contains("s3cret"), "{}", route.to_query());
    }

    #[test]
    fn round_trips_every_view() {
        for route in [
            Route::default(),
            Route {
                registry: Some("http://127.0.0.1:5000".into()),
                view: View::Repository {
                    name: "team/sub/app".into(),
                },
            },
            Route {
                registry: Some("https://reg.example/?a=b&c".into()),
                view: View::Image {
                    repository: "a".into(),
                    reference: "sha256:abc".into(),
                    index: None,
                },
            },
            Route {
                registry: None,
                view: View::Image {
                    repository: "a/b".into(),
                    reference: "sha256:abc".into(),
                    index: Some("2.0".into()),
                },
            },
            Route {
                registry: None,
                view: View::Cleanup {
                    target: "team/app".into(),
                    namespace: false,
                },
            },
            Route {
                registry: None,
                view: View::FindDigest {
                    digest: "sha256:abc".into(),
                },
            },
            Route {
                registry: None,
                view: View::Cleanup {
                    target: "team/sub".into(),
                    namespace: true,
                },
            },
            Route {
                registry: None,
                view: View::FindDigest {
                    digest: String::new(),
                },
            },
        ] {
            assert_eq!(Route::from_query(&route.to_query()), route);
        }
    }

    #[test]
    fn reads_browser_encoded_queries() {
        let route =
            Route::from_query("?registry=http%3A%2F%2F127.0.0.1%3A5000&repo=team%2Fapp&ref=v1&x=y");
        assert_eq!(route.registry.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(
            route.view,
            View::Image {
                repository: "team/app".into(),
                reference: "v1".into(),
                index: None,
            }
        );
        assert_eq!(Route::from_query("?ref=v1").view, View::Catalog);
        assert_eq!(Route::from_query("").view, View::Catalog);
    }

    #[test]
    fn malformed_escapes_survive() {
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b%20c"), "a b c");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn view_settings_live_beside_the_route() {
        let search = "?registry=http%3A%2F%2Fr&repo=team/app";
        let with = with_query_param(search, "q", "v1 & co");
        assert_eq!(
            with,
            "?registry=http%3A%2F%2Fr&repo=team/app&q=v1%20%26%20co"
        );
        assert_eq!(query_param(&with, "q").as_deref(), Some("v1 & co"));
        assert_eq!(Route::from_query(&with), Route::from_query(search));
        let replaced = with_query_param(&with, "q", "2");
        assert_eq!(query_param(&replaced, "q").as_deref(), Some("2"));
        assert_eq!(replaced.matches("q=").count(), 1);
        assert_eq!(with_query_param(&replaced, "q", ""), search);
        assert_eq!(with_query_param("", "q", ""), "");
        assert_eq!(query_param("?qq=1&q", "q"), None);
    }
}
