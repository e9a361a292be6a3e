#![no_main]
//! `Manifest::parse` on any bytes, with a Content-Type picked by the first byte; then
//! everything the views do with a parsed manifest, and its storage round trip.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::manifest::Manifest;
use tagdeck::oci::media;

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some(media::OCI_MANIFEST),
    Some(media::OCI_INDEX),
    Some(media::DOCKER_MANIFEST),
    Some(media::DOCKER_MANIFEST_LIST),
    Some("application/octet-stream"),
    Some(""),
    Some(" text/plain; charset=utf-8 "),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let Ok(manifest) = Manifest::parse(bytes.to_vec(), content_type) else {
        return;
    };
    assert_eq!(manifest.bytes, bytes);
    assert!(manifest.digest.verify(bytes));
    let _ = (
        manifest.kind(),
        manifest.media_type(),
        manifest.pretty_json(),
    );
    let _ = manifest.referenced_size();
    for platform in manifest.platforms() {
        let _ = platform.label();
    }
    let stored = serde_json::to_string(&manifest).expect("a parsed manifest is stored");
    let back: Manifest = serde_json::from_str(&stored).expect("a stored manifest reads back");
    assert_eq!(back.view, manifest.view);
    assert_eq!(back.digest, manifest.digest);
});
