//! Paging of `/v2/_catalog` and `/tags/list`: the `Link: <url>; rel="next"` header.
//! distribution 2.8 ignores `n`/`last` for tags and sends no Link; others page.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::bounds::{bounded, MAX_MESSAGE_CHARS, MAX_URL_CHARS};

/// Why a Link header (or a Location resolved the same way) was not followed
/// (`crate::wording::link_error` says it; the `Display` is a terse line for logs).
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LinkError {
    /// The header does not parse.
    #[error("malformed Link header: {0:?}")]
    Malformed(LinkFault),
    /// The next page's URL (this one, resolved, its start) is on another origin.
    #[error("link to another origin: {0}")]
    OtherOrigin(String),
    /// The next page's URL is another list of this registry (another repository's
    /// tags, the catalog): its names would be shown as this list's.
    #[error("link to another list: {0}")]
    OtherList(String),
}

/// Where a Link header breaks its grammar (RFC 8288), with the text at fault (its
/// start: the header is the registry's, of any length).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LinkFault {
    /// A link does not start with '<'; `at` is the rest of the header from there.
    ExpectedOpen { at: String },
    /// A link's '<' has no '>'.
    MissingClose,
    /// Text after a link that is neither a parameter nor the next link.
    Unexpected { text: String },
    /// A parameter without a name (`; =x`).
    EmptyParameter,
    /// A quoted parameter value without its closing quote.
    UnterminatedQuote,
    /// The URL to resolve against is not absolute.
    BaseNotAbsolute { base: String },
}

/// Finds the `rel="next"` target in a Link header and resolves it against the URL of
/// the request that returned it. A link to another origin is refused: credentials
/// must only ever go to the registry itself.
pub fn next_page_url(link_header: &str, request_url: &str) -> Result<Option<String>, LinkError> {
    for link in split_links(link_header)? {
        let (target, params) = link;
        let is_next = params.iter().any(|(key, value)| {
            key.eq_ignore_ascii_case("rel")
                && value
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            let resolved = resolve(request_url, &target)?;
            if origin_of(&resolved) != origin_of(request_url) {
                return Err(LinkError::OtherOrigin(bounded(&resolved, MAX_URL_CHARS)));
            }
            if path_of(&resolved) != path_of(request_url) {
                return Err(LinkError::OtherList(bounded(&resolved, MAX_URL_CHARS)));
            }
            return Ok(Some(resolved));
        }
    }
    Ok(None)
}

type Link = (String, Vec<(String, String)>);

/// Splits `<a>; rel="next", <b>; rel=prev` into targets and parameters, honouring
/// quoted values that contain commas or semicolons.
fn split_links(header: &str) -> Result<Vec<Link>, LinkError> {
    let mut links = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let Some(after_open) = rest.strip_prefix('<') else {
            return Err(LinkError::Malformed(LinkFault::ExpectedOpen {
                at: bounded(rest, MAX_MESSAGE_CHARS),
            }));
        };
        let close = after_open
            .find('>')
            .ok_or(LinkError::Malformed(LinkFault::MissingClose))?;
        let target = after_open[..close].trim().to_owned();
        rest = after_open[close + 1..].trim_start();
        let mut params = Vec::new();
        while let Some(after_semi) = rest.strip_prefix(';') {
            let (param, remaining) = take_param(after_semi.trim_start())?;
            params.push(param);
            rest = remaining.trim_start();
        }
        links.push((target, params));
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None if rest.is_empty() => {}
            None => {
                return Err(LinkError::Malformed(LinkFault::Unexpected {
                    text: bounded(rest, MAX_MESSAGE_CHARS),
                }))
            }
        }
    }
    Ok(links)
}

fn take_param(input: &str) -> Result<((String, String), &str), LinkError> {
    let name_end = input.find(['=', ';', ',']).unwrap_or(input.len());
    let name = input[..name_end].trim().to_owned();
    if name.is_empty() {
        return Err(LinkError::Malformed(LinkFault::EmptyParameter));
    }
    let rest = &input[name_end..];
    let Some(value_part) = rest.strip_prefix('=') else {
        return Ok(((name, String::new()), rest));
    };
    let value_part = value_part.trim_start();
    if let Some(quoted) = value_part.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return Ok(((name, value), &quoted[i + 1..])),
                _ => value.push(c),
            }
        }
        Err(LinkError::Malformed(LinkFault::UnterminatedQuote))
    } else {
        let end = value_part.find([';', ',']).unwrap_or(value_part.len());
        Ok((
            (name, value_part[..end].trim().to_owned()),
            &value_part[end..],
        ))
    }
}

/// An absolute URL's scheme, authority and the rest (path, query, fragment): the
/// authority ends at the first '/', '?' or '#', as the browser ends it, so that
/// `http://reg?/v2/x` has the path "" its request goes to, not "/v2/x".
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], &rest[end..]))
}

/// `scheme://host[:port]` of an absolute URL, lowercased.
pub fn origin_of(url: &str) -> String {
    let Some((scheme, authority, _)) = split_url(url) else {
        return String::new();
    };
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// The path of an absolute URL, without its query or fragment.
fn path_of(url: &str) -> &str {
    let rest = split_url(url).map_or(url, |(_, _, rest)| rest);
    rest.split(['?', '#']).next().unwrap_or("")
}

/// Whether `reference` starts with a scheme (`http:`), as an absolute URL does
/// (RFC 3986 §3.1); a query may hold "://" all the same.
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Resolves a reference against an absolute base URL (RFC 3986 §5.2, without
/// dot-segment removal, which registry links never need).
pub fn resolve(base: &str, reference: &str) -> Result<String, LinkError> {
    if has_scheme(reference) {
        return Ok(reference.to_owned());
    }
    let origin = origin_of(base);
    if origin.is_empty() {
        return Err(LinkError::Malformed(LinkFault::BaseNotAbsolute {
            base: bounded(base, MAX_URL_CHARS),
        }));
    }
    if let Some(authority) = reference.strip_prefix("//") {
        let scheme = &origin[..origin.find(':').unwrap_or(0)];
        return Ok(format!("{scheme}://{authority}"));
    }
    let base_path = path_of(base);
    if reference.starts_with('/') {
        Ok(format!("{origin}{reference}"))
    } else if reference.starts_with('?') {
        Ok(format!("{origin}{base_path}{reference}"))
    } else {
        let directory = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        let directory = if directory.is_empty() { "/" } else { directory };
        Ok(format!("{origin}{directory}{reference}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://reg.example:5000/v2/_catalog?n=100";

    #[test]
    fn follows_relative_next_link() {
        let link = r#"</v2/_catalog?last=b&n=100>; rel="next""#;
        assert_eq!(
            next_page_url(link, BASE).unwrap().as_deref(),
            Some("http://reg.example:5000/v2/_catalog?last=b&n=100")
        );
    }

    #[test]
    fn no_next_relation_means_last_page() {
        let link = r#"</v2/_catalog?last=a>; rel="prev""#;
        assert_eq!(next_page_url(link, BASE).unwrap(), None);
    }

    #[test]
    fn picks_next_among_several_links_with_quoted_commas() {
        let link = r#"<https://reg.example:5000/x>; title="a, b; c"; rel=prev, </v2/_catalog?last=z>; rel="first next""#;
        assert_eq!(
            next_page_url(link, BASE).unwrap().as_deref(),
            Some("http://reg.example:5000/v2/_catalog?last=z")
        );
    }

    /// A registry's next link that names another list would show another
    /// repository's tags (or the catalog) as this one's.
    #[test]
    fn refuses_link_to_another_list_of_the_same_registry() {
        let tags = "http://reg.example:5000/v2/app/tags/list?n=100";
        for other in ["/v2/secret/tags/list?n=100", "/v2/_catalog", "other?last=a"] {
            let link = format!("<{other}>; rel=next");
            assert!(
                matches!(next_page_url(&link, tags), Err(LinkError::OtherList(_))),
                "{other}"
            );
        }
        // The same list, any query: followed, also one holding "://".
        let link = "</v2/app/tags/list?n=100&last=b&next=http://x>; rel=next";
        assert_eq!(
            next_page_url(link, tags).unwrap().as_deref(),
            Some("http://reg.example:5000/v2/app/tags/list?n=100&last=b&next=http://x")
        );
    }

    #[test]
    fn refuses_link_to_another_host() {
        let link = r#"<http://evil.example/v2/_catalog?last=b>; rel="next""#;
        assert!(matches!(
            next_page_url(link, BASE),
            Err(LinkError::OtherOrigin(_))
        ));
    }

    #[test]
    fn absolute_link_to_same_origin_is_fine_even_with_upper_case_host() {
        let link = r#"<http://REG.example:5000/v2/_catalog?last=b>; rel=next"#;
        assert!(next_page_url(link, BASE).unwrap().is_some());
    }

    #[test]
    fn malformed_links_are_errors_not_panics() {
        for bad in [
            "/v2/x; rel=next",
            "<unterminated; rel=next",
            r#"<a>; rel="open"#,
            "<a> junk",
            "<a>; =x",
        ] {
            assert!(next_page_url(bad, BASE).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolves_query_only_and_path_relative_references() {
        assert_eq!(
            resolve(BASE, "?last=q").unwrap(),
            "http://reg.example:5000/v2/_catalog?last=q"
        );
        assert_eq!(
            resolve("http://h/v2/a/tags/list", "list?last=1").unwrap(),
            "http://h/v2/a/tags/list?last=1"
        );
        assert_eq!(resolve("http://h", "x").unwrap(), "http://h/x");
        assert_eq!(resolve("https://h/a", "//g/p").unwrap(), "https://g/p");
    }
}
