#![cfg(not(target_arch = "wasm32"))]

use tagdeck::oci::manifest::{ImageConfig, Manifest, ManifestError, ManifestKind, ManifestView};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, NamePart, NameRule};

const OCI_INDEX: &str = "{\n\t\"schemaVersion\": 2,\n\t\"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n\t\"manifests\": [\n\t\t{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"size\": 500, \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}},\n\t\t{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\", \"size\": 501, \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": \"v8\", \"os.features\": [\"x\"]}}\n\t],\n\t\"annotations\": {\"org.opencontainers.image.created\": \"2026-01-01T00:00:00Z\"},\n\t\"futureField\": {\"kept\": true}\n}\n";

const DOCKER_MANIFEST: &str = r#"{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "size": 1000},
   "layers": [
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", "size": 2000},
      {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "size": 3000}
   ]
}"#;

#[test]
fn index_keeps_bytes_platforms_and_unknown_fields() {
    let manifest = Manifest::parse(OCI_INDEX.as_bytes().to_vec(), Some(media::OCI_INDEX)).unwrap();
    assert_eq!(manifest.bytes, OCI_INDEX.as_bytes());
    assert_eq!(manifest.digest, Digest::sha256_of(OCI_INDEX.as_bytes()));
    assert_eq!(manifest.kind(), ManifestKind::Index);
    let platforms: Vec<String> = manifest.platforms().iter().map(|p| p.label()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(
        manifest.view.manifests[1]
            .platform
            .as_ref()
            .unwrap()
            .os_features,
        ["x"]
    );
    assert_eq!(manifest.view.extra["futureField"]["kept"], true);
    assert_eq!(manifest.referenced_size(), 1001);
    let pretty = manifest.pretty_json();
    assert!(pretty.contains("futureField"));
    // Shown in the registry's key order, not re-sorted.
    let at = |key: &str| pretty.find(key).unwrap();
    assert!(at("schemaVersion") < at("mediaType"));
    assert!(at("manifests") < at("annotations"));
    assert!(at("annotations") < at("futureField"));
}

#[test]
fn image_manifest_sizes_and_kind() {
    let manifest = Manifest::parse(
        DOCKER_MANIFEST.as_bytes().to_vec(),
        Some(media::DOCKER_MANIFEST),
    )
    .unwrap();
    assert_eq!(manifest.kind(), ManifestKind::Image);
    assert_eq!(manifest.view.layers.len(), 2);
    assert_eq!(manifest.referenced_size(), 6000);
    assert_eq!(manifest.content_type, media::DOCKER_MANIFEST);
}

#[test]
fn content_type_falls_back_to_media_type_field_then_shape() {
    let from_field = Manifest::parse(DOCKER_MANIFEST.as_bytes().to_vec(), None).unwrap();
    assert_eq!(from_field.content_type, media::DOCKER_MANIFEST);
    let no_media_type = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1}]}"#;
    let guessed =
        Manifest::parse(no_media_type.to_vec(), Some("application/octet-stream")).unwrap();
    assert_eq!(guessed.content_type, media::OCI_INDEX);
    assert_eq!(guessed.kind(), ManifestKind::Index);
}

#[test]
fn unknown_media_types_are_kept_not_rejected() {
    let artifact = br#"{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json","artifactType":"application/vnd.example.sbom","subject":{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":7}}"#;
    let manifest = Manifest::parse(
        artifact.to_vec(),
        Some("application/vnd.example.thing+json"),
    )
    .unwrap();
    assert_eq!(manifest.kind(), ManifestKind::Other);
    assert_eq!(manifest.media_type(), "application/vnd.example.thing+json");
    assert_eq!(
        manifest.view.artifact_type.as_deref(),
        Some("application/vnd.example.sbom")
    );
    assert_eq!(manifest.view.subject.as_ref().unwrap().size, 7);
    assert_eq!(
        media::describe("application/vnd.example.thing+json"),
        "application/vnd.example.thing+json"
    );
}

#[test]
fn malformed_manifests_are_errors_with_detail() {
    let truncated = &DOCKER_MANIFEST.as_bytes()[..DOCKER_MANIFEST.len() / 2];
    for bad in [
        truncated.to_vec(),
        br#"{"schemaVersion":2,"layers":5}"#.to_vec(),
        br#"{"schemaVersion":"two"}"#.to_vec(),
        br#"{"schemaVersion":2,"config":{"size":1}}"#.to_vec(),
        b"[1,2,3]".to_vec(),
        b"".to_vec(),
        vec![0xff, 0xfe],
    ] {
        match Manifest::parse(bad.clone(), None) {
            Err(ManifestError::Malformed(detail)) => assert!(!detail.is_empty()),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(&bad)),
        }
    }
}

#[test]
fn a_descriptor_with_an_invalid_digest_makes_the_manifest_malformed() {
    // Each descriptor's digest is a `Digest` from the parse on: a manifest naming a
    // blob or a platform by anything else is refused whole, saying which digest.
    let short = DOCKER_MANIFEST.replace(&"d".repeat(64), &"d".repeat(63));
    let md5 = OCI_INDEX.replace(
        &format!("sha256:{}", "b".repeat(64)),
        &format!("md5:{}", "b".repeat(32)),
    );
    for (bad, named, rule) in [
        (
            short,
            format!("sha256:{}", "d".repeat(63)),
            NameRule::WrongDigestLength {
                algorithm: "sha256".into(),
                expected: 64,
                actual: 63,
            },
        ),
        (
            md5,
            format!("md5:{}", "b".repeat(32)),
            NameRule::UnverifiableAlgorithm {
                algorithm: "md5".into(),
            },
        ),
    ] {
        match Manifest::parse(bad.clone().into_bytes(), None) {
            Err(ManifestError::InvalidDigest(refusal)) => {
                assert_eq!(refusal.error.part, NamePart::Digest, "{refusal:?}");
                assert_eq!(refusal.error.input, named);
                assert_eq!(refusal.error.reason, rule);
                // Where the JSON reader stopped on it, as it says so itself.
                let reader = serde_json::from_str::<ManifestView>(&bad).unwrap_err();
                assert_ne!(refusal.line, 0, "{refusal:?}");
                assert_eq!(
                    reader.to_string(),
                    format!(
                        "{} at line {} column {}",
                        refusal.error, refusal.line, refusal.column
                    )
                );
            }
            other => panic!("{named}: {other:?}"),
        }
    }
    // Another refusal before the bad digest is the JSON reader's, as it says it.
    let typed_first = br#"{"schemaVersion":"two","config":{"digest":"x","size":1}}"#;
    match Manifest::parse(typed_first.to_vec(), None) {
        Err(ManifestError::Malformed(detail)) => assert!(detail.contains("\"two\""), "{detail}"),
        other => panic!("{other:?}"),
    }
    let manifest = Manifest::parse(DOCKER_MANIFEST.as_bytes().to_vec(), None).unwrap();
    assert_eq!(
        manifest.view.layers[0].digest,
        Digest::parse(&format!("sha256:{}", "d".repeat(64))).unwrap()
    );
}

#[test]
fn a_stored_manifest_under_another_digest_is_refused_naming_both() {
    let manifest = Manifest::parse(DOCKER_MANIFEST.as_bytes().to_vec(), None).unwrap();
    let mut stored = serde_json::to_value(&manifest).unwrap();
    let other = Digest::sha256_of(b"something else");
    stored["digest"] = serde_json::json!(other.as_str());
    let refused = serde_json::from_value::<Manifest>(stored)
        .unwrap_err()
        .to_string();
    assert!(refused.contains(other.as_str()), "{refused}");
    assert!(refused.contains(manifest.digest.as_str()), "{refused}");
}

#[test]
fn oversized_manifest_is_refused() {
    let huge = vec![b' '; media::MAX_MANIFEST_BYTES + 1];
    assert_eq!(
        Manifest::parse(huge, None),
        Err(ManifestError::TooLarge(media::MAX_MANIFEST_BYTES + 1))
    );
}

#[test]
fn image_config_view() {
    let config = br#"{"architecture":"amd64","os":"linux","created":"2026-01-15T10:00:00Z",
        "config":{"Labels":{"a":"<b>x</b>"},"Env":["A=1"],"Entrypoint":["/bin/app"],"Cmd":null,"ExposedPorts":{"80/tcp":{}}},
        "history":[{"created_by":"ADD x","empty_layer":true}],"rootfs":{"type":"layers","diff_ids":[]}}"#;
    let parsed = ImageConfig::parse(config).unwrap();
    assert_eq!(parsed.created.as_deref(), Some("2026-01-15T10:00:00Z"));
    let container = parsed.config.unwrap();
    assert_eq!(container.labels.unwrap()["a"], "<b>x</b>");
    assert_eq!(container.cmd, None);
    assert!(container.extra.contains_key("ExposedPorts"));
    assert!(parsed.history[0].empty_layer);
    assert!(parsed.extra.contains_key("rootfs"));
    assert!(ImageConfig::parse(br#"{"history":"nope"}"#).is_err());
}

#[test]
fn an_image_opened_by_its_sha512_digest_is_shown_by_that_digest() {
    use sha2::{Digest as _, Sha512};
    let bytes = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":2},"layers":[]}"#.to_vec();
    let manifest = Manifest::parse(bytes.clone(), None).unwrap();
    let hex: String = Sha512::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sha512 = format!("sha512:{hex}");
    assert_eq!(manifest.digest_as_addressed(&sha512).to_string(), sha512);
    // By tag, by its sha256 digest, or by a sha512 digest of other bytes: sha256.
    let sha256 = manifest.digest.to_string();
    assert!(sha256.starts_with("sha256:"));
    for reference in ["latest", sha256.as_str()] {
        assert_eq!(manifest.digest_as_addressed(reference).to_string(), sha256);
    }
    let other = format!("sha512:{}", "0".repeat(128));
    assert_eq!(manifest.digest_as_addressed(&other).to_string(), sha256);
}
