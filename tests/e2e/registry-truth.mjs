// Independent checks of registry state for the end-to-end tests: skopeo, and plain
// HTTP requests from Node. Neither shares code with the console.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** sha256 of the raw manifest skopeo fetches for `repo:tag` or `repo@digest`. */
export function skopeoDigest(registryUrl, reference) {
  const host = new URL(registryUrl).host;
  const raw = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${host}/${reference}`]);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The digest a tag points at per the registry, or null when it does not exist. */
export async function tagDigest(registryUrl, repo, tag) {
  const response = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HEAD ${repo}:${tag}: ${response.status}`);
  return response.headers.get('docker-content-digest');
}

/** Points `tag` at the manifest `fromTag` has, behind the console's back. */
export async function retagBehindTheBack(registryUrl, repo, fromTag, tag) {
  const source = await fetch(`${registryUrl}/v2/${repo}/manifests/${fromTag}`, { headers: { Accept: ACCEPT } });
  const bytes = Buffer.from(await source.arrayBuffer());
  const put = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT', body: bytes, headers: { 'Content-Type': source.headers.get('content-type') },
  });
  if (put.status !== 201) throw new Error(`PUT ${repo}:${tag}: ${put.status}`);
}
