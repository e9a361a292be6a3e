#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{block_on, response, ScriptedHttp};
use tagdeck::oci::auth::{bearer_challenge, parse_challenges, token_url, ScopeSet, TokenResponse};
use tagdeck::oci::client::Registry;
use tagdeck::oci::error::{
    parse_error_entries, Attempt, MalformedReason, RegistryError, MAX_HEADER_CHARS,
    MAX_MESSAGE_CHARS, MAX_URL_CHARS,
};
use tagdeck::oci::http::{Method, TransportFailure};
use tagdeck::oci::manifest::Descriptor;
use tagdeck::oci::names::{Digest, Repository, Tag};
use tagdeck::oci::pagination::{LinkError, LinkFault};
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
    assert_eq!(entries[0].message, "manifest unknown");
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

/// An `expires_in` that is no positive whole number of seconds is as if absent
/// (60 s): the token in the same answer is still used.
#[test]
fn token_response_reads_a_strange_expires_in_as_absent() {
    for body in [
        r#"{"token":"t","expires_in":-1}"#,
        r#"{"token":"t","expires_in":3600.5}"#,
        r#"{"token":"t","expires_in":"300"}"#,
        r#"{"token":"t","expires_in":null}"#,
        r#"{"token":"t","expires_in":0}"#,
        r#"{"token":"t","expires_in":{"s":1}}"#,
    ] {
        let parsed = TokenResponse::parse(body.as_bytes());
        assert_eq!(
            parsed.as_ref().and_then(|p| p.bearer()),
            Some("t"),
            "{body}"
        );
        assert_eq!(parsed.unwrap().lifetime_seconds(), 60, "{body}");
    }
    let stated = TokenResponse::parse(br#"{"token":"t","expires_in":300}"#).unwrap();
    assert_eq!(stated.lifetime_seconds(), 300);
}

// ----------------------------------------------------------------------------------
// What a registry sends is bounded before it goes into an error: kept, shown, and
// saved with the activity log in the tab's session storage.

const MIB: usize = 1 << 20;
const BASE: &str = "http://reg:5000";

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The error, as shown and as saved, is a few KiB at most whatever the registry sent.
fn assert_small(error: &RegistryError) {
    let words = wording::error(error);
    assert!(
        chars(&words.detail) <= 1500,
        "{} chars",
        chars(&words.detail)
    );
    assert!(
        chars(&error.to_string()) <= 1500,
        "{} chars",
        chars(&error.to_string())
    );
    let saved = serde_json::to_string(error).unwrap();
    assert!(saved.len() <= 8 * 1024, "{} bytes saved", saved.len());
}

#[test]
fn a_megabyte_message_from_the_registry_stays_a_sentence() {
    let body = serde_json::to_vec(&serde_json::json!({
        "errors": [{"code": "DENIED", "message": "m".repeat(MIB), "detail": "d".repeat(MIB)}],
    }))
    .unwrap();
    let error = RegistryError::from_response(attempt(), &response(403, &[], &body));
    let entry = &error.entries()[0];
    assert_eq!(entry.code, "DENIED");
    assert_eq!(chars(&entry.message), MAX_MESSAGE_CHARS);
    assert!(entry.message.starts_with("mmm") && entry.message.ends_with('…'));
    let detail = wording::error(&error).detail;
    assert!(chars(&detail) <= 400, "{} chars", chars(&detail));
    assert!(detail.starts_with("GET http://r/v2/x: access denied (DENIED: mmm"));
    assert_small(&error);
    // A message that fits is shown whole.
    let fits = RegistryError::from_response(
        attempt(),
        &response(403, &[], br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#),
    );
    assert_eq!(
        wording::error(&fits).detail,
        "GET http://r/v2/x: access denied (DENIED: requested access to the resource is denied)"
    );
}

#[test]
fn a_huge_challenge_is_bounded() {
    let header = format!("Bearer realm=\"https://auth.example/{}\"", "x".repeat(MIB));
    let error = RegistryError::from_response(
        attempt(),
        &response(401, &[("WWW-Authenticate", &header)], b""),
    );
    match &error {
        RegistryError::Unauthorized { challenge, .. } => {
            let challenge = challenge.as_deref().unwrap();
            assert!(chars(challenge) <= 2048, "{} chars", chars(challenge));
            assert!(challenge.starts_with("Bearer realm=\"https://auth.example/xxx"));
        }
        other => panic!("{other:?}"),
    }
    assert_small(&error);
}

#[test]
fn a_tag_list_with_a_huge_invalid_value_is_bounded() {
    let body = format!(r#"{{"name":"app","tags":"{}"}}"#, "v".repeat(MIB));
    // What the JSON reader says of it quotes all of it.
    let said = serde_json::from_str::<serde_json::Value>(&body)
        .and_then(|v| serde_json::from_value::<Vec<String>>(v["tags"].clone()))
        .unwrap_err()
        .to_string();
    assert!(said.len() > MIB);
    let http = ScriptedHttp::new(move |_| Ok(response(200, &[], body.as_bytes())));
    let registry = Registry::new(BASE, &http);
    let repository = Repository::parse("app").unwrap();
    let error = block_on(registry.tags(&repository, |_| {})).unwrap_err();
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::UnexpectedJson { error },
            ..
        } => {
            assert!(chars(error) <= MAX_MESSAGE_CHARS, "{} chars", chars(error));
            assert!(error.contains("vvv"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let detail = wording::error(&error).detail;
    assert!(chars(&detail) <= 500, "{} chars", chars(&detail));
    assert_small(&error);
}

#[test]
fn a_huge_docker_content_digest_is_quoted_bounded() {
    let put = |reported: String| {
        let http = ScriptedHttp::new(move |_| {
            Ok(response(201, &[("Docker-Content-Digest", &reported)], b""))
        });
        block_on(Registry::new(BASE, &http).manifest_put(
            &Repository::parse("app").unwrap(),
            Tag::parse("v1").unwrap(),
            b"{}",
            "application/vnd.oci.image.manifest.v1+json",
        ))
        .unwrap_err()
    };
    let error = put(format!("sha256:{}", "f".repeat(MIB)));
    match &error {
        RegistryError::DigestMismatch { actual, .. } => {
            assert_eq!(chars(actual), MAX_HEADER_CHARS);
            assert!(actual.starts_with("sha256:fff") && actual.ends_with('…'));
        }
        other => panic!("{other:?}"),
    }
    assert_small(&error);
    // A digest, even sha512's, is quoted whole.
    let other = format!("sha512:{}", "e".repeat(128));
    match put(other.clone()) {
        RegistryError::DigestMismatch { actual, .. } => assert_eq!(actual, other),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refused_links_are_bounded() {
    let catalog = |link: String| {
        let http = ScriptedHttp::new(move |_| {
            Ok(response(
                200,
                &[("Link", &link)],
                br#"{"repositories":["a"]}"#,
            ))
        });
        block_on(Registry::new(BASE, &http).catalog()).unwrap_err()
    };
    let error = catalog(format!(
        "<http://evil.example/{}>; rel=\"next\"",
        "e".repeat(MIB)
    ));
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::NextPageLink(LinkError::OtherOrigin(url)),
            ..
        } => {
            assert_eq!(chars(url), MAX_URL_CHARS);
            assert!(url.starts_with("http://evil.example/eee"));
        }
        other => panic!("{other:?}"),
    }
    assert_small(&error);
    let error = catalog(format!("junk{}", "j".repeat(MIB)));
    match &error {
        RegistryError::Malformed {
            reason:
                MalformedReason::NextPageLink(LinkError::Malformed(LinkFault::ExpectedOpen { at })),
            ..
        } => assert_eq!(chars(at), MAX_MESSAGE_CHARS),
        other => panic!("{other:?}"),
    }
    assert_small(&error);
    let error = catalog(format!(
        "</v2/_catalog?last=a>; rel=\"next\" {}",
        "u".repeat(MIB)
    ));
    match &error {
        RegistryError::Malformed {
            reason:
                MalformedReason::NextPageLink(LinkError::Malformed(LinkFault::Unexpected { text })),
            ..
        } => assert_eq!(chars(text), MAX_MESSAGE_CHARS),
        other => panic!("{other:?}"),
    }
    assert_small(&error);
}

#[test]
fn an_upload_location_elsewhere_is_bounded() {
    let location = format!("http://storage.example/upload?_state={}", "s".repeat(MIB));
    let http = ScriptedHttp::new(move |_| Ok(response(202, &[("Location", &location)], b"")));
    let error =
        block_on(Registry::new(BASE, &http).blob_upload(&Repository::parse("app").unwrap(), b"x"))
            .unwrap_err();
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::UploadElsewhere { location },
            ..
        } => {
            assert_eq!(chars(location), MAX_URL_CHARS);
            assert!(location.starts_with("http://storage.example/upload?_state=sss"));
        }
        other => panic!("{other:?}"),
    }
    assert_small(&error);
}

#[test]
fn a_failed_put_to_an_upload_location_with_a_long_state_is_bounded() {
    let state = "s".repeat(MIB);
    let location = format!("/v2/app/blobs/uploads/uuid-1?_state={state}");
    let http = ScriptedHttp::new(move |request| {
        Ok(match request.method {
            Method::Post => response(202, &[("Location", &location)], b""),
            _ => response(
                500,
                &[],
                br#"{"errors":[{"code":"UNKNOWN","message":"unknown error"}]}"#,
            ),
        })
    });
    let error =
        block_on(Registry::new(BASE, &http).blob_upload(&Repository::parse("app").unwrap(), b"x"))
            .unwrap_err();
    // The PUT went to the whole location; only its error is bounded.
    let sent = http.sent.borrow();
    let put = sent.last().unwrap();
    assert!(put.url.contains(&state) && put.url.contains("digest=sha256:"));
    match &error {
        RegistryError::Server {
            attempt,
            status: 500,
            ..
        } => {
            assert_eq!(attempt.method, Method::Put);
            assert_eq!(chars(&attempt.url), MAX_URL_CHARS);
            assert!(attempt
                .url
                .starts_with("http://reg:5000/v2/app/blobs/uploads/uuid-1?_state=sss"));
        }
        other => panic!("{other:?}"),
    }
    assert_small(&error);
}

/// What reading `v1` of `app` fails with when the registry answers `manifest`.
fn manifest_read_error(manifest: String) -> RegistryError {
    let http = ScriptedHttp::new(move |_| {
        Ok(response(
            200,
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            manifest.as_bytes(),
        ))
    });
    let repository = Repository::parse("app").unwrap();
    block_on(Registry::new(BASE, &http).manifest_get(&repository, Tag::parse("v1").unwrap()))
        .unwrap_err()
}

#[test]
fn json_errors_of_manifests_and_configs_are_bounded() {
    let repository = Repository::parse("app").unwrap();
    // A manifest whose schemaVersion is a megabyte of text.
    let manifest = format!(r#"{{"schemaVersion":"{}"}}"#, "n".repeat(MIB));
    let error = manifest_read_error(manifest);
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::UnexpectedJson { error },
            ..
        } => assert!(chars(error) <= MAX_MESSAGE_CHARS, "{} chars", chars(error)),
        other => panic!("{other:?}"),
    }
    assert_small(&error);

    // A manifest whose config digest is a megabyte long.
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":2}},"layers":[]}}"#,
        "a".repeat(MIB)
    );
    let error = manifest_read_error(manifest);
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::InvalidDigest(refusal),
            ..
        } => assert_eq!(chars(&refusal.error.input), MAX_MESSAGE_CHARS),
        other => panic!("{other:?}"),
    }
    assert_small(&error);

    // An image configuration whose history is a megabyte of text.
    let config = format!(r#"{{"history":"{}"}}"#, "h".repeat(MIB)).into_bytes();
    let descriptor: Descriptor = serde_json::from_value(serde_json::json!({
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": Digest::sha256_of(&config).to_string(),
        "size": config.len(),
    }))
    .unwrap();
    let http = ScriptedHttp::new(move |_| Ok(response(200, &[], &config)));
    let error =
        block_on(Registry::new(BASE, &http).config_get(&repository, &descriptor)).unwrap_err();
    match &error {
        RegistryError::Malformed {
            reason: MalformedReason::ImageConfig { error },
            ..
        } => assert!(chars(error) <= MAX_MESSAGE_CHARS, "{} chars", chars(error)),
        other => panic!("{other:?}"),
    }
    assert_small(&error);
}
