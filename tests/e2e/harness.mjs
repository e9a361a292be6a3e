// Playwright fixtures: a real registry filled with the demo images and the release
// build served by a plain static server, both on free loopback ports, stopped after
// the test file even when a test fails. The static server sends the console's
// Content-Security-Policy (deploy/csp.sh), and every test fails if a page of its
// browser context reported a violation of it.
import { test as base, expect } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { pushDemoFixtures } from '../../scripts/lib/fixtures.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { startFaultProxy } from '../../scripts/lib/fault-proxy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// TAGDECK_DIST: another build's folder (engineers building side by side).
export const distDir = process.env.TAGDECK_DIST ? path.resolve(process.env.TAGDECK_DIST) : path.join(root, 'dist');
export const screenshotPath = (name) => path.join(root, 'test-results', 'screenshots', `${name}.png`);

const CSP_MESSAGE = /Content Security Policy/i;
const BINDING = '__tagdeckCspViolation';

// In every frame of every page, before any of the page's own scripts: each
// securitypolicyviolation event is kept on window and reported to the test at once.
const RECORDER = `(() => {
  const binding = ${JSON.stringify(BINDING)};
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    const violation = {
      directive: event.effectiveDirective || event.violatedDirective,
      blockedURI: event.blockedURI,
      sourceFile: event.sourceFile,
      line: event.lineNumber,
      sample: event.sample,
      documentURI: event.documentURI,
      disposition: event.disposition,
    };
    window.__cspViolations.push(violation);
    try { window[binding]?.(violation); } catch { /* the test is gone */ }
  }, true);
})();`;

/**
 * The CSP violations reported in one test: `list` holds { source: 'event' | 'console',
 * text, ...details }. allow(pattern) marks the violations whose text matches as
 * expected (for tests about the policy itself); check() throws when any other one
 * was reported.
 */
export function cspWatch() {
  const list = [];
  const allowed = [];
  const describe = (v) => (v.source === 'console' ? v.text : `${v.directive} blocked ${v.blockedURI || '(inline)'}`
    + `${v.sample ? ` "${v.sample}"` : ''} in ${v.documentURI}${v.sourceFile ? ` (${v.sourceFile}:${v.line})` : ''}`);
  return {
    list,
    add(violation) { list.push({ ...violation, text: describe(violation) }); },
    allow(pattern) { allowed.push(pattern); },
    unexpected() { return list.filter((v) => !allowed.some((pattern) => pattern.test(v.text))); },
    check() {
      const unexpected = this.unexpected();
      if (unexpected.length) {
        throw new Error(`Content-Security-Policy violations:\n${unexpected.map((v) => `  - ${v.text}`).join('\n')}`);
      }
    },
  };
}

/**
 * Makes `watch` (a cspWatch()) see every CSP violation of `context`: console
 * messages about the policy (Chromium logs each refusal, also frame-ancestors, which
 * fires no event in the framing page) and securitypolicyviolation events. For specs
 * that create their own contexts; harness tests get it for `context` and `page`.
 */
export async function watchCsp(context, watch) {
  context.on('console', (message) => {
    if (CSP_MESSAGE.test(message.text())) {
      watch.add({ source: 'console', text: message.text().trim(), url: message.location()?.url ?? '' });
    }
  });
  await context.exposeBinding(BINDING, (_source, violation) => watch.add({ source: 'event', ...violation }));
  await context.addInitScript({ content: RECORDER });
}

/** Lets messages in flight reach the test: one round trip to each open page. */
async function settle(context) {
  await Promise.all(context.pages().map((page) => page.evaluate(() => 0).catch(() => null)));
}

/**
 * The console on a static server and a registry filled with the demo fixtures.
 * With viaFaultProxy, the console talks to the registry through a fault proxy (which
 * answers CORS itself; the registry sends none).
 */
async function deploy(use, registryOptions = {}, { viaFaultProxy = false, scaleTags = 120, extraConfig = {} } = {}) {
  const config = { ...extraConfig };
  const connectSrc = [];
  // Tests that open the console on another registry through ?registry= (one without
  // CORS, an unreachable one) get its origin allowed too, as an operator would list it.
  const site = await serveStatic(distDir, { config, connectSrc, connectSrcFromQuery: 'registry' });
  let registry = null;
  let proxy = null;
  try {
    registry = await startRegistry(viaFaultProxy
      ? { corsOrigin: null, ...registryOptions }
      : { corsOrigin: site.url, ...registryOptions });
    const report = await pushDemoFixtures(registry.url, { scaleTags });
    if (viaFaultProxy) proxy = await startFaultProxy({ target: registry.url, corsOrigin: site.url });
    config.registry = proxy?.url ?? registry.url;
    connectSrc.push(config.registry);
    await use({ console: site.url, registry, proxy, report, site });
  } finally {
    await proxy?.stop();
    await site.stop();
    await registry?.stop();
  }
}

export const test = base.extend({
  // The CSP violations of this test's context; allow() the ones a test expects.
  cspViolations: async ({}, use) => use(cspWatch()),
  context: async ({ context, cspViolations }, use) => {
    await watchCsp(context, cspViolations);
    await use(context);
    await settle(context);
    cspViolations.check();
  },
  // { console, registry, report, site }: console is the URL of the served dist/.
  // Tests that only read share it.
  deployment: [async ({}, use) => deploy(use), { scope: 'worker' }],
  // Deployments of their own for the specs that change tags, so no spec sees
  // another's changes.
  mutable: [async ({}, use) => deploy(use), { scope: 'worker' }],
  bulkDeployment: [async ({}, use) => deploy(use), { scope: 'worker' }],
  // The clean-up planner's: its spec pushes a repository of its own, and config.json
  // holds clean-up defaults for the namespace `clean`.
  cleanupDeployment: [async ({}, use) => deploy(use, {}, {
    scaleTags: 0,
    extraConfig: {
      cleanup: {
        clean: { keepNewest: 5, keep: ['v*'] },
        // A namespace whose one repository has rules of its own (the longest key wins).
        tidy: { keepNewest: 1, others: 'remove' },
        'tidy/keepall': { keep: ['*'] },
      },
    },
  }), { scope: 'worker' }],
  // A registry with deletes disabled.
  noDeletes: [async ({}, use) => deploy(use, { deletes: false }), { scope: 'worker' }],
  // A registry its tests reconfigure (registry.reconfigure: deletes off, read-only).
  reconfigurable: [async ({}, use) => deploy(use, {}, { scaleTags: 0 }), { scope: 'worker' }],
  // The console talking to the registry through a fault proxy:
  // { console, registry, proxy, report, site }. Use `faults` in tests: it is the
  // same deployment with the proxy's rules and log cleared before each test.
  // 2,000 tags in scale/many-tags: the refresh after a change is counted on it.
  faultyDeployment: [async ({}, use) => deploy(use, {}, { viaFaultProxy: true, scaleTags: 2000 }), { scope: 'worker' }],
  faults: async ({ faultyDeployment }, use) => {
    const { proxy } = faultyDeployment;
    proxy.clearRules();
    proxy.clearLog();
    if (!faultyDeployment.registry.running) await faultyDeployment.registry.start();
    await use(faultyDeployment);
    proxy.clearRules();
  },
});

export { expect };
