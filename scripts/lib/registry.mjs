// Test registry harness: CNCF distribution (Debian's `docker-registry`) on a free
// loopback port with its own temporary storage. Every test that needs a registry
// goes through here, so all of them get the same, known configuration.
import { mkdtemp, writeFile, rm, open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { spawnManaged, onFreePort, waitFor, trackTempDir, stopOnSignal } from './processes.mjs';
import { startSameOrigin } from './deploy.mjs';

const CORS_METHODS = ['HEAD', 'GET', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
const CORS_HEADERS = ['Authorization', 'Accept', 'Content-Type'];
const CORS_EXPOSE = ['Docker-Content-Digest', 'Link', 'Location', 'WWW-Authenticate', 'Content-Length'];

const yamlString = (value) => `'${String(value).replaceAll("'", "''")}'`;
const yamlList = (items) => `[${items.map(yamlString).join(', ')}]`;

function authConfig({ htpasswdFile, token }) {
  if (htpasswdFile) return `auth:\n  htpasswd:\n    realm: tagdeck-test\n    path: ${htpasswdFile}\n`;
  if (token) {
    return `auth:\n  token:\n    realm: ${yamlString(token.realm)}\n    service: ${yamlString(token.service)}\n`
      + `    issuer: ${yamlString(token.issuer)}\n    rootcertbundle: ${yamlString(token.rootCertBundle)}\n`;
  }
  return '';
}

// Sent on every answer of one registry process: its start waits for this value, not
// just any answer, so a server someone else started on the port is never taken for it.
const INSTANCE_HEADER = 'X-Tagdeck-Test-Instance';

function registryConfig({ port, storage, deletes, readOnly = false, corsOrigin, corsHeaders, htpasswdFile, token, storageRedirect, instance }) {
  const headers = [`    X-Content-Type-Options: [nosniff]`, `    ${INSTANCE_HEADER}: [${yamlString(instance)}]`];
  if (corsOrigin) {
    headers.push(
      `    Access-Control-Allow-Origin: ['${corsOrigin}']`,
      `    Access-Control-Allow-Methods: ${yamlList(CORS_METHODS)}`,
      `    Access-Control-Expose-Headers: ${yamlList(CORS_EXPOSE)}`,
    );
    if (corsHeaders.length) headers.push(`    Access-Control-Allow-Headers: ${yamlList(corsHeaders)}`);
  }
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: ${deletes}
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: ${readOnly}
${storageRedirect ? `middleware:
  storage:
    - name: redirect
      options:
        baseurl: ${storageRedirect}
` : ''}http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
  headers:
${headers.join('\n')}
${authConfig({ htpasswdFile, token })}`;
}

/**
 * Starts a registry. Options:
 * - deletes: whether DELETE is enabled (default true);
 * - corsOrigin: value of Access-Control-Allow-Origin, or null for no CORS headers;
 * - corsHeaders: Access-Control-Allow-Headers (empty: a half-done CORS setup whose
 *   preflights fail);
 * - htpasswd: { user, password } to require Basic auth;
 * - token: { realm, service, issuer, rootCertBundle } to require tokens from a token
 *   service (see token-service.mjs; startTokenRegistry in auth-registry.mjs wires both).
 * - port: where to listen (default: a free port, another one if it is taken before
 *   the registry binds it);
 * - storageRedirect: a base URL; blob GETs and HEADs are answered with a redirect
 *   there, as a registry on cloud storage (S3, GCS) answers them (distribution's
 *   redirect storage middleware).
 * Returns { url, port, dir, running, kill(), start(), restart(), stop() }:
 * - kill({ signal = 'SIGKILL' }): ends the registry process as a crash would (no
 *   draining; SIGTERM for a polite stop); storage and config stay;
 * - start(): starts it again on the same port, storage and config, resolves once it
 *   answers; meanwhile requests fail with connection refused;
 * - restart({ downMs = 0 }): kill(), wait downMs, start();
 * - running: whether the process is up (false between kill() and start()).
 * - reconfigure({ deletes, readOnly }): restarts it with deletes on or off, in or out
 *   of distribution's maintenance read-only mode (every write answered 405 with a
 *   plain-text body); what is not given stays as it was.
 */
export async function startRegistry(options = {}) {
  if (options.port) return startRegistryOn(options.port, options);
  return onFreePort((port) => startRegistryOn(port, options));
}

async function startRegistryOn(port, {
  deletes = true, corsOrigin = '*', corsHeaders = CORS_HEADERS, htpasswd = null, token = null,
  storageRedirect = null,
} = {}) {
  const dir = trackTempDir(await mkdtemp(path.join(os.tmpdir(), 'tagdeck-registry-')));
  const instance = randomBytes(8).toString('hex');
  let htpasswdFile = null;
  if (htpasswd) {
    htpasswdFile = path.join(dir, 'htpasswd');
    const line = execFileSync('htpasswd', ['-Bbn', htpasswd.user, htpasswd.password]).toString().trim();
    await writeFile(htpasswdFile, `${line}\n`);
  }
  const configFile = path.join(dir, 'config.yml');
  const settings = { deletes, readOnly: false };
  const writeConfig = () => writeFile(configFile, registryConfig({
    port, storage: path.join(dir, 'storage'), ...settings, corsOrigin, corsHeaders, htpasswdFile,
    token, storageRedirect, instance,
  }));
  await writeConfig();
  const log = await open(path.join(dir, 'registry.log'), 'a');
  const url = `http://127.0.0.1:${port}`;
  let proc = null;

  async function launch() {
    if (proc) throw new Error(`registry on ${url} is already running`);
    const started = spawnManaged('docker-registry', ['serve', configFile], { logFile: log.fd });
    proc = started;
    started.exited.then(() => { if (proc === started) proc = null; });
    // Any HTTP answer from /v2/ (200, or 401 with auth) means the server is up, if
    // it is this one's.
    const ours = async () => (await fetch(`${url}/v2/`)).headers.get(INSTANCE_HEADER) === instance;
    try {
      await waitFor(`registry on ${url}`, ours, { exited: started.exited });
    } catch (error) {
      await started.stop();
      throw error;
    }
  }

  async function kill({ signal = 'SIGKILL' } = {}) {
    const running = proc;
    if (!running) return;
    try { process.kill(-running.child.pid, signal); } catch { /* already gone */ }
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000, 'timeout'));
    if ((await Promise.race([running.exited, timeout])) === 'timeout') await running.stop();
    proc = null;
  }

  try {
    await launch();
  } catch (error) {
    await log.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    dir,
    get running() { return proc !== null; },
    kill,
    start: launch,
    async restart({ downMs = 0 } = {}) {
      await kill();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await launch();
    },
    async reconfigure(changes) {
      Object.assign(settings, changes);
      await kill({ signal: 'SIGTERM' });
      await writeConfig();
      await launch();
    },
    stop: stopOnSignal(async () => {
      await proc?.stop();
      proc = null;
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

/**
 * The same-origin deployment: nginx, configured by deploy/ (tagdeck.conf.template),
 * serves the console from `consoleDir` and forwards `/v2/` to a registry that requires
 * htpasswd login. A browser page served here never needs CORS, which is the only way a
 * registry with auth works (DOMAIN.md). `config` is served as config.json.
 * Returns { url, registry, proxy, credentials, stop() }.
 */
export async function startProxiedRegistry({ consoleDir, config = null, user = 'tagdeck', password = 'tagdeck-secret' } = {}) {
  const registry = await startRegistry({ corsOrigin: null, htpasswd: { user, password } });
  let proxy;
  try {
    proxy = await startSameOrigin({ consoleDir, registryUpstream: registry.url, config });
  } catch (error) {
    await registry.stop();
    throw error;
  }
  return {
    url: proxy.url,
    registry,
    proxy,
    credentials: { user, password },
    stop: stopOnSignal(async () => {
      await proxy.stop();
      await registry.stop();
    }),
  };
}
