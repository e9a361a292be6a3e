// Whole deployments for tests: a registry with login filled with the demo fixtures,
// and the console in front of it in one of the setups of deploy/. The order matters
// for token auth: the registry's challenges name the realm, which for the browser
// must be on the proxy's origin, so the proxy's port is chosen before the registry
// starts and the proxy itself starts once the registry is up.
import { startRegistry } from './registry.mjs';
import { startTokenRegistry } from './auth-registry.mjs';
import { pushDemoFixtures } from './fixtures.mjs';
import { serveStatic } from './static-server.mjs';
import { startCorsFront, startSameOrigin } from './deploy.mjs';
import { freePort, stopOnSignal } from './processes.mjs';

const SAME_ORIGIN_SERVERS = ['nginx', 'nginx-tls', 'caddy'];

// Stops what started, last first, also when a later step fails.
function stack() {
  const stops = [];
  const stopAll = async () => {
    while (stops.length) await stops.pop()();
  };
  return {
    push: (started) => { stops.push(started.stop); return started; },
    stopAll,
    async guard(body) {
      try {
        return await body();
      } catch (error) {
        await stopAll();
        throw error;
      }
    },
  };
}

/**
 * The console where the browser finds it. Same-origin: the proxy serves it and is the
 * registry too. 'cors-front': a plain static server serves it, with a config.json
 * naming the front (plus `config`'s keys), and the front's CORS origin is its origin.
 */
async function startConsole({ consoleDir, server, registryUpstream, tokenUpstream, port, env, config }) {
  if (SAME_ORIGIN_SERVERS.includes(server)) {
    const proxy = await startSameOrigin({
      consoleDir, registryUpstream, tokenUpstream, server, port, env,
      config: Object.keys(config).length ? config : null,
    });
    return { url: proxy.url, registryUrl: proxy.url, proxy, site: null, stop: proxy.stop };
  }
  if (server !== 'cors-front') throw new Error(`unknown server ${server}`);
  const siteConfig = { ...config };
  const site = await serveStatic(consoleDir, { config: siteConfig });
  try {
    const proxy = await startCorsFront({ registryUpstream, tokenUpstream, allowOrigin: site.url, port });
    siteConfig.registry = proxy.url;
    return {
      url: site.url,
      registryUrl: proxy.url,
      proxy,
      site,
      stop: async () => { await proxy.stop(); await site.stop(); },
    };
  } catch (error) {
    await site.stop();
    throw error;
  }
}

/**
 * A registry with token auth behind one of the setups, filled with the demo fixtures.
 * - server: 'nginx' | 'nginx-tls' | 'caddy' (same origin) or 'cors-front';
 * - expiresIn, anonymous: the token service's (startTokenService);
 * - realmHost: host name of the realm the registry names (default 127.0.0.1; e.g.
 *   'localhost' puts the realm on another origin than the console);
 * - corsOrigin: the registry's own CORS headers (a front must replace them);
 * - env: the entrypoint's variables (REGISTRY_URL, TRUSTED_REALMS) for same-origin;
 * - config: config.json keys (same origin: served as is; cors-front: `registry` is set);
 * - tokenOptions: more of startTokenService's options (users with rights of their own).
 * Returns { url (the console), registryUrl, realm, proxy, site, registry,
 *   tokenService, users: { admin, reader }, report, stop() }.
 */
export async function startTokenDeployment({
  consoleDir, server = 'nginx', expiresIn = 300, anonymous = null, realmHost = '127.0.0.1',
  scaleTags = 0, deletes = true, corsOrigin = null, env = {}, config = {}, tokenOptions = {},
} = {}) {
  const started = stack();
  return started.guard(async () => {
    const port = await freePort();
    const scheme = server === 'nginx-tls' ? 'https' : 'http';
    const realm = `${scheme}://${realmHost}:${port}/token`;
    const auth = started.push(await startTokenRegistry({ expiresIn, anonymous, realmUrl: realm, deletes, corsOrigin, tokenOptions }));
    const site = started.push(await startConsole({
      consoleDir, server, port, env, config,
      registryUpstream: auth.url,
      tokenUpstream: `http://127.0.0.1:${auth.tokenService.port}`,
    }));
    // Straight to the registry and the token service: this process need not trust the
    // proxy's certificate. Tests that check the proxy push through it themselves.
    const report = await pushDemoFixtures(auth.url, {
      credentials: auth.users.admin, realm: auth.tokenService.url, scaleTags,
    });
    return {
      url: site.url,
      registryUrl: site.registryUrl,
      realm,
      proxy: site.proxy,
      site: site.site,
      registry: auth.registry,
      tokenService: auth.tokenService,
      users: auth.users,
      report,
      stop: stopOnSignal(started.stopAll),
    };
  });
}

/**
 * A registry with htpasswd login behind one of the setups, filled with the demo
 * fixtures. Options as startTokenDeployment's, plus user and password.
 * Returns { url (the console), registryUrl, proxy, site, registry, credentials,
 *   report, stop() }.
 */
export async function startBasicDeployment({
  consoleDir, server = 'nginx', user = 'tagdeck', password = 'tagdeck-secret',
  scaleTags = 0, deletes = true, env = {}, config = {},
} = {}) {
  const started = stack();
  return started.guard(async () => {
    const credentials = { user, password };
    const registry = started.push(await startRegistry({ corsOrigin: null, htpasswd: credentials, deletes }));
    const site = started.push(await startConsole({
      consoleDir, server, env, config, port: 0, registryUpstream: registry.url, tokenUpstream: null,
    }));
    const report = await pushDemoFixtures(registry.url, { credentials, scaleTags });
    return {
      url: site.url,
      registryUrl: site.registryUrl,
      proxy: site.proxy,
      site: site.site,
      registry,
      credentials,
      report,
      stop: stopOnSignal(started.stopAll),
    };
  });
}
