// The console under the Content-Security-Policy it is deployed with (deploy/csp.sh),
// which the test static server sends too: no other site may frame it, the console
// works within it without a single violation, and the harness's violation watcher
// (harness.mjs, on every test) does catch one.
import http from 'node:http';
import { test, expect, distDir } from './harness.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';

/** A page on another origin (no policy of its own) that frames `src`. */
async function startFramingSite(src) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Framing site</title><h1>Someone else's page</h1>
<iframe id="console" src="${src}" width="800" height="600"></iframe>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

test('another site cannot frame the console', async ({ page, deployment, cspViolations }) => {
  const target = `${deployment.console}/?repo=demo/web`;
  const framing = await startFramingSite(target);
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  try {
    const framed = page.waitForResponse((response) => response.url() === target);
    await page.goto(framing.url);
    const response = await framed;
    expect(response.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers()['x-frame-options']).toBe('DENY');
    // Chromium refuses the frame and says why (in the framing page's console: the
    // refused document never runs, so it has no securitypolicyviolation event).
    await expect.poll(() => cspViolations.list.map((v) => v.text))
      .toContain(`Framing '${deployment.console}/' violates the following Content Security Policy directive: "frame-ancestors 'none'". The request has been blocked.`);
    cspViolations.allow(/frame-ancestors 'none'/);
    // Nothing of the console ran in the frame: no bundle, no config, no registry request.
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame).toBeTruthy();
    await expect(page.frameLocator('#console').getByRole('heading', { name: /Tags of/ })).toHaveCount(0);
    expect(requests.filter((url) => /\.wasm$|\.js$|config\.json$/.test(url) || url.startsWith(deployment.registry.url)))
      .toEqual([]);
    await expect(page.getByRole('heading', { name: "Someone else's page" })).toBeVisible();
  } finally {
    await framing.stop();
  }
});

test('the console browses a repository under its policy without a violation', async ({ page, deployment, cspViolations }) => {
  const response = await page.goto(`${deployment.console}/`);
  const policy = response.headers()['content-security-policy'];
  expect(policy).toBe(await deployment.site.policy('/'));
  expect(policy).toMatch(/^default-src 'none'; script-src 'self' 'wasm-unsafe-eval'(?: 'sha256-[A-Za-z0-9+/]{43}='){2}; style-src 'self';/);
  expect(policy).toContain(`connect-src 'self' ${deployment.registry.url};`);
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
  expect(response.headers()['referrer-policy']).toBe('no-referrer');

  const repositories = page.getByRole('list', { name: 'Repositories' });
  await repositories.getByRole('link', { name: 'demo/web', exact: true }).click();
  await expect(page.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 20_000 });
  const row = page.locator('[role="row"][data-tag="1.0"]');
  await expect(row.locator('code.digest')).toHaveAttribute('title', deployment.report.repositories['demo/web']['1.0'].digest);
  // A dialog, a multi-arch image's details: the parts with the most dynamic styling.
  await row.getByRole('button', { name: 'Add tag' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await page.goto(`${deployment.console}/?repo=demo/multiarch&ref=2.0`);
  await expect(page.locator('.full-digest')).toHaveText(deployment.report.repositories['demo/multiarch']['2.0'].digest);
  await page.evaluate(() => new Promise((resolve) => { requestAnimationFrame(() => requestAnimationFrame(resolve)); }));
  expect(cspViolations.list).toEqual([]);
  expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
});

test('the watcher catches inline script, style attribute and a forbidden connection', async ({ page, cspViolations }) => {
  const site = await serveStatic(distDir, {
    files: {
      '/inline.html': `<!doctype html><title>inline</title>
<p id="styled" style="color: rgb(255, 0, 0)">styled</p>
<script>window.inlineRan = true;</script>`,
    },
  });
  try {
    const response = await page.goto(`${site.url}/inline.html`);
    expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await page.evaluate(() => window.inlineRan)).toBeUndefined();
    expect(await page.locator('#styled').evaluate((el) => getComputedStyle(el).color)).not.toBe('rgb(255, 0, 0)');
    // connect-src: only this origin (no registry configured).
    const refused = await page.evaluate(() => fetch('http://127.0.0.1:9/v2/').then(() => 'fetched', (e) => e.name));
    expect(refused).toBe('TypeError');

    await expect.poll(() => cspViolations.list.filter((v) => v.source === 'event').map((v) => v.directive).sort())
      .toEqual(['connect-src', 'script-src-elem', 'style-src-attr']);
    expect(cspViolations.list.some((v) => v.source === 'console' && /inline script/.test(v.text))).toBe(true);
    expect(await page.evaluate(() => window.__cspViolations.length)).toBe(3);
    // So a test with these would fail...
    expect(() => cspViolations.check()).toThrow(/^Content-Security-Policy violations:\n/);
    for (const directive of ['script-src-elem', 'style-src-attr', 'connect-src']) {
      expect(() => cspViolations.check()).toThrow(new RegExp(`  - ${directive} blocked`));
    }
    // ...and only the expected ones are let through here.
    cspViolations.allow(/script-src-elem|style-src-attr|connect-src|inline script|inline style|Refused to connect/);
    expect(cspViolations.unexpected()).toEqual([]);
  } finally {
    await site.stop();
  }
});

test('a registry the policy does not allow is explained as such, not as one that does not answer', async ({ page, deployment, cspViolations }) => {
  await page.goto(`${deployment.console}/`);
  await expect(page.getByRole('link', { name: 'demo/web', exact: true })).toBeVisible();
  // The deployment's registry on another address the policy does not list: it
  // answers, but the browser refuses the connection before any request leaves.
  const elsewhere = deployment.registry.url.replace('127.0.0.1', 'localhost');
  await page.locator('#registry-address').fill(elsewhere);
  await page.getByRole('button', { name: 'Connect' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'not allowed to connect' });
  await expect(alert).toContainText('This console is not allowed to connect to that registry');
  await expect(alert).toContainText(`${elsewhere} is not one of them`);
  await expect(page.getByText('Nothing answered')).toHaveCount(0);
  cspViolations.allow(/connect-src|Refused to connect/);
});
