//! What a tag table row needs to describe a digest: its manifest, and the image
//! configuration that tells its platform and creation date. An index has none of its
//! own, so its first real platform's is read (by digest only), best effort.

use super::client::Registry;
use super::error::RegistryError;
use super::http::HttpClient;
use super::manifest::{ImageConfig, Manifest, ManifestKind};
use super::names::{Digest, Repository};

/// A digest's manifest and the configuration that describes it (`None` when there is
/// none: an artifact, an unknown type, an index whose platform could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummarySource {
    pub manifest: Manifest,
    pub config: Option<ImageConfig>,
}

/// The digest of an index's first real platform (buildx attestations say "unknown").
pub fn first_platform(index: &Manifest) -> Option<&str> {
    index
        .view
        .manifests
        .iter()
        .find(|child| child.platform.as_ref().is_some_and(|p| p.os != "unknown"))
        .map(|child| child.digest.as_str())
}

impl<C: HttpClient> Registry<C> {
    /// Reads what describes `digest` in `repository`; `known` is its manifest when the
    /// caller already has it (then it is not fetched again).
    pub async fn summary_source(
        &self,
        repository: &Repository,
        digest: &Digest,
        known: Option<Manifest>,
    ) -> Result<SummarySource, RegistryError> {
        let manifest = match known {
            Some(manifest) => manifest,
            None => self.manifest_get(repository, digest).await?,
        };
        let config = match manifest.kind() {
            // An index has no config: its first platform's tells when it was built.
            // Best effort: without it the row just has no date.
            ManifestKind::Index => match first_platform(&manifest) {
                // By digest only (the bytes are then checked against it), never a tag.
                Some(child) => match async {
                    let child = Digest::parse(child).ok()?;
                    self.manifest_get(repository, &child).await.ok()
                }
                .await
                {
                    Some(child) => self
                        .image_config_of(repository, &child)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                },
                None => None,
            },
            _ => self.image_config_of(repository, &manifest).await?,
        };
        Ok(SummarySource { manifest, config })
    }
}
