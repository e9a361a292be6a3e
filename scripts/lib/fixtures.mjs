// Fixture generator: builds synthetic images and pushes them through the registry
// API (there is no Docker engine here). It computes every digest itself and returns
// a report of what it pushed, so tests compare the console against this truth.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

export const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// Many tools write manifests pretty-printed with tabs and a final newline; a console
// that re-serialises them would change the digest, which is what the tests catch.
const pretty = (value) => Buffer.from(`${JSON.stringify(value, null, '\t')}\n`);

/** A minimal tar archive holding one file, so layers are real tar+gzip. */
function tarOneFile(name, content) {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\x0000', 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(body);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

/** The parameters of a `WWW-Authenticate: Bearer k="v",...` challenge; null for other schemes. */
export function parseBearerChallenge(header) {
  const match = /^\s*Bearer\s+(.*)$/i.exec(header ?? '');
  if (!match) return null;
  const params = {};
  for (const [, key, quoted, bare] of match[1].matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare;
  }
  return params;
}

// The scope a request needs, guessed from its method and path so a cached token is
// sent up front instead of after a 401 on every request.
function scopeFor(method, url) {
  const { pathname } = new URL(url);
  if (pathname === '/v2/_catalog') return 'registry:catalog:*';
  const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(pathname)?.[1];
  if (!repo) return null;
  const actions = { GET: 'pull', HEAD: 'pull', DELETE: 'delete' }[method] ?? 'pull,push';
  return `repository:${repo}:${actions}`;
}

export class RegistryWriter {
  /**
   * credentials: { user, password } sent as Basic to a registry with htpasswd auth, or
   * to the token service a registry with token auth names in its Bearer challenge.
   * realm: a token service URL to use instead of the challenge's realm (for a realm
   * reached through a proxy this process cannot or should not go through).
   */
  constructor(baseUrl, { credentials = null, realm = null } = {}) {
    this.base = baseUrl.replace(/\/$/, '');
    this.credentials = credentials;
    this.realm = realm;
    this.basic = credentials
      ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`
      : null;
    this.tokens = new Map(); // scope → { token, expires } (ms)
    this.tokenAuth = false; // once the registry asked for a token, Basic goes to the realm only
  }

  cachedToken(scope) {
    const entry = scope && this.tokens.get(scope);
    if (!entry || entry.expires <= Date.now()) return null;
    return entry.token;
  }

  /** Fetches a token for the challenge's scope from its realm (or `this.realm`). */
  async fetchToken(challenge) {
    const realm = new URL(this.realm ?? challenge.realm);
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    for (const scope of (challenge.scope ?? '').split(' ').filter(Boolean)) realm.searchParams.append('scope', scope);
    const response = await fetch(realm, { headers: this.basic ? { Authorization: this.basic } : {} });
    if (!response.ok) throw new Error(`token from ${realm}: HTTP ${response.status} ${await response.text()}`);
    const body = await response.json();
    const token = body.token ?? body.access_token;
    // Renewed a little early: a token must not expire between the cache and the registry.
    const lifetime = Math.max((body.expires_in ?? 60) - 5, 0) * 1000;
    this.tokens.set(challenge.scope ?? '', { token, expires: Date.now() + lifetime });
    return token;
  }

  async request(method, url, { headers = {}, body } = {}) {
    const target = new URL(url, this.base).href;
    const send = (authorization) => fetch(target, {
      method, body, redirect: 'manual',
      headers: { ...(authorization ? { Authorization: authorization } : {}), ...headers },
    });
    const guessed = scopeFor(method, target);
    const cached = this.cachedToken(guessed)
      ?? (guessed?.endsWith(':pull') ? this.cachedToken(`${guessed},push`) : null);
    const response = await send(cached ? `Bearer ${cached}` : (this.tokenAuth ? null : this.basic));
    const challenge = response.status === 401 ? parseBearerChallenge(response.headers.get('www-authenticate')) : null;
    if (!challenge) return response;
    await response.arrayBuffer(); // let the connection be reused
    this.tokenAuth = true;
    const token = await this.fetchToken(challenge);
    if (guessed && guessed !== challenge.scope) this.tokens.set(guessed, this.tokens.get(challenge.scope ?? ''));
    return send(`Bearer ${token}`);
  }

  async expect(response, okStatuses, what) {
    if (!okStatuses.includes(response.status)) {
      throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
    }
    return response;
  }

  /** Monolithic upload: POST to open a session, PUT the bytes to its Location. */
  async pushBlob(repo, bytes) {
    const digest = sha256(bytes);
    const head = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    if (head.status === 200) return digest;
    const start = await this.expect(
      await this.request('POST', `/v2/${repo}/blobs/uploads/`), [202], `open upload in ${repo}`);
    const location = new URL(start.headers.get('location'), this.base);
    location.searchParams.set('digest', digest);
    await this.expect(await this.request('PUT', location.href, {
      headers: { 'Content-Type': 'application/octet-stream' }, body: bytes,
    }), [201], `upload ${digest} to ${repo}`);
    return digest;
  }

  /** PUTs manifest bytes as they are and checks the registry agrees on the digest. */
  async pushManifest(repo, reference, bytes, mediaType) {
    const digest = sha256(bytes);
    const response = await this.expect(await this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      headers: { 'Content-Type': mediaType }, body: bytes,
    }), [201], `put manifest ${repo}:${reference}`);
    const reported = response.headers.get('docker-content-digest');
    if (reported !== digest) {
      throw new Error(`registry reports ${reported} for ${repo}:${reference}, computed ${digest}`);
    }
    return digest;
  }
}

/** One single-platform image (config + layers + manifest); returns its descriptor parts. */
export async function pushImage(writer, repo, { format, reference, platform, created, labels, layers }) {
  const oci = format === 'oci';
  const layerBlobs = layers.map((text, i) => gzipSync(tarOneFile(`layer${i}.txt`, Buffer.from(text)), { mtime: 0 }));
  const diffIds = layers.map((text, i) => sha256(tarOneFile(`layer${i}.txt`, Buffer.from(text))));
  const config = {
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    created,
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `IMAGE_REPO=${repo}`],
      Entrypoint: ['/bin/app'],
      Cmd: ['--serve'],
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((text, i) => ({
      created,
      created_by: `/bin/sh -c #(nop) ADD file:layer${i}.txt in /`,
      comment: i === 0 ? 'synthetic fixture layer' : undefined,
    })),
  };
  const configBytes = pretty(config);
  const configDigest = await writer.pushBlob(repo, configBytes);
  const layerDescriptors = [];
  for (const blob of layerBlobs) {
    layerDescriptors.push({
      mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer,
      digest: await writer.pushBlob(repo, blob),
      size: blob.length,
    });
  }
  const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: layerDescriptors,
    ...(oci ? { annotations: { 'org.opencontainers.image.created': created } } : {}),
  };
  const bytes = pretty(manifest);
  const digest = await writer.pushManifest(repo, reference ?? sha256(bytes), bytes, mediaType);
  return {
    digest,
    mediaType,
    size: bytes.length,
    platform,
    configDigest,
    layers: layerDescriptors,
    totalSize: configBytes.length + layerDescriptors.reduce((n, l) => n + l.size, 0),
    created,
    labels,
  };
}

/**
 * A multi-arch image: children pushed by digest, then the index/list under `tag`. The
 * first platform is built at `created`, each next one `minutesApart` later (as a
 * build farm does), so a view that shows one platform's date for all can be told.
 */
export async function pushMultiArch(writer, repo, { format, tag, created, platforms, labels, minutesApart = 0 }) {
  const children = [];
  for (const [i, platform] of platforms.entries()) {
    const built = new Date(Date.parse(created) + i * minutesApart * 60_000).toISOString().replace('.000Z', 'Z');
    children.push(await pushImage(writer, repo, {
      format, platform, created: built, labels,
      layers: [`${repo} ${platform.os}/${platform.architecture} base`, `${repo} app for ${platform.architecture}`],
    }));
  }
  const mediaType = format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerList;
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({
      mediaType: c.mediaType, digest: c.digest, size: c.size, platform: c.platform,
    })),
  };
  const bytes = pretty(index);
  const digest = await writer.pushManifest(repo, tag, bytes, mediaType);
  return {
    digest,
    mediaType,
    size: bytes.length,
    created,
    platforms: children.map((c) => ({ ...c.platform, digest: c.digest, size: c.size, created: c.created })),
  };
}

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

/**
 * Pushes the demo set. `scaleTags` is how many tags `scale/many-tags` gets (0 skips it);
 * `credentials` and `realm` are the RegistryWriter's.
 * Returns { registry, repositories: { [name]: { [tag]: image } } }, where image holds
 * digest, mediaType, kind ('image' | 'multi-arch'), size, created, platforms.
 */
export async function pushDemoFixtures(baseUrl, { credentials = null, realm = null, scaleTags = 2000 } = {}) {
  const writer = new RegistryWriter(baseUrl, { credentials, realm });
  const repositories = {};
  const record = (repo, tags, image) => {
    repositories[repo] ??= {};
    for (const tag of tags) repositories[repo][tag] = image;
    return image;
  };
  const tagAll = async (repo, tags, image, bytesSource) => {
    // Extra tags PUT the very same bytes, so they share the first tag's digest.
    for (const tag of tags.slice(1)) {
      await writer.pushManifest(repo, tag, bytesSource, image.mediaType);
    }
    return record(repo, tags, image);
  };
  const fetchBytes = async (repo, digest) =>
    Buffer.from(await (await writer.request('GET', `/v2/${repo}/manifests/${digest}`, {
      headers: { Accept: Object.values(MEDIA).join(', ') },
    })).arrayBuffer());

  const single = async (repo, tags, format, created, labels, platform = AMD64) => {
    const image = await pushImage(writer, repo, {
      format, reference: tags[0], platform, created, labels,
      layers: [`${repo} base layer`, `${repo} application layer ${tags[0]}`],
    });
    return tagAll(repo, tags, { ...image, kind: 'image' }, await fetchBytes(repo, image.digest));
  };
  const multi = async (repo, tags, format, created, labels) => {
    const image = await pushMultiArch(writer, repo, { format, tag: tags[0], created, labels, platforms: [AMD64, ARM64], minutesApart: 7 });
    return tagAll(repo, tags, { ...image, kind: 'multi-arch' }, await fetchBytes(repo, image.digest));
  };

  const labels = (extra = {}) => ({ 'org.opencontainers.image.vendor': 'Tagdeck fixtures', ...extra });
  // Docker v2 manifest; `1.0` and `latest` share one digest.
  await single('demo/web', ['1.0', 'latest'], 'docker', '2026-01-15T10:00:00Z', labels({ 'org.opencontainers.image.title': 'web' }));
  await single('demo/web', ['0.9'], 'docker', '2025-12-01T08:30:00Z', labels());
  // OCI image manifest, with a label holding markup that must show as text, and one
  // whose right-to-left override would make it read as another name.
  await single('demo/api', ['v1', 'stable'], 'oci', '2026-02-20T12:00:00Z',
    labels({
      'org.example.note': '<b>bold</b><img src=x onerror="window.__xss=1">',
      'org.example.signed-by': 'alice\u202Eecila',
    }));
  // Docker manifest list and OCI index, two platforms each.
  await multi('demo/legacy-multiarch', ['3.1'], 'docker', '2025-11-11T11:11:11Z', labels());
  await multi('demo/multiarch', ['2.0', 'latest'], 'oci', '2026-03-03T03:03:03Z', labels({ 'org.opencontainers.image.title': 'multiarch' }));
  // Nested repository name and version-like tags that sort wrong as plain strings.
  await single('team/sub/app', ['1.9.0'], 'oci', '2026-04-01T09:00:00Z', labels());
  await single('team/sub/app', ['1.10.0', 'current'], 'oci', '2026-05-01T09:00:00Z', labels());
  await single('team/tools', ['edge'], 'docker', '2026-06-06T06:06:06Z', labels());

  if (scaleTags > 0) {
    const repo = 'scale/many-tags';
    const first = await pushImage(writer, repo, {
      format: 'oci', reference: 'build-00000', platform: AMD64, created: '2026-07-01T00:00:00Z',
      labels: labels(), layers: ['scale base'],
    });
    const bytes = await fetchBytes(repo, first.digest);
    const tags = Array.from({ length: scaleTags }, (_, i) => `build-${String(i).padStart(5, '0')}`);
    // Pushed in parallel batches: thousands of sequential PUTs would dominate setup time.
    for (let i = 1; i < tags.length; i += 32) {
      await Promise.all(tags.slice(i, i + 32).map((tag) => writer.pushManifest(repo, tag, bytes, first.mediaType)));
    }
    record(repo, tags, { ...first, kind: 'image' });
  }
  return { registry: baseUrl, repositories };
}

/** Repository names in the report, sorted as the registry's catalog sorts them. */
export const repositoryNames = (report) => Object.keys(report.repositories).sort();
