// Shared by the targets with `#[path]`: invariants that must hold today. Known bugs
// that do not panic are not asserted here (they are #[ignore]d tests in
// tests/parsers_fuzz.rs), so a run stops only at something new.

/// The origin a browser's URL parser (WHATWG) gives an absolute http(s) URL: tabs
/// and newlines removed, backslashes as slashes, user info and default ports dropped.
#[allow(dead_code)]
pub fn browser_origin(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, rest) = cleaned.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let host = host.strip_suffix(default_port).unwrap_or(&host).to_owned();
    Some(format!("{scheme}://{host}"))
}

/// What scope text may hold: names, tags, actions and `repository(plugin)`.
#[allow(dead_code)]
pub fn is_scope_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/:,*()".contains(c))
}

/// RFC 6750 `b64token`: nothing that could end or extend a header.
#[allow(dead_code)]
pub fn is_token_text(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}
