//! One repository, `app`, with one image tagged `1.0` and `latest` (and its config
//! blob): the setting of the fault and recovery tests.

use super::memory_registry::{sha256, MemoryRegistry};
use tagdeck::oci::media;
use tagdeck::oci::names::{Digest, Repository, Tag};

pub const IMAGE: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":2},"layers":[]}"#;

pub fn repo() -> Repository {
    Repository::parse("app").unwrap()
}

pub fn tag(name: &str) -> Tag {
    Tag::parse(name).unwrap()
}

/// The digest of [`IMAGE`].
pub fn image() -> Digest {
    Digest::parse(&sha256(IMAGE)).unwrap()
}

/// `app` with the image tagged 1.0 and latest; distribution 2.8 semantics.
pub fn setup() -> MemoryRegistry {
    let memory = MemoryRegistry::new();
    memory.push("app", "1.0", media::OCI_MANIFEST, IMAGE);
    memory.push("app", "latest", media::OCI_MANIFEST, IMAGE);
    memory.add_blob("app", &format!("sha256:{}", "c".repeat(64)));
    memory
}
