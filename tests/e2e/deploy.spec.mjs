// The deployment kit (deploy/) and the token-auth test registry, each run for real:
// the token registry's rights and expiry, the same-origin setups (nginx, nginx over
// HTTPS/HTTP2, Caddy) serving dist/ with its security headers and forwarding /v2/ and
// the token realm, the CORS front, the headers each proxy sends upstream, the container
// entrypoint outside a container, and nginx serving a checkout in a folder only root
// may enter. Plain requests from Node, except where a browser is the thing being
// checked (CSP, CORS).
import { test, expect } from '@playwright/test';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, access } from 'node:fs/promises';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { distDir } from './harness.mjs';
import { startTokenRegistry } from '../../scripts/lib/auth-registry.mjs';
import { startTokenDeployment } from '../../scripts/lib/deployments.mjs';
import { runDeployScript, startCorsFront, startSameOrigin } from '../../scripts/lib/deploy.mjs';
import { RegistryWriter, parseBearerChallenge } from '../../scripts/lib/fixtures.mjs';

const basic = ({ user, password }) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The sha256 CSP sources of dist/index.html's inline scripts, computed here in Node. */
async function inlineScriptHashes() {
  const html = await readFile(path.join(distDir, 'index.html'), 'utf8');
  return [...html.matchAll(/<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script\s*>/gi)]
    .map(([, text]) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
}

/** The CSP's directives as { name: [sources] }. */
const directives = (csp) => Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
  .map((d) => { const [name, ...sources] = d.split(/\s+/); return [name, sources]; }));

async function tokenFor(realm, credentials, scopes) {
  const url = new URL(realm);
  url.searchParams.set('service', 'tagdeck-registry');
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const response = await fetch(url, { headers: credentials ? { Authorization: basic(credentials) } : {} });
  return { status: response.status, body: await response.json() };
}

const decodeJwt = (jwt) => jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));

test.describe('token registry', () => {
  let auth;
  test.beforeAll(async () => { auth = await startTokenRegistry({ anonymous: 'pull' }); });
  test.afterAll(async () => { await auth?.stop(); });

  test('refuses anonymous writes and a reader\'s push, takes the admin\'s', async () => {
    const blob = Buffer.from('deploy spec blob');
    await expect(new RegistryWriter(auth.url).pushBlob('team/app', blob)).rejects.toThrow(/HTTP 401/);
    await expect(new RegistryWriter(auth.url, { credentials: auth.users.reader }).pushBlob('team/app', blob))
      .rejects.toThrow(/HTTP 401/);
    const readerAsked = auth.tokenService.requests.filter((r) => r.user === 'reader');
    expect(readerAsked.some((r) => r.scopes.some((s) => /push/.test(s)))).toBe(true);
    expect(readerAsked.flatMap((r) => r.granted).every((g) => g.endsWith(':pull'))).toBe(true);

    const digest = await new RegistryWriter(auth.url, { credentials: auth.users.admin }).pushBlob('team/app', blob);
    expect(digest).toBe(`sha256:${createHash('sha256').update(blob).digest('hex')}`);
    const head = await new RegistryWriter(auth.url).request('HEAD', `/v2/team/app/blobs/${digest}`);
    expect(head.status).toBe(200); // anonymous pull of a public repository
  });

  test('anonymous pull stops at private/ repositories and the catalog', async () => {
    const admin = new RegistryWriter(auth.url, { credentials: auth.users.admin });
    await admin.pushBlob('private/secret', Buffer.from('private blob'));
    const anonymous = new RegistryWriter(auth.url);
    expect((await anonymous.request('GET', '/v2/private/secret/tags/list')).status).toBe(401);
    expect((await anonymous.request('GET', '/v2/_catalog')).status).toBe(401);
    expect((await admin.request('GET', '/v2/_catalog')).status).toBe(200);
  });

  test('the token service checks passwords and signs what distribution verifies', async () => {
    const wrong = await tokenFor(auth.tokenService.url, { user: 'admin', password: 'nope' }, ['registry:catalog:*']);
    expect(wrong).toEqual({ status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed' }] } });
    const unknown = await tokenFor(auth.tokenService.url, { user: 'mallory', password: 'x' }, ['registry:catalog:*']);
    expect(unknown.status).toBe(401);

    // Two scope parameters, the first holding two scopes separated by a space.
    const url = new URL(auth.tokenService.url);
    url.searchParams.set('service', 'tagdeck-registry');
    url.searchParams.append('scope', 'repository:team/app:pull,push,delete registry:catalog:*');
    url.searchParams.append('scope', 'repository:other/thing:pull');
    const response = await fetch(url, { headers: { Authorization: basic(auth.users.reader) } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.token).toBe(body.access_token);
    expect(body.expires_in).toBe(300);
    expect(Date.parse(body.issued_at)).not.toBeNaN();
    const [header, claims] = decodeJwt(body.token);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(header.x5c).toHaveLength(1);
    expect(claims).toMatchObject({ iss: 'tagdeck-test-issuer', sub: 'reader', aud: 'tagdeck-registry' });
    expect(claims.access).toEqual([
      { type: 'repository', name: 'team/app', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'other/thing', actions: ['pull'] },
    ]);
    const catalog = await fetch(`${auth.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${body.token}` } });
    expect(catalog.status).toBe(200);
  });
});

test('a token stops working expiresIn seconds after it was issued', async () => {
  const auth = await startTokenRegistry({ expiresIn: 3 });
  try {
    const issued = Date.now();
    const { status, body } = await tokenFor(auth.tokenService.url, auth.users.admin, ['registry:catalog:*']);
    expect(status).toBe(200);
    expect(body.expires_in).toBe(3);
    const catalog = () => fetch(`${auth.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${body.token}` } });
    expect((await catalog()).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, issued + 4500 - Date.now())));
    const late = await catalog();
    expect(late.status).toBe(401);
    expect(parseBearerChallenge(late.headers.get('www-authenticate')).error).toBe('invalid_token');
  } finally {
    await auth.stop();
  }
});

/** Checks shared by every same-origin server. */
function sameOriginChecks(server) {
  test.describe(`same origin, ${server}`, () => {
    let deployment;
    test.beforeAll(async () => {
      deployment = await startTokenDeployment({
        consoleDir: distDir, server, env: { TRUSTED_REALMS: 'https://sso.example.org/auth/token' },
      });
    });
    test.afterAll(async () => { await deployment?.stop(); });

    test('serves the console with a CSP that allows exactly its inline script', async () => {
      const response = await fetch(`${deployment.url}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(await readFile(path.join(distDir, 'index.html'), 'utf8'));
      const csp = directives(response.headers.get('content-security-policy'));
      const hashes = await inlineScriptHashes();
      expect(hashes.length).toBeGreaterThan(0);
      expect(csp['script-src'].filter((s) => s.startsWith("'sha256-")).sort()).toEqual([...hashes].sort());
      expect(csp['script-src']).toEqual(expect.arrayContaining(["'self'", "'wasm-unsafe-eval'"]));
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(csp['default-src']).toEqual(["'none'"]);
      expect(csp['connect-src']).toEqual(["'self'", 'https://sso.example.org']);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    });

    test('sends the bundle as the build gzipped it, byte for byte the build once unpacked', async () => {
      const html = await readFile(path.join(distDir, 'index.html'), 'utf8');
      const files = [...html.matchAll(/href="\.\/([^"]+\.(?:wasm|js|css))"/g)].map(([, file]) => file);
      expect(files.filter((f) => f.endsWith('.wasm'))).toHaveLength(1);
      for (const file of files) {
        const built = await readFile(path.join(distDir, file));
        const response = await fetch(`${deployment.url}/${file}`, { headers: { 'Accept-Encoding': 'gzip' } });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-encoding'), file).toBe('gzip');
        // nginx sends the build's gzipped copy (Trunk.toml's hook) as it is, so no
        // request pays for compressing it: compressed on the fly, the length would not
        // be known ahead. (Caddy 2.6 sends its precompressed copies chunked.)
        if (server === 'nginx') {
          const copy = await stat(path.join(distDir, `${file}.gz`));
          expect(Number(response.headers.get('content-length')), file).toBe(copy.size);
        }
        // fetch unpacks what came gzipped: the bytes must be the build's.
        expect(Buffer.from(await response.arrayBuffer()).equals(built), file).toBe(true);
      }
    });

    test('serves config.json from the environment, never cached', async () => {
      const response = await fetch(`${deployment.url}/config.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({ trustedRealms: ['https://sso.example.org/auth/token'] });
    });

    test('forwards /v2/: the challenge names the realm on the proxy\'s own origin', async () => {
      const response = await fetch(`${deployment.url}/v2/`);
      expect(response.status).toBe(401);
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
      expect(challenge).toMatchObject({ realm: `${deployment.url}/token`, service: 'tagdeck-registry' });
    });

    test('forwards the realm: an admin pushes and reads through the proxy alone', async () => {
      const { status, body } = await tokenFor(`${deployment.url}/token`, deployment.users.admin, ['registry:catalog:*']);
      expect(status).toBe(200);
      const catalog = await fetch(`${deployment.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${body.token}` } });
      expect((await catalog.json()).repositories).toContain('demo/web');
      // A 3 MiB blob through the proxy: the upload's Location must be on this origin.
      const writer = new RegistryWriter(deployment.url, { credentials: deployment.users.admin });
      const blob = Buffer.alloc(3 * 1024 * 1024, server.length);
      const digest = await writer.pushBlob('proxied/app', blob);
      const back = await writer.request('GET', `/v2/proxied/app/blobs/${digest}`);
      expect(Buffer.from(await back.arrayBuffer()).equals(blob)).toBe(true);
    });
  });
}
sameOriginChecks('nginx');
sameOriginChecks('caddy');

test('the console starts under the CSP with no violation', async ({ browser }) => {
  const deployment = await startTokenDeployment({ consoleDir: distDir, server: 'nginx', anonymous: 'pull' });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__violations = [];
      addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      addEventListener('TrunkApplicationStarted', () => { window.__started = true; });
    });
    // Anonymous pull: the tag table renders (its rows are placed and coloured by styles).
    await page.goto(`${deployment.url}/?repo=demo%2Fweb`);
    await page.waitForFunction(() => window.__started === true);
    await expect(page.getByRole('table', { name: 'Tags' }).getByRole('link', { name: 'latest', exact: true })).toBeVisible();
    expect(await page.evaluate(() => window.__violations)).toEqual([]);
  } finally {
    await context.close();
    await deployment.stop();
  }
});

test('nginx over HTTPS speaks HTTP/2 and names an https realm', async () => {
  const deployment = await startTokenDeployment({ consoleDir: distDir, server: 'nginx-tls' });
  const session = http2.connect(deployment.url, { rejectUnauthorized: false });
  const request = (headers) => new Promise((resolve, reject) => {
    const stream = session.request(headers);
    stream.on('response', (answer) => { stream.resume(); stream.on('end', () => resolve(answer)); });
    stream.on('error', reject);
    stream.end();
  });
  try {
    const page = await request({ ':path': '/' });
    expect(session.alpnProtocol).toBe('h2');
    expect(page[':status']).toBe(200);
    expect(directives(page['content-security-policy'])['frame-ancestors']).toEqual(["'none'"]);
    const v2 = await request({ ':path': '/v2/' });
    expect(v2[':status']).toBe(401);
    expect(parseBearerChallenge(v2['www-authenticate']).realm).toBe(`${deployment.url}/token`);
    const token = await request({ ':path': '/token?service=tagdeck-registry', authorization: basic(deployment.users.admin) });
    expect(token[':status']).toBe(200);
  } finally {
    session.close();
    await deployment.stop();
  }
});

test.describe('CORS front', () => {
  let deployment;
  // The registry behind sends CORS headers of its own: the front must replace them.
  test.beforeAll(async () => {
    deployment = await startTokenDeployment({ consoleDir: distDir, server: 'cors-front', corsOrigin: '*' });
  });
  test.afterAll(async () => { await deployment?.stop(); });

  test('answers the preflight itself, registry login or not', async () => {
    const response = await fetch(`${deployment.registryUrl}/v2/demo/web/manifests/1.0`, {
      method: 'OPTIONS',
      headers: {
        Origin: deployment.url, 'Access-Control-Request-Method': 'DELETE',
        'Access-Control-Request-Headers': 'authorization,accept',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(deployment.url);
    for (const method of ['HEAD', 'GET', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']) {
      expect(response.headers.get('access-control-allow-methods')).toContain(method);
    }
    expect(response.headers.get('access-control-allow-headers')).toBe('Authorization, Accept, Content-Type');
    expect(response.headers.get('access-control-expose-headers'))
      .toBe('Docker-Content-Digest, Link, Location, WWW-Authenticate, Retry-After, Content-Length');
  });

  test('a 401 carries the CORS headers once and exposes WWW-Authenticate', async () => {
    const response = await fetch(`${deployment.registryUrl}/v2/`, { headers: { Origin: deployment.url } });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(deployment.url);
    expect(response.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expect(response.headers.get('timing-allow-origin')).toBe(deployment.url);
    expect(parseBearerChallenge(response.headers.get('www-authenticate')).realm).toBe(`${deployment.registryUrl}/token`);
    const token = await fetch(`${deployment.registryUrl}/token?service=tagdeck-registry`, {
      headers: { Origin: deployment.url, Authorization: basic(deployment.users.admin) },
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('access-control-allow-origin')).toBe(deployment.url);
  });

  test('a browser on the console\'s origin reads the registry through it', async ({ page }) => {
    await page.goto(`${deployment.url}/config.json`);
    const result = await page.evaluate(async ({ registry, authorization }) => {
      const accept = [
        'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
      ].join(', ');
      const challenged = await fetch(`${registry}/v2/demo/web/manifests/1.0`, { headers: { Accept: accept } });
      const challenge = challenged.headers.get('www-authenticate');
      const realm = /realm="([^"]+)"/.exec(challenge)[1];
      const scope = /scope="([^"]+)"/.exec(challenge)[1];
      const tokenResponse = await fetch(`${realm}?service=tagdeck-registry&scope=${encodeURIComponent(scope)}`, {
        headers: { Authorization: authorization },
      });
      const { token } = await tokenResponse.json();
      const manifest = await fetch(`${registry}/v2/demo/web/manifests/1.0`, {
        headers: { Accept: accept, Authorization: `Bearer ${token}` },
      });
      return {
        challengedStatus: challenged.status,
        manifestStatus: manifest.status,
        digest: manifest.headers.get('docker-content-digest'),
      };
    }, { registry: deployment.registryUrl, authorization: basic(deployment.users.admin) });
    expect(result).toEqual({
      challengedStatus: 401, manifestStatus: 200, digest: deployment.report.repositories['demo/web']['1.0'].digest,
    });
  });
});

test.describe('container entrypoint, outside a container', () => {
  let dir;
  test.beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tagdeck-entrypoint-')); });
  test.afterEach(async () => { await rm(dir, { recursive: true, force: true }); });
  const entrypoint = (env) => runDeployScript('docker-entrypoint.sh', [], {
    TAGDECK_ROOT: distDir, TAGDECK_CONFIG_DIR: path.join(dir, 'config'), TAGDECK_CONF_DIR: path.join(dir, 'conf.d'),
    ...env,
  });
  const rendered = (name) => readFile(path.join(dir, 'conf.d', name), 'utf8');
  const exists = (name) => access(path.join(dir, 'conf.d', name)).then(() => true, () => false);

  test('writes config.json from REGISTRY_URL and TRUSTED_REALMS and widens connect-src', async () => {
    await entrypoint({
      REGISTRY_URL: 'https://registry.example.com:5000',
      TRUSTED_REALMS: 'https://auth.example.com/token, https://sso.example.org/realm https://auth.example.com/other',
      REGISTRY_UPSTREAM: 'http://registry:5000',
    });
    expect(await readFile(path.join(dir, 'config', 'config.json'), 'utf8')).toBe(
      '{"registry": "https://registry.example.com:5000", "trustedRealms": ["https://auth.example.com/token", '
      + '"https://sso.example.org/realm", "https://auth.example.com/other"]}\n');
    const consoleConf = await rendered('tagdeck.d/console.conf');
    const csp = directives(/Content-Security-Policy "([^"]+)"/.exec(consoleConf)[1]);
    expect(csp['connect-src']).toEqual(["'self'", 'https://registry.example.com:5000', 'https://auth.example.com', 'https://sso.example.org']);
    expect(csp['script-src'].filter((s) => s.startsWith("'sha256-")).sort()).toEqual((await inlineScriptHashes()).sort());
    expect(await rendered('tagdeck.conf')).toContain('listen "80";');
    expect(await rendered('tagdeck.d/registry.conf')).toContain('proxy_pass "http://registry:5000";');
    expect(await exists('tagdeck.d/token.conf')).toBe(false); // no TOKEN_UPSTREAM, no route
  });

  test('escapes quotes and backslashes as JSON', async () => {
    const registry = 'https://registry.example.com/a"b\\c';
    const realm = 'https://auth.example.com/t?x="1"';
    await entrypoint({ REGISTRY_URL: registry, TRUSTED_REALMS: realm });
    const text = await readFile(path.join(dir, 'config', 'config.json'), 'utf8');
    expect(text).toContain(String.raw`"https://registry.example.com/a\"b\\c"`);
    expect(JSON.parse(text)).toEqual({ registry, trustedRealms: [realm] });
  });

  test('refuses a URL that would add to the policy, and writes nothing', async () => {
    await expect(entrypoint({ REGISTRY_URL: "https://x.example;script-src 'unsafe-inline'" })).rejects.toThrow(/csp\.sh/);
    await expect(access(path.join(dir, 'config', 'config.json'))).rejects.toThrow();
    await expect(exists('tagdeck.d/console.conf')).resolves.toBe(false);
  });

  test('refuses a URL with a user name or password, echoes neither, and writes nothing', async () => {
    for (const env of [
      { REGISTRY_URL: 'https://admin:s3cret@registry.example.com' },
      { TRUSTED_REALMS: 'https://auth.example.com/token, https://admin:s3cret@sso.example.org/token' },
      // A policy of one's own skips csp.sh: config.json must still not get the password.
      { REGISTRY_URL: 'https://admin:s3cret@registry.example.com', TAGDECK_CSP: "default-src 'none'" },
    ]) {
      const refused = await entrypoint(env).then(() => 'configured', (error) => error.message);
      expect(refused).toMatch(/configure\.sh: (REGISTRY_URL|TRUSTED_REALMS) holds a user name or password/);
      expect(refused).not.toContain('s3cret');
    }
    await expect(access(path.join(dir, 'config', 'config.json'))).rejects.toThrow();
    await expect(exists('tagdeck.d/console.conf')).resolves.toBe(false);
  });

  test('TLS and the token route when their variables are set', async () => {
    await entrypoint({ TLS_CERT: '/certs/tls.crt', TLS_KEY: '/certs/tls.key', TOKEN_UPSTREAM: 'http://auth:5001' });
    const server = await rendered('tagdeck-tls.conf');
    expect(server).toContain('listen "443" ssl http2;');
    expect(server).toContain('ssl_certificate "/certs/tls.crt";');
    expect(await exists('tagdeck.conf')).toBe(false);
    expect(await rendered('tagdeck.d/token.conf')).toContain('location = "/token"');
    expect(await rendered('tagdeck.d/token.conf')).toContain('proxy_pass "http://auth:5001";');
    // Only Tagdeck's variables are substituted: nginx's own survive.
    expect(await rendered('tagdeck.d/console.conf')).toContain('try_files $uri $uri/ =404;');
  });
});

test('the proxies name the upstream in Host, this origin in X-Forwarded-Host, and keep a TLS proxy\'s scheme', async () => {
  // An upstream (registry and token service alike) that answers with the headers it got.
  const upstream = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(req.headers));
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamHost = `127.0.0.1:${upstream.address().port}`;
  const start = {
    nginx: () => startSameOrigin({ consoleDir: distDir, registryUpstream: `http://${upstreamHost}`, tokenUpstream: `http://${upstreamHost}` }),
    caddy: () => startSameOrigin({ consoleDir: distDir, registryUpstream: `http://${upstreamHost}`, tokenUpstream: `http://${upstreamHost}`, server: 'caddy' }),
    'cors-front': () => startCorsFront({ registryUpstream: `http://${upstreamHost}`, tokenUpstream: `http://${upstreamHost}`, allowOrigin: 'http://console.example.com' }),
  };
  try {
    for (const [server, started] of Object.entries(start)) {
      const site = await started();
      try {
        for (const route of ['/v2/', '/token']) {
          const seen = await (await fetch(`${site.url}${route}`)).json();
          expect(seen.host, `${server} ${route}`).toBe(upstreamHost);
          expect(seen['x-forwarded-host'], `${server} ${route}`).toBe(`127.0.0.1:${site.port}`);
          expect(seen['x-forwarded-proto'], `${server} ${route}`).toBe('http');
          // Behind a TLS proxy the registry must still build https upload Locations.
          // Caddy trusts no proxy's X-Forwarded-* unless its trusted_proxies names it.
          const behindTls = await (await fetch(`${site.url}${route}`, { headers: { 'X-Forwarded-Proto': 'https' } })).json();
          expect(behindTls['x-forwarded-proto'], `${server} ${route}`).toBe(server === 'caddy' ? 'http' : 'https');
          if (server !== 'caddy') {
            // A chain of proxies sends a list: its first; anything but http(s): ours.
            for (const [sent, passed] of [['https, http', 'https'], ['javascript', 'http'], ['httpsx', 'http']]) {
              const answer = await (await fetch(`${site.url}${route}`, { headers: { 'X-Forwarded-Proto': sent } })).json();
              expect(answer['x-forwarded-proto'], `${server} ${route} ${sent}`).toBe(passed);
            }
          }
        }
      } finally {
        await site.stop();
      }
    }
  } finally {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  }
});

test('nginx serves a console copied into a folder only its owner may enter', async () => {
  const privateDir = await mkdtemp(path.join(os.tmpdir(), 'tagdeck-private-'));
  expect((await stat(privateDir)).mode & 0o777).toBe(0o700);
  await cp(distDir, path.join(privateDir, 'dist'), { recursive: true });
  const site = await startSameOrigin({ consoleDir: path.join(privateDir, 'dist'), registryUpstream: 'http://127.0.0.1:9' });
  try {
    const response = await fetch(`${site.url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(await readFile(path.join(distDir, 'index.html'), 'utf8'));
  } finally {
    await site.stop();
    await rm(privateDir, { recursive: true, force: true });
  }
});
