#![no_main]
//! The same bytes as an image config and as an index (Content-Type of an index):
//! config fields, platforms and their labels.

use libfuzzer_sys::fuzz_target;
use tagdeck::oci::manifest::{ImageConfig, Manifest, ManifestKind};
use tagdeck::oci::media;

fuzz_target!(|data: &[u8]| {
    // (Not asserted: that the bytes are valid JSON text. serde_json skips the
    // strings of ignored fields without checking their UTF-8, so a config with a
    // stray byte there is read; it is display-only.)
    if let Ok(config) = ImageConfig::parse(data) {
        let _ = (config.os, config.architecture, config.history.len());
        if let Some(container) = config.config {
            let _ = (
                container.labels,
                container.env,
                container.entrypoint,
                container.cmd,
            );
        }
    }
    for content_type in [media::OCI_INDEX, media::DOCKER_MANIFEST_LIST] {
        let Ok(index) = Manifest::parse(data.to_vec(), Some(content_type)) else {
            continue;
        };
        if index.view.media_type.is_none() {
            assert_eq!(index.kind(), ManifestKind::Index);
        }
        let labels: Vec<String> = index.platforms().iter().map(|p| p.label()).collect();
        assert!(labels.len() <= index.view.manifests.len());
        let _ = index.referenced_size();
    }
});
