//! What a digest is, as a tag table row describes it (kind, platforms, size, creation
//! date), from its manifest and the image configuration that tells its platform and
//! date. An index has none of its own, so its first real platform's is read (by digest
//! only), best effort.

use super::bounds::{bounded, MAX_CREATED_CHARS};
use super::client::Registry;
use super::error::RegistryError;
use super::http::HttpClient;
use super::manifest::{Descriptor, ImageConfig, Manifest, ManifestKind};
use super::names::{Digest, Repository};

/// A digest's manifest and the configuration that describes it (`None` when there is
/// none: an artifact, an unknown type, an index whose platform could not be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummarySource {
    pub manifest: Manifest,
    pub config: Option<ImageConfig>,
    /// Why `config` is missing when the registry's storage, not the registry, could
    /// not give it ([`RegistryError::StorageUnreadable`]): the rest is still read.
    pub config_unreadable: Option<RegistryError>,
}

/// A configuration read with the storage's refusal set apart: that is told beside
/// what the manifest says, not failed on; any other failure stays one.
fn storage_apart(
    read: Result<Option<ImageConfig>, RegistryError>,
) -> Result<(Option<ImageConfig>, Option<RegistryError>), RegistryError> {
    match read {
        Err(storage @ RegistryError::StorageUnreadable { .. }) => Ok((None, Some(storage))),
        other => other.map(|config| (config, None)),
    }
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
        let (config, config_unreadable) = match manifest.kind() {
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
                    Some(child) => storage_apart(
                        self.image_config_unless_storage_unreadable(repository, &child)
                            .await,
                    )
                    .unwrap_or_default(),
                    None => (None, None),
                },
                None => (None, None),
            },
            _ => storage_apart(
                self.image_config_unless_storage_unreadable(repository, &manifest)
                    .await,
            )?,
        };
        Ok(SummarySource {
            manifest,
            config,
            config_unreadable,
        })
    }

    /// What `digest` is, read from the registry ([`Registry::summary_source`]) and
    /// [`summarize`]d.
    pub async fn image_summary(
        &self,
        repository: &Repository,
        digest: &Digest,
        known: Option<Manifest>,
    ) -> Result<ImageSummary, RegistryError> {
        let source = self.summary_source(repository, digest, known).await?;
        Ok(ImageSummary {
            config_unreadable: source.config_unreadable.clone(),
            ..summarize(&source.manifest, source.config.as_ref())
        })
    }
}

/// What an index entry is: its platform ("linux/arm64/v8"), else its artifact type.
/// buildx writes its attestations (provenance, SBOM) as platform unknown/unknown,
/// annotated with the platform manifest they describe: they are named as such.
pub fn entry_label(entry: &Descriptor) -> String {
    let annotation = |key: &str| entry.annotations.get(key).map(String::as_str);
    if annotation("vnd.docker.reference.type") == Some("attestation-manifest") {
        return match annotation("vnd.docker.reference.digest").map(Digest::parse) {
            Some(Ok(of)) => format!("attestation for {}:{}", of.algorithm(), of.short(12)),
            _ => "attestation".to_owned(),
        };
    }
    match (&entry.platform, &entry.artifact_type) {
        (Some(platform), _) => platform.label(),
        (None, Some(artifact)) => format!("artifact: {artifact}"),
        (None, None) => "no platform".into(),
    }
}

/// How `index` lists `child` ([`entry_label`]); `None` when it does not list it, or
/// is no index at all.
pub fn listed_as(index: &Manifest, child: &Digest) -> Option<String> {
    if index.kind() != ManifestKind::Index {
        return None;
    }
    index
        .view
        .manifests
        .iter()
        .find(|entry| entry.digest == *child)
        .map(entry_label)
}

/// One platform of a multi-arch image, as the image page's platform table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformFacts {
    /// Config plus layers, from the platform's own manifest.
    pub size: u64,
    /// When it was built, from its config; a config that cannot be read must not hide
    /// the size that could (`Ok(None)`: the manifest names no image configuration).
    pub created: Result<Option<String>, RegistryError>,
}

impl<C: HttpClient> Registry<C> {
    /// The facts of each manifest an index lists, as each is read, a few at a time
    /// (an index may list many), in no particular order. Each is read by digest only,
    /// so its bytes are checked against the index.
    pub fn platform_facts<'a>(
        &'a self,
        repository: &'a Repository,
        children: Vec<Digest>,
    ) -> impl futures_util::Stream<Item = (Digest, Result<PlatformFacts, RegistryError>)> + 'a {
        use futures_util::stream::{self, StreamExt};
        stream::iter(children)
            .map(move |digest| async move {
                let facts = match self.manifest_get(repository, &digest).await {
                    Ok(child) => Ok(PlatformFacts {
                        size: child.referenced_size(),
                        created: self
                            .image_config_of(repository, &child)
                            .await
                            .map(|config| config.and_then(|c| bounded_created(c.created.as_ref()))),
                    }),
                    Err(error) => Err(error),
                };
                (digest, facts)
            })
            .buffer_unordered(super::changes::CONCURRENT_LOOKUPS)
    }
}

/// What a digest turned out to be, once its manifest (and config) were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageKind {
    Image {
        platform: Option<String>,
    },
    MultiArch {
        platforms: Vec<String>,
    },
    /// An index none of whose manifests names a platform: not something to run.
    /// `artifacts`: every one of them has an artifact type (signatures, SBOMs).
    Index {
        manifests: usize,
        artifacts: bool,
    },
    /// Anything else: an artifact, schema 1, an unknown type.
    Other {
        media_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    pub kind: ImageKind,
    /// Config plus layers (image) or the children's manifests (index), in bytes.
    pub size: Option<u64>,
    /// RFC 3339 creation time from the config or the `created` annotation.
    pub created: Option<String>,
    /// The configuration (platform, creation time) is in the registry's storage,
    /// which could not be read from here: why those are missing.
    pub config_unreadable: Option<RegistryError>,
}

/// A summary is kept for every digest of a repository the tab has opened, so what it
/// holds of the registry's text is bounded: a creation time longer than any RFC 3339
/// one is no date ([`MAX_CREATED_CHARS`]), and a platform or media type is cut, as are
/// a multi-arch image's platforms (real ones list a few dozen).
pub const MAX_LABEL_CHARS: usize = 128;
const MAX_PLATFORMS: usize = 256;

/// A creation time as kept: none when it cannot be one.
fn bounded_created(created: Option<&String>) -> Option<String> {
    created.filter(|c| c.len() <= MAX_CREATED_CHARS).cloned()
}

/// What a tag table row shows about an image, from its manifest and a config: the
/// image's own, or for a multi-arch image its first platform's (an index has no date
/// of its own unless annotated).
pub fn summarize(manifest: &Manifest, config: Option<&ImageConfig>) -> ImageSummary {
    let annotated_created = bounded_created(
        manifest
            .view
            .annotations
            .get("org.opencontainers.image.created"),
    );
    let config_created = || config.and_then(|c| bounded_created(c.created.as_ref()));
    match manifest.kind() {
        ManifestKind::Image => ImageSummary {
            kind: ImageKind::Image {
                platform: config
                    .and_then(ImageConfig::platform)
                    .map(|p| bounded(&p, MAX_LABEL_CHARS)),
            },
            size: Some(manifest.referenced_size()),
            created: config_created().or(annotated_created),
            config_unreadable: None,
        },
        ManifestKind::Index => ImageSummary {
            kind: index_kind(manifest),
            size: None,
            created: annotated_created.or_else(config_created),
            config_unreadable: None,
        },
        ManifestKind::Other => ImageSummary {
            kind: ImageKind::Other {
                media_type: bounded(&manifest.media_type(), MAX_LABEL_CHARS),
            },
            // Schema 1 gives no sizes: none known is no "0 B".
            size: sized_parts(manifest).then(|| manifest.referenced_size()),
            created: annotated_created,
            config_unreadable: None,
        },
    }
}

/// Whether the manifest references anything with a size (config, layers, manifests).
fn sized_parts(manifest: &Manifest) -> bool {
    let view = &manifest.view;
    view.config.is_some() || !view.layers.is_empty() || !view.manifests.is_empty()
}

/// A multi-arch image, or an index whose manifests name no platform (the OCI 1.1
/// fallback tag that lists an image's referrers, say). The tag row and the image page
/// both ask this.
pub fn index_kind(manifest: &Manifest) -> ImageKind {
    let platforms: Vec<String> = manifest
        .platforms()
        .into_iter()
        // Attestation manifests (buildx) carry platform unknown/unknown.
        .filter(|p| p.os != "unknown" && !p.os.is_empty())
        .take(MAX_PLATFORMS)
        .map(|p| bounded(&p.label(), MAX_LABEL_CHARS))
        .collect();
    if platforms.is_empty() {
        let entries = &manifest.view.manifests;
        ImageKind::Index {
            manifests: entries.len(),
            artifacts: !entries.is_empty() && entries.iter().all(|m| m.artifact_type.is_some()),
        }
    } else {
        ImageKind::MultiArch { platforms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_images_and_indexes() {
        let image = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":10},"layers":[{"digest":"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd","size":90}]}"#.to_vec(),
            None,
        )
        .unwrap();
        let config = ImageConfig::parse(br#"{"os":"linux","architecture":"arm64","variant":"v8","created":"2026-01-01T00:00:00Z"}"#).unwrap();
        let summary = summarize(&image, Some(&config));
        assert_eq!(
            summary.kind,
            ImageKind::Image {
                platform: Some("linux/arm64/v8".into())
            }
        );
        assert_eq!(summary.size, Some(100));
        assert_eq!(summary.created.as_deref(), Some("2026-01-01T00:00:00Z"));

        let index = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","annotations":{"org.opencontainers.image.created":"2026-02-02T00:00:00Z"},"manifests":[
                {"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{"os":"linux","architecture":"amd64"}},
                {"digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]}"#.to_vec(),
            None,
        )
        .unwrap();
        let summary = summarize(&index, None);
        assert_eq!(
            summary.kind,
            ImageKind::MultiArch {
                platforms: vec!["linux/amd64".into()]
            }
        );
        assert_eq!(summary.created.as_deref(), Some("2026-02-02T00:00:00Z"));
        assert_eq!(summary.size, None);
        // The annotation wins over the first platform's config; without it, the
        // config dates the index.
        assert_eq!(
            summarize(&index, Some(&config)).created.as_deref(),
            Some("2026-02-02T00:00:00Z")
        );
        let mut plain = index.clone();
        plain.view.annotations.clear();
        assert_eq!(
            summarize(&plain, Some(&config)).created.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }

    /// A summary is kept for every digest of every repository opened: a registry's
    /// megabytes of "date" or "platform" must not be.
    #[test]
    fn keeps_a_bounded_share_of_what_the_registry_wrote() {
        let huge = "x".repeat(1 << 20);
        let image = Manifest::parse(
            format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{{"org.opencontainers.image.created":"{huge}"}},"config":{{"digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":10}},"layers":[]}}"#).into_bytes(),
            None,
        )
        .unwrap();
        let config = ImageConfig::parse(
            format!(r#"{{"os":"linux","architecture":"{huge}","created":"{huge}"}}"#).as_bytes(),
        )
        .unwrap();
        let summary = summarize(&image, Some(&config));
        assert_eq!(summary.created, None, "no date is a megabyte long");
        let ImageKind::Image {
            platform: Some(platform),
        } = summary.kind
        else {
            panic!("{:?}", summary.kind);
        };
        assert_eq!(platform.chars().count(), MAX_LABEL_CHARS, "cut, with …");
        assert!(platform.starts_with("linux/xxx") && platform.ends_with('…'));

        let entry = format!(
            r#"{{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{{"os":"linux","architecture":"{}"}}}}"#,
            "y".repeat(4096)
        );
        let entries = vec![entry; MAX_PLATFORMS + 10].join(",");
        let index = Manifest::parse(
            format!(r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{entries}]}}"#).into_bytes(),
            None,
        )
        .unwrap();
        let ImageKind::MultiArch { platforms } = summarize(&index, None).kind else {
            panic!("a multi-arch image");
        };
        assert_eq!(platforms.len(), MAX_PLATFORMS);
        assert!(platforms
            .iter()
            .all(|p| p.chars().count() <= MAX_LABEL_CHARS));
    }

    #[test]
    fn an_index_says_how_it_lists_a_manifest() {
        let index = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
                {"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
                {"digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":1,"artifactType":"application/spdx+json"},
                {"digest":"sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd","size":1}]}"#.to_vec(),
            None,
        )
        .unwrap();
        let digest =
            |c: char| Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap();
        assert_eq!(
            listed_as(&index, &digest('a')).as_deref(),
            Some("linux/arm64/v8")
        );
        assert_eq!(
            listed_as(&index, &digest('b')).as_deref(),
            Some("artifact: application/spdx+json")
        );
        assert_eq!(
            listed_as(&index, &digest('d')).as_deref(),
            Some("no platform")
        );
        assert_eq!(listed_as(&index, &digest('e')), None);
        // An image is no index, whatever it references.
        let image = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":10},"layers":[]}"#.to_vec(),
            None,
        )
        .unwrap();
        assert_eq!(listed_as(&image, &digest('a')), None);

        // A buildx attestation says what it is, and for which platform's manifest.
        let mut attestation = index.view.manifests[0].clone();
        attestation.platform = attestation.platform.map(|mut p| {
            (p.os, p.architecture, p.variant) = ("unknown".into(), "unknown".into(), None);
            p
        });
        attestation.annotations.extend([
            (
                "vnd.docker.reference.type".to_owned(),
                "attestation-manifest".to_owned(),
            ),
            (
                "vnd.docker.reference.digest".to_owned(),
                format!("sha256:{}", "f".repeat(64)),
            ),
        ]);
        assert_eq!(
            entry_label(&attestation),
            "attestation for sha256:ffffffffffff"
        );
        // What the registry wrote is checked before it is shown.
        attestation
            .annotations
            .insert("vnd.docker.reference.digest".into(), "<b>x</b>".into());
        assert_eq!(entry_label(&attestation), "attestation");
    }

    #[test]
    fn a_signature_and_a_referrers_index_name_no_platform() {
        let image = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","size":10},"layers":[]}"#.to_vec(),
            None,
        )
        .unwrap();
        // cosign's signature config: the platform fields are there, and empty.
        let signature = ImageConfig::parse(br#"{"architecture":"","os":"","config":{}}"#).unwrap();
        assert_eq!(signature.platform(), None);
        assert_eq!(
            summarize(&image, Some(&signature)).kind,
            ImageKind::Image { platform: None }
        );

        // The OCI 1.1 fallback tag: an index of artifacts, none with a platform.
        let referrers = Manifest::parse(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
                {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","size":1,"artifactType":"application/spdx+json"},
                {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","size":1,"artifactType":"application/vnd.dev.cosign.artifact.sig.v1+json"}]}"#.to_vec(),
            None,
        )
        .unwrap();
        assert_eq!(
            summarize(&referrers, None).kind,
            ImageKind::Index {
                manifests: 2,
                artifacts: true
            }
        );
        let mut untyped = referrers.clone();
        untyped.view.manifests[1].artifact_type = None;
        assert_eq!(
            summarize(&untyped, None).kind,
            ImageKind::Index {
                manifests: 2,
                artifacts: false
            }
        );
    }
}
