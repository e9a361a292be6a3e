#![no_main]
//! `WWW-Authenticate` parsing, the Bearer challenge, its scope and the token URL
//! made from it.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::auth::{bearer_challenge, host_of, parse_challenges, token_url, ScopeSet};

#[path = "common.rs"]
mod common;

fn check_scopes(scopes: &ScopeSet) {
    for param in scopes.to_params() {
        assert!(common::is_scope_text(&param), "{param:?}");
    }
    assert_eq!(
        ScopeSet::parse(&scopes.to_string()).to_params(),
        scopes.to_params()
    );
}

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    for challenge in parse_challenges(&header) {
        assert!(!challenge.scheme.is_empty());
        assert_eq!(challenge.scheme, challenge.scheme.to_ascii_lowercase());
        for name in challenge.params.keys() {
            assert!(!name.is_empty());
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
                "{name:?}"
            );
        }
    }
    if let Some(bearer) = bearer_challenge(&header) {
        let scopes = ScopeSet::parse(bearer.scope.as_deref().unwrap_or(""));
        check_scopes(&scopes);
        let url = token_url(&bearer.realm, bearer.service.as_deref(), &scopes);
        assert!(url.starts_with(&bearer.realm));
        let _ = host_of(&bearer.realm);
    }
    check_scopes(&ScopeSet::parse(&header));
});
