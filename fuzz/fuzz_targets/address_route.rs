#![no_main]
//! What people type or link as a registry, and the page address: base URLs carry no
//! credentials, the pull host is shell-safe, routes survive the address bar.

use libfuzzer_sys::fuzz_target;
use tagdeck::model::registry_address::{normalize_registry_address, pull_host};
use tagdeck::model::route::{percent_decode, percent_encode, Route};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(base) = normalize_registry_address(&text) {
        let (scheme, rest) = base.split_once("://").expect("a base URL has a scheme");
        assert!(scheme == "http" || scheme == "https", "{base:?}");
        let authority = rest.split('/').next().unwrap_or("");
        assert!(
            !authority.is_empty() && !authority.contains('@'),
            "{base:?}"
        );
        // Hosts with blanks are a known bug (tests/parsers_fuzz.rs,
        // `hosts_with_blanks_are_refused`): "https:// " does not normalize again.
        if !authority.contains(char::is_whitespace) {
            assert!(normalize_registry_address(&base).is_ok(), "{base:?}");
        }
    }
    if let Some(host) = pull_host(&text) {
        assert!(
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)),
            "{host:?}"
        );
    }
    assert_eq!(percent_decode(&percent_encode(&text)), text);
    let route = Route::from_query(&text);
    assert_eq!(Route::from_query(&route.to_query()), route, "{text:?}");
});
