// The deployment for registries with login: nginx serves the console and forwards
// /v2/ to the registry on the same origin, so the browser never sends a CORS preflight.
import { test as base, expect } from '@playwright/test';
import { distDir, screenshotPath } from './harness.mjs';
import { startProxiedRegistry } from '../../scripts/lib/registry.mjs';
import { pushDemoFixtures, repositoryNames } from '../../scripts/lib/fixtures.mjs';

const test = base.extend({
  proxied: [async ({}, use) => {
    const proxied = await startProxiedRegistry({ consoleDir: distDir });
    try {
      const report = await pushDemoFixtures(proxied.url, { credentials: proxied.credentials, scaleTags: 0 });
      await use({ ...proxied, report });
    } finally {
      await proxied.stop();
    }
  }, { scope: 'worker' }],
});

test('the registry refuses anonymous requests behind the proxy', async ({ proxied }) => {
  const response = await fetch(`${proxied.url}/v2/_catalog`);
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toContain('Basic');
});

test('with login, the console on the same origin lists the repositories', async ({ browser, proxied }) => {
  // The browser's own remembered credentials are never used: the console's form is.
  const context = await browser.newContext({
    httpCredentials: { username: proxied.credentials.user, password: proxied.credentials.password },
  });
  const page = await context.newPage();
  await page.goto(`${proxied.url}/`);
  await expect(page.getByText('from same origin as this page')).toBeVisible();
  await expect(page.locator('form.sign-in')).toBeVisible();
  await page.getByRole('textbox', { name: 'User name' }).fill(proxied.credentials.user);
  await page.getByLabel('Password or access token').fill(proxied.credentials.password);
  await page.locator('form.sign-in').getByRole('button', { name: 'Sign in' }).click();
  const items = page.getByRole('list', { name: 'Repositories' }).getByRole('listitem');
  await expect(items).toHaveCount(repositoryNames(proxied.report).length);
  expect((await items.allTextContents()).map((s) => s.trim()).sort()).toEqual(repositoryNames(proxied.report));
  await page.screenshot({ path: screenshotPath('same-origin-catalog') });
  await context.close();
});
