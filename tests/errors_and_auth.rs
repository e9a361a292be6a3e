#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::response;
use tagdeck::oci::auth::{bearer_challenge, parse_challenges, token_url, ScopeSet, TokenResponse};
use tagdeck::oci::error::{parse_error_entries, Attempt, RegistryError};
use tagdeck::oci::http::{Method, TransportFailure};
use tagdeck::wording;

fn attempt() -> Attempt {
    Attempt {
        method: Method::Get,
        url: "http://r/v2/x".into(),
    }
}

#[test]
fn error_envelope_keeps_unknown_codes_and_tolerates_junk() {
    let entries = parse_error_entries(
        br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}},{"code":"SOMETHING_NEW"}]}"#,
    );
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].code, "SOMETHING_NEW");
    assert_eq!(entries[0].detail.as_ref().unwrap()["Tag"], "x");
    assert!(parse_error_entries(b"<html>oops</html>").is_empty());
    assert!(parse_error_entries(br#"{"errors":"nope"}"#).is_empty());
    assert!(parse_error_entries(b"").is_empty());
}

#[test]
fn statuses_map_to_kinds() {
    let kind = |status: u16, headers: &[(&str, &str)], body: &[u8]| {
        RegistryError::from_response(attempt(), &response(status, headers, body))
    };
    assert!(
        matches!(kind(404, &[], br#"{"errors":[{"code":"NAME_UNKNOWN"}]}"#), RegistryError::NotFound { ref errors, .. } if errors[0].code == "NAME_UNKNOWN")
    );
    match kind(401, &[("WWW-Authenticate", "Basic realm=\"r\"")], b"") {
        RegistryError::Unauthorized { challenge, .. } => {
            assert_eq!(challenge.as_deref(), Some("Basic realm=\"r\""))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(kind(403, &[], b""), RegistryError::Denied { .. }));
    assert!(matches!(
        kind(405, &[], b""),
        RegistryError::Unsupported { status: 405, .. }
    ));
    assert!(matches!(
        kind(400, &[], br#"{"errors":[{"code":"UNSUPPORTED"}]}"#),
        RegistryError::Unsupported { status: 400, .. }
    ));
    assert!(matches!(
        kind(400, &[], br#"{"errors":[{"code":"TAG_INVALID"}]}"#),
        RegistryError::Invalid { status: 400, .. }
    ));
    assert!(matches!(
        kind(429, &[("Retry-After", " 30 ")], b""),
        RegistryError::RateLimited {
            retry_after: Some(30),
            ..
        }
    ));
    assert!(matches!(
        kind(
            429,
            &[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")],
            b""
        ),
        RegistryError::RateLimited {
            retry_after: None,
            ..
        }
    ));
    assert!(matches!(
        kind(503, &[], b""),
        RegistryError::Server { status: 503, .. }
    ));
    assert!(matches!(
        kind(302, &[], b""),
        RegistryError::UnexpectedStatus { status: 302, .. }
    ));
}

#[test]
fn every_kind_explains_itself() {
    let network = RegistryError::from_transport(
        attempt(),
        TransportFailure::Network("Failed to fetch".into()),
    );
    assert!(wording::error(&network).advice.contains("CORS"));
    assert!(wording::error(&network)
        .detail
        .starts_with("GET http://r/v2/x: no response"));
    assert!(network.to_string().contains("GET http://r/v2/x"));
    let limited =
        RegistryError::from_response(attempt(), &response(429, &[("Retry-After", "7")], b""));
    assert!(matches!(
        limited,
        RegistryError::RateLimited {
            retry_after: Some(7),
            ..
        }
    ));
    let unsupported = RegistryError::from_response(attempt(), &response(405, &[], b""));
    assert!(matches!(
        unsupported,
        RegistryError::Unsupported { status: 405, .. }
    ));
    let not_found = RegistryError::from_response(
        attempt(),
        &response(
            404,
            &[],
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        ),
    );
    assert_eq!(not_found.entries()[0].message, "manifest unknown");
    assert!(not_found.has_code("MANIFEST_UNKNOWN"));
    assert!(matches!(
        RegistryError::from_transport(attempt(), TransportFailure::Aborted),
        RegistryError::Aborted { .. }
    ));
}

#[test]
fn bearer_challenge_with_quoted_commas() {
    let header = r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push""#;
    let challenge = bearer_challenge(header).unwrap();
    assert_eq!(challenge.realm, "https://auth.example.com/token");
    assert_eq!(challenge.service.as_deref(), Some("registry.example.com"));
    assert_eq!(
        challenge.scope.as_deref(),
        Some("repository:team/app:pull,push")
    );
    let scopes = ScopeSet::parse(challenge.scope.as_deref().unwrap());
    assert_eq!(
        token_url(&challenge.realm, challenge.service.as_deref(), &scopes),
        "https://auth.example.com/token?service=registry.example.com&scope=repository:team/app:pull,push"
    );
}

#[test]
fn several_challenges_odd_spacing_and_escapes() {
    let header = r#"Basic realm="a \"quoted\" realm" ,  BEARER  Realm = "https://t/x?y=1" , error="insufficient_scope""#;
    let challenges = parse_challenges(header);
    assert_eq!(challenges.len(), 2);
    assert_eq!(challenges[0].scheme, "basic");
    assert_eq!(challenges[0].param("realm"), Some(r#"a "quoted" realm"#));
    assert_eq!(challenges[1].scheme, "bearer");
    assert_eq!(challenges[1].param("error"), Some("insufficient_scope"));
    let bearer = bearer_challenge(header).unwrap();
    assert_eq!(
        token_url(&bearer.realm, None, &ScopeSet::new()),
        "https://t/x?y=1"
    );
    assert_eq!(bearer.error.as_deref(), Some("insufficient_scope"));
}

#[test]
fn malformed_challenges_do_not_panic() {
    for header in [
        "",
        "Bearer",
        "Bearer realm=\"unterminated",
        "=,=,",
        "Bearer ,,, realm",
        "Basic",
    ] {
        let _ = parse_challenges(header);
    }
    assert_eq!(bearer_challenge("Bearer service=\"x\""), None);
    assert_eq!(parse_challenges("Basic")[0].scheme, "basic");
}

#[test]
fn token_response_accepts_either_field() {
    assert_eq!(
        TokenResponse::parse(br#"{"token":"t1","expires_in":300}"#)
            .unwrap()
            .bearer(),
        Some("t1")
    );
    assert_eq!(
        TokenResponse::parse(br#"{"access_token":"t2"}"#)
            .unwrap()
            .bearer(),
        Some("t2")
    );
    assert_eq!(TokenResponse::parse(br#"{"token":""}"#), None);
    assert_eq!(TokenResponse::parse(b"not json"), None);
    // A token that could end or extend the Authorization header is not a token.
    assert_eq!(TokenResponse::parse(br#"{"token":"a\r\nX-Evil: 1"}"#), None);
    let huge = format!(r#"{{"token":"{}"}}"#, "a".repeat(70 * 1024));
    assert_eq!(TokenResponse::parse(huge.as_bytes()), None);
    let default_life = TokenResponse::parse(br#"{"token":"t"}"#).unwrap();
    assert_eq!(default_life.lifetime_seconds(), 60);
}
