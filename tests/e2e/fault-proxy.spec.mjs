// The fault-injecting proxy (scripts/lib/fault-proxy.mjs) and the registry restart
// (scripts/lib/registry.mjs) checked with plain Node requests against a real
// registry, before any browser test relies on them. Every write a fault claims to
// have let through (or not) is checked by asking the registry directly.
import { test as base, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { startFaultProxy } from '../../scripts/lib/fault-proxy.mjs';
import { pushDemoFixtures } from '../../scripts/lib/fixtures.mjs';
import { tagDigest } from './registry-truth.mjs';
import { test as consoleTest } from './harness.mjs';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const SCALE_TAGS = 7;

const test = base.extend({
  // One registry with the demo fixtures (7 scale tags) for the file; a fresh proxy per test.
  registry: [async ({}, use) => {
    const registry = await startRegistry({ corsOrigin: 'http://registry-cors.invalid' });
    try {
      const report = await pushDemoFixtures(registry.url, { scaleTags: SCALE_TAGS });
      registry.report = report;
      await use(registry);
    } finally {
      await registry.stop();
    }
  }, { scope: 'worker' }],
  proxy: async ({ registry }, use) => {
    const proxy = await startFaultProxy({ target: registry.url, corsOrigin: 'http://console.test' });
    try {
      await use(proxy);
    } finally {
      await proxy.stop();
    }
  },
});

test.describe.configure({ mode: 'serial' });

/** The manifest bytes and media type of repo:tag, straight from the registry. */
async function manifestOf(registryUrl, repo, tag) {
  const response = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { headers: { Accept: ACCEPT } });
  expect(response.status).toBe(200);
  return { bytes: Buffer.from(await response.arrayBuffer()), type: response.headers.get('content-type') };
}

const digestOf = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** PUT repo:tag with the bytes of `manifest`, through `base` (the proxy). */
const putManifest = (baseUrl, repo, tag, manifest, init = {}) => fetch(`${baseUrl}/v2/${repo}/manifests/${tag}`, {
  method: 'PUT', body: manifest.bytes, headers: { 'Content-Type': manifest.type }, ...init,
});

const elapsed = async (promise) => {
  const start = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - start };
};

test('forwards requests and answers, with its own CORS headers', async ({ registry, proxy }) => {
  const direct = await manifestOf(registry.url, 'demo/web', '1.0');
  const response = await fetch(`${proxy.url}/v2/demo/web/manifests/1.0`, {
    headers: { Accept: ACCEPT, Origin: 'http://console.test' },
  });
  expect(response.status).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(digestOf(bytes)).toBe(digestOf(direct.bytes));
  expect(response.headers.get('content-type')).toBe(direct.type);
  expect(response.headers.get('docker-content-digest')).toBe(digestOf(direct.bytes));
  // The registry's own CORS origin is replaced by the proxy's.
  expect(response.headers.get('access-control-allow-origin')).toBe('http://console.test');
  expect(response.headers.get('access-control-expose-headers'))
    .toBe('Docker-Content-Digest, Link, Location, WWW-Authenticate, Retry-After, Content-Length');

  // A preflight is the proxy's own answer.
  const preflight = await fetch(`${proxy.url}/v2/demo/web/manifests/1.0`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://console.test', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-methods')).toBe('HEAD, GET, OPTIONS, PUT, POST, PATCH, DELETE');
  expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Accept, Content-Type');

  // HEAD, a query string and a 404 go through as they are.
  const head = await fetch(`${proxy.url}/v2/demo/web/manifests/0.9`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  expect(head.status).toBe(200);
  expect(head.headers.get('docker-content-digest')).toBe(registry.report.repositories['demo/web']['0.9'].digest);
  const catalog = await fetch(`${proxy.url}/v2/_catalog?n=2`);
  expect((await catalog.json()).repositories).toHaveLength(2);
  expect(catalog.headers.get('link')).toMatch(/^<\/v2\/_catalog\?last=.*n=2>; rel="next"$/);
  const missing = await fetch(`${proxy.url}/v2/demo/web/manifests/nope`, { headers: { Accept: ACCEPT } });
  expect(missing.status).toBe(404);
  expect((await missing.json()).errors[0].code).toBe('MANIFEST_UNKNOWN');

  expect(proxy.log).toEqual([
    { method: 'GET', path: '/v2/demo/web/manifests/1.0', status: 200, faulted: false },
    { method: 'OPTIONS', path: '/v2/demo/web/manifests/1.0', status: 204, faulted: false },
    { method: 'HEAD', path: '/v2/demo/web/manifests/0.9', status: 200, faulted: false },
    { method: 'GET', path: '/v2/_catalog?n=2', status: 200, faulted: false },
    { method: 'GET', path: '/v2/demo/web/manifests/nope', status: 404, faulted: false },
  ]);
});

test('delay: the answer comes that much later, and still comes', async ({ proxy }) => {
  const url = `${proxy.url}/v2/demo/web/manifests/1.0`;
  const quick = await elapsed(fetch(url, { headers: { Accept: ACCEPT } }));
  expect(quick.value.status).toBe(200);
  const rule = proxy.addRule({ path: '/v2/demo/web/manifests/1.0', action: { delay: 700 } });
  const slow = await elapsed(fetch(url, { headers: { Accept: ACCEPT } }));
  expect(slow.value.status).toBe(200);
  expect(slow.ms).toBeGreaterThanOrEqual(700);
  expect(quick.ms).toBeLessThan(500);
  expect(rule.hits).toBe(1);
  expect(proxy.log.at(-1)).toMatchObject({ status: 200, faulted: true });
});

test('hang: no answer ever comes, the client has to give up', async ({ proxy }) => {
  proxy.addRule({ method: 'GET', path: /\/tags\/list$/, action: { hang: true } });
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 800);
  const { value: error, ms } = await elapsed(fetch(`${proxy.url}/v2/demo/web/tags/list`, { signal: abort.signal })
    .then(() => null, (e) => e));
  expect(error?.name).toBe('AbortError');
  expect(ms).toBeGreaterThanOrEqual(750);
  expect(proxy.log.at(-1)).toMatchObject({ method: 'GET', path: '/v2/demo/web/tags/list', status: 'hung', faulted: true });
  // Other requests are not affected.
  expect((await fetch(`${proxy.url}/v2/`)).status).toBe(200);
});

test('drop: the connection closes without an answer and nothing is written', async ({ registry, proxy }) => {
  const manifest = await manifestOf(registry.url, 'demo/web', '1.0');
  proxy.addRule({ method: 'PUT', action: { drop: true } });
  const error = await putManifest(proxy.url, 'demo/web', 'dropped', manifest).then(() => null, (e) => e);
  expect(error).toBeInstanceOf(TypeError); // fetch failed: socket closed
  expect(proxy.log.at(-1)).toMatchObject({ method: 'PUT', status: 'dropped', faulted: true });
  expect(await tagDigest(registry.url, 'demo/web', 'dropped')).toBeNull();
});

test('status: the proxy answers the error itself and nothing is written', async ({ registry, proxy }) => {
  const manifest = await manifestOf(registry.url, 'demo/web', '1.0');
  proxy.addRule({ method: 'PUT', path: /\/manifests\/limited$/, action: { status: 429, retryAfter: 3 } });
  const limited = await putManifest(proxy.url, 'demo/web', 'limited', manifest);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('3');
  expect(limited.headers.get('access-control-allow-origin')).toBe('http://console.test');
  expect((await limited.json()).errors[0].code).toBe('TOOMANYREQUESTS');
  expect(await tagDigest(registry.url, 'demo/web', 'limited')).toBeNull();

  proxy.addRule({ method: 'GET', path: /^\/v2\/$/, action: { status: 503, body: 'down for maintenance' } });
  const down = await fetch(`${proxy.url}/v2/`);
  expect(down.status).toBe(503);
  expect(await down.text()).toBe('down for maintenance');
  expect(proxy.log.map((e) => [e.method, e.status, e.faulted])).toEqual([
    ['PUT', 429, true], ['GET', 503, true],
  ]);
});

test('after: the write reaches the registry, the client sees the error', async ({ registry, proxy }) => {
  const manifest = await manifestOf(registry.url, 'demo/api', 'v1');
  const digest = digestOf(manifest.bytes);
  proxy.addRule({ method: 'PUT', path: /\/manifests\/after-500$/, action: { after: { status: 500 } } });
  const failed = await putManifest(proxy.url, 'demo/api', 'after-500', manifest);
  expect(failed.status).toBe(500);
  expect((await failed.json()).errors[0].code).toBe('UNKNOWN');
  expect(await tagDigest(registry.url, 'demo/api', 'after-500')).toBe(digest);
  expect(proxy.log.at(-1)).toMatchObject({ method: 'PUT', status: 500, upstream: 201, faulted: true });

  proxy.addRule({ method: 'PUT', path: /\/manifests\/after-drop$/, action: { after: { drop: true } } });
  const error = await putManifest(proxy.url, 'demo/api', 'after-drop', manifest).then(() => null, (e) => e);
  expect(error).toBeInstanceOf(TypeError);
  expect(await tagDigest(registry.url, 'demo/api', 'after-drop')).toBe(digest);
  expect(proxy.log.at(-1)).toMatchObject({ method: 'PUT', status: 'dropped', upstream: 201, faulted: true });

  // Written, and then no answer at all: only the client's own timeout ends the wait.
  proxy.addRule({ method: 'PUT', path: /\/manifests\/after-hang$/, action: { after: { hang: true } } });
  const { value: silence, ms } = await elapsed(putManifest(proxy.url, 'demo/api', 'after-hang', manifest,
    { signal: AbortSignal.timeout(800) }).then(() => null, (e) => e));
  expect(silence?.name).toBe('TimeoutError');
  expect(ms).toBeGreaterThanOrEqual(750);
  expect(await tagDigest(registry.url, 'demo/api', 'after-hang')).toBe(digest);
  expect(proxy.log.at(-1)).toMatchObject({ method: 'PUT', status: 'hung', upstream: 201, faulted: true });

  // A delete that happened while the client got a 502.
  proxy.addRule({ method: 'DELETE', action: { after: { status: 502 } } });
  const deleted = await fetch(`${proxy.url}/v2/demo/api/manifests/${digest}`, { method: 'DELETE' });
  expect(deleted.status).toBe(502);
  expect(await tagDigest(registry.url, 'demo/api', 'v1')).toBeNull();
  // Restore what the other tests expect.
  expect((await putManifest(registry.url, 'demo/api', 'v1', manifest)).status).toBe(201);
  expect((await putManifest(registry.url, 'demo/api', 'stable', manifest)).status).toBe(201);
});

test('pageTags: a full tag list served in pages, Link readable or not', async ({ registry, proxy }) => {
  const all = Object.keys(registry.report.repositories['scale/many-tags']).sort();
  expect(all).toHaveLength(SCALE_TAGS);
  const rule = proxy.addRule({ action: { pageTags: { size: 3 } } });
  const pages = [];
  let next = '/v2/scale/many-tags/tags/list';
  while (next) {
    const response = await fetch(`${proxy.url}${next}`, { headers: { Origin: 'http://console.test' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-expose-headers')).toContain('Link');
    const body = await response.json();
    expect(body.name).toBe('scale/many-tags');
    pages.push(body.tags);
    const link = response.headers.get('link');
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)[1] : null;
    if (next) expect(next).toBe(`/v2/scale/many-tags/tags/list?n=3&last=${body.tags.at(-1)}`);
  }
  expect(pages).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6)]);
  expect(rule.hits).toBe(3);

  // The client's n is honoured up to the page size, and last anywhere in the list.
  const two = await (await fetch(`${proxy.url}/v2/scale/many-tags/tags/list?n=2`)).json();
  expect(two.tags).toEqual(all.slice(0, 2));
  const capped = await fetch(`${proxy.url}/v2/scale/many-tags/tags/list?n=100&last=${all[1]}`);
  expect((await capped.json()).tags).toEqual(all.slice(2, 5));
  expect(capped.headers.get('link')).toBe(`</v2/scale/many-tags/tags/list?n=3&last=${all[4]}>; rel="next"`);
  // Other requests are not paged: other paths, other methods, and a small list fits one page.
  const small = await fetch(`${proxy.url}/v2/demo/web/tags/list`);
  expect((await small.json()).tags.sort()).toEqual(['0.9', '1.0', 'latest']);
  expect(small.headers.get('link')).toBeNull();
  expect((await fetch(`${proxy.url}/v2/demo/web/manifests/1.0`, { method: 'HEAD', headers: { Accept: ACCEPT } })).status).toBe(200);
  expect(rule.hits).toBe(6);

  // Hidden Link: still sent, but a browser cannot read it, so page 1 looks complete.
  proxy.clearRules();
  proxy.addRule({ action: { pageTags: { size: 3, exposeLink: false } } });
  const hidden = await fetch(`${proxy.url}/v2/scale/many-tags/tags/list`, { headers: { Origin: 'http://console.test' } });
  expect((await hidden.json()).tags).toEqual(all.slice(0, 3));
  expect(hidden.headers.get('link')).toBe(`</v2/scale/many-tags/tags/list?n=3&last=${all[2]}>; rel="next"`);
  expect(hidden.headers.get('access-control-expose-headers')).not.toContain('Link');
  expect(hidden.headers.get('access-control-expose-headers')).toContain('Docker-Content-Digest');
  // An unknown repository is passed through as the registry answered.
  const unknown = await fetch(`${proxy.url}/v2/no/such/tags/list`);
  expect(unknown.status).toBe(404);
  expect((await unknown.json()).errors[0].code).toBe('NAME_UNKNOWN');
});

test('nth and times pick which matching requests are affected', async ({ proxy }) => {
  const get = () => fetch(`${proxy.url}/v2/`).then((r) => r.status);
  const head = () => fetch(`${proxy.url}/v2/`, { method: 'HEAD' }).then((r) => r.status);

  const second = proxy.addRule({ method: 'GET', path: '/v2/', nth: 2, action: { status: 500 } });
  expect([await get(), await head(), await get(), await get(), await get()]).toEqual([200, 200, 500, 200, 200]);
  expect(second).toMatchObject({ matches: 4, hits: 1 });

  proxy.clearRules();
  const firstTwo = proxy.addRule({ path: /^\/v2\/$/, times: 2, action: { status: 502 } });
  expect([await head(), await get(), await get()]).toEqual([502, 502, 200]);
  expect(firstTwo).toMatchObject({ matches: 3, hits: 2 });

  proxy.clearRules();
  const window = proxy.addRule({ method: 'GET', nth: 2, times: 2, action: { status: 503 } });
  const every = proxy.addRule({ method: 'GET', action: { status: 429 } });
  // The first rule takes the 2nd and 3rd GET; the second rule counts all and takes the rest.
  expect([await get(), await get(), await get(), await get()]).toEqual([429, 503, 503, 429]);
  expect(window).toMatchObject({ matches: 4, hits: 2 });
  expect(every).toMatchObject({ matches: 4, hits: 2 });
  expect(proxy.log.filter((e) => e.faulted)).toHaveLength(1 + 2 + 4);
  expect(proxy.log).toHaveLength(5 + 3 + 4);
});

test('blob upload: Location names the proxy, and the upload through it works', async ({ registry, proxy }) => {
  const blob = Buffer.from(`fault proxy blob ${Date.now()}`);
  const digest = digestOf(blob);
  const started = await fetch(`${proxy.url}/v2/demo/web/blobs/uploads/`, { method: 'POST' });
  expect(started.status).toBe(202);
  const location = started.headers.get('location');
  expect(location.startsWith(`${proxy.url}/v2/demo/web/blobs/uploads/`)).toBe(true);
  expect(location).not.toContain(registry.url);
  const put = new URL(location);
  put.searchParams.set('digest', digest);
  const finished = await fetch(put, { method: 'PUT', body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(finished.status).toBe(201);
  expect(finished.headers.get('location')).toBe(`${proxy.url}/v2/demo/web/blobs/${digest}`);
  const direct = await fetch(`${registry.url}/v2/demo/web/blobs/${digest}`, { method: 'HEAD' });
  expect(direct.status).toBe(200);
  expect(proxy.log.map((e) => `${e.method} ${e.status}`)).toEqual(['POST 202', 'PUT 201']);
});

test('registry restart: data survives, requests in between are refused', async ({ registry, proxy }) => {
  const digest = registry.report.repositories['demo/web']['1.0'].digest;
  await registry.kill();
  expect(registry.running).toBe(false);
  const refused = await fetch(`${registry.url}/v2/`).then(() => null, (e) => e);
  expect(refused?.cause?.code).toBe('ECONNREFUSED');
  // Through the proxy the registry's absence is a 502, as behind nginx.
  const gateway = await fetch(`${proxy.url}/v2/demo/web/manifests/1.0`, { headers: { Accept: ACCEPT } });
  expect(gateway.status).toBe(502);
  expect(gateway.headers.get('access-control-allow-origin')).toBe('http://console.test');
  expect(proxy.log.at(-1)).toMatchObject({ status: 502, error: 'ECONNREFUSED', faulted: false });
  await registry.start();
  expect(registry.running).toBe(true);
  expect(await tagDigest(registry.url, 'demo/web', '1.0')).toBe(digest);

  // restart() with a down time: a request in the middle is refused, the data is back after.
  const restarting = registry.restart({ downMs: 1000 });
  await new Promise((resolve) => setTimeout(resolve, 400));
  const during = await fetch(`${registry.url}/v2/`).then(() => null, (e) => e);
  expect(during?.cause?.code).toBe('ECONNREFUSED');
  await restarting;
  expect(await tagDigest(registry.url, 'demo/web', '1.0')).toBe(digest);
  expect((await fetch(`${proxy.url}/v2/demo/web/manifests/1.0`, { method: 'HEAD', headers: { Accept: ACCEPT } })).status).toBe(200);
  // Writes still work after the restart (same config, deletes enabled).
  const manifest = await manifestOf(registry.url, 'demo/web', '1.0');
  expect((await putManifest(proxy.url, 'demo/web', 'after-restart', manifest)).status).toBe(201);
  expect(await tagDigest(registry.url, 'demo/web', 'after-restart')).toBe(digest);
});

test('a proxy in "drop" mode closes the connection when the registry is down', async ({ registry }) => {
  const proxy = await startFaultProxy({ target: registry.url, upstreamError: 'drop' });
  try {
    await registry.kill();
    const error = await fetch(`${proxy.url}/v2/`).then(() => null, (e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(proxy.log).toEqual([{ method: 'GET', path: '/v2/', status: 'dropped', faulted: false, error: 'ECONNREFUSED' }]);
  } finally {
    await registry.start();
    await proxy.stop();
  }
});

consoleTest('the console works through the proxy: CORS, preflights and rules apply to its requests', async ({ page, faults }) => {
  const total = Object.keys(faults.report.repositories['demo/web']).length;
  const slowList = faults.proxy.addRule({ method: 'GET', path: '/v2/demo/web/tags/list', action: { delay: 300 } });
  await page.goto(`${faults.console}/?repo=demo/web`);
  await expect(page.getByText(`${total} tags`, { exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('[role="row"][data-tag="1.0"] code.digest'))
    .toHaveAttribute('title', faults.report.repositories['demo/web']['1.0'].digest);
  expect(slowList.hits).toBeGreaterThanOrEqual(1);
  const log = faults.proxy.log;
  expect(log.some((e) => e.method === 'OPTIONS' && /\/manifests\//.test(e.path) && e.status === 204)).toBe(true);
  expect(log.some((e) => e.method !== 'OPTIONS' && /\/manifests\/1\.0$/.test(e.path) && e.status === 200)).toBe(true);
  expect(log.filter((e) => typeof e.status !== 'number' || e.status >= 400)).toEqual([]);
});

consoleTest('drop reaches a browser on a reused connection: it fails the request, not retried unseen', async ({ page, faults }) => {
  // A browser re-sends a request by itself when a kept-alive connection it reused
  // closes before any answer (it takes that for a stale connection): the dropped
  // request would then succeed, and the console never meet the failure.
  const { proxy } = faults;
  await page.goto(`${proxy.url}/v2/`);
  const read = (path) => page.evaluate((path) => fetch(path).then((r) => r.status, (e) => String(e)), path);
  expect(await read('/v2/demo/web/tags/list')).toBe(200); // the connection is now kept alive
  const rule = proxy.addRule({ method: 'GET', path: /\/tags\/list$/, action: { drop: true } });
  expect(await read('/v2/demo/web/tags/list')).toMatch(/TypeError/);
  expect(rule.matches, 'the browser sent it once').toBe(1);
  expect(rule.hits).toBe(1);
});
