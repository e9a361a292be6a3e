// Playwright fixtures: a real registry filled with the demo images and the release
// build served by a plain static server, both on free loopback ports, stopped after
// the test file even when a test fails.
import { test as base, expect } from '@playwright/test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { pushDemoFixtures } from '../../scripts/lib/fixtures.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = path.join(root, 'dist');
export const screenshotPath = (name) => path.join(root, 'test-results', 'screenshots', `${name}.png`);

/** The console on a static server and a registry filled with the demo fixtures. */
async function deploy(use, registryOptions = {}) {
  const config = {};
  const site = await serveStatic(distDir, { config });
  const registry = await startRegistry({ corsOrigin: site.url, ...registryOptions });
  try {
    const report = await pushDemoFixtures(registry.url, { scaleTags: 120 });
    config.registry = registry.url;
    await use({ console: site.url, registry, report });
  } finally {
    await site.stop();
    await registry.stop();
  }
}

export const test = base.extend({
  // { console, registry, report }: console is the URL of the served dist/. Tests
  // that only read share it.
  deployment: [async ({}, use) => deploy(use), { scope: 'worker' }],
  // Deployments of their own for the specs that change tags, so no spec sees
  // another's changes.
  mutable: [async ({}, use) => deploy(use), { scope: 'worker' }],
  bulkDeployment: [async ({}, use) => deploy(use), { scope: 'worker' }],
  // A registry with deletes disabled.
  noDeletes: [async ({}, use) => deploy(use, { deletes: false }), { scope: 'worker' }],
});

export { expect };
