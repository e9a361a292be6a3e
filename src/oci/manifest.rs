//! Manifests and indexes: the raw bytes (the only thing ever sent back), their
//! content type and digest, and a parsed view for display. The view keeps unknown
//! fields, so nothing a registry sends is hidden or dropped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::media;
use super::names::{Digest, NameError};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default, rename = "os.version")]
    pub os_version: Option<String>,
    #[serde(default, rename = "os.features")]
    pub os_features: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Platform {
    /// `linux/arm64/v8`, as docker writes platforms.
    pub fn label(&self) -> String {
        let mut label = format!("{}/{}", self.os, self.architecture);
        if let Some(variant) = &self.variant {
            label.push('/');
            label.push_str(variant);
        }
        label
    }
}

/// What a manifest points at. The digest is validated as it is parsed: a manifest
/// with one that is not a sha256 or sha512 digest is malformed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: Option<String>,
    pub digest: Digest,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Descriptor {
    /// Whether it names an index (a multi-arch image listed by one: an index of
    /// indexes). Told by its media type, which the OCI spec requires in an index.
    pub fn is_index(&self) -> bool {
        self.media_type.as_deref().is_some_and(media::is_index)
    }
}

/// The fields of an image manifest or an index, whichever the document is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestView {
    pub schema_version: Option<i64>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// A single-platform image (or artifact) with a config and layers.
    Image,
    /// A multi-platform index / manifest list.
    Index,
    /// Anything else (schema 1, unknown types): shown raw, never rewritten.
    Other,
}

/// Why manifest bytes were refused (`crate::wording::manifest_error` says it; the
/// `Display` is a terse line for logs).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ManifestError {
    /// Not JSON of a manifest's shape; the JSON reader's message.
    #[error("malformed manifest: {0}")]
    Malformed(String),
    /// A descriptor's digest is no valid digest.
    #[error("malformed manifest: {} at line {} column {}", .0.error, .0.line, .0.column)]
    InvalidDigest(DigestRefusal),
    /// This many bytes, above `media::MAX_MANIFEST_BYTES`.
    #[error("manifest of {0} bytes > {max}", max = media::MAX_MANIFEST_BYTES)]
    TooLarge(usize),
    /// Read back from storage, the text hashes to `actual`, not to the `stored`
    /// digest it was kept under.
    #[error("stored manifest: digest {actual}, stored as {stored}")]
    StoredDigestMismatch { stored: Digest, actual: Digest },
}

/// A descriptor's digest the JSON reader refused, and where it stopped on it
/// (`line` and `column` as `serde_json` counts them; `line` 0: it gave none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestRefusal {
    pub error: NameError,
    pub line: usize,
    pub column: usize,
}

/// A manifest exactly as the registry sent it, with its digest and a parsed view.
/// Stored as its text, content type and digest; reading it back parses the text
/// again and refuses it unless the digest still matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredManifest", into = "StoredManifest")]
pub struct Manifest {
    /// The exact bytes: PUT these, never a re-serialisation (that changes the digest).
    pub bytes: Vec<u8>,
    /// The Content-Type to PUT them with (distribution treats a missing one as schema 1).
    pub content_type: String,
    pub digest: Digest,
    pub view: ManifestView,
}

impl Manifest {
    /// Parses `bytes`; `content_type` is the response's Content-Type, if any.
    pub fn parse(bytes: Vec<u8>, content_type: Option<&str>) -> Result<Self, ManifestError> {
        if bytes.len() > media::MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        let view: ManifestView = serde_json::from_slice(&bytes).map_err(|e| refusal(&bytes, &e))?;
        let content_type = content_type
            .map(str::trim)
            .filter(|ct| !ct.is_empty() && media::essence(ct) != "application/octet-stream")
            .map(str::to_owned)
            .or_else(|| view.media_type.clone())
            .unwrap_or_else(|| guess_media_type(&view).to_owned());
        Ok(Manifest {
            digest: Digest::sha256_of(&bytes),
            bytes,
            content_type,
            view,
        })
    }

    /// The digest to show for this manifest when it was opened by `reference`: a
    /// sha512 digest it was asked for and verified against, else its sha256 one. The
    /// changes keep the sha256 digest, which is what the registry reports for tags.
    pub fn digest_as_addressed(&self, reference: &str) -> Digest {
        match Digest::parse(reference) {
            Ok(asked) if asked.algorithm() != "sha256" && asked.verify(&self.bytes) => asked,
            _ => self.digest.clone(),
        }
    }

    /// The media type: the document's own `mediaType`, else the Content-Type.
    pub fn media_type(&self) -> String {
        self.view
            .media_type
            .clone()
            .unwrap_or_else(|| media::essence(&self.content_type))
    }

    pub fn kind(&self) -> ManifestKind {
        let media_type = self.media_type();
        if media::is_index(&media_type) {
            ManifestKind::Index
        } else if media::is_image_manifest(&media_type) {
            ManifestKind::Image
        } else if self.view.schema_version == Some(2) && !self.view.manifests.is_empty() {
            ManifestKind::Index
        } else if self.view.schema_version == Some(2) && self.view.config.is_some() {
            ManifestKind::Image
        } else {
            ManifestKind::Other
        }
    }

    /// Config plus layers, for an image; the children's manifests, for an index.
    /// Saturating: sizes come from the registry, and a hostile one may add up past
    /// u64::MAX.
    pub fn referenced_size(&self) -> u64 {
        self.view
            .config
            .iter()
            .chain(&self.view.layers)
            .chain(&self.view.manifests)
            .fold(0u64, |total, d| total.saturating_add(d.size))
    }

    /// The platforms of an index, in document order.
    pub fn platforms(&self) -> Vec<&Platform> {
        self.view
            .manifests
            .iter()
            .filter_map(|m| m.platform.as_ref())
            .collect()
    }

    /// The bytes re-indented for reading. Display only: never PUT these.
    pub fn pretty_json(&self) -> String {
        serde_json::from_slice::<Value>(&self.bytes)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| String::from_utf8_lossy(&self.bytes).into_owned())
    }
}

/// Why the JSON reader refused `bytes`: a descriptor's digest, typed, when that is
/// what it stopped on; else its message. The reader keeps only the message of a
/// digest it refused, so the digest is found again: the descriptor whose digest's
/// `NameError` is exactly what the reader said.
fn refusal(bytes: &[u8], error: &serde_json::Error) -> ManifestError {
    let said = error.to_string();
    let refused = (error.classify() == serde_json::error::Category::Data)
        .then(|| serde_json::from_slice::<Value>(bytes).ok())
        .flatten()
        .and_then(|document| {
            let single = ["config", "subject"]
                .into_iter()
                .filter_map(|key| document.get(key));
            let listed = ["layers", "manifests"]
                .into_iter()
                .filter_map(|key| document.get(key)?.as_array())
                .flatten();
            single
                .chain(listed)
                .filter_map(|descriptor| descriptor.get("digest")?.as_str())
                .filter_map(|digest| Digest::parse(digest).err())
                .map(|name| DigestRefusal {
                    error: name,
                    line: error.line(),
                    column: error.column(),
                })
                .find(|refusal| refusal.reader_message() == said)
        });
    match refused {
        Some(refusal) => ManifestError::InvalidDigest(refusal),
        None => ManifestError::Malformed(said),
    }
}

impl DigestRefusal {
    /// `text` placed as the JSON reader places its messages (`… at line 3 column 5`,
    /// nothing when it gave no position).
    pub fn placed(&self, text: String) -> String {
        if self.line == 0 {
            text
        } else {
            format!("{text} at line {} column {}", self.line, self.column)
        }
    }

    /// What the JSON reader said of it.
    fn reader_message(&self) -> String {
        self.placed(self.error.to_string())
    }
}

/// OCI allows manifests without `mediaType`; tell them apart by shape.
fn guess_media_type(view: &ManifestView) -> &'static str {
    if !view.manifests.is_empty() {
        media::OCI_INDEX
    } else {
        media::OCI_MANIFEST
    }
}

/// The image configuration blob (what `docker inspect` shows), for display.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct ImageConfig {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ImageConfig {
    /// `linux/arm64/v8`; none when the config names no OS or architecture (a cosign
    /// signature's config has both empty).
    pub fn platform(&self) -> Option<String> {
        let named = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        let (os, arch) = (named(&self.os)?, named(&self.architecture)?);
        Some(match named(&self.variant) {
            Some(variant) => format!("{os}/{arch}/{variant}"),
            None => format!("{os}/{arch}"),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[derive(Serialize, Deserialize)]
struct StoredManifest {
    text: String,
    content_type: String,
    digest: Digest,
}

impl From<Manifest> for StoredManifest {
    fn from(manifest: Manifest) -> Self {
        StoredManifest {
            // Manifests are JSON, hence UTF-8; anything else fails the digest check
            // when read back rather than coming back altered.
            text: String::from_utf8_lossy(&manifest.bytes).into_owned(),
            content_type: manifest.content_type,
            digest: manifest.digest,
        }
    }
}

impl TryFrom<StoredManifest> for Manifest {
    type Error = ManifestError;

    fn try_from(stored: StoredManifest) -> Result<Self, ManifestError> {
        let manifest = Manifest::parse(stored.text.into_bytes(), Some(&stored.content_type))?;
        if manifest.digest != stored.digest {
            return Err(ManifestError::StoredDigestMismatch {
                stored: stored.digest,
                actual: manifest.digest,
            });
        }
        Ok(manifest)
    }
}
