//! Media types, and the Accept header every manifest request must send.

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// Without the list types distribution serves one platform's child instead of the
/// index; without the OCI types it answers 404 for OCI manifests. So: all four.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The first-pass Accept values for resolving a tag's digest cheaply across origins
/// (see `client::first_pass_verdict` for when their answers are trusted). Each lists
/// the Docker manifest list type, so no registry answer to them is a list converted
/// to one platform's manifest, and one more type. Each is CORS-safelisted (at most
/// 128 bytes, no forbidden byte), so a HEAD sending it needs no preflight.
pub const FIRST_PASS_DOCKER: &str = "application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";
pub const FIRST_PASS_OCI_MANIFEST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json";
pub const FIRST_PASS_OCI_INDEX: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.index.v1+json";

/// Which first-pass Accept to send: the Docker manifest list type plus this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FirstPassAccept {
    /// Docker list + Docker image manifest v2 (111 bytes).
    DockerManifest,
    /// Docker list + OCI image manifest (101 bytes).
    OciManifest,
    /// Docker list + OCI image index (98 bytes).
    OciIndex,
}

impl FirstPassAccept {
    pub const ALL: [FirstPassAccept; 3] = [
        FirstPassAccept::DockerManifest,
        FirstPassAccept::OciManifest,
        FirstPassAccept::OciIndex,
    ];

    /// The media types the header lists, in its order.
    pub fn types(self) -> [&'static str; 2] {
        [DOCKER_MANIFEST_LIST, self.second_type()]
    }

    /// The type listed besides the Docker manifest list.
    pub fn second_type(self) -> &'static str {
        match self {
            FirstPassAccept::DockerManifest => DOCKER_MANIFEST,
            FirstPassAccept::OciManifest => OCI_MANIFEST,
            FirstPassAccept::OciIndex => OCI_INDEX,
        }
    }

    /// The `Accept` header value: `types()` joined by ", ".
    pub fn header(self) -> &'static str {
        match self {
            FirstPassAccept::DockerManifest => FIRST_PASS_DOCKER,
            FirstPassAccept::OciManifest => FIRST_PASS_OCI_MANIFEST,
            FirstPassAccept::OciIndex => FIRST_PASS_OCI_INDEX,
        }
    }
}

/// Whether a request may send `value` as `Accept` and stay a CORS "simple" request
/// (no preflight): the Fetch standard safelists `Accept` when the value is at most
/// 128 bytes and holds no CORS-unsafe request-header byte (controls other than tab,
/// `"():<>?@[\]{}` and DEL).
pub fn is_cors_safelisted_accept(value: &str) -> bool {
    value.len() <= 128
        && !value.bytes().any(|b| {
            (b < 0x20 && b != b'\t')
                || b == 0x7f
                || matches!(
                    b,
                    b'"' | b'('
                        | b')'
                        | b':'
                        | b'<'
                        | b'>'
                        | b'?'
                        | b'@'
                        | b'['
                        | b'\\'
                        | b']'
                        | b'{'
                        | b'}'
                )
        })
}

/// Registries need only accept manifests up to 4 MiB; larger ones are refused.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Image configurations are a few KiB; a bigger "config" is refused unread.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// Blobs passed through the browser when a registry will not mount them (a copy):
/// larger layers are refused with advice instead of held in the page's memory.
pub const MAX_BROWSER_COPY_BYTES: usize = 64 * 1024 * 1024;

/// Whether a Content-Type names a manifest of a kind the console reads (schema 1
/// included): what the manifest endpoint answers for a manifest, never for a blob.
pub fn is_manifest_type(media_type: &str) -> bool {
    let media_type = essence(media_type);
    is_index(&media_type)
        || is_image_manifest(&media_type)
        || media_type == DOCKER_SCHEMA1_SIGNED
        || media_type == "application/vnd.docker.distribution.manifest.v1+json"
}

pub fn is_index(media_type: &str) -> bool {
    matches!(media_type, OCI_INDEX | DOCKER_MANIFEST_LIST)
}

pub fn is_image_manifest(media_type: &str) -> bool {
    matches!(media_type, OCI_MANIFEST | DOCKER_MANIFEST)
}

pub fn is_image_config(media_type: &str) -> bool {
    matches!(media_type, OCI_CONFIG | DOCKER_CONFIG)
}

/// A human name for a media type, falling back to the type itself.
pub fn describe(media_type: &str) -> &str {
    match media_type {
        OCI_INDEX => "OCI image index",
        OCI_MANIFEST => "OCI image manifest",
        DOCKER_MANIFEST_LIST => "Docker manifest list",
        DOCKER_MANIFEST => "Docker image manifest v2",
        DOCKER_SCHEMA1_SIGNED => "Docker schema 1 manifest (deprecated)",
        OCI_CONFIG => "OCI image config",
        DOCKER_CONFIG => "Docker image config",
        OCI_EMPTY => "empty descriptor",
        "application/vnd.docker.image.rootfs.diff.tar.gzip" => "Docker layer (tar+gzip)",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => "Docker foreign layer",
        "application/vnd.oci.image.layer.v1.tar+gzip" => "OCI layer (tar+gzip)",
        "application/vnd.oci.image.layer.v1.tar+zstd" => "OCI layer (tar+zstd)",
        "application/vnd.oci.image.layer.v1.tar" => "OCI layer (tar)",
        other => other,
    }
}

/// The media type without parameters (`; charset=...`), lower-cased.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
