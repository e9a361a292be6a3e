// A fault-injecting HTTP proxy between the browser and a test registry, on a free
// loopback port. It forwards every request unchanged and answers with the registry's
// answer, except where a rule says otherwise: delay it, never answer, drop the
// connection, answer an error instead of forwarding, forward and then answer an error
// (the write happened, the client sees a failure), or page a tag list that
// distribution 2.8 would send whole. It answers CORS itself, as the registry would
// with the usual http.headers (DOMAIN.md), so a console on another origin can use it.
//
//   const proxy = await startFaultProxy({ target: registry.url });
//   proxy.addRule({ method: 'PUT', path: /\/manifests\//, nth: 2, action: { after: { status: 502 } } });
//
// Rules are tried in the order they were added; every rule whose method and path fit
// a request counts it (rule.matches), the first one whose nth/times allow it takes it
// (rule.hits). OPTIONS preflights are answered by the proxy and only match a rule
// that names method 'OPTIONS', so a fault aimed at a request never breaks its
// preflight instead.
import http from 'node:http';
import { stopOnSignal } from './processes.mjs';

const CORS_METHODS = ['HEAD', 'GET', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
const CORS_HEADERS = ['Authorization', 'Accept', 'Content-Type'];
const CORS_EXPOSE = ['Docker-Content-Digest', 'Link', 'Location', 'WWW-Authenticate', 'Retry-After', 'Content-Length'];

// RFC 9110 §7.6.1 plus the legacy ones: never forwarded either way.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

const TAGS_LIST = /^\/v2\/(.+)\/tags\/list$/;

/** The registry error code distribution would send with `status`. */
function errorCode(status) {
  switch (status) {
    case 400: return 'UNSUPPORTED';
    case 401: return 'UNAUTHORIZED';
    case 403: return 'DENIED';
    case 404: return 'NAME_UNKNOWN';
    case 405: return 'UNSUPPORTED';
    case 429: return 'TOOMANYREQUESTS';
    default: return 'UNKNOWN';
  }
}

/** A registry error envelope (DOMAIN.md, Errors) for an injected `status`. */
export function errorEnvelope(status, message = `injected by the fault proxy (${status})`) {
  return JSON.stringify({ errors: [{ code: errorCode(status), message, detail: null }] });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function headersWithoutHopByHop(raw) {
  const connectionTokens = new Set(String(raw.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  const out = {};
  for (const [name, value] of Object.entries(raw)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || connectionTokens.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function pathMatches(pattern, pathname, pathAndQuery) {
  if (pattern === undefined || pattern === null) return true;
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0; // a /g or /y pattern must not remember the previous request
    return pattern.test(pathAndQuery);
  }
  return pattern === pathAndQuery || pattern === pathname;
}

/**
 * Starts the proxy in front of `target` (the registry's base URL, e.g.
 * http://127.0.0.1:5000). Options:
 * - corsOrigin: Access-Control-Allow-Origin on every answer (default '*');
 * - upstreamError: what the client gets when the registry cannot be reached (it is
 *   stopped, restarting...): 'bad-gateway' (default; a 502 with an error envelope and
 *   CORS headers, as nginx in front of a dead registry) or 'drop' (the connection is
 *   closed without an answer).
 * Returns { url, port, rules, addRule(rule) → rule, removeRule(rule), clearRules(),
 *   log, clearLog(), stop() }. log: [{ method, path, status | 'dropped' | 'hung',
 *   faulted, rule?, upstream? }], one entry per request in arrival order (status is
 *   null while the answer is pending; upstream is what the registry answered when an
 *   `after` rule replaced it).
 *
 * A rule: { method?, path?: RegExp | string, nth?, times?, action }.
 * - method: only requests with this method (OPTIONS only when named);
 * - path: a RegExp tested on pathname+search, or a string equal to pathname+search
 *   or to pathname;
 * - nth: 1-based, the nth matching request is the first one affected (default 1);
 * - times: how many matching requests to affect from there (default: unlimited, or
 *   1 when nth is given);
 * - action, one of:
 *   { delay: ms }                 wait, then forward (the request body is already
 *                                 read: it reaches the registry even if the client
 *                                 gave up meanwhile);
 *   { hang: true }                never answer; the socket stays open until the
 *                                 client closes it or the proxy stops;
 *   { drop: true }                close the connection without an answer, nothing
 *                                 forwarded;
 *   { status, retryAfter?, body?, headers? }
 *                                 answer that, nothing forwarded (body: string, or
 *                                 an object sent as JSON; default an error envelope);
 *   { after: { status, retryAfter?, body? } | { drop: true } | { hang: true } }
 *                                 forward first (the write happens), then answer
 *                                 that status instead, drop the connection, or
 *                                 never answer (the client's timeout must end it);
 *   { pageTags: { size, exposeLink = true } }
 *                                 for GET /v2/<name>/tags/list only: the proxy asks
 *                                 the registry for the whole list and serves it in
 *                                 pages of `size` tags in lexical order, honouring
 *                                 the client's `n` (capped at size) and `last`, with
 *                                 Link: </v2/<name>/tags/list?n=<size>&last=<tag>>;
 *                                 rel="next" on every page but the last; with
 *                                 exposeLink false, Link is left out of
 *                                 Access-Control-Expose-Headers.
 *   `delay` may be combined with status, after or pageTags (the delay comes first).
 * addRule returns the rule itself, with rule.matches (requests that fit method and
 * path) and rule.hits (requests it affected) kept up to date.
 */
export async function startFaultProxy({ target, corsOrigin = '*', upstreamError = 'bad-gateway' } = {}) {
  if (!target) throw new Error('startFaultProxy needs target');
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:') throw new Error(`fault proxy: only http targets (${target})`);
  const targetOrigin = upstream.origin;
  const rules = [];
  const log = [];
  const pending = new Set(); // upstream requests in flight, aborted on stop
  let origin = null; // the proxy's own origin, once listening

  const corsHeaders = ({ exposeLink = true } = {}) => ({
    'access-control-allow-origin': corsOrigin,
    'access-control-allow-methods': CORS_METHODS.join(', '),
    'access-control-allow-headers': CORS_HEADERS.join(', '),
    'access-control-expose-headers': CORS_EXPOSE.filter((h) => exposeLink || h !== 'Link').join(', '),
    ...(corsOrigin === '*' ? {} : { vary: 'Origin' }),
  });

  const rewriteOrigin = (value) => (Array.isArray(value)
    ? value.map(rewriteOrigin)
    : String(value).split(targetOrigin).join(origin));

  // The registry's answer headers as the client should get them.
  function answerHeaders(raw, cors) {
    const out = {};
    for (const [name, value] of Object.entries(headersWithoutHopByHop(raw))) {
      if (name.startsWith('access-control-')) continue; // ours replace the registry's
      out[name] = name === 'location' || name === 'link' ? rewriteOrigin(value) : value;
    }
    return { ...out, ...cors };
  }

  /** Sends the request to the registry; resolves to the response (not yet read). */
  function forward(req, body, { path = req.url, method = req.method, headers = null } = {}) {
    return new Promise((resolve, reject) => {
      const outHeaders = headers ?? headersWithoutHopByHop(req.headers);
      outHeaders.host = upstream.host;
      if (body) outHeaders['content-length'] = String(body.length);
      else delete outHeaders['content-length'];
      const request = http.request({
        host: upstream.hostname, port: upstream.port || 80, method, path, headers: outHeaders, agent: false,
      }, (response) => {
        pending.delete(request);
        resolve(response);
      });
      pending.add(request);
      request.on('error', (error) => { pending.delete(request); reject(error); });
      request.end(body && body.length ? body : undefined);
    });
  }

  // The connection closes after one byte that starts no HTTP answer. Closed before
  // any byte, a browser that reused a kept-alive connection for the request takes
  // it for a stale connection and sends the request again by itself: the fault
  // would never reach the page. (A browser reads the byte as a broken answer,
  // ERR_INVALID_HTTP_RESPONSE in Chromium; fetch fails as for a dropped connection.)
  function drop(req, res, entry) {
    entry.status = 'dropped';
    req.socket.end('\0', () => req.socket.destroy());
    res.destroy();
  }

  function sendStatus(res, entry, { status, retryAfter, body, headers = {} }) {
    const text = body === undefined ? errorEnvelope(status)
      : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const out = { 'content-type': 'application/json; charset=utf-8', ...headers, ...corsHeaders() };
    if (retryAfter !== undefined) out['retry-after'] = String(retryAfter);
    out['content-length'] = String(Buffer.byteLength(text));
    entry.status = status;
    res.writeHead(status, out);
    res.end(text);
  }

  function upstreamFailed(req, res, entry, error) {
    entry.error = error.code ?? error.message;
    if (upstreamError === 'drop' || res.headersSent) {
      drop(req, res, entry);
      return;
    }
    sendStatus(res, entry, { status: 502, body: errorEnvelope(502, `registry unreachable: ${entry.error}`) });
  }

  async function passThrough(req, res, entry, body) {
    const response = await forward(req, body);
    entry.status = response.statusCode;
    if (res.destroyed) { response.destroy(); return; } // the client gave up meanwhile
    res.writeHead(response.statusCode, answerHeaders(response.headers, corsHeaders()));
    response.on('error', () => res.destroy()); // the registry died mid-answer
    response.pipe(res);
    res.on('close', () => { if (!response.complete) response.destroy(); });
  }

  async function forwardThenFail(req, res, entry, body, after) {
    const response = await forward(req, body);
    await readBody(response); // the registry has answered: the write is done
    entry.upstream = response.statusCode;
    if (after.drop) drop(req, res, entry);
    else if (after.hang) entry.status = 'hung';
    else sendStatus(res, entry, after);
  }

  async function pageTags(req, res, entry, { size, exposeLink = true }) {
    const url = new URL(req.url, 'http://x');
    const name = TAGS_LIST.exec(url.pathname)[1];
    const response = await forward(req, null, { path: `/v2/${name}/tags/list` });
    const raw = await readBody(response);
    const cors = corsHeaders({ exposeLink });
    if (response.statusCode !== 200) {
      entry.status = response.statusCode;
      res.writeHead(response.statusCode, { ...answerHeaders(response.headers, cors), 'content-length': String(raw.length) });
      res.end(raw);
      return;
    }
    const all = [...(JSON.parse(raw.toString('utf8')).tags ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const asked = Number.parseInt(url.searchParams.get('n') ?? '', 10);
    const n = Number.isNaN(asked) || asked < 0 ? size : Math.min(asked, size);
    const last = url.searchParams.get('last');
    const rest = last === null ? all : all.filter((tag) => tag > last);
    const page = rest.slice(0, n);
    const text = JSON.stringify({ name, tags: page });
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      ...cors,
    };
    if (rest.length > page.length && page.length > 0) {
      const next = new URLSearchParams({ n: String(size), last: page[page.length - 1] });
      headers.link = `</v2/${name}/tags/list?${next}>; rel="next"`;
    }
    entry.status = 200;
    res.writeHead(200, headers);
    res.end(text);
  }

  // The first rule that takes this request, after every fitting rule counted it.
  function ruleFor(method, pathname, pathAndQuery) {
    let chosen = null;
    for (const rule of rules) {
      if (rule.method ? rule.method.toUpperCase() !== method : method === 'OPTIONS') continue;
      if (!pathMatches(rule.path, pathname, pathAndQuery)) continue;
      if (rule.action.pageTags && (method !== 'GET' || !TAGS_LIST.test(pathname))) continue;
      rule.matches += 1;
      if (chosen) continue;
      const first = rule.nth ?? 1;
      const times = rule.times ?? (rule.nth !== undefined ? 1 : Infinity);
      if (rule.matches >= first && rule.hits < times) {
        rule.hits += 1;
        chosen = rule;
      }
    }
    return chosen;
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://x');
    const pathAndQuery = url.pathname + url.search;
    const entry = { method: req.method, path: pathAndQuery, status: null, faulted: false };
    log.push(entry);
    const rule = ruleFor(req.method, url.pathname, pathAndQuery);
    if (rule) {
      entry.faulted = true;
      entry.rule = rule;
    }
    const action = rule?.action ?? {};

    if (action.drop) { drop(req, res, entry); return; }
    if (action.hang) {
      entry.status = 'hung';
      req.resume(); // read and ignore the body, never answer
      return;
    }
    if (req.method === 'OPTIONS' && !rule) {
      entry.status = 204;
      res.writeHead(204, { ...corsHeaders(), 'access-control-max-age': '600', 'content-length': '0' });
      res.end();
      return;
    }
    const body = await readBody(req);
    if (action.delay) await sleep(action.delay);
    try {
      if (action.status !== undefined) sendStatus(res, entry, action);
      else if (action.after) await forwardThenFail(req, res, entry, body, action.after);
      else if (action.pageTags) await pageTags(req, res, entry, action.pageTags);
      else if (req.method === 'OPTIONS') {
        entry.status = 204;
        res.writeHead(204, { ...corsHeaders(), 'content-length': '0' });
        res.end();
      } else await passThrough(req, res, entry, body);
    } catch (error) {
      upstreamFailed(req, res, entry, error);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, corsHeaders());
      res.end(String(error?.stack ?? error));
    });
  });
  // A dropped or hung request must not take the proxy down with it.
  server.on('clientError', (error, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  origin = `http://127.0.0.1:${port}`;

  return {
    url: origin,
    port,
    rules,
    log,
    addRule(rule) {
      if (!rule?.action || typeof rule.action !== 'object') throw new Error('a fault rule needs an action');
      const known = ['delay', 'hang', 'drop', 'status', 'after', 'pageTags'];
      if (!Object.keys(rule.action).some((key) => known.includes(key))) {
        throw new Error(`unknown fault action ${JSON.stringify(rule.action)}`);
      }
      if (rule.action.pageTags && !(rule.action.pageTags.size > 0)) throw new Error('pageTags needs size > 0');
      rule.matches = 0;
      rule.hits = 0;
      rules.push(rule);
      return rule;
    },
    removeRule(rule) {
      const index = rules.indexOf(rule);
      if (index >= 0) rules.splice(index, 1);
    },
    clearRules() { rules.length = 0; },
    clearLog() { log.length = 0; },
    stop: stopOnSignal(() => new Promise((resolve) => {
      for (const request of pending) request.destroy();
      pending.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    })),
  };
}
