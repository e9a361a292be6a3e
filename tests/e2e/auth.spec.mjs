// Signing in, in Chromium, against distribution with real token auth (RS256 JWTs from
// the test token service, verified by the registry) and with htpasswd, each behind the
// deploy/ setups exactly as shipped. Every change is checked against the registry
// directly, with a token of the test's own.
import { test as base, expect } from '@playwright/test';
import { distDir, screenshotPath } from './harness.mjs';
import { startTokenDeployment, startBasicDeployment } from '../../scripts/lib/deployments.mjs';
import { repositoryNames } from '../../scripts/lib/fixtures.mjs';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { serveStatic } from '../../scripts/lib/static-server.mjs';
import { DEFAULT_USERS } from '../../scripts/lib/token-service.mjs';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const tokenDeployment = (options = {}) => startTokenDeployment({ consoleDir: distDir, ...options });

/** A token straight from the token service, for checking the registry directly. */
async function adminToken(deployment, scope) {
  const { user, password } = deployment.users.admin;
  const url = `${deployment.tokenService.url}?service=${deployment.tokenService.service}&scope=${encodeURIComponent(scope)}`;
  const answer = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  return (await answer.json()).token;
}

async function registryDigest(deployment, repo, tag) {
  const token = await adminToken(deployment, `repository:${repo}:pull`);
  const answer = await fetch(`${deployment.registry.url}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD', headers: { Accept: ACCEPT, Authorization: `Bearer ${token}` },
  });
  if (answer.status === 404) return null;
  if (!answer.ok) throw new Error(`HEAD ${repo}:${tag}: ${answer.status}`);
  return answer.headers.get('docker-content-digest');
}

/** Every write the page sent to the registry (method and path). */
function recordWrites(page) {
  const writes = [];
  page.on('request', (request) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method()) && request.url().includes('/v2/')) {
      writes.push(`${request.method()} ${new URL(request.url()).pathname}`);
    }
  });
  return writes;
}

/** Collects Content-Security-Policy violations the page reports. */
async function watchCsp(page) {
  const violations = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

async function signIn(page, user, password) {
  const form = page.locator('form.sign-in').first();
  await form.getByRole('textbox', { name: 'User name' }).fill(user);
  await form.getByLabel('Password or access token').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

/** Nothing the user typed or the console obtained is anywhere but in memory. */
async function expectNothingStored(page, secrets) {
  const stored = await page.evaluate(() => JSON.stringify({
    local: Object.entries(localStorage), session: Object.entries(sessionStorage), url: location.href,
  }));
  for (const secret of secrets) expect(stored).not.toContain(secret);
  // JWTs start with base64 of '{"': no token either.
  expect(stored).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
}

const test = base.extend({
  tokens: [async ({}, use) => {
    const deployment = await tokenDeployment();
    try { await use(deployment); } finally { await deployment.stop(); }
  }, { scope: 'worker' }],
});

test.describe.configure({ mode: 'serial' });

test('token auth: sign in, browse, add a tag and remove it, with nothing stored', async ({ page, tokens }) => {
  const csp = await watchCsp(page);
  await page.goto(`${tokens.url}/`);
  const form = page.locator('form.sign-in');
  await expect(form.getByRole('heading')).toHaveText(`Sign in to ${new URL(tokens.url).host}`);
  await expect(form).toContainText(`Sign-in tokens are issued by ${new URL(tokens.realm).host}`);
  await expect(form.getByRole('textbox', { name: 'User name' })).toHaveAttribute('autocomplete', 'username');
  await expect(form.getByLabel('Password or access token')).toHaveAttribute('autocomplete', 'current-password');
  await page.screenshot({ path: screenshotPath('auth-sign-in') });
  await signIn(page, 'admin', 'admin-secret');

  const items = page.getByRole('list', { name: 'Repositories' }).getByRole('listitem');
  await expect(items).toHaveCount(repositoryNames(tokens.report).length);
  await expect(page.locator('.account')).toContainText('Signed in as admin');

  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/web', exact: true }).click();
  const row = (tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
  await row('1.0').getByRole('button', { name: 'Add tag' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'New tag' }).fill('signed-in');
  await dialog.getByRole('button', { name: 'Add tag' }).click();
  const truth = tokens.report.repositories['demo/web']['1.0'].digest;
  await expect(dialog.getByRole('status')).toContainText(`now points at ${truth}`);
  expect(await registryDigest(tokens, 'demo/web', 'signed-in')).toBe(truth);
  await dialog.getByRole('button', { name: 'Close' }).click();

  await row('signed-in').getByRole('button', { name: 'Remove tag' }).click();
  await dialog.getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog.getByRole('status')).toContainText('Removed demo/web:signed-in', { timeout: 20_000 });
  expect(await registryDigest(tokens, 'demo/web', 'signed-in')).toBeNull();
  // The image keeps its other tags.
  expect(await registryDigest(tokens, 'demo/web', '1.0')).toBe(truth);
  await dialog.getByRole('button', { name: 'Close' }).click();

  await expectNothingStored(page, ['admin-secret']);
  await page.screenshot({ path: screenshotPath('auth-signed-in'), fullPage: true });
  // A reload asks again: nothing was kept.
  await page.reload();
  await expect(page.locator('form.sign-in')).toBeVisible();
  expect(csp).toEqual([]);
});

test('a sign-in form submitted without the page\'s code (crashed) puts no credential in the URL', async ({ page, tokens }) => {
  await page.goto(`${tokens.url}/`);
  const form = page.locator('form.sign-in');
  await form.getByRole('textbox', { name: 'User name' }).fill('admin');
  await form.getByLabel('Password or access token').fill('admin-secret');
  // HTMLFormElement.submit() skips the submit handler, as a crashed page would.
  await Promise.all([page.waitForEvent('framenavigated'), form.evaluate((element) => element.submit())]);
  expect(page.url()).not.toContain('admin');
  await expect(page.locator('form.sign-in')).toBeVisible();
  await expectNothingStored(page, ['admin-secret']);
});

test('the sign-in form is fetched when first shown; when it cannot be, the page says so and Try again fetches it', async ({ page, tokens }) => {
  let refuse = true;
  const fetched = [];
  await page.route(/\/split_sign_in-[0-9a-f]+\.wasm$/, (route) => {
    fetched.push(route.request().url());
    return refuse ? route.abort('internetdisconnected') : route.continue();
  });
  await page.goto(`${tokens.url}/`);
  const problem = page.getByRole('alert').filter({ hasText: 'Could not load the sign-in form' });
  await expect(problem).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('form.sign-in')).toHaveCount(0);
  refuse = false;
  await problem.getByRole('button', { name: 'Try again' }).click();
  await signIn(page, 'admin', 'admin-secret');
  await expect(page.locator('.account')).toContainText('Signed in as admin');
  expect(fetched.length).toBeGreaterThanOrEqual(2);
});

test('a reader is told read-only up front and nothing is written', async ({ page, tokens }) => {
  const writes = recordWrites(page);
  await page.goto(`${tokens.url}/?repo=demo%2Fweb`);
  await signIn(page, 'reader', 'reader-secret');
  await expect(page.locator('.account')).toContainText('Signed in as reader');
  await expect(page.getByRole('status').filter({ hasText: 'read-only' }))
    .toContainText('Signed in as reader: read-only in demo/web. Tag changes are disabled.');
  const row = page.locator('[role="row"][data-tag="1.0"]');
  await expect(row.getByRole('button', { name: 'Add tag' })).toBeDisabled();
  await expect(row.getByRole('button', { name: 'Add tag' })).toHaveAttribute('title', /read-only in demo\/web/);
  await expect(row.getByRole('button', { name: 'Remove tag' })).toBeDisabled();
  await page.screenshot({ path: screenshotPath('auth-read-only'), fullPage: true });
  expect(writes).toEqual([]);
  // The token service was asked for push and granted pull only.
  const asked = tokens.tokenService.requests.filter((r) => r.user === 'reader');
  expect(asked.some((r) => r.scopes.some((s) => s.includes('push')))).toBe(true);
  expect(asked.every((r) => r.granted.every((g) => !String(JSON.stringify(g)).includes('push')))).toBe(true);
});

test("a reader is not offered the Undo of an admin's change; signed in again as admin, it undoes", async ({ page, tokens }) => {
  await page.goto(`${tokens.url}/?repo=demo%2Fweb`);
  await signIn(page, 'admin', 'admin-secret');
  const row = (tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
  await row('1.0').getByRole('button', { name: 'Add tag' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'New tag' }).fill('undo-by-reader');
  await dialog.getByRole('button', { name: 'Add tag' }).click();
  const truth = tokens.report.repositories['demo/web']['1.0'].digest;
  await expect(dialog.getByRole('status')).toContainText(`now points at ${truth}`);
  await dialog.getByRole('button', { name: 'Close' }).click();

  await page.locator('.account').getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'reader', 'reader-secret');
  await expect(page.getByRole('status').filter({ hasText: 'read-only' }))
    .toContainText('Signed in as reader: read-only in demo/web. Tag changes are disabled.');
  const entry = page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first();
  const undo = entry.getByRole('button', { name: 'Undo' });
  await expect(undo).toBeDisabled();
  await expect(entry).toContainText('Undo is disabled (signed in as reader: read-only in demo/web).');
  expect(await registryDigest(tokens, 'demo/web', 'undo-by-reader')).toBe(truth);

  await page.locator('.account').getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'admin', 'admin-secret');
  await expect(page.locator('.account')).toContainText('Signed in as admin');
  await expect(undo).toBeEnabled();
  await undo.click();
  await expect(entry).toContainText('undone');
  expect(await registryDigest(tokens, 'demo/web', 'undo-by-reader')).toBeNull();
});

test('a wrong password gets a clear message and no session', async ({ page, tokens }) => {
  await page.goto(`${tokens.url}/`);
  await signIn(page, 'admin', 'not-the-password');
  await expect(page.locator('form.sign-in').getByRole('alert')).toContainText('Wrong user name or password');
  await expect(page.locator('.account')).not.toContainText('Signed in');
  await expectNothingStored(page, ['not-the-password']);
  await page.screenshot({ path: screenshotPath('auth-wrong-password') });
  // An empty field is said in the form, in place of the earlier answer, and the
  // keyboard goes to it; nothing is sent.
  const form = page.locator('form.sign-in');
  const before = tokens.tokenService.requests.length;
  await form.getByLabel('Password or access token').fill('');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByRole('alert')).toHaveText(/Not signed in yet.*Type your password or access token\./);
  await expect(form.getByLabel('Password or access token')).toBeFocused();
  await form.getByLabel('User name').fill('  ');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByRole('alert')).toContainText('Type your user name for this registry.');
  await expect(form.getByLabel('User name')).toBeFocused();
  expect(tokens.tokenService.requests.length).toBe(before);
});

test('a sign-in whose form is left while the token service answers stops nothing', async ({ page, tokens }) => {
  // The form goes (another registry connected) before the answer comes; the answer
  // then found the form's fields gone, which stopped the whole console.
  const crashes = [];
  page.on('pageerror', (error) => crashes.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error' && message.text().includes('panicked')) crashes.push(message.text()); });
  await page.goto(`${tokens.url}/`);
  await expect(page.locator('form.sign-in').getByRole('button', { name: 'Sign in' })).toBeVisible();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let asked = 0;
  await page.route(tokens.realm + '**', async (route) => {
    asked += 1;
    await held;
    await route.continue();
  });
  await signIn(page, 'admin', 'not-the-password');
  await expect.poll(() => asked).toBeGreaterThan(0);
  const address = page.getByRole('search', { name: 'Registry' }).getByRole('combobox');
  await address.fill('http://127.0.0.1:9');
  await address.press('Enter');
  await expect(page.locator('form.sign-in')).toHaveCount(0);
  release();
  await expect(page.getByRole('alert').first()).toBeVisible({ timeout: 20_000 });
  await page.waitForTimeout(500);
  expect(crashes).toEqual([]);
  // Back on the registry: nobody is signed in (the password was wrong), the form asks.
  await page.unroute(tokens.realm + '**');
  await address.fill(tokens.url);
  await address.press('Enter');
  await signIn(page, tokens.users.admin.user, tokens.users.admin.password);
  await expect(page.locator('.account')).toContainText('Signed in as admin');
  expect(crashes).toEqual([]);
});

test('a sign-in that fails after its dialog was closed is told beside the account', async ({ page }) => {
  const deployment = await tokenDeployment({ anonymous: 'pull' });
  try {
    await page.goto(`${deployment.url}/?repo=demo%2Fweb`);
    await expect(page.locator('[role="row"][data-tag="1.0"] code.digest'))
      .toHaveAttribute('title', deployment.report.repositories['demo/web']['1.0'].digest);
    // Hold the token requests that carry the typed password.
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let asked = 0;
    await page.route(deployment.realm + '**', async (route) => {
      if (route.request().headers().authorization) {
        asked += 1;
        await held;
      }
      await route.continue();
    });
    await page.locator('.account').getByRole('button', { name: 'Sign in' }).click();
    await signIn(page, 'admin', 'not-the-password');
    await expect.poll(() => asked).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog')).toHaveCount(0);
    release();
    await expect(page.locator('.account')).toContainText('Signing in as admin failed: Wrong user name or password', { timeout: 20_000 });
    await expect(page.locator('.account')).not.toContainText('Signed in');
    await page.screenshot({ path: screenshotPath('auth-failed-after-close') });
    await expectNothingStored(page, ['not-the-password']);
    // A user name with a colon is refused in the form: Basic auth would split it.
    await page.unroute(deployment.realm + '**');
    await page.locator('.account').getByRole('button', { name: 'Sign in' }).click();
    const before = deployment.tokenService.requests.length;
    await signIn(page, 'ad:min', 'admin-secret');
    await expect(page.locator('form.sign-in').getByRole('alert')).toContainText('A user name cannot contain a colon (:).');
    expect(deployment.tokenService.requests.length).toBe(before);
    await signIn(page, 'admin', 'admin-secret');
    await expect(page.locator('.account')).toContainText('Signed in as admin');
    await expect(page.locator('.account')).not.toContainText('failed');
  } finally {
    await deployment.stop();
  }
});

test('a read refused to the account signed in says so, not "Sign-in required", and is not asked for again and again', async ({ page }) => {
  const outsider = { password: 'outsider-secret', repository: (name) => (name === 'demo/web' ? ['pull'] : []), catalog: true };
  const deployment = await tokenDeployment({ tokenOptions: { users: { ...DEFAULT_USERS, outsider } } });
  try {
    await page.goto(`${deployment.url}/?repo=demo%2Fapi`);
    await signIn(page, 'outsider', 'outsider-secret');
    await expect(page.locator('.account')).toContainText('Signed in as outsider');
    const refused = page.getByRole('alert').filter({ hasText: 'Refused for outsider' });
    await expect(refused).toContainText('The registry did not accept this request from outsider', { timeout: 20_000 });
    await expect(page.locator('.error-headline').filter({ hasText: 'Sign-in required' })).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('auth-refused-for-user'), fullPage: true });
    // Reading again is answered by the registry; the token service is not asked anew.
    const asked = deployment.tokenService.requests.length;
    await refused.getByRole('button', { name: 'Try again' }).click();
    await expect(refused).toBeVisible();
    await page.waitForTimeout(500);
    expect(deployment.tokenService.requests.length).toBe(asked);
    // What the account may read, it reads.
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/web', exact: true }).click();
    const digest = deployment.report.repositories['demo/web']['1.0'].digest;
    await expect(page.locator('[role="row"][data-tag="1.0"] code.digest')).toHaveAttribute('title', digest);
    // A search across the registry says the same of what it could not read.
    await page.locator('[role="row"][data-tag="1.0"]').getByRole('link', { name: `Find where ${digest.slice(7, 19)} is used` }).click();
    const missed = page.locator('.may-have-missed');
    await expect(missed).toContainText('The tags of demo/api could not be read: Refused for outsider.', { timeout: 30_000 });
    await expect(missed).not.toContainText('Sign-in required');
  } finally {
    await deployment.stop();
  }
});

test('an expired token is renewed without asking again', async ({ page }) => {
  const deployment = await tokenDeployment({ expiresIn: 3 });
  try {
    await page.goto(`${deployment.url}/`);
    await signIn(page, 'admin', 'admin-secret');
    await expect(page.getByRole('list', { name: 'Repositories' })).toBeVisible();
    const before = deployment.tokenService.requests.length;
    // Outlive the token, then keep working.
    await page.waitForTimeout(4_000);
    await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/api', exact: true }).click();
    await expect(page.locator('[role="row"][data-tag="v1"] code.digest'))
      .toHaveAttribute('title', deployment.report.repositories['demo/api'].v1.digest);
    await expect(page.locator('form.sign-in')).toHaveCount(0);
    expect(deployment.tokenService.requests.length).toBeGreaterThan(before);
    expect(deployment.tokenService.requests.slice(before).every((r) => r.user === 'admin')).toBe(true);
  } finally {
    await deployment.stop();
  }
});

test('a token realm on an untrusted host is refused and gets nothing', async ({ page }) => {
  // The realm is `localhost`, the console and registry are `127.0.0.1`: another origin.
  const deployment = await tokenDeployment({ realmHost: 'localhost' });
  try {
    const before = deployment.tokenService.requests.length; // the fixtures' own
    await page.goto(`${deployment.url}/`);
    const alert = page.getByRole('alert').first();
    await expect(alert).toContainText('Sign-in refused: untrusted token service');
    await expect(alert).toContainText(new URL(deployment.realm).host);
    await expect(alert).toContainText('trustedRealms');
    expect(deployment.tokenService.requests.slice(before)).toEqual([]);
    await page.screenshot({ path: screenshotPath('auth-untrusted-realm') });
  } finally {
    await deployment.stop();
  }
});

test('anonymous pull is used where allowed; the catalog asks for a sign-in', async ({ page }) => {
  const deployment = await tokenDeployment({ anonymous: 'pull' });
  const writes = recordWrites(page);
  try {
    await page.goto(`${deployment.url}/?repo=demo%2Fweb`);
    await expect(page.locator('[role="row"][data-tag="1.0"] code.digest'))
      .toHaveAttribute('title', deployment.report.repositories['demo/web']['1.0'].digest);
    await expect(page.getByRole('status').filter({ hasText: 'read-only' }))
      .toContainText('Not signed in: read-only in demo/web. Tag changes are disabled.');
    await page.getByRole('link', { name: 'Repositories' }).click();
    await expect(page.getByRole('alert')).toContainText('Sign-in required');
    await page.getByRole('alert').getByRole('button', { name: 'Sign in' }).click();
    await signIn(page, 'admin', 'admin-secret');
    await expect(page.getByRole('list', { name: 'Repositories' }).getByRole('listitem'))
      .toHaveCount(repositoryNames(deployment.report).length);
    expect(writes).toEqual([]);
  } finally {
    await deployment.stop();
  }
});

test('Caddy and nginx with TLS and HTTP/2 serve the same sign-in', async ({ browser }) => {
  for (const server of ['caddy', 'nginx-tls']) {
    const deployment = await tokenDeployment({ server });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const csp = await watchCsp(page);
    try {
      await page.goto(`${deployment.url}/?repo=demo%2Fmultiarch`);
      await signIn(page, 'admin', 'admin-secret');
      await expect(page.locator('[role="row"][data-tag="2.0"] code.digest'))
        .toHaveAttribute('title', deployment.report.repositories['demo/multiarch']['2.0'].digest);
      if (server === 'nginx-tls') {
        // Only requests that were answered name a protocol: the first check's 401
        // unmounts the views beside it (ConnectionGate), which cancels what they
        // still had in flight.
        const protocols = await page.evaluate(() => performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/v2/') && e.responseStart > 0).map((e) => e.nextHopProtocol));
        expect(protocols.length).toBeGreaterThan(0);
        expect(new Set(protocols)).toEqual(new Set(['h2']));
      }
      expect(csp).toEqual([]);
    } finally {
      await context.close();
      await deployment.stop();
    }
  }
});

/** htpasswd: Basic auth as an explicit header, same-origin and across origins. */
test('htpasswd: same origin through deploy nginx, and cross-origin through the CORS front', async ({ page }) => {
  for (const server of ['nginx', 'cors-front']) {
    const deployment = await startBasicDeployment({ consoleDir: distDir, server });
    const { user, password } = deployment.credentials;
    try {
      await page.goto(`${deployment.url}/`);
      await signIn(page, user, password);
      await expect(page.getByRole('list', { name: 'Repositories' }).getByRole('listitem'))
        .toHaveCount(repositoryNames(deployment.report).length);
      await expect(page.locator('.account')).toContainText(`Signed in as ${user}`);
      await expectNothingStored(page, [password, Buffer.from(`${user}:${password}`).toString('base64')]);
      await page.screenshot({ path: screenshotPath(`auth-basic-${server}`) });
    } finally {
      await deployment.stop();
    }
  }
});

/**
 * A CORS front that does not expose WWW-Authenticate (a common setup: only
 * Docker-Content-Digest): the page cannot learn how to sign in, so it says what to
 * change instead of offering a sign-in that could never be sent.
 */
test('a registry whose CORS settings hide WWW-Authenticate is told so, with the setting to change', async ({ page }) => {
  const deployment = await startBasicDeployment({ consoleDir: distDir, server: 'cors-front' });
  try {
    await page.route(`${deployment.registryUrl}/v2/**`, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers(), 'access-control-expose-headers': 'Docker-Content-Digest' };
      await route.fulfill({ response, headers });
    });
    await page.goto(`${deployment.url}/`);
    const alert = page.getByRole('alert').first();
    await expect(alert).toContainText('hides how to sign in');
    await expect(alert).toContainText('Access-Control-Expose-Headers: WWW-Authenticate');
    await expect(page.getByLabel('CORS configuration for the registry')).toContainText('WWW-Authenticate');
    await expect(page.locator('form.sign-in')).toHaveCount(0);
    await expect(alert).not.toContainText('Sign-in required');
    await page.screenshot({ path: screenshotPath('auth-challenge-hidden') });
  } finally {
    await deployment.stop();
  }
});

/**
 * distribution with htpasswd and its own CORS headers, which allow the console's
 * origin: it still answers the browser's preflight with 401 (distribution#4458), so
 * every request of the console fails as a bare network error. No header is missing:
 * the page says the login keeps other origins out, and shows the one-origin setup
 * instead of the CORS snippet the registry already has.
 */
test('a registry with a login and CORS headers of its own is told to share an origin, not to add headers', async ({ page }) => {
  const config = {};
  const site = await serveStatic(distDir, { config });
  let registry = null;
  try {
    const credentials = { user: 'tagdeck', password: 'tagdeck-secret' };
    registry = await startRegistry({ corsOrigin: site.url, htpasswd: credentials });
    config.registry = registry.url;
    // What the page meets: a preflight refused for want of a login, and a GET without
    // custom headers answered 401 with CORS headers that allow the page.
    const preflight = await fetch(`${registry.url}/v2/`, {
      method: 'OPTIONS',
      headers: { Origin: site.url, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'accept' },
    });
    expect(preflight.status).toBe(401);
    const simple = await fetch(`${registry.url}/v2/`, { headers: { Origin: site.url } });
    expect(simple.status).toBe(401);
    expect(simple.headers.get('access-control-allow-origin')).toBe(site.url);

    await page.goto(`${site.url}/`);
    const alert = page.getByRole('alert').first();
    await expect(alert).toContainText('The registry asks for a login, so pages from other origins cannot use it');
    await expect(alert).toContainText('preflight (OPTIONS');
    await expect(alert).toContainText('No CORS setting of distribution can change that');
    await expect(alert).not.toContainText('refused this page (CORS)');
    await expect(page.getByLabel('Reverse proxy configuration')).toContainText(`proxy_pass ${registry.url}`);
    await expect(page.getByLabel('CORS configuration for the registry')).toHaveCount(0);
    await expect(page.locator('form.sign-in')).toHaveCount(0);
    await page.screenshot({ path: screenshotPath('auth-login-refuses-preflight'), fullPage: true });
  } finally {
    await registry?.stop();
    await site.stop();
  }
});

/**
 * A 401 that names no way this console signs in (Negotiate, a Bearer challenge with
 * no realm to get tokens from) or none at all, on the page's own origin: said at
 * once, instead of a sign-in form that could send nothing.
 */
test('a 401 naming no way this console signs in is said up front, with no sign-in form', async ({ page }) => {
  // No config.json: the console's own origin is the registry, every header readable.
  const site = await serveStatic(distDir);
  let challenge = null;
  await page.route(/\/v2\/$/, (route) => route.fulfill({
    status: 401,
    headers: { 'Content-Type': 'application/json', ...(challenge ? { 'WWW-Authenticate': challenge } : {}) },
    body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
  }));
  try {
    for (const [sent, headline] of [
      ['Negotiate', 'asks for a kind of sign-in this console does not offer'],
      ['Bearer service="registry"', 'asks for a kind of sign-in this console does not offer'],
      [null, 'asks for a sign-in without saying how'],
    ]) {
      challenge = sent;
      await page.goto(`${site.url}/`);
      const alert = page.getByRole('alert').first();
      await expect(alert, String(sent)).toContainText(headline);
      if (sent) await expect(alert).toContainText(`WWW-Authenticate: ${sent}`);
      await expect(page.locator('form.sign-in')).toHaveCount(0);
      await expect(alert).not.toContainText('Sign-in required');
      await expect(page.getByLabel('CORS configuration for the registry')).toHaveCount(0);
    }
    await page.screenshot({ path: screenshotPath('auth-no-sign-in-way') });
  } finally {
    await site.stop();
  }
});
