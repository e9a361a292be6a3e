// The deployment kit of deploy/ started on free loopback ports, through its own files:
// the entrypoint renders the nginx templates, configure.sh writes config.json and
// prints the Content-Security-Policy, Caddy reads deploy/Caddyfile as it is. Only the
// process-level nginx.conf (pid, logs, temp paths) is the harness's, where the nginx
// image has its own.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { onFreePort, spawnManaged, stopOnSignal, trackTempDir, waitFor } from './processes.mjs';

const DEPLOY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy');
const run = promisify(execFile);

// A clean environment for the deploy scripts and servers: what the caller's shell
// happens to export (a REGISTRY_URL of their own...) must not change a test.
const cleanEnv = (vars) => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir() };
  for (const [name, value] of Object.entries(vars)) if (value !== undefined && value !== null) env[name] = String(value);
  return env;
};

/** Runs deploy/<script> with `args` in a clean environment plus `env`; resolves to stdout. */
export async function runDeployScript(script, args = [], env = {}) {
  try {
    const { stdout } = await run('sh', [path.join(DEPLOY_DIR, script), ...args], { env: cleanEnv(env) });
    return stdout;
  } catch (error) {
    throw new Error(`deploy/${script} failed (${error.code}): ${error.stderr}`);
  }
}

/** The status of a GET, over http or https (any certificate); rejects when unreachable. */
function httpStatus(url, { headers = {} } = {}) {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
async function makeTlsCertificate(dir) {
  const certFile = path.join(dir, 'tls.crt');
  const keyFile = path.join(dir, 'tls.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
  ]);
  return { certFile, keyFile };
}

/**
 * nginx in the foreground with `dir` for its pid, logs and temp files, loading every
 * server file in `serversDir`. Started as root, nginx would run its workers as
 * `nobody`, who cannot read a checkout inside a folder only root may enter (any
 * `mktemp -d`): every page would be a 500. So the workers run as the user running the
 * tests.
 */
async function startNginx(dir, serversDir, probeUrl) {
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const conf = `daemon off;
${user}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${serversDir}/*.conf;
}
`;
  const confFile = path.join(dir, 'nginx.conf');
  await writeFile(confFile, conf);
  const proc = spawnManaged('nginx', ['-e', `${dir}/error.log`, '-p', dir, '-c', confFile]);
  try {
    // nginx writes its pid file only once it holds its ports: until then an answer
    // may come from whoever else listens there (nginx keeps trying to bind for 2 s).
    const ours = async () => (await httpStatus(probeUrl)) > 0
      && (await readFile(path.join(dir, 'nginx.pid'), 'utf8')).trim() === String(proc.child.pid);
    await waitFor(`nginx on ${probeUrl}`, ours, { exited: proc.exited });
  } catch (error) {
    await proc.stop();
    throw new Error(`${error.message}\n${await readLog(path.join(dir, 'error.log'))}`);
  }
  return proc;
}

/** Caddy with deploy/Caddyfile; its own state (autosave, certificates) stays in `dir`. */
async function startCaddy(dir, env, probeUrl) {
  const log = await open(path.join(dir, 'caddy.log'), 'a');
  const proc = spawnManaged('caddy', ['run', '--config', path.join(DEPLOY_DIR, 'Caddyfile'), '--adapter', 'caddyfile'], {
    logFile: log.fd,
    env: cleanEnv({
      ...env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config'),
    }),
  });
  try {
    await waitFor(`caddy on ${probeUrl}`, async () => (await httpStatus(probeUrl)) > 0, { exited: proc.exited });
  } catch (error) {
    await proc.stop();
    await log.close();
    throw new Error(`${error.message}\n${await readLog(path.join(dir, 'caddy.log'))}`);
  }
  return { stop: async () => { await proc.stop(); await log.close(); } };
}

async function readLog(file) {
  try {
    return (await readFile(file, 'utf8')).slice(-4000);
  } catch {
    return '(no log)';
  }
}

/**
 * The same-origin setup: one server on 127.0.0.1 serves the console from `consoleDir`,
 * forwards /v2/ to `registryUpstream` and, when given, `tokenPath` to `tokenUpstream`.
 * - server: 'nginx' (deploy/nginx/tagdeck.conf.template), 'nginx-tls' (HTTPS and
 *   HTTP/2 with a self-signed certificate, tagdeck-tls.conf.template) or 'caddy'
 *   (deploy/Caddyfile);
 * - port: where to listen (0: a free port), for callers that had to name it earlier;
 * - env: more variables for the entrypoint / configure.sh (REGISTRY_URL,
 *   TRUSTED_REALMS: they write config.json and widen the policy's connect-src);
 * - config: an object to serve as config.json instead.
 * config.json is written to a folder of its own, never into `consoleDir`.
 * Returns { url, port, server, configDir, certFile (TLS), stop() }.
 */
export async function startSameOrigin(options = {}) {
  if (options.port) return startSameOriginOn(options.port, options);
  return onFreePort((port) => startSameOriginOn(port, options));
}

async function startSameOriginOn(listenPort, {
  consoleDir, registryUpstream, tokenUpstream = null, tokenPath = '/token', server = 'nginx',
  env = {}, config = null,
} = {}) {
  if (!['nginx', 'nginx-tls', 'caddy'].includes(server)) throw new Error(`unknown server ${server}`);
  const dir = trackTempDir(await mkdtemp(path.join(os.tmpdir(), `tagdeck-${server}-`)));
  const configDir = path.join(dir, 'config');
  await mkdir(configDir);
  const tls = server === 'nginx-tls' ? await makeTlsCertificate(dir) : null;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${listenPort}`;
  const vars = {
    ...env,
    TAGDECK_ROOT: path.resolve(consoleDir),
    TAGDECK_CONFIG_DIR: configDir,
    REGISTRY_UPSTREAM: registryUpstream,
    TOKEN_UPSTREAM: tokenUpstream ?? undefined,
    TOKEN_PATH: tokenPath,
  };

  let proc;
  try {
    if (server === 'caddy') {
      const csp = (await runDeployScript('configure.sh', [], vars)).trim();
      if (config) await writeFile(path.join(configDir, 'config.json'), JSON.stringify(config));
      proc = await startCaddy(dir, {
        ...vars,
        TAGDECK_CSP: csp,
        TAGDECK_SITE: `http://:${listenPort}`,
        TAGDECK_BIND: '127.0.0.1',
        TAGDECK_TOKEN_ROUTE: tokenUpstream ? 'token_route' : undefined,
      }, `${url}/`);
    } else {
      const serversDir = path.join(dir, 'conf.d');
      await runDeployScript('docker-entrypoint.sh', [], {
        ...vars,
        TAGDECK_CONF_DIR: serversDir,
        TAGDECK_LISTEN: `127.0.0.1:${listenPort}`,
        TLS_CERT: tls?.certFile,
        TLS_KEY: tls?.keyFile,
      });
      if (config) await writeFile(path.join(configDir, 'config.json'), JSON.stringify(config));
      proc = await startNginx(dir, serversDir, `${url}/`);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port: listenPort,
    server,
    configDir,
    certFile: tls?.certFile ?? null,
    stop: stopOnSignal(async () => {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    }),
  };
}

/**
 * The cross-origin setup's front: nginx before a registry on another origin than the
 * console, answering CORS preflights itself (deploy/nginx/cors-front.conf.template),
 * forwarding /v2/ to `registryUpstream` and `tokenPath` to `tokenUpstream` if given.
 * Returns { url, port, stop() }.
 */
export async function startCorsFront(options = {}) {
  if (options.port) return startCorsFrontOn(options.port, options);
  return onFreePort((port) => startCorsFrontOn(port, options));
}

async function startCorsFrontOn(listenPort, {
  registryUpstream, tokenUpstream = null, tokenPath = '/token', allowOrigin,
} = {}) {
  if (!allowOrigin) throw new Error('startCorsFront needs allowOrigin');
  const dir = trackTempDir(await mkdtemp(path.join(os.tmpdir(), 'tagdeck-cors-front-')));
  const serversDir = path.join(dir, 'conf.d');
  const routes = path.join(serversDir, 'tagdeck.d');
  await mkdir(routes, { recursive: true });
  const vars = {
    TAGDECK_LISTEN: `127.0.0.1:${listenPort}`,
    TAGDECK_ROUTES: routes,
    ALLOW_ORIGIN: allowOrigin,
    REGISTRY_UPSTREAM: registryUpstream,
    TOKEN_UPSTREAM: tokenUpstream ?? undefined,
    TOKEN_PATH: tokenPath,
  };
  const render = (template, output) =>
    runDeployScript('render.sh', [path.join(DEPLOY_DIR, 'nginx', template), output], vars);
  const url = `http://127.0.0.1:${listenPort}`;
  let proc;
  try {
    await render('cors-front.conf.template', path.join(serversDir, 'cors-front.conf'));
    await render('tagdeck.d/registry.conf.template', path.join(routes, 'registry.conf'));
    if (tokenUpstream) await render('tagdeck.d/token.conf.template', path.join(routes, 'token.conf'));
    proc = await startNginx(dir, serversDir, `${url}/v2/`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port: listenPort,
    stop: stopOnSignal(async () => {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    }),
  };
}
