// Images, cosign-style signatures and OCI 1.1 artifacts pushed straight to the
// registry for the referrers and find-a-digest specs. distribution 2.8 has no
// referrers API, so an artifact with a `subject` is also listed in the fallback tag
// `sha256-<hex>` as an OCI index, as clients (oras, notation, syft) do.
import { RegistryWriter, MEDIA, sha256 } from '../../scripts/lib/fixtures.mjs';

export { sha256 };

const json = (value) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
const EMPTY = Buffer.from('{}');
export const SPDX = 'application/spdx+json';
export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';

export const writerFor = (registryUrl) => new RegistryWriter(registryUrl);

/** A small single-platform OCI image under `tag` (or by digest when tag is null). */
export async function pushImage(writer, repo, tag, salt, platform = { os: 'linux', architecture: 'amd64' }) {
  const config = json({ ...platform, created: '2026-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { salt } } });
  const layer = Buffer.from(`layer of ${salt}`);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: await writer.pushBlob(repo, config), size: config.length },
    layers: [{ mediaType: MEDIA.ociLayer, digest: await writer.pushBlob(repo, layer), size: layer.length }],
  });
  const digest = await writer.pushManifest(repo, tag ?? sha256(manifest), manifest, MEDIA.ociManifest);
  return { digest, size: manifest.length, mediaType: MEDIA.ociManifest, platform };
}

/** An OCI index of `children` (pushed images) under `tag`. */
export async function pushIndex(writer, repo, tag, children) {
  const index = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.digest, size: c.size, platform: c.platform })),
  });
  const digest = await writer.pushManifest(repo, tag, index, MEDIA.ociIndex);
  return { digest, size: index.length };
}

const tagFor = (digest, suffix = '') => `sha256-${digest.replace('sha256:', '')}${suffix}`;

/** A cosign-style signature of `subject`, under `sha256-<hex>.sig`. */
export async function pushCosignSignature(writer, repo, subject) {
  const payload = json({ critical: { image: { 'docker-manifest-digest': subject.digest }, type: 'cosign container image signature' } });
  const config = json({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] }, config: {} });
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: await writer.pushBlob(repo, config), size: config.length },
    layers: [{
      mediaType: COSIGN_SIMPLESIGNING,
      digest: await writer.pushBlob(repo, payload),
      size: payload.length,
      annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQDfake' },
    }],
  });
  const tag = tagFor(subject.digest, '.sig');
  const digest = await writer.pushManifest(repo, tag, manifest, MEDIA.ociManifest);
  return { digest, size: manifest.length, tag };
}

/**
 * An OCI 1.1 SBOM artifact (`subject` = the image), pushed by digest and listed in the
 * fallback tag's index.
 */
export async function pushSbom(writer, repo, subject, name = `sbom of ${subject.digest}`) {
  const sbom = json({ spdxVersion: 'SPDX-2.3', name });
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    artifactType: SPDX,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await writer.pushBlob(repo, EMPTY), size: EMPTY.length },
    layers: [{ mediaType: SPDX, digest: await writer.pushBlob(repo, sbom), size: sbom.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  });
  const digest = await writer.pushManifest(repo, sha256(manifest), manifest, MEDIA.ociManifest);
  const fallback = json({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [{ mediaType: MEDIA.ociManifest, digest, size: manifest.length, artifactType: SPDX }],
  });
  const fallbackTag = tagFor(subject.digest);
  const fallbackDigest = await writer.pushManifest(repo, fallbackTag, fallback, MEDIA.ociIndex);
  return { digest, size: manifest.length, fallbackTag, fallbackDigest };
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** The HTTP status of HEAD on a manifest, asked of the registry directly. */
export async function manifestStatus(registryUrl, repo, reference) {
  const response = await fetch(`${registryUrl}/v2/${repo}/manifests/${reference}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  return response.status;
}
