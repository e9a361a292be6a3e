// A plain static file server for the built console (dist/), as any deployment would
// have: files and a directory's index.html, no rewriting (the console's views live in
// the query string, so they need none), plus an optional runtime config.json that
// points the console at a registry. It sends the security headers the deploy/ setups
// send, with the Content-Security-Policy deploy/csp.sh computes from the served
// build, so every test runs the console under the policy it is deployed with.
import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { stopOnSignal } from './processes.mjs';
import { runDeployScript } from './deploy.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// What deploy/nginx/tagdeck.d/console.conf.template and deploy/Caddyfile send.
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The origin of an http(s) URL (a bare host:port taken as http), or null. */
function httpOrigin(value) {
  if (typeof value !== 'string' || !value.trim()) return null;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `http://${value.trim()}`;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The policy for `root` allowing connections to `origins`, computed by deploy/csp.sh
 * (the hashes of index.html's inline scripts). Cached per build and origin list: a
 * rebuild of dist/ while the server runs gets its new hash.
 */
function policyMaker(root) {
  const cache = new Map();
  return async (origins) => {
    const index = await stat(path.join(root, 'index.html'));
    const key = `${index.mtimeMs}:${index.size}|${origins.join(' ')}`;
    if (!cache.has(key)) {
      const computing = runDeployScript('csp.sh', [root, ...origins]).then((out) => out.trim());
      computing.catch(() => cache.delete(key));
      cache.set(key, computing);
    }
    return cache.get(key);
  };
}

/**
 * Serves `root` on 127.0.0.1:`port` (0 = any free port). Options:
 * - config: an object served as /config.json (read per request: fill it after start);
 * - csp: send Content-Security-Policy (deploy/csp.sh for `root`), X-Frame-Options,
 *   X-Content-Type-Options and Referrer-Policy as the deploy/ setups do (default true);
 * - connectSrc: URLs whose origins connect-src allows besides 'self', read per request
 *   (push to it after start). As deploy/configure.sh does, config.registry and
 *   config.trustedRealms are always allowed too;
 * - connectSrcFromQuery: the name of a query parameter of the page address (e.g.
 *   'registry') whose origin connect-src also allows, for tests that open the console
 *   on another registry through its address, as if the operator had listed it;
 * - files: { '/path': string | Buffer } extra files served under the same headers
 *   (test pages next to the console).
 * Returns { url, policy(pageUrl?) → Promise<string>, stop() }.
 */
export async function serveStatic(root, {
  port = 0, config = null, csp = true, connectSrc = [], connectSrcFromQuery = null, files = {},
} = {}) {
  const base = path.resolve(root);
  const makePolicy = policyMaker(base);
  if (csp) await makePolicy([]); // fails now, not at the first page, without a build
  const policyFor = (url) => {
    const origins = [config?.registry, ...(config?.trustedRealms ?? []), ...connectSrc];
    if (connectSrcFromQuery) origins.push(url.searchParams.get(connectSrcFromQuery));
    return makePolicy([...new Set(origins.map(httpOrigin).filter(Boolean))]);
  };
  const headersFor = async (url, type) => (csp
    ? { 'Content-Type': type, 'Cache-Control': 'no-cache', 'Content-Security-Policy': await policyFor(url), ...SECURITY_HEADERS }
    : { 'Content-Type': type });
  const typeOf = (file) => TYPES[path.extname(file)] ?? 'application/octet-stream';

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    try {
      if (config && pathname === '/config.json') {
        res.writeHead(200, {
          'Content-Type': TYPES['.json'], 'Cache-Control': 'no-store',
          ...(csp ? { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' } : {}),
        });
        res.end(JSON.stringify(config));
        return;
      }
      if (Object.hasOwn(files, pathname)) {
        res.writeHead(200, await headersFor(url, typeOf(pathname)));
        res.end(files[pathname]);
        return;
      }
      let file = path.join(base, pathname);
      if (file !== base && !file.startsWith(base + path.sep)) { res.writeHead(403).end(); return; }
      let body;
      try {
        if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
        body = await readFile(file);
      } catch {
        res.writeHead(404, await headersFor(url, 'text/plain; charset=utf-8')).end('not found');
        return;
      }
      res.writeHead(200, await headersFor(url, typeOf(file)));
      res.end(body);
    } catch (error) {
      // The policy could not be computed (dist/ half rebuilt...): say so, never serve without it.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`static server: ${error.message}`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    policy: (pageUrl = '/') => policyFor(new URL(pageUrl, 'http://x')),
    stop: stopOnSignal(() => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    })),
  };
}
