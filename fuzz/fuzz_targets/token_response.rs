#![no_main]
//! The token endpoint's answer (only header-safe tokens come out) and the access
//! claims of a JWT, with the input as the whole token and as its payload.

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use tagdeck::oci::auth::{granted_scopes, TokenResponse};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Some(response) = TokenResponse::parse(data) {
        let token = response.bearer().expect("a parsed answer has a token");
        assert!(common::is_token_text(token), "{token:?}");
        assert!(response.lifetime_seconds() > 0);
    }
    let text = String::from_utf8_lossy(data);
    let _ = granted_scopes(&text).map(|s| s.to_params());
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data);
    let _ = granted_scopes(&format!("e30.{payload}.c2ln")).map(|s| s.to_string());
});
