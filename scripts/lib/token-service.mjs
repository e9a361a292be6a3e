// A Docker-style token service for tests: answers `GET /token?service=..&scope=..`
// with an RS256 JWT that distribution's `auth.token` verifies (its header carries the
// signing certificate in `x5c`; the registry trusts that certificate through
// `rootcertbundle`). Users, rights, anonymous access and token lifetime are chosen
// per test, and every request is recorded so a test can check what a client asked for.
import http from 'node:http';
import { createHash, randomUUID, sign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { trackTempDir, stopOnSignal } from './processes.mjs';

const ALL_REPOSITORY_ACTIONS = ['pull', 'push', 'delete', '*'];

/**
 * Who may do what. `repository(name)` gives the actions allowed on a repository;
 * `catalog` whether `registry:catalog:*` is granted.
 */
export const DEFAULT_USERS = {
  admin: { password: 'admin-secret', repository: () => ALL_REPOSITORY_ACTIONS, catalog: true },
  reader: { password: 'reader-secret', repository: () => ['pull'], catalog: true },
};

// Anonymous rights by the `anonymous` option's value.
const ANONYMOUS = {
  pull: { repository: (name) => (name.startsWith('private/') ? [] : ['pull']), catalog: false },
};

// distribution accepts a token up to this long after its `exp` (clock skew leeway,
// registry/auth/token: 60 s). The `exp` claim is set that much earlier, so the
// registry refuses a token exactly `expiresIn` seconds after it was issued, as
// `expires_in` tells the client.
const REGISTRY_LEEWAY_SECONDS = 60;

const base64url = (value) => Buffer.from(value).toString('base64url');

/** `repository:team/app:pull,push` → { type, name, actions }; null when malformed. */
function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return null;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean),
  };
}

/** What `rights` allows of a requested scope: the requested actions it may do. */
function grant(rights, { type, name, actions }) {
  let allowed = [];
  // `repository(plugin)` style classes still name repositories.
  if (type === 'repository' || type.startsWith('repository(')) allowed = rights.repository(name);
  else if (type === 'registry' && name === 'catalog' && rights.catalog) allowed = ['*'];
  return actions.filter((action) => allowed.includes(action));
}

function makeCertificate(dir, issuer) {
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30',
    '-subj', `/CN=${issuer}`, '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { keyFile, certFile };
}

function unauthorized(res, basicChallenge, headers) {
  const extra = basicChallenge ? { 'WWW-Authenticate': 'Basic realm="tagdeck-token"' } : {};
  res.writeHead(401, { ...headers, ...extra, 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication failed' }] }));
}

/**
 * Starts the token service on `host`:free port. Options:
 * - expiresIn: token lifetime in seconds (`expires_in`, and when the registry stops
 *   accepting the token);
 * - anonymous: 'pull' lets requests without credentials pull every repository except
 *   `private/*` (no catalog); null refuses them (401);
 * - users: { name: { password, repository(name) → actions, catalog } } (DEFAULT_USERS:
 *   admin/admin-secret may do everything, reader/reader-secret pull and the catalog);
 * - service, issuer: the `aud` and `iss` claims the registry is configured with;
 * - cors: answer with permissive CORS headers (a realm trusted across origins);
 * - basicChallenge: send `WWW-Authenticate: Basic` on 401, as some token services do.
 * Returns { url (the realm), port, certFile, service, issuer, requests, mint(), stop() };
 * `requests` gets { user, service, scopes, granted, status } per token request.
 */
export async function startTokenService({
  expiresIn = 300,
  anonymous = null,
  users = DEFAULT_USERS,
  service = 'tagdeck-registry',
  issuer = 'tagdeck-test-issuer',
  host = '127.0.0.1',
  cors = false,
  basicChallenge = false,
} = {}) {
  if (anonymous !== null && !ANONYMOUS[anonymous]) throw new Error(`unknown anonymous access ${anonymous}`);
  const dir = trackTempDir(await mkdtemp(path.join(os.tmpdir(), 'tagdeck-token-')));
  const { keyFile, certFile } = makeCertificate(dir, issuer);
  const privateKey = await readFile(keyFile, 'utf8');
  const certDer = Buffer.from((await readFile(certFile, 'utf8'))
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), 'base64');
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] }));

  /** A signed token for `user` (null: anonymous) holding `access` entries. */
  const mint = ({ user = null, access = [], lifetime = expiresIn } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + lifetime - REGISTRY_LEEWAY_SECONDS,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${header}.${base64url(JSON.stringify(claims))}`;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
  };

  const requests = [];
  const corsHeaders = cors
    ? {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Accept, Content-Type',
      'Access-Control-Max-Age': '600',
    }
    : {};

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://token');
    if (cors && req.method === 'OPTIONS') { res.writeHead(204, corsHeaders).end(); return; }
    if (url.pathname !== '/token') { res.writeHead(404, corsHeaders).end(); return; }
    if (req.method !== 'GET') { res.writeHead(405, { ...corsHeaders, Allow: 'GET' }).end(); return; }

    // Several `scope` parameters, or several scopes in one separated by spaces.
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const requestedService = url.searchParams.get('service');
    const entry = { user: null, service: requestedService, scopes, granted: [], status: 0 };
    requests.push(entry);
    const answer = (status) => { entry.status = status; };

    let rights;
    const authorization = req.headers.authorization ?? '';
    if (authorization) {
      const [scheme, encoded = ''] = authorization.split(' ');
      const decoded = Buffer.from(encoded, 'base64').toString();
      const colon = decoded.indexOf(':');
      const name = colon > 0 ? decoded.slice(0, colon) : decoded;
      entry.user = name || null;
      const user = Object.hasOwn(users, name) ? users[name] : null;
      if (scheme.toLowerCase() !== 'basic' || colon < 0 || !user
        || !samePassword(user.password, decoded.slice(colon + 1))) {
        answer(401);
        unauthorized(res, basicChallenge, corsHeaders);
        return;
      }
      rights = user;
    } else if (anonymous) {
      rights = ANONYMOUS[anonymous];
    } else {
      answer(401);
      unauthorized(res, basicChallenge, corsHeaders);
      return;
    }
    if (requestedService && requestedService !== service) {
      answer(400);
      res.writeHead(400, { ...corsHeaders, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: `unknown service ${requestedService}` }] }));
      return;
    }

    const access = [];
    for (const scope of scopes) {
      const parsed = parseScope(scope);
      if (!parsed) continue;
      const actions = grant(rights, parsed);
      if (actions.length === 0) continue;
      access.push({ type: parsed.type, name: parsed.name, actions });
      entry.granted.push(`${parsed.type}:${parsed.name}:${actions.join(',')}`);
    }
    const token = mint({ user: entry.user, access });
    answer(200);
    res.writeHead(200, { ...corsHeaders, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({
      token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString(),
    }));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address();
  return {
    url: `http://${host}:${port}/token`,
    port,
    certFile,
    service,
    issuer,
    requests,
    mint,
    stop: stopOnSignal(async () => {
      await new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

// Compared through their hashes so the time taken does not depend on where they differ.
const samePassword = (expected, given) =>
  createHash('sha256').update(expected).digest().equals(createHash('sha256').update(given).digest());
