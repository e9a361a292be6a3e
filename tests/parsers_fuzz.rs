#![cfg(not(target_arch = "wasm32"))]
//! Issue #10: every parser of what a registry, a token service or a person sends,
//! under property tests. Arbitrary bytes and strings must never panic or hang;
//! near-valid input built from the grammars must parse back to what was written.
//! Expectations come from oracles written here from the specifications (RFC 8288
//! Link, RFC 7235 challenges, the distribution grammars, the OCI image spec), not
//! from the code under test. A single parse of a 1 MiB adversarial input must come
//! back within seconds on a 1 MiB stack (a browser tab's wasm stack is 1 MiB too).
//!
//! Bugs these properties found (all fixed) are kept at the end as regression tests
//! that name the bug. The same parsers run under cargo-fuzz: fuzz/ and
//! scripts/fuzz.sh.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine as _;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use tagdeck::model::registry_address::{
    normalize_registry_address, pull_host, without_credentials, AddressError,
};
use tagdeck::model::route::{percent_decode, percent_encode, Route, View};
use tagdeck::oci::auth::{
    bearer_challenge, granted_scopes, host_of, parse_challenges, scope_for_request, token_url,
    BearerChallenge, ScopeSet, TokenResponse,
};
use tagdeck::oci::error::{parse_error_entries, Attempt, RegistryError};
use tagdeck::oci::http::{Method, Request, Response};
use tagdeck::oci::manifest::{
    Descriptor, ImageConfig, Manifest, ManifestError, ManifestKind, ManifestView, Platform,
};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, ImageReference, Repository, Tag};
use tagdeck::oci::pagination::{next_page_url, origin_of, resolve, LinkError};
use tagdeck::wording;

// ----------------------------------------------------------------------------------
// Shared generators and oracles

/// Cases per property: the whole file stays within seconds in a debug build.
/// PROPTEST_CASES=N overrides it for a longer hunt.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The characters and words the parsers branch on, so that random strings reach
/// deep paths instead of failing at the first byte.
const SOUP_TOKENS: &[&str] = &[
    "<",
    ">",
    ";",
    ",",
    "=",
    "\"",
    "\\",
    " ",
    "\t",
    ":",
    "/",
    "//",
    "://",
    "?",
    "#",
    "@",
    "%",
    "+",
    "&",
    "[",
    "]",
    "{",
    "}",
    ".",
    "-",
    "_",
    "*",
    "(",
    ")",
    "\r\n",
    "\n",
    "é",
    "\u{a0}",
    "\u{2028}",
    "\0",
    "%2F",
    "%+1",
    "%zz",
    "%",
    "rel",
    "next",
    "NEXT",
    "prev",
    "Bearer",
    "basic",
    "realm",
    "service",
    "scope",
    "error",
    "http",
    "https",
    "HTTP://REG.example:5000",
    "reg.example",
    "evil.example",
    "localhost",
    ":5000",
    ":+80",
    "[::1]",
    "v2",
    "_catalog",
    "manifests",
    "blobs",
    "sha256",
    "sha512",
    "repository",
    "registry",
    "catalog",
    "pull",
    "push",
    "delete",
    "from",
    "token",
    "errors",
    "code",
];

fn soup() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        3 => "[a-zA-Z0-9]{1,4}",
        5 => select(SOUP_TOKENS).prop_map(str::to_owned),
        1 => "\\PC{1,3}",
        1 => any::<char>().prop_map(String::from),
    ];
    vec(piece, 0..48).prop_map(|pieces| pieces.concat()).boxed()
}

/// JSON-shaped byte soup: the tokens and keys of manifests, configs, error envelopes
/// and token responses, with stray bytes between them.
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"\"",
    " ",
    "\n",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "2",
    "1.5",
    "1e400",
    "-0.0",
    "18446744073709551615",
    "18446744073709551616",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\\"\"",
    "\"\\\\\"",
    "\"schemaVersion\"",
    "\"mediaType\"",
    "\"config\"",
    "\"layers\"",
    "\"manifests\"",
    "\"digest\"",
    "\"size\"",
    "\"platform\"",
    "\"os\"",
    "\"os.version\"",
    "\"os.features\"",
    "\"annotations\"",
    "\"subject\"",
    "\"urls\"",
    "\"errors\"",
    "\"code\"",
    "\"message\"",
    "\"detail\"",
    "\"token\"",
    "\"access_token\"",
    "\"expires_in\"",
    "\"history\"",
    "\"Labels\"",
    "\"Env\"",
    "\"access\"",
    "\"type\"",
    "\"name\"",
    "\"actions\"",
    "\"application/vnd.oci.image.index.v1+json\"",
    "\"application/vnd.oci.image.manifest.v1+json\"",
];

fn json_soup() -> BoxedStrategy<Vec<u8>> {
    let piece = prop_oneof![
        6 => select(JSON_TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        1 => vec(any::<u8>(), 1..3),
    ];
    vec(piece, 0..64).prop_map(|pieces| pieces.concat()).boxed()
}

/// Short strings with what JSON and header quoting must escape.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9./:+_-]{0,16}",
        2 => "\\PC{0,8}",
        1 => "[\\x00-\\x1f\"\\\\\u{7f}]{1,3}",
    ]
}

/// Any JSON value (floats only as exactly representable ones, so equality is exact).
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(1.5)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("\\PC{0,6}", inner), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Unknown fields: a registry's or a tool's own additions, which must be kept.
fn extra_fields() -> impl Strategy<Value = Vec<(String, Value)>> {
    vec(("x-[a-z]{1,6}", json_value()), 0..3)
}

/// An object of the present fields plus `extra`, in an order drawn from `seed`.
fn object(fields: Vec<(&str, Option<Value>)>, extra: Vec<(String, Value)>, seed: u64) -> Value {
    let mut all: Vec<(String, Value)> = fields
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key.to_owned(), v)))
        .chain(extra)
        .collect();
    let mut state = seed | 1;
    for i in (1..all.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        all.swap(i, (state >> 33) as usize % (i + 1));
    }
    Value::Object(all.into_iter().collect())
}

fn vary_case(word: &str, seed: u64) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if seed >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn sha256_text(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Runs `parse` on a thread with a 1 MiB stack and fails unless it returns within
/// 10 s: a hang, quadratic time on 1 MiB, a panic or a stack overflow all fail.
fn bounded(name: &str, parse: impl FnOnce() + Send + 'static) -> Duration {
    let (done, finished) = mpsc::channel();
    let started = Instant::now();
    thread::Builder::new()
        .name(name.to_owned())
        .stack_size(1 << 20)
        .spawn(move || {
            parse();
            let _ = done.send(());
        })
        .expect("spawn");
    match finished.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => started.elapsed(),
        Err(RecvTimeoutError::Timeout) => panic!("{name}: no answer within 10 s"),
        Err(RecvTimeoutError::Disconnected) => panic!("{name}: panicked"),
    }
}

// ----------------------------------------------------------------------------------
// Manifests, indexes and image configs

const MEDIA_TYPES: &[&str] = &[
    media::OCI_INDEX,
    media::OCI_MANIFEST,
    media::DOCKER_MANIFEST_LIST,
    media::DOCKER_MANIFEST,
    media::DOCKER_SCHEMA1_SIGNED,
    media::OCI_CONFIG,
    media::OCI_EMPTY,
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/octet-stream",
    "",
    "text/html; charset=utf-8",
    "APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON",
];

fn opt_text_or_null() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        4 => text().prop_map(|t| Some(Value::String(t))),
    ]
}

fn string_map() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(vec(("\\PC{0,8}", text()), 0..3).prop_map(|pairs| {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    }))
}

/// Sizes up to 2^53 (the largest a browser number holds exactly): sums of a dozen
/// never overflow here; the overflow is its own regression test below.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..10_000, 0u64..(1 << 40), (1u64 << 52)..(1u64 << 53)]
}

/// Valid digests only: a descriptor with any other digest makes the whole manifest
/// malformed (tests/manifest.rs, `a_descriptor_with_an_invalid_digest_…`), so a
/// document that should parse to what was written carries valid ones.
fn digest_text() -> impl Strategy<Value = String> {
    vec(any::<u8>(), 0..8).prop_map(|b| sha256_text(&b))
}

fn platform() -> BoxedStrategy<Value> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        opt_text_or_null(),
        opt_text_or_null(),
        prop::option::of(vec(text(), 0..3)),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(|(os, arch, variant, os_version, features, extra, seed)| {
            object(
                vec![
                    ("os", os.map(Value::from)),
                    ("architecture", arch.map(Value::from)),
                    ("variant", variant),
                    ("os.version", os_version),
                    ("os.features", features.map(Value::from)),
                ],
                extra,
                seed,
            )
        })
        .boxed()
}

fn descriptor() -> BoxedStrategy<Value> {
    (
        opt_text_or_null(),
        digest_text(),
        prop::option::of(size()),
        prop::option::of(platform()),
        string_map(),
        opt_text_or_null(),
        prop::option::of(vec(text(), 0..3)),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(
            |(media_type, digest, size, platform, annotations, artifact, urls, extra, seed)| {
                object(
                    vec![
                        ("mediaType", media_type),
                        ("digest", Some(Value::String(digest))),
                        ("size", size.map(Value::from)),
                        ("platform", platform),
                        ("annotations", annotations),
                        ("artifactType", artifact),
                        ("urls", urls.map(Value::from)),
                    ],
                    extra,
                    seed,
                )
            },
        )
        .boxed()
}

/// Image manifests, indexes and the shapes in between: every field optional,
/// unknown fields anywhere, keys in any order.
fn manifest_doc() -> BoxedStrategy<Value> {
    (
        prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            Just(Some(json!(2))),
            any::<i64>().prop_map(|n| Some(json!(n))),
        ],
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(Value::Null)),
            4 => select(MEDIA_TYPES).prop_map(|m| Some(json!(m))),
            1 => text().prop_map(|t| Some(json!(t))),
        ],
        opt_text_or_null(),
        prop::option::of(descriptor()),
        prop::option::of(vec(descriptor(), 0..4)),
        prop::option::of(vec(descriptor(), 0..4)),
        prop::option::of(descriptor()),
        string_map(),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(
            |(
                schema,
                media_type,
                artifact,
                config,
                layers,
                manifests,
                subject,
                notes,
                extra,
                seed,
            )| {
                object(
                    vec![
                        ("schemaVersion", schema),
                        ("mediaType", media_type),
                        ("artifactType", artifact),
                        ("config", config),
                        ("layers", layers.map(Value::Array)),
                        ("manifests", manifests.map(Value::Array)),
                        ("subject", subject),
                        ("annotations", notes),
                    ],
                    extra,
                    seed,
                )
            },
        )
        .boxed()
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (
            select(MEDIA_TYPES),
            select(vec!["", "; charset=utf-8", " ;q=1"]),
            "[ \t]{0,2}"
        )
            .prop_map(|(m, params, pad)| Some(format!("{pad}{m}{params}{pad}"))),
        text().prop_map(Some),
    ]
}

/// `text` of an optional string field; JSON null and absence both mean None.
fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn strings_of(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn string_map_of(v: &Value, key: &str) -> BTreeMap<String, String> {
    v.get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Unknown (`x-…`) fields are kept with their values, and nothing else lands there.
fn check_extra(extra: &BTreeMap<String, Value>, v: &Value) -> Result<(), TestCaseError> {
    let written: BTreeMap<String, Value> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    prop_assert_eq!(extra, &written);
    Ok(())
}

fn check_platform(p: &Platform, v: &Value) -> Result<(), TestCaseError> {
    let (os, arch) = (
        str_of(v, "os").unwrap_or(""),
        str_of(v, "architecture").unwrap_or(""),
    );
    prop_assert_eq!(p.os.as_str(), os);
    prop_assert_eq!(p.architecture.as_str(), arch);
    prop_assert_eq!(p.variant.as_deref(), str_of(v, "variant"));
    prop_assert_eq!(p.os_version.as_deref(), str_of(v, "os.version"));
    prop_assert_eq!(&p.os_features, &strings_of(v, "os.features"));
    let label = match str_of(v, "variant") {
        Some(variant) => format!("{os}/{arch}/{variant}"),
        None => format!("{os}/{arch}"),
    };
    prop_assert_eq!(p.label(), label);
    check_extra(&p.extra, v)
}

fn check_descriptor(d: &Descriptor, v: &Value) -> Result<(), TestCaseError> {
    prop_assert_eq!(d.media_type.as_deref(), str_of(v, "mediaType"));
    prop_assert_eq!(Some(d.digest.as_str()), str_of(v, "digest"));
    prop_assert_eq!(d.size, v.get("size").and_then(Value::as_u64).unwrap_or(0));
    match (&d.platform, v.get("platform")) {
        (Some(parsed), Some(written)) => check_platform(parsed, written)?,
        (None, None) => {}
        (parsed, written) => prop_assert!(false, "platform {:?} from {:?}", parsed, written),
    }
    prop_assert_eq!(&d.annotations, &string_map_of(v, "annotations"));
    prop_assert_eq!(d.artifact_type.as_deref(), str_of(v, "artifactType"));
    prop_assert_eq!(&d.urls, &strings_of(v, "urls"));
    check_extra(&d.extra, v)
}

fn check_descriptors(parsed: &[Descriptor], v: &Value, key: &str) -> Result<(), TestCaseError> {
    let written = v
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    prop_assert_eq!(parsed.len(), written.len());
    for (d, w) in parsed.iter().zip(&written) {
        check_descriptor(d, w)?;
    }
    Ok(())
}

fn check_optional_descriptor(
    parsed: &Option<Descriptor>,
    v: &Value,
    key: &str,
) -> Result<(), TestCaseError> {
    match (parsed, v.get(key)) {
        (Some(d), Some(w)) => check_descriptor(d, w),
        (None, None) => Ok(()),
        (d, w) => Err(TestCaseError::fail(format!("{key}: {d:?} from {w:?}"))),
    }
}

fn check_view(view: &ManifestView, v: &Value) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        view.schema_version,
        v.get("schemaVersion").and_then(Value::as_i64)
    );
    prop_assert_eq!(view.media_type.as_deref(), str_of(v, "mediaType"));
    prop_assert_eq!(view.artifact_type.as_deref(), str_of(v, "artifactType"));
    check_optional_descriptor(&view.config, v, "config")?;
    check_descriptors(&view.layers, v, "layers")?;
    check_descriptors(&view.manifests, v, "manifests")?;
    check_optional_descriptor(&view.subject, v, "subject")?;
    prop_assert_eq!(&view.annotations, &string_map_of(v, "annotations"));
    check_extra(&view.extra, v)
}

/// The total a size column shows, when it fits in a u64.
fn checked_total(m: &Manifest) -> Option<u64> {
    let view = &m.view;
    view.config
        .iter()
        .chain(&view.layers)
        .chain(&view.manifests)
        .try_fold(0u64, |sum, d| sum.checked_add(d.size))
}

/// What holds of any manifest that parsed, whatever its bytes were.
fn check_parsed_manifest(m: &Manifest, bytes: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(&m.bytes, &bytes.to_vec());
    prop_assert_eq!(m.digest.as_str(), sha256_text(bytes));
    prop_assert!(Digest::parse(m.digest.as_str()).is_ok());
    let _ = (m.kind(), m.media_type(), m.platforms());
    for p in m.platforms() {
        let _ = p.label();
    }
    if let Some(total) = checked_total(m) {
        prop_assert_eq!(m.referenced_size(), total);
    }
    let pretty = m.pretty_json();
    prop_assert!(serde_json::from_str::<Value>(&pretty).is_ok(), "{}", pretty);
    // Stored (session storage) and read back: same bytes, digest and view. The
    // content type may lose surrounding blanks (it is read back through parse).
    let stored = serde_json::to_string(m).unwrap();
    let back: Manifest = serde_json::from_str(&stored)
        .map_err(|e| TestCaseError::fail(format!("stored manifest unreadable: {e}")))?;
    prop_assert_eq!(&back.bytes, &m.bytes);
    prop_assert_eq!(&back.digest, &m.digest);
    prop_assert_eq!(&back.view, &m.view);
    prop_assert_eq!(back.content_type.trim(), m.content_type.trim());
    // Read back under another digest: refused, never trusted.
    let mut tampered: Value = serde_json::from_str(&stored).unwrap();
    tampered["digest"] = json!(sha256_text(b"something else"));
    prop_assert!(serde_json::from_value::<Manifest>(tampered).is_err());
    Ok(())
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Ways to make a well-formed document ill-typed or ill-formed; each must be refused.
fn break_doc(mut doc: Value, how: u8, cut: Index) -> Vec<u8> {
    fn push(obj: &mut Map<String, Value>, key: &str, item: Value) {
        let list = obj.entry(key).or_insert_with(|| json!([]));
        list.as_array_mut().unwrap().push(item);
    }
    let obj = doc.as_object_mut().unwrap();
    match how {
        0 => drop(obj.insert("layers".into(), json!("not a list"))),
        1 => drop(obj.insert("manifests".into(), json!({"digest": "x"}))),
        2 => drop(obj.insert("config".into(), json!([]))),
        3 => push(obj, "layers", json!({"size": 1})),
        4 => push(obj, "layers", json!({"digest": "x", "size": -1})),
        5 => push(obj, "manifests", json!({"digest": "x", "size": "12"})),
        6 => push(obj, "layers", json!({"digest": "x", "size": 1.5})),
        7 => drop(obj.insert("annotations".into(), json!({"a": 1}))),
        8 => drop(obj.insert("schemaVersion".into(), json!("2"))),
        9 => push(
            obj,
            "manifests",
            json!({"digest": "x", "platform": "linux/amd64"}),
        ),
        10 => push(obj, "layers", json!({"digest": 5})),
        11 => {
            let bytes = serde_json::to_vec(&doc).unwrap();
            return bytes[..cut.index(bytes.len())].to_vec();
        }
        12 => {
            let mut bytes = serde_json::to_vec(&doc).unwrap();
            bytes.extend_from_slice(b",{}");
            return bytes;
        }
        _ => return serde_json::to_vec(&json!([doc])).unwrap(),
    }
    serde_json::to_vec(&doc).unwrap()
}

/// A well-formed document with a few bytes deleted, replaced or inserted.
fn mutated_doc() -> BoxedStrategy<Vec<u8>> {
    (
        manifest_doc(),
        vec((any::<Index>(), 0u8..3, select(JSON_TOKENS)), 1..4),
    )
        .prop_map(|(doc, edits)| {
            let mut bytes = serde_json::to_vec(&doc).unwrap();
            for (at, op, token) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    1 if i < bytes.len() => {
                        bytes.splice(i..=i, token.bytes());
                    }
                    _ => {
                        bytes.splice(i..i, token.bytes());
                    }
                }
            }
            bytes
        })
        .boxed()
}

fn config_doc() -> BoxedStrategy<Value> {
    let history = (
        opt_text_or_null(),
        opt_text_or_null(),
        opt_text_or_null(),
        prop::option::of(any::<bool>()),
        any::<u64>(),
    )
        .prop_map(|(created, by, comment, empty, seed)| {
            object(
                vec![
                    ("created", created),
                    ("created_by", by),
                    ("comment", comment),
                    ("empty_layer", empty.map(Value::Bool)),
                ],
                vec![],
                seed,
            )
        });
    let list = || {
        prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            vec(text(), 0..3).prop_map(|l| Some(Value::from(l)))
        ]
    };
    let container = (
        prop_oneof![Just(None), Just(Some(Value::Null)), string_map()],
        list(),
        list(),
        list(),
        opt_text_or_null(),
        opt_text_or_null(),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(|(labels, env, entrypoint, cmd, dir, user, extra, seed)| {
            object(
                vec![
                    ("Labels", labels),
                    ("Env", env),
                    ("Entrypoint", entrypoint),
                    ("Cmd", cmd),
                    ("WorkingDir", dir),
                    ("User", user),
                ],
                extra,
                seed,
            )
        });
    (
        opt_text_or_null(),
        opt_text_or_null(),
        opt_text_or_null(),
        opt_text_or_null(),
        prop::option::of(container),
        prop::option::of(vec(history, 0..4)),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(
            |(created, arch, os, variant, container, history, extra, seed)| {
                object(
                    vec![
                        ("created", created),
                        ("architecture", arch),
                        ("os", os),
                        ("variant", variant),
                        ("config", container),
                        ("history", history.map(Value::Array)),
                    ],
                    extra,
                    seed,
                )
            },
        )
        .boxed()
}

fn optional_strings(v: &Value, key: &str) -> Option<Vec<String>> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|_| strings_of(v, key))
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn generated_manifests_and_indexes_parse_to_what_was_written(
        doc in manifest_doc(),
        pretty in any::<bool>(),
        pad in "[ \t\r\n]{0,3}",
        content_type in content_type(),
    ) {
        let json = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) };
        let bytes = [pad.as_bytes(), &json.unwrap(), pad.as_bytes()].concat();
        let m = Manifest::parse(bytes.clone(), content_type.as_deref())
            .map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        check_view(&m.view, &doc)?;
        check_parsed_manifest(&m, &bytes)?;
        // The Content-Type to PUT with: the response's, unless absent or
        // octet-stream; then the document's own mediaType; then its shape.
        let given = content_type
            .as_deref()
            .map(str::trim)
            .filter(|ct| !ct.is_empty() && essence(ct) != "application/octet-stream");
        let shape = if m.view.manifests.is_empty() { media::OCI_MANIFEST } else { media::OCI_INDEX };
        let expected = given.or(str_of(&doc, "mediaType")).unwrap_or(shape);
        prop_assert_eq!(m.content_type.as_str(), expected);
        match str_of(&doc, "mediaType") {
            Some(media::OCI_INDEX | media::DOCKER_MANIFEST_LIST) => prop_assert_eq!(m.kind(), ManifestKind::Index),
            Some(media::OCI_MANIFEST | media::DOCKER_MANIFEST) => prop_assert_eq!(m.kind(), ManifestKind::Image),
            _ => {}
        }
        let labels: Vec<String> = m.platforms().iter().map(|p| p.label()).collect();
        let written = doc.get("manifests").and_then(Value::as_array).map_or(0, |children| {
            children.iter().filter(|c| c.get("platform").is_some()).count()
        });
        prop_assert_eq!(labels.len(), written);
    }

    #[test]
    fn ill_typed_or_truncated_manifests_are_refused(
        doc in manifest_doc(),
        how in 0u8..14,
        cut in any::<Index>(),
    ) {
        let bytes = break_doc(doc, how, cut);
        let result = Manifest::parse(bytes.clone(), None);
        prop_assert!(
            matches!(result, Err(ManifestError::Malformed(_) | ManifestError::InvalidDigest(_))),
            "{:?} accepted: {}", how, String::from_utf8_lossy(&bytes)
        );
    }

    #[test]
    fn any_bytes_get_an_answer_from_the_json_parsers(
        bytes in prop_oneof![vec(any::<u8>(), 0..256), json_soup(), mutated_doc()],
        content_type in content_type(),
    ) {
        match Manifest::parse(bytes.clone(), content_type.as_deref()) {
            Ok(m) => check_parsed_manifest(&m, &bytes)?,
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        if let Ok(config) = ImageConfig::parse(&bytes) {
            let _ = config.config.map(|c| c.labels);
        }
        for entry in parse_error_entries(&bytes) {
            let _ = (entry.code, entry.message);
        }
        if let Some(token) = TokenResponse::parse(&bytes) {
            prop_assert!(token.bearer().is_some_and(is_token_text));
            prop_assert!(token.lifetime_seconds() > 0);
        }
    }

    #[test]
    fn generated_image_configs_parse_to_what_was_written(doc in config_doc(), pretty in any::<bool>()) {
        let json = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
        let parsed = ImageConfig::parse(&json).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        prop_assert_eq!(parsed.created.as_deref(), str_of(&doc, "created"));
        prop_assert_eq!(parsed.architecture.as_deref(), str_of(&doc, "architecture"));
        prop_assert_eq!(parsed.os.as_deref(), str_of(&doc, "os"));
        prop_assert_eq!(parsed.variant.as_deref(), str_of(&doc, "variant"));
        check_extra(&parsed.extra, &doc)?;
        match (&parsed.config, doc.get("config")) {
            (Some(c), Some(w)) => {
                let labels = w.get("Labels").and_then(Value::as_object).map(|_| string_map_of(w, "Labels"));
                prop_assert_eq!(&c.labels, &labels);
                prop_assert_eq!(&c.env, &optional_strings(w, "Env"));
                prop_assert_eq!(&c.entrypoint, &optional_strings(w, "Entrypoint"));
                prop_assert_eq!(&c.cmd, &optional_strings(w, "Cmd"));
                prop_assert_eq!(c.working_dir.as_deref(), str_of(w, "WorkingDir"));
                prop_assert_eq!(c.user.as_deref(), str_of(w, "User"));
                check_extra(&c.extra, w)?;
            }
            (None, None) => {}
            (c, w) => prop_assert!(false, "config {:?} from {:?}", c, w),
        }
        let history = doc.get("history").and_then(Value::as_array).cloned().unwrap_or_default();
        prop_assert_eq!(parsed.history.len(), history.len());
        for (entry, written) in parsed.history.iter().zip(&history) {
            prop_assert_eq!(entry.created_by.as_deref(), str_of(written, "created_by"));
            prop_assert_eq!(entry.comment.as_deref(), str_of(written, "comment"));
            prop_assert_eq!(entry.empty_layer, written.get("empty_layer").and_then(Value::as_bool).unwrap_or(false));
        }
    }
}

proptest! {
    // Each case allocates 4 MiB: a handful is enough to pin the limit.
    #![proptest_config(config(6))]

    #[test]
    fn manifests_above_the_limit_are_refused(doc in manifest_doc(), over in 1usize..4096) {
        let mut bytes = serde_json::to_vec(&doc).unwrap();
        bytes.resize(media::MAX_MANIFEST_BYTES + over, b' ');
        prop_assert_eq!(
            Manifest::parse(bytes, None),
            Err(ManifestError::TooLarge(media::MAX_MANIFEST_BYTES + over))
        );
    }
}

#[test]
fn a_manifest_of_exactly_the_limit_is_read() {
    let mut bytes = br#"{"schemaVersion":2,"layers":[]}"#.to_vec();
    bytes.resize(media::MAX_MANIFEST_BYTES, b' ');
    let m = Manifest::parse(bytes, None).expect("4 MiB is allowed");
    assert_eq!(m.view.schema_version, Some(2));
}

// ----------------------------------------------------------------------------------
// Link headers (RFC 8288) and next-page URLs

#[derive(Debug, Clone)]
struct RequestUrl {
    scheme: &'static str,
    host: &'static str,
    port: Option<u16>,
    path: &'static str,
    query: &'static str,
}

impl RequestUrl {
    fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.to_owned(),
        }
    }
    fn url(&self) -> String {
        format!(
            "{}://{}{}{}",
            self.scheme,
            self.authority(),
            self.path,
            self.query
        )
    }
    fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority()).to_ascii_lowercase()
    }
    /// RFC 3986 §5.2.3: the base path up to its last '/', or "/" when it is empty.
    fn directory(&self) -> &str {
        match self.path.rfind('/') {
            Some(i) => &self.path[..=i],
            None => "/",
        }
    }
}

fn request_url() -> impl Strategy<Value = RequestUrl> {
    (
        select(vec!["http", "https", "HTTP"]),
        select(vec!["reg.example", "127.0.0.1", "Reg.Example", "[::1]"]),
        prop::option::of(select(vec![80u16, 443, 5000])),
        select(
            &[
                "",
                "/",
                "/v2/_catalog",
                "/v2/team/app/tags/list",
                "/prefix/v2/x/tags/list",
            ][..],
        ),
        select(vec!["", "?n=50", "?n=50&last=a"]),
    )
        .prop_map(|(scheme, host, port, path, query)| RequestUrl {
            scheme,
            host,
            port,
            path,
            query,
        })
}

#[derive(Debug, Clone)]
struct LinkParam {
    name: String,
    value: Option<String>,
    quoted: bool,
    escape_all: bool,
}

impl LinkParam {
    fn render(&self, ws: &str) -> String {
        match &self.value {
            None => self.name.clone(),
            Some(value) if !self.quoted => format!("{}{ws}={ws}{value}", self.name),
            Some(value) => format!("{}{ws}={ws}{}", self.name, quote(value, self.escape_all)),
        }
    }
}

fn quote(value: &str, escape_all: bool) -> String {
    let mut out = String::from('"');
    for c in value.chars() {
        if escape_all || c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// RFC 7230 `token`: what may go unquoted.
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&b))
}

fn link_param() -> BoxedStrategy<LinkParam> {
    let rel = (
        any::<u64>(),
        select(
            &[
                "next",
                "NEXT",
                "Next",
                "prev",
                "first",
                "last",
                "nextpage",
                "next-page",
                "first next",
                "prev next last",
                "  next  ",
                "prev\tnext",
            ][..],
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(seed, value, quoted, escape_all)| LinkParam {
            name: vary_case("rel", seed),
            quoted: quoted || !is_token(value),
            value: Some(value.to_owned()),
            escape_all,
        });
    let other = (
        "[a-zA-Z][a-zA-Z0-9*-]{0,6}",
        prop_oneof![text(), "[a-z,;\"\\\\<> =]{0,8}", Just("next".to_owned())],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(name, value, quoted, escape_all)| LinkParam {
            name: if name.eq_ignore_ascii_case("rel") {
                format!("x{name}")
            } else {
                name
            },
            quoted: quoted || !is_token(&value),
            value: Some(value),
            escape_all,
        });
    let bare = "[a-z]{1,8}".prop_map(|name| LinkParam {
        name: if name == "rel" {
            "crossorigin".into()
        } else {
            name
        },
        value: None,
        quoted: false,
        escape_all: false,
    });
    prop_oneof![3 => rel, 2 => other, 1 => bare].boxed()
}

/// A link target of one kind, with the URL RFC 3986 resolves it to against
/// `request`, or Err when that URL is on another origin.
fn link_target(
    request: &RequestUrl,
    kind: u8,
    path: &str,
    query: &str,
    seed: u64,
) -> (String, Result<String, ()>) {
    let origin = request.origin();
    let scheme = request.scheme.to_ascii_lowercase();
    let authority = vary_case(&request.authority(), seed);
    let query = format!("{query}n=1");
    match kind {
        0 => {
            let target = format!("/{path}?{query}");
            (target.clone(), Ok(format!("{origin}{target}")))
        }
        1 => {
            let target = format!("?{query}");
            (
                target.clone(),
                Ok(format!("{origin}{}{target}", request.path)),
            )
        }
        2 => {
            let target = format!("{path}?{query}");
            (
                target.clone(),
                Ok(format!("{origin}{}{target}", request.directory())),
            )
        }
        3 => {
            let target = format!(
                "{}://{authority}/{path}?{query}",
                vary_case(&scheme, seed >> 32)
            );
            (target.clone(), Ok(target))
        }
        4 => {
            let target = format!("//{authority}/{path}");
            (target.clone(), Ok(format!("{scheme}:{target}")))
        }
        _ => {
            let other_scheme = if scheme == "http" { "https" } else { "http" };
            let foreign = [
                format!("{other_scheme}://{authority}/{path}"),
                format!("http://evil.example/{path}"),
                format!("{scheme}://{authority}.evil.example/{path}"),
                format!("{scheme}://{authority}@evil.example/{path}"),
                format!("//evil.example/{path}"),
                format!("//{authority}:1/{path}"),
            ];
            (foreign[(seed % 6) as usize].clone(), Err(()))
        }
    }
}

#[derive(Debug, Clone)]
struct GeneratedLink {
    target: String,
    resolved: Result<String, ()>,
    params: Vec<LinkParam>,
}

impl GeneratedLink {
    /// RFC 8288 §3.3: `rel` is a space-separated list of case-insensitive types.
    fn is_next(&self) -> bool {
        self.params.iter().any(|p| {
            p.name.eq_ignore_ascii_case("rel")
                && p.value
                    .as_deref()
                    .unwrap_or("")
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        })
    }
}

fn ows() -> impl Strategy<Value = &'static str> {
    select(vec!["", "", " ", "  ", "\t"])
}

fn link_header(
) -> impl Strategy<Value = (RequestUrl, Vec<GeneratedLink>, String, Option<&'static str>)> {
    let link = (
        0u8..6,
        "[a-z0-9_-][a-z0-9_.-]{0,7}(/[a-z0-9_-][a-z0-9_.-]{0,7}){0,2}",
        "([a-zA-Z0-9=&,;\" %.-]{1,10}&)?",
        any::<u64>(),
        vec(link_param(), 0..4),
        (ows(), ows(), ows()),
    );
    (
        request_url(),
        vec(link, 0..5),
        prop::option::of(select(
            &[", junk", ", <no-close", "; =x", "; a=\"unterminated"][..],
        )),
        (ows(), ows()),
    )
        .prop_map(|(request, links, garbage, (lead, sep))| {
            let mut generated = Vec::new();
            let mut rendered = Vec::new();
            for (kind, path, query, seed, params, (before_semi, after_semi, around_eq)) in links {
                let (target, resolved) = link_target(&request, kind, &path, &query, seed);
                let mut text = format!("<{target}>");
                for p in &params {
                    text.push_str(&format!(
                        "{before_semi};{after_semi}{}",
                        p.render(around_eq)
                    ));
                }
                rendered.push(text);
                generated.push(GeneratedLink {
                    target,
                    resolved,
                    params,
                });
            }
            let header = format!(
                "{lead}{}{}{lead}",
                rendered.join(&format!("{sep},{sep}")),
                garbage.unwrap_or("")
            );
            (request, generated, header, garbage)
        })
}

/// The origin a browser's URL parser (WHATWG) gives an absolute http(s) URL: tabs
/// and newlines removed, backslashes as slashes, user info and default ports dropped.
fn browser_origin(url: &str) -> Option<String> {
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

/// Link headers that are mostly noise around the characters that matter.
fn link_soup() -> BoxedStrategy<String> {
    let tricky = select(
        &[
            "//evil.example/x",
            "\\\\evil.example/x",
            "/\\evil.example",
            "http:evil.example",
            "http:/evil.example",
            "HTTP://REG.EXAMPLE:5000/x",
            "http://reg.example:5000@evil.example",
            "http://reg.example:5000\\@evil.example/",
            "http://evil.example#@reg.example:5000/",
            "https:\\\\evil.example",
            "//reg.example:5000",
            "///evil.example",
            "http://reg.example:5000:80/",
            "h\tttp://evil.example/",
            "http://reg.example:5000/?next=http://evil.example",
            "HtTp://ReG.ExAmPlE:5000",
            "http://127.0.0.1/x",
            "//[::1]/x",
            "http://reg.example/x",
        ][..],
    )
    .prop_map(str::to_owned);
    let target = prop_oneof![tricky, soup()];
    let params = prop_oneof![
        Just("; rel=next".to_owned()),
        Just("; rel=\"prev next\"".to_owned()),
        soup(),
    ];
    vec((target, params, soup()), 1..4)
        .prop_map(|links| {
            links
                .into_iter()
                .map(|(t, p, between)| format!("<{t}>{p}{between}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn generated_link_headers_give_the_first_next_link_resolved(
        (request, links, header, garbage) in link_header(),
    ) {
        let result = next_page_url(&header, &request.url());
        if garbage.is_some() {
            prop_assert!(matches!(result, Err(LinkError::Malformed(_))), "{:?} for {}", result, header);
            return Ok(());
        }
        match links.iter().find(|l| l.is_next()) {
            None => prop_assert_eq!(result, Ok(None), "{}", header),
            // Followed only to another page of the same list.
            Some(GeneratedLink { resolved: Ok(url), .. }) if path_of(url) == path_of(&request.url()) => {
                prop_assert_eq!(result, Ok(Some(url.clone())), "{}", header)
            }
            Some(GeneratedLink { resolved: Ok(_), .. }) => prop_assert!(
                matches!(result, Err(LinkError::OtherList(_))),
                "{}: {:?}", header, result
            ),
            Some(GeneratedLink { target, resolved: Err(()), .. }) => prop_assert!(
                matches!(result, Err(LinkError::OtherOrigin(_))),
                "{} from {}: {:?}", target, header, result
            ),
        }
    }

    #[test]
    fn no_link_header_leads_to_another_origin(header in link_soup(), request in request_url()) {
        let request_url = request.url();
        if let Ok(Some(next)) = next_page_url(&header, &request_url) {
            prop_assert!(browser_origin(&next).is_some(), "{} from {}", next, header);
            prop_assert_eq!(browser_origin(&next), browser_origin(&request_url), "{} from {}", next, header);
        }
    }

    #[test]
    fn resolving_arbitrary_references_never_panics(base in soup(), reference in soup()) {
        let _ = origin_of(&base);
        let _ = next_page_url(&reference, &base);
        if let Ok(resolved) = resolve(&base, &reference) {
            // A relative reference lands on the base's origin.
            if !has_scheme(&reference) && !reference.starts_with("//") {
                prop_assert_eq!(origin_of(&resolved), origin_of(&base));
            }
        }
    }
}

/// The path of an absolute URL, without its query or fragment.
fn path_of(url: &str) -> &str {
    let rest = &url[url.find("://").map_or(0, |i| i + 3)..];
    rest[rest.find('/').unwrap_or(rest.len())..]
        .split(['?', '#'])
        .next()
        .unwrap_or("")
}

/// RFC 3986 §3.1: a scheme is a letter, then letters, digits, '+', '-' or '.'.
fn has_scheme(reference: &str) -> bool {
    reference.split_once(':').is_some_and(|(scheme, _)| {
        let mut chars = scheme.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

// ----------------------------------------------------------------------------------
// WWW-Authenticate challenges, scopes and the token exchange

#[derive(Debug, Clone)]
struct AuthParam {
    name: String,
    value: String,
    quoted: bool,
    escape_all: bool,
}

fn challenge_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "https://auth\\.example(:[0-9]{1,5})?/token",
        "[a-zA-Z0-9._:/-]{1,20}",
        "repository:[a-z0-9/]{1,10}:(pull|push|pull,push|\\*)( repository:[a-z]{1,5}:pull)?",
        "\\PC{0,12}",
        "[\",\\\\ =;\t]{1,4}",
    ]
}

fn auth_param(name: impl Strategy<Value = String>) -> impl Strategy<Value = AuthParam> {
    (name, challenge_value(), any::<bool>(), any::<bool>()).prop_map(
        |(name, value, quoted, escape_all)| AuthParam {
            quoted: quoted
                || value.is_empty()
                || !value
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b',' && b != b'"'),
            name,
            value,
            escape_all,
        },
    )
}

/// A Bearer challenge with realm, service, scope, error and extra parameters in any
/// order, case and quoting, between other challenges.
fn bearer_header() -> BoxedStrategy<(BearerChallenge, BTreeMap<String, String>, String)> {
    let named = |name: &'static str| any::<u64>().prop_map(move |seed| vary_case(name, seed));
    let extra_name = "[a-z][a-z0-9_.-]{0,6}".prop_filter("not a Bearer parameter", |n| {
        !["realm", "service", "scope", "error"].contains(&n.as_str())
    });
    (
        auth_param(named("realm")),
        prop::option::of(auth_param(named("service"))),
        prop::option::of(auth_param(named("scope"))),
        prop::option::of(auth_param(named("error"))),
        vec(auth_param(extra_name), 0..3),
        any::<u64>(),
        (
            any::<u64>(),
            select(vec![" ", "  ", "\t", " \t"]),
            vec((ows(), select(vec![",", ",,", ", ,"]), ows()), 4..8),
        ),
        select(
            &[
                "",
                "Basic realm=\"Registry\", ",
                "Negotiate YWJj==, ",
                "Basic, ",
                "NewAuth realm=\"a, b\", foo=bar, ",
            ][..],
        ),
        select(vec!["", ", Basic realm=\"x\"", ",", " , Other"]),
        ows(),
    )
        .prop_map(
            |(
                realm,
                service,
                scope,
                error,
                extra,
                order,
                (scheme_seed, gap, seps),
                before,
                after,
                around_eq,
            )| {
                let expected = BearerChallenge {
                    realm: realm.value.clone(),
                    service: service.as_ref().map(|p| p.value.clone()),
                    scope: scope.as_ref().map(|p| p.value.clone()),
                    error: error.as_ref().map(|p| p.value.clone()),
                };
                let mut params: Vec<AuthParam> = [Some(realm), service, scope, error]
                    .into_iter()
                    .flatten()
                    .chain(extra)
                    .collect();
                let mut unique = BTreeMap::new();
                // The first of parameters with the same name is kept.
                params.retain(|p| {
                    let name = p.name.to_ascii_lowercase();
                    let first = !unique.contains_key(&name);
                    if first {
                        unique.insert(name, p.value.clone());
                    }
                    first
                });
                let mut state = order | 1;
                for i in (1..params.len()).rev() {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    params.swap(i, (state >> 33) as usize % (i + 1));
                }
                let rendered: Vec<String> = params
                    .iter()
                    .map(|p| {
                        let value = if p.quoted {
                            quote(&p.value, p.escape_all)
                        } else {
                            p.value.clone()
                        };
                        format!("{}{around_eq}={around_eq}{value}", p.name)
                    })
                    .collect();
                let mut header = format!("{before}{}{gap}", vary_case("bearer", scheme_seed));
                for (i, param) in rendered.iter().enumerate() {
                    if i > 0 {
                        let (a, sep, b) = seps[i % seps.len()];
                        header.push_str(&format!("{a}{sep}{b}"));
                    }
                    header.push_str(param);
                }
                header.push_str(after);
                (expected, unique, header)
            },
        )
        .boxed()
}

/// What the scope grammar allows: names, tags, actions and `repository(plugin)`.
fn is_scope_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/:,*()".contains(c)
}

/// RFC 6750 `b64token`: nothing that could end or extend a header.
fn is_token_text(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
}

#[derive(Debug, Clone)]
struct GoodScope {
    resource: &'static str,
    name: String,
    actions: Vec<&'static str>,
}

fn scope_text() -> BoxedStrategy<(Vec<GoodScope>, String)> {
    let good = (
        select(vec!["repository", "registry", "repository(plugin)"]),
        prop_oneof![
            "[a-z0-9]{1,6}(/[a-z0-9._-]{1,6}){0,2}",
            Just("catalog".to_owned()),
            "[a-z]{1,5}:[0-9]{2,5}/[a-z]{1,5}"
        ],
        prop::sample::subsequence(vec!["pull", "push", "delete", "*"], 1..=4),
    )
        .prop_map(|(resource, name, actions)| GoodScope {
            resource,
            name,
            actions,
        });
    let junk = select(
        &[
            "repository:app:pull\"",
            "repository:a&b=c:pull",
            "repository::pull",
            ":a:pull",
            "repository:a",
            "repository:a:pull#x",
            "registry:catalog:*?",
            "repository:a%20b:pull",
            "repository:é:pull",
            "repository:a:pull;push",
            "repository:a<b>:pull",
            "x",
        ][..],
    );
    (
        vec((good, prop::option::of(junk)), 0..5),
        vec(select(vec![" ", "  ", "\t", "\n"]), 5),
    )
        .prop_map(|(items, gaps)| {
            let mut text = String::new();
            let mut goods = Vec::new();
            for (i, (scope, junk)) in items.into_iter().enumerate() {
                text.push_str(gaps[i % gaps.len()]);
                text.push_str(&format!(
                    "{}:{}:{}",
                    scope.resource,
                    scope.name,
                    scope.actions.join(",")
                ));
                if let Some(junk) = junk {
                    text.push_str(gaps[(i + 1) % gaps.len()]);
                    text.push_str(junk);
                }
                goods.push(scope);
            }
            (goods, text)
        })
        .boxed()
}

fn claim() -> impl Strategy<Value = (String, String, Vec<String>)> {
    (
        prop_oneof!["[a-z]{1,10}", text()],
        prop_oneof!["[a-z0-9/]{1,12}", text()],
        vec(
            prop_oneof![
                select(vec!["pull", "push", "*", " pull ", ""]).prop_map(str::to_owned),
                text()
            ],
            0..4,
        ),
    )
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn bearer_challenges_parse_back_in_any_order_and_quoting((expected, params, header) in bearer_header()) {
        prop_assert_eq!(bearer_challenge(&header), Some(expected), "{}", header);
        let bearer = parse_challenges(&header).into_iter().find(|c| c.scheme == "bearer");
        prop_assert_eq!(bearer.map(|c| c.params), Some(params), "{}", header);
    }

    #[test]
    fn challenges_from_noise_are_well_formed(header in prop_oneof![soup(), (bearer_header(), soup()).prop_map(|((_, _, h), s)| format!("{h}{s}"))]) {
        let challenges = parse_challenges(&header);
        for c in &challenges {
            prop_assert!(!c.scheme.is_empty());
            prop_assert!(!c.scheme.contains(|ch: char| ch.is_whitespace() || ch == ','), "{:?}", c.scheme);
            prop_assert_eq!(&c.scheme, &c.scheme.to_ascii_lowercase());
            for name in c.params.keys() {
                prop_assert!(!name.is_empty());
                prop_assert!(name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "-_.".contains(ch)), "{:?}", name);
            }
        }
        let first_bearer = challenges.iter().find(|c| c.scheme == "bearer");
        let expected = first_bearer.and_then(|c| {
            Some(BearerChallenge {
                realm: c.params.get("realm")?.clone(),
                service: c.params.get("service").cloned(),
                scope: c.params.get("scope").cloned(),
                error: c.params.get("error").cloned(),
            })
        });
        prop_assert_eq!(bearer_challenge(&header), expected);
        let _ = ScopeSet::parse(&header);
        let _ = host_of(&header);
    }

    #[test]
    fn parsed_scopes_hold_only_scope_characters(text in prop_oneof![soup(), scope_text().prop_map(|(_, t)| t)]) {
        let set = ScopeSet::parse(&text);
        for param in set.to_params() {
            prop_assert!(param.chars().all(is_scope_char), "{:?} from {:?}", param, text);
            let (resource, rest) = param.split_once(':').unwrap();
            let (name, actions) = rest.rsplit_once(':').unwrap();
            prop_assert!(!resource.is_empty() && !name.is_empty(), "{:?}", param);
            prop_assert!(actions.split(',').all(|a| !a.is_empty()), "{:?}", param);
        }
        let printed = set.to_string();
        prop_assert!(printed.chars().all(|c| c == ' ' || is_scope_char(c)));
        prop_assert_eq!(ScopeSet::parse(&printed).to_params(), set.to_params());
    }

    #[test]
    fn well_formed_scopes_are_kept_and_junk_is_dropped((goods, text) in scope_text()) {
        let set = ScopeSet::parse(&text);
        let mut keys = std::collections::BTreeSet::new();
        for scope in &goods {
            let mut single = ScopeSet::new();
            single.add(scope.resource, &scope.name, scope.actions.iter().copied());
            prop_assert!(set.covers(&single), "{:?} lost from {:?}", scope, text);
            keys.insert((scope.resource, scope.name.clone()));
        }
        prop_assert_eq!(set.to_params().len(), keys.len(), "{:?} -> {:?}", text, set.to_params());
    }

    #[test]
    fn token_urls_carry_service_and_scopes_intact(
        realm in select(vec!["https://auth.example/token", "https://auth.example/token?account=a", "http://127.0.0.1:5001/auth"]),
        service in prop::option::of(prop_oneof![text(), soup()]),
        scopes in prop_oneof![soup(), scope_text().prop_map(|(_, t)| t)],
    ) {
        let scopes = ScopeSet::parse(&scopes);
        let url = token_url(realm, service.as_deref(), &scopes);
        prop_assert!(url.starts_with(realm));
        let query = &url[realm.len()..];
        let mut expected: Vec<(String, String)> = service.iter().map(|s| ("service".to_owned(), s.clone())).collect();
        expected.extend(scopes.to_params().into_iter().map(|s| ("scope".to_owned(), s)));
        if expected.is_empty() {
            prop_assert_eq!(query, "");
            return Ok(());
        }
        let separator = if realm.contains('?') { '&' } else { '?' };
        prop_assert!(query.starts_with(separator), "{}", url);
        prop_assert!(
            query.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~:/,*%=&?".contains(&b)),
            "unsafe character in {}", url
        );
        let pairs: Vec<(String, String)> = query[1..]
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_owned(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
            })
            .collect();
        prop_assert_eq!(pairs, expected);
    }

    #[test]
    fn token_responses_yield_only_header_safe_tokens(
        token in prop::option::of(prop_oneof![Just(Value::Null), "[A-Za-z0-9._~+/=-]{1,40}".prop_map(Value::from), text().prop_map(Value::from), Just(json!("x\r\nSet-Cookie: a=b")), Just(json!(5))]),
        access in prop::option::of(prop_oneof![Just(Value::Null), "[A-Za-z0-9._~+/=-]{1,40}".prop_map(Value::from), text().prop_map(Value::from)]),
        expires in prop::option::of(prop_oneof![Just(Value::Null), any::<u64>().prop_map(Value::from), (-100i64..0).prop_map(Value::from), Just(json!("3600"))]),
        extra in extra_fields(),
        seed in any::<u64>(),
    ) {
        let body = serde_json::to_vec(&object(
            vec![("token", token.clone()), ("access_token", access.clone()), ("expires_in", expires.clone())],
            extra,
            seed,
        )).unwrap();
        // A strange expires_in counts as absent (60 s), never as an unusable answer.
        let well_typed = [&token, &access].iter().all(|t| t.as_ref().is_none_or(|v| v.is_null() || v.is_string()));
        let usable = |v: &Option<Value>| v.as_ref().and_then(Value::as_str).filter(|t| is_token_text(t)).map(str::to_owned);
        let bearer = usable(&token).or_else(|| usable(&access));
        let parsed = TokenResponse::parse(&body);
        prop_assert_eq!(parsed.is_some(), well_typed && bearer.is_some(), "{}", String::from_utf8_lossy(&body));
        if let Some(response) = parsed {
            prop_assert_eq!(response.bearer().map(str::to_owned), bearer);
            let lifetime = expires.as_ref().and_then(Value::as_u64).filter(|&s| s > 0).unwrap_or(60);
            prop_assert_eq!(response.lifetime_seconds(), lifetime);
        }
        // Bounded at 64 KiB: the same body padded to the limit reads the same, one
        // byte more is refused unread.
        let mut padded = body.clone();
        padded.resize(64 * 1024, b' ');
        prop_assert_eq!(TokenResponse::parse(&padded), TokenResponse::parse(&body));
        padded.push(b' ');
        prop_assert_eq!(TokenResponse::parse(&padded), None);
    }

    #[test]
    fn jwt_access_claims_are_read_as_granted_scopes(
        claims in vec(claim(), 0..4),
        padded in any::<bool>(),
        junk in soup(),
    ) {
        let payload = json!({
            "iss": "auth.example",
            "access": claims.iter().map(|(t, n, a)| json!({"type": t, "name": n, "actions": a})).collect::<Vec<_>>(),
        });
        let mut encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        if padded {
            while !encoded.len().is_multiple_of(4) {
                encoded.push('=');
            }
        }
        let token = format!("eyJhbGciOiJub25lIn0.{encoded}.c2ln");
        let mut expected = ScopeSet::new();
        for (resource, name, actions) in &claims {
            expected.add(resource, name, actions.iter().map(String::as_str));
        }
        prop_assert_eq!(granted_scopes(&token), Some(expected));
        let _ = granted_scopes(&junk);
        let _ = granted_scopes(&format!("a.{junk}.b"));
    }
}

// ----------------------------------------------------------------------------------
// Repository names, tags, digests and references

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`, consumed the way the regex reads.
fn component_matches(component: &str) -> bool {
    let b = component.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let run = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && alnum(b[*i]) {
            *i += 1;
        }
        *i > start
    };
    let mut i = 0;
    if !run(&mut i) {
        return false;
    }
    while i < b.len() {
        if b[i..].starts_with(b"__") {
            i += 2;
        } else if b[i] == b'.' || b[i] == b'_' {
            i += 1;
        } else if b[i] == b'-' {
            while i < b.len() && b[i] == b'-' {
                i += 1;
            }
        } else {
            return false;
        }
        if !run(&mut i) {
            return false;
        }
    }
    true
}

fn repository_matches(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.split('/').all(component_matches)
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
fn tag_matches(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && tag.len() <= 128
}

fn component() -> impl Strategy<Value = String> {
    let separator = prop_oneof![
        Just(".".to_owned()),
        Just("_".to_owned()),
        Just("__".to_owned()),
        "-{1,3}"
    ];
    ("[a-z0-9]{1,6}", vec((separator, "[a-z0-9]{1,6}"), 0..3)).prop_map(|(first, rest)| {
        rest.into_iter()
            .fold(first, |s, (sep, run)| s + &sep + &run)
    })
}

/// Names on both sides of the grammar: valid ones, long ones around 255 bytes, and
/// valid ones with one edit (a bad or upper-case character, a doubled or stray
/// separator, a slash).
fn near_repository() -> BoxedStrategy<String> {
    let valid = vec(component(), 1..4).prop_map(|c| c.join("/"));
    let long = (vec(component(), 1..60), 240usize..270).prop_map(|(c, len)| {
        let mut name = c.join("/");
        while name.len() < len {
            name = format!("{name}/{name}");
        }
        name.truncate(len);
        name
    });
    let edited = (
        vec(component(), 1..4).prop_map(|c| c.join("/")),
        any::<Index>(),
        select(
            &[
                "A", ".", "_", "__", "___", "-", "/", "//", ":", "@", " ", "é", "\0", "..",
            ][..],
        ),
        any::<bool>(),
    )
        .prop_map(|(name, at, edit, replace)| {
            let mut chars: Vec<char> = name.chars().collect();
            let i = at.index(chars.len() + 1);
            if replace && i < chars.len() {
                chars.remove(i);
            }
            chars.splice(i..i, edit.chars());
            chars.into_iter().collect()
        });
    prop_oneof![2 => valid, 1 => long, 3 => edited].boxed()
}

fn near_tag() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}",
        "[a-zA-Z0-9_][a-zA-Z0-9._-]{125,130}",
        "[a-zA-Z0-9._:/@+ -]{0,12}",
        "\\PC{0,6}",
    ]
}

fn near_digest() -> BoxedStrategy<String> {
    (
        select(
            &[
                "sha256",
                "sha512",
                "SHA256",
                "sha384",
                "blake3",
                "sha256+b64",
                "",
                "sha-256",
                "sha256 ",
            ][..],
        ),
        select(vec![0usize, 1, 63, 64, 65, 127, 128, 129]),
        vec(select(vec!['0', '9', 'a', 'f']), 129),
        prop::option::of((any::<Index>(), select(vec!['A', 'F', 'g', ':', ' ', 'é']))),
    )
        .prop_map(|(algorithm, len, hex, flaw)| {
            let mut value: String = hex[..len].iter().collect();
            if let Some((at, c)) = flaw {
                if !value.is_empty() {
                    let i = at.index(value.len());
                    value.replace_range(i..=i, &c.to_string());
                }
            }
            format!("{algorithm}:{value}")
        })
        .boxed()
}

/// `host[:port]`, each label letters, digits and inner dashes, port 1..=65535 in
/// digits only.
fn host_matches(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    name.split('.').all(label) && port_ok
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn repository_names_parse_exactly_when_they_match_the_grammar(name in prop_oneof![near_repository(), soup()]) {
        let parsed = Repository::parse(&name);
        prop_assert_eq!(parsed.is_ok(), repository_matches(&name), "{:?}: {:?}", name, parsed);
        if let Ok(repository) = parsed {
            prop_assert_eq!(repository.as_str(), name.as_str());
            prop_assert_eq!(Repository::parse(repository.as_str()), Ok(repository.clone()));
            let json = serde_json::to_string(&repository).unwrap();
            prop_assert_eq!(serde_json::from_str::<Repository>(&json).unwrap(), repository);
        } else {
            // Read back from storage, an invalid name is refused there too.
            prop_assert!(serde_json::from_value::<Repository>(json!(name)).is_err());
        }
    }

    #[test]
    fn every_parsed_tag_matches_the_tag_grammar(tag in prop_oneof![near_tag(), soup()]) {
        let parsed = Tag::parse(&tag);
        prop_assert_eq!(parsed.is_ok(), tag_matches(&tag), "{:?}", tag);
        if let Ok(t) = parsed {
            prop_assert!(tag_matches(t.as_str()));
            prop_assert_eq!(t.as_str(), tag.as_str());
            prop_assert_eq!(Tag::parse(t.as_str()), Ok(t.clone()));
        }
    }

    #[test]
    fn every_parsed_digest_is_sha256_or_sha512_of_the_right_length(input in prop_oneof![near_digest(), soup()]) {
        let parsed = Digest::parse(&input);
        let (algorithm, hex) = input.split_once(':').unwrap_or(("", ""));
        let lower_hex = hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let grammatical = lower_hex
            && ((algorithm == "sha256" && hex.len() == 64) || (algorithm == "sha512" && hex.len() == 128));
        prop_assert_eq!(parsed.is_ok(), grammatical, "{:?}: {:?}", input, parsed);
        if let Ok(digest) = parsed {
            prop_assert_eq!(digest.algorithm(), algorithm);
            prop_assert_eq!(digest.hex(), hex);
            prop_assert_eq!(digest.as_str(), input.as_str());
            for n in [0, 7, 12, 64, 200] {
                prop_assert!(hex.starts_with(digest.short(n)));
            }
            prop_assert_eq!(Digest::parse(&digest.to_string()), Ok(digest));
        }
    }

    #[test]
    fn generated_references_parse_into_their_parts(
        registry in prop::option::of(prop_oneof![
            select(vec!["localhost", "localhost:5000", "reg.example", "reg.example:443", "127.0.0.1:5000", "a-b.c-d.example"]).prop_map(str::to_owned),
            "[a-z0-9]{1,8}(\\.[a-z0-9]{1,8}){1,3}(:[1-9][0-9]{0,3})?",
        ]),
        repository in vec(component(), 1..4).prop_map(|c| c.join("/")),
        tag in prop::option::of("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}"),
        digest in prop::option::of(vec(any::<u8>(), 0..4).prop_map(|b| sha256_text(&b))),
        pad in "[ \t]{0,2}",
    ) {
        let mut text = registry.clone().map(|r| format!("{r}/")).unwrap_or_default();
        text.push_str(&repository);
        if let Some(tag) = &tag { text.push_str(&format!(":{tag}")); }
        if let Some(digest) = &digest { text.push_str(&format!("@{digest}")); }
        // docker's rule: without a host, a first component with '.' or ':' or
        // "localhost" is read as the host.
        let (expected_registry, expected_repository) = match (&registry, repository.split_once('/')) {
            (Some(r), _) => (Some(r.clone()), repository.clone()),
            (None, Some((first, rest))) if first.contains('.') || first == "localhost" => {
                // "a_b.c/app": a first component that is no host name is refused.
                prop_assume!(host_matches(first));
                (Some(first.to_owned()), rest.to_owned())
            }
            (None, _) => (None, repository.clone()),
        };
        let reference = ImageReference::parse(&format!("{pad}{text}{pad}"))
            .map_err(|e| TestCaseError::fail(format!("{text:?} refused: {e}")))?;
        prop_assert_eq!(&reference.registry, &expected_registry);
        prop_assert_eq!(reference.repository.as_str(), expected_repository.as_str());
        prop_assert_eq!(reference.tag.as_ref().map(Tag::as_str), tag.as_deref());
        prop_assert_eq!(reference.digest.as_ref().map(Digest::as_str), digest.as_deref());
        prop_assert_eq!(reference.to_string(), text);
    }

    #[test]
    fn parsed_references_print_back_to_themselves(input in prop_oneof![soup(), near_repository(), near_tag()]) {
        if let Ok(reference) = ImageReference::parse(&input) {
            if let Some(registry) = &reference.registry {
                prop_assert!(host_matches(registry), "host {:?} from {:?}", registry, input);
            }
            prop_assert!(repository_matches(reference.repository.as_str()));
            prop_assert_eq!(ImageReference::parse(&reference.to_string()), Ok(reference.clone()), "{:?}", input);
        }
    }
}

// ----------------------------------------------------------------------------------
// The OCI error envelope and registry failures

fn error_entry() -> BoxedStrategy<Value> {
    (
        prop_oneof![
            select(
                &[
                    "MANIFEST_UNKNOWN",
                    "NAME_UNKNOWN",
                    "UNSUPPORTED",
                    "DENIED",
                    "TOOMANYREQUESTS",
                    "123",
                    ""
                ][..]
            )
            .prop_map(str::to_owned),
            text(),
        ],
        prop::option::of(text()),
        prop::option::of(json_value()),
        extra_fields(),
        any::<u64>(),
    )
        .prop_map(|(code, message, detail, extra, seed)| {
            object(
                vec![
                    ("code", Some(json!(code))),
                    ("message", message.map(Value::from)),
                    ("detail", detail),
                ],
                extra,
                seed,
            )
        })
        .boxed()
}

fn response() -> BoxedStrategy<(Response, Vec<Value>)> {
    let status = prop_oneof![
        select(
            &[
                0u16, 200, 202, 301, 400, 401, 403, 404, 405, 409, 411, 413, 416, 422, 429, 500,
                502, 503, 599, 600, 999
            ][..]
        ),
        any::<u16>(),
    ];
    let header = (
        select(
            &[
                "WWW-Authenticate",
                "www-authenticate",
                "Retry-After",
                "RETRY-AFTER",
                "Content-Type",
                "X-Other",
            ][..],
        ),
        prop_oneof![
            soup(),
            "[ ]?[0-9]{1,20}[ ]?",
            bearer_header().prop_map(|(_, _, h)| h)
        ],
    )
        .prop_map(|(name, value)| (name.to_owned(), value));
    let body = prop_oneof![
        vec(error_entry(), 0..3).prop_map(|entries| (
            serde_json::to_vec(&json!({"errors": entries})).unwrap(),
            entries
        )),
        json_soup().prop_map(|b| (b, vec![])),
    ];
    (status, vec(header, 0..4), body)
        .prop_map(|(status, headers, (body, entries))| {
            (
                Response {
                    status,
                    headers,
                    body,
                },
                entries,
            )
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn error_envelopes_keep_every_entry_and_code_as_sent(
        entries in vec(error_entry(), 0..4),
        extra in extra_fields(),
        seed in any::<u64>(),
        pretty in any::<bool>(),
    ) {
        let envelope = object(vec![("errors", Some(Value::Array(entries.clone())))], extra, seed);
        let body = if pretty { serde_json::to_vec_pretty(&envelope) } else { serde_json::to_vec(&envelope) }.unwrap();
        let parsed = parse_error_entries(&body);
        prop_assert_eq!(parsed.len(), entries.len());
        for (entry, written) in parsed.iter().zip(&entries) {
            prop_assert_eq!(Some(entry.code.as_str()), str_of(written, "code"));
            prop_assert_eq!(entry.message.as_str(), str_of(written, "message").unwrap_or(""));
        }
    }

    #[test]
    fn registry_failures_are_classified_without_panicking(
        (response, entries) in response(),
        method in select(vec![Method::Get, Method::Head, Method::Put, Method::Post, Method::Patch, Method::Delete]),
        url in prop_oneof![Just("http://reg.example:5000/v2/_catalog".to_owned()), soup()],
    ) {
        let attempt = Attempt { method, url };
        let error = RegistryError::from_response(attempt.clone(), &response);
        let message = error.to_string();
        prop_assert!(message.starts_with(&attempt.to_string()), "{}", message);
        let words = wording::error(&error);
        prop_assert!(!words.headline.is_empty() && !words.advice.is_empty());
        prop_assert!(words.detail.starts_with(&attempt.to_string()), "{}", words.detail);
        let header = |name: &str| response.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let parsed = parse_error_entries(&response.body);
        if !entries.is_empty() {
            prop_assert_eq!(parsed.len(), entries.len());
        }
        match (&error, response.status) {
            (RegistryError::RateLimited { retry_after, .. }, 429) => {
                prop_assert_eq!(*retry_after, header("retry-after").and_then(|v| v.trim().parse().ok()));
            }
            (RegistryError::Unauthorized { challenge, errors, .. }, 401) => {
                prop_assert_eq!(challenge, &header("www-authenticate"));
                prop_assert_eq!(errors, &parsed);
            }
            (RegistryError::Server { status, .. }, 500..=599) => prop_assert_eq!(*status, response.status),
            (_, 429 | 401 | 500..=599) => prop_assert!(false, "{} classified as {:?}", response.status, error),
            (other, _) => {
                prop_assert_eq!(other.entries(), parsed.as_slice());
                for entry in &parsed {
                    prop_assert!(other.has_code(&entry.code));
                }
            }
        }
    }
}

// ----------------------------------------------------------------------------------
// Registry addresses and routes

fn address() -> BoxedStrategy<String> {
    let structured = (
        select(
            &[
                "",
                "",
                "http://",
                "https://",
                "HTTP://",
                "HttpS://",
                "ftp://",
                "javascript:",
                "://",
            ][..],
        ),
        select(vec!["", "", "user:pw@", "@", "a@b@"]),
        select(
            &[
                "localhost",
                "127.0.0.1",
                "Reg.Example",
                "reg.example",
                "",
                "[::1]",
                "h",
            ][..],
        ),
        select(vec!["", "", ":5000", ":"]),
        select(vec![
            "",
            "/",
            "/v2",
            "/v2/",
            "/prefix",
            "/prefix/v2/",
            "/a/b//",
        ]),
        select(vec!["", "", "?x=1", "#frag", "?a=/v2"]),
        "[ \t]{0,2}",
    )
        .prop_map(|(scheme, user, host, port, path, query, pad)| {
            format!("{pad}{scheme}{user}{host}{port}{path}{query}{pad}")
        });
    prop_oneof![3 => structured, 1 => soup()].boxed()
}

/// `name[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address, and up to
/// five digits of port.
fn is_plain_host(authority: &str) -> bool {
    let (name, port) = match authority.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, Some(port)),
        _ => (authority, None),
    };
    let ipv6 = name.len() > 2
        && name.starts_with('[')
        && name.ends_with(']')
        && name[1..name.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':');
    let name_ok = ipv6
        || (!name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
    name_ok
        && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

fn route() -> BoxedStrategy<Route> {
    let value = || {
        prop_oneof![
            "\\PC{1,12}",
            soup().prop_filter("non-empty", |s| !s.is_empty())
        ]
    };
    (
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
        prop::option::of(value()),
    )
        .prop_map(|(registry, repository, reference, index)| Route {
            registry,
            view: match (repository, reference) {
                (Some(repository), Some(reference)) => View::Image {
                    repository,
                    reference,
                    index,
                },
                (Some(name), None) => View::Repository { name },
                (None, _) => View::Catalog,
            },
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn registry_addresses_become_clean_base_urls(input in address()) {
        let Ok(base) = normalize_registry_address(&input) else {
            return Ok(());
        };
        let (scheme, rest) = base.split_once("://").unwrap();
        prop_assert!(scheme == "http" || scheme == "https", "{:?} -> {:?}", input, base);
        let authority = rest.split('/').next().unwrap();
        prop_assert!(!authority.is_empty(), "{:?} -> {:?}", input, base);
        prop_assert!(!authority.contains('@'), "credentials kept: {:?} -> {:?}", input, base);
        prop_assert_eq!(authority, authority.to_ascii_lowercase());
        // A scheme someone typed is kept (lower-cased); without one, https, except
        // for a loopback host (after any user@), which gets http.
        let typed = input.trim();
        let host = if authority.starts_with('[') {
            authority.split_inclusive(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        };
        let octets: Vec<&str> = host.split('.').collect();
        let loopback = host == "localhost"
            || (host == "[::1]" && (authority == "[::1]" || authority.starts_with("[::1]:")))
            || (octets.len() == 4
                && octets[0] == "127"
                && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit())));
        match typed.split_once("://") {
            Some((s, _)) => prop_assert_eq!(scheme, s.to_ascii_lowercase()),
            None if loopback => prop_assert_eq!(scheme, "http"),
            None => prop_assert_eq!(scheme, "https"),
        }
        // Normalizing again changes nothing, and no host holds a blank.
        prop_assert!(!authority.contains(char::is_whitespace), "{:?} -> {:?}", input, base);
        let again = normalize_registry_address(&base).map_err(|e| TestCaseError::fail(format!("{base:?}: {e}")))?;
        prop_assert_eq!(&again, &base);
        // The pull command is pasted into a shell: only a plain host[:port] goes there.
        let path = &rest[authority.len()..];
        match pull_host(&base) {
            Some(host) => {
                prop_assert!(
                    host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)),
                    "{:?} from {:?}", host, input
                );
                // docker reads a first part as a registry only with a `.`, a `:` or
                // as localhost: any other host is given its scheme's port.
                let read_as_registry = authority.contains(['.', ':']) || authority == "localhost";
                let default_port = if base.starts_with("http://") { ":80" } else { ":443" };
                match read_as_registry {
                    true => prop_assert_eq!(host.as_str(), authority),
                    false => prop_assert_eq!(host, format!("{authority}{default_port}")),
                }
            }
            None if path.is_empty() && is_plain_host(authority) => {
                prop_assert!(false, "no pull host for {:?}", base)
            }
            None => {}
        }
    }

    #[test]
    fn other_schemes_and_empty_addresses_are_refused(scheme in "[a-z]{2,6}", rest in "[a-z./:]{0,12}", blank in "[ \t]{0,3}") {
        prop_assume!(scheme != "http" && scheme != "https");
        prop_assert_eq!(normalize_registry_address(&format!("{scheme}://{rest}")), Err(AddressError::UnsupportedScheme));
        prop_assert_eq!(normalize_registry_address(&blank), Err(AddressError::Empty));
    }

    #[test]
    fn routes_survive_the_address_bar(route in route()) {
        let query = route.to_query();
        prop_assert!(query.is_ascii() && !query.contains([' ', '#', '+']), "{}", query);
        // A user name and password in the registry address are left out on the way.
        let registry = route.registry.as_deref().map(without_credentials).filter(|r| !r.is_empty());
        prop_assert_eq!(Route::from_query(&query), Route { registry, ..route });
    }

    #[test]
    fn percent_decoding_inverts_encoding_and_never_panics(value in prop_oneof![soup(), any::<String>()]) {
        prop_assert_eq!(percent_decode(&percent_encode(&value)), value.clone());
        if !value.contains(['%', '+']) {
            prop_assert_eq!(percent_decode(&value), value.clone());
        }
        let _ = Route::from_query(&value);
    }

    #[test]
    fn scopes_for_arbitrary_request_urls_never_panic(
        path in prop_oneof![soup(), "/v2/[a-z/]{1,20}/(manifests|blobs|tags|referrers)/[a-z0-9:]{1,10}"],
        from in prop::option::of(soup()),
        method in select(vec![Method::Get, Method::Head, Method::Put, Method::Post, Method::Patch, Method::Delete]),
    ) {
        let base = "http://reg.example:5000";
        let query = from.map(|f| format!("?from={}&mount=x", percent_encode(&f))).unwrap_or_default();
        let request = Request::new(method, format!("{base}{path}{query}"));
        let _ = scope_for_request(base, &request);
        let _ = host_of(&request.url);
    }
}

// ----------------------------------------------------------------------------------
// One parse of a 1 MiB adversarial input: no hang, no quadratic time, no stack
// overflow (on a 1 MiB stack, in a debug build).

const MIB: usize = 1 << 20;

fn nested(open: &str, n: usize) -> String {
    open.repeat(n)
}

#[test]
fn megabyte_inputs_are_answered_quickly() {
    let request = "http://reg.example:5000/v2/_catalog?n=100";
    let jwt_of = |payload: &[u8]| {
        format!(
            "e30.{}.c2ln",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
        )
    };
    let layer = r#"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:0","size":1,"x":[1]},"#;
    let many_layers = format!(
        r#"{{"schemaVersion":2,"layers":[{}{{"digest":"z"}}]}}"#,
        layer.repeat(MIB / layer.len())
    );
    let bytes_cases: Vec<(&str, Vec<u8>)> = vec![
        ("open brackets", nested("[", MIB).into_bytes()),
        ("open objects", nested("{\"a\":", MIB / 5).into_bytes()),
        (
            "nested unknown field",
            format!("{{\"x\":{}", nested("{\"a\":", MIB / 5)).into_bytes(),
        ),
        (
            "nested arrays in a layer",
            format!(
                "{{\"layers\":[{{\"digest\":\"x\",\"y\":{}",
                nested("[", MIB)
            )
            .into_bytes(),
        ),
        (
            "nested platform field",
            format!(
                "{{\"manifests\":[{{\"digest\":\"x\",\"platform\":{{\"z\":{}",
                nested("[", MIB)
            )
            .into_bytes(),
        ),
        (
            "nested error detail",
            format!(
                "{{\"errors\":[{{\"code\":\"X\",\"detail\":{}",
                nested("[", MIB)
            )
            .into_bytes(),
        ),
        (
            "nested config labels",
            format!("{{\"config\":{{\"Labels\":{}", nested("{\"a\":", MIB / 5)).into_bytes(),
        ),
        ("many layers", many_layers.into_bytes()),
        (
            "long string",
            format!("{{\"mediaType\":\"{}\"}}", "\\u0041".repeat(MIB / 6)).into_bytes(),
        ),
        (
            "unterminated string",
            format!("{{\"errors\":[{{\"code\":\"{}", "\\\"".repeat(MIB / 2)).into_bytes(),
        ),
        (
            "deep numbers",
            format!("{{\"schemaVersion\":{}}}", "9".repeat(MIB)).into_bytes(),
        ),
        ("nul bytes", vec![0u8; MIB]),
    ];
    let mut slowest = (Duration::ZERO, String::new());
    let mut note = |name: String, took: Duration| {
        if took > slowest.0 {
            slowest = (took, name);
        }
    };
    for (name, bytes) in bytes_cases {
        let took = bounded(name, move || {
            let _ = Manifest::parse(bytes.clone(), None)
                .map(|m| (m.kind(), checked_total(&m), m.pretty_json().len()));
            let _ = ImageConfig::parse(&bytes);
            let _ = parse_error_entries(&bytes);
            let _ = TokenResponse::parse(&bytes);
            let _ = granted_scopes(&jwt_of(&bytes));
            let response = Response {
                status: 404,
                headers: vec![],
                body: bytes,
            };
            let attempt = Attempt {
                method: Method::Get,
                url: "http://r/v2/".into(),
            };
            let _ = RegistryError::from_response(attempt, &response).to_string();
        });
        note(format!("json: {name}"), took);
    }
    // Each input goes to the parsers of its family, and the generic ones to all.
    const LINK: u8 = 1;
    const AUTH: u8 = 2;
    const NAME: u8 = 4;
    const ADDRESS: u8 = 8;
    const ALL: u8 = 15;
    let text_cases: Vec<(&str, u8, String)> = vec![
        ("commas", ALL, ",".repeat(100_000)),
        ("commas MiB", LINK | AUTH, ",".repeat(MIB)),
        ("open angles", LINK, "<".repeat(MIB)),
        ("empty links", LINK, "<>,".repeat(MIB / 3)),
        ("semicolons", LINK, format!("<a>{}", ";".repeat(MIB))),
        (
            "escaped quotes",
            LINK | AUTH,
            format!("<a>; a=\"{}", "\\\"".repeat(MIB / 2)),
        ),
        (
            "many prev links",
            LINK,
            format!("{}</n>; rel=next", "</p>; rel=prev, ".repeat(MIB / 16)),
        ),
        (
            "backslashes",
            AUTH,
            format!("Bearer realm=\"{}", "\\".repeat(MIB)),
        ),
        (
            "many parameters",
            AUTH,
            format!("Bearer {}", "a=b,".repeat(MIB / 4)),
        ),
        ("many schemes", AUTH, "a ".repeat(MIB / 2)),
        ("equals", LINK | AUTH, "=".repeat(MIB)),
        ("quotes", ALL, "\"".repeat(MIB)),
        ("colons", ALL, ":".repeat(MIB)),
        (
            "scope actions",
            AUTH,
            format!("repository:a:{}", ",".repeat(MIB)),
        ),
        (
            "many scopes",
            AUTH,
            "repository:a/b:pull,push ".repeat(MIB / 25),
        ),
        ("slashes", NAME | ADDRESS, "a/".repeat(MIB / 2)),
        ("letters", ALL, "a".repeat(MIB)),
        ("long digest", NAME, format!("sha256:{}", "a".repeat(MIB))),
        ("ats", ALL, "@".repeat(MIB)),
        (
            "long port",
            NAME | ADDRESS,
            format!("localhost:{}/a", "9".repeat(MIB)),
        ),
        ("percents", ADDRESS, "%".repeat(MIB)),
        ("plus escapes", ADDRESS, "%+1".repeat(MIB / 3)),
        ("ampersands", ADDRESS, "&".repeat(MIB)),
        (
            "encoded registry",
            ADDRESS,
            format!("registry={}", "%41".repeat(MIB / 3)),
        ),
        (
            "user infos",
            ADDRESS,
            format!("http://{}h/v2", "a@".repeat(MIB / 2)),
        ),
        ("unicode", ALL, "é\u{a0}\u{2028}".repeat(MIB / 7)),
    ];
    for (name, family, text) in text_cases {
        let took = bounded(name, move || {
            if family & LINK != 0 {
                let _ = next_page_url(&text, request);
                let _ = resolve(request, &text);
                let _ = origin_of(&text);
            }
            if family & AUTH != 0 {
                let _ = parse_challenges(&text);
                let _ = bearer_challenge(&text);
                let scopes = ScopeSet::parse(&text);
                let _ = token_url(&text, Some(&text), &scopes);
                let _ = granted_scopes(&text);
                let _ = host_of(&text);
            }
            if family & NAME != 0 {
                let _ = Repository::parse(&text);
                let _ = Tag::parse(&text);
                let _ = Digest::parse(&text);
                let _ = ImageReference::parse(&text);
            }
            if family & ADDRESS != 0 {
                let _ = normalize_registry_address(&text).map(|a| pull_host(&a));
                let _ = pull_host(&text);
                let _ = percent_decode(&text);
                let _ = Route::from_query(&text).to_query();
                let url = format!("{request}/{text}");
                let _ = scope_for_request(request, &Request::new(Method::Post, url));
            }
        });
        note(format!("text: {name}"), took);
    }
    eprintln!("slowest 1 MiB input: {} in {:?}", slowest.1, slowest.0);
}

// ----------------------------------------------------------------------------------
// Bugs found by these properties and by cargo-fuzz, fixed; kept as regression tests.

/// BUG: `Manifest::referenced_size` adds descriptor sizes with `+`/`sum`: a
/// manifest whose sizes add up past u64::MAX (any registry can send one) panics with
/// "attempt to add with overflow" in debug builds (src/oci/manifest.rs, the size
/// column and the image view call it) and wraps to a wrong small total in release.
#[test]

fn referenced_size_never_overflows() {
    let bytes = br#"{"schemaVersion":2,"layers":[{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":18446744073709551615},{"digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":1}]}"#;
    let m = Manifest::parse(bytes.to_vec(), None).unwrap();
    let total = m.referenced_size();
    assert!(
        total >= u64::MAX - 1,
        "a sum below one of its parts: {total}"
    );
}

/// BUG: `percent_decode` reads the two characters after '%' with
/// `u8::from_str_radix`, which accepts a sign: "%+A" decodes to "\n" and "%+f" to
/// "\u{f}", though the doc says malformed escapes are kept (src/model/route.rs).
/// A page address such as `?repo=a%+Ab` then names a repository with a newline.
#[test]
fn percent_decode_keeps_escapes_that_are_not_two_hex_digits() {
    assert_eq!(percent_decode("%+A"), "% A");
    assert_eq!(percent_decode("a%+fb"), "a% fb");
}

/// BUG: `normalize_registry_address` means to give scheme-less loopback addresses
/// plain http, but takes the host as the text before the first ':', so "[::1]:5000"
/// is host "[" and gets https (the "[::1]" arm can never match), and
/// "LOCALHOST:5000" is compared case-sensitively (src/model/registry_address.rs).
#[test]

fn scheme_less_loopback_addresses_get_http() {
    assert_eq!(
        normalize_registry_address("[::1]:5000").unwrap(),
        "http://[::1]:5000"
    );
    assert_eq!(normalize_registry_address("[::1]").unwrap(), "http://[::1]");
    assert_eq!(
        normalize_registry_address("LOCALHOST:5000").unwrap(),
        "http://localhost:5000"
    );
}

/// BUG: `normalize_registry_address` trims trailing slashes before it strips
/// "/v2", not after: "http://h//v2" gives "http://h/" (requests then go to
/// "http://h//v2/…"), and "https://p/a/v2/v2/" gives "https://p/a/v2", which the
/// console normalizes again when it reads the page address back, reaching
/// "https://p/a" (src/model/registry_address.rs).
#[test]

fn normalized_addresses_are_fixed_points() {
    for input in ["http://h//v2", "http://h/a//v2/", "https://p/a/v2/v2/"] {
        let base = normalize_registry_address(input).unwrap();
        assert!(!base.ends_with('/'), "{input} -> {base}");
        assert_eq!(normalize_registry_address(&base).unwrap(), base, "{input}");
    }
}

/// BUG: the port of a reference's registry host is checked with `u16::from_str`,
/// which accepts a leading '+': "localhost:+5000/app" parses, with registry
/// "localhost:+5000" (src/oci/names.rs, `check_host`). The reference grammar's port
/// is `[0-9]+`; docker refuses it.
#[test]

fn registry_ports_are_digits_only() {
    assert!(ImageReference::parse("localhost:+5000/app").is_err());
    assert!(ImageReference::parse("reg.example:+443/team/app:1").is_err());
}

/// BUG: `pull_host` splits the port off at the last ':' unless the part before it
/// ends with ']'; for "[::1]" without a port that part is "[:", so the address is
/// cut inside the brackets and refused: a registry at "http://[::1]" gets no
/// `docker pull` command (src/model/registry_address.rs).
#[test]

fn pull_host_keeps_ipv6_hosts_without_port() {
    assert_eq!(
        pull_host("http://[::1]:5000").as_deref(),
        Some("[::1]:5000")
    );
    assert_eq!(pull_host("http://[::1]").as_deref(), Some("[::1]"));
    assert_eq!(pull_host("https://[fd00::5]").as_deref(), Some("[fd00::5]"));
}

/// BUG: `normalize_registry_address` ends the host at the first '/', not at '?' or
/// '#': "https://reg.example?x=1" is kept as it is, and requests then go to
/// "https://reg.example?x=1/v2/_catalog", a query on the server's root
/// (src/model/registry_address.rs).
#[test]

fn query_or_fragment_right_after_the_host_is_dropped() {
    assert_eq!(
        normalize_registry_address("https://reg.example?x=1").unwrap(),
        "https://reg.example"
    );
    assert_eq!(
        normalize_registry_address("reg.example:5000#top").unwrap(),
        "https://reg.example:5000"
    );
}

/// BUG (found by cargo-fuzz, target address_route, and then by the property
/// above): `normalize_registry_address` keeps blanks in the host. What follows the
/// last '@' is taken whole, so "a@ /v2" gives "https:// ", which is no address
/// (normalizing it again says "no host"); and "a /" gives "https://a ", which
/// normalizes again to "https://a". Requests go to those URLs
/// (src/model/registry_address.rs).
#[test]

fn hosts_with_blanks_are_refused() {
    for input in ["a@ /v2", ">>         @  /v2    ", "http://x@ \t/"] {
        assert!(
            matches!(
                normalize_registry_address(input),
                Err(AddressError::NoHost(_))
            ),
            "{input:?} -> {:?}",
            normalize_registry_address(input)
        );
    }
    for input in ["a /", "https://reg.example :5000/v2", "reg\texample"] {
        if let Ok(base) = normalize_registry_address(input) {
            assert!(!base.contains(char::is_whitespace), "{input:?} -> {base:?}");
        }
    }
}
