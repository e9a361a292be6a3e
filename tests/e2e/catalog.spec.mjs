import { test, expect, screenshotPath } from './harness.mjs';
import { repositoryNames } from '../../scripts/lib/fixtures.mjs';

const repositoryItems = (page) => page.getByRole('list', { name: 'Repositories' }).getByRole('listitem');

test('lists exactly the repositories the fixture generator pushed', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/`);
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
  const shown = (await repositoryItems(page).allTextContents()).map((s) => s.trim());
  expect(shown.sort()).toEqual(repositoryNames(deployment.report));
  // And what the registry itself lists, asked directly.
  const catalog = await (await fetch(`${deployment.registry.url}/v2/_catalog?n=1000`)).json();
  expect(shown.sort()).toEqual(catalog.repositories.sort());
  await expect(page.getByText('from config.json')).toBeVisible();
  await page.screenshot({ path: screenshotPath('catalog'), fullPage: true });
});

test('nested names are grouped under their namespaces and filter as you type', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/`);
  const list = page.getByRole('list', { name: 'Repositories' });
  await expect(list.locator('.namespace-heading .namespace-name')).toHaveText(['demo/', 'scale/', 'team/', 'team/sub/']);
  await page.getByRole('searchbox', { name: 'Filter repositories' }).fill('sub/a');
  await expect(repositoryItems(page)).toHaveText(['team/sub/app']);
  await expect(page.getByRole('status').filter({ hasText: 'match' })).toContainText('1 of');
});

test('the registry can also come from the page address', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(deployment.registry.url)}`);
  await expect(page.getByText('from page address')).toBeVisible();
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
});

test('a password in the page address is left out of the address bar, its links and what is stored', async ({ page, deployment }) => {
  const plain = new URL(deployment.registry.url);
  const withPassword = `http://alice:s3cret@${plain.host}`;
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(withPassword)}`);
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
  await expect(page.getByRole('status').filter({ hasText: 'were left out' }))
    .toContainText('The user name and password in that address were left out');
  expect(decodeURIComponent(page.url())).not.toContain('s3cret');
  expect(decodeURIComponent(page.url())).toContain(`registry=http://${plain.host}`);
  const link = repositoryItems(page).getByRole('link', { name: 'demo/web', exact: true });
  expect(decodeURIComponent(await link.getAttribute('href'))).not.toContain('alice');
  await link.click();
  await expect(page.locator('[role="row"][data-tag="1.0"]')).toBeVisible();
  expect(decodeURIComponent(page.url())).not.toContain('s3cret');
  // Back to the first history entry: it holds no password either.
  await page.goBack();
  await expect(repositoryItems(page).first()).toBeVisible();
  expect(decodeURIComponent(page.url())).not.toContain('s3cret');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain('s3cret');
  // A link that repeats the parameter, the password in the second one.
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(deployment.registry.url)}&registry=${encodeURIComponent(withPassword)}`);
  await expect(repositoryItems(page).first()).toBeVisible();
  expect(decodeURIComponent(page.url())).not.toContain('s3cret');
});

test('a registry address in the page address that cannot be used says why, and is sent nothing', async ({ page, deployment }) => {
  const sent = [];
  page.on('request', (request) => { if (request.url().includes('/v2/')) sent.push(request.url()); });
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent('ftp://files.example')}`);
  const alert = page.getByRole('main').getByRole('alert');
  await expect(alert).toContainText('The registry address "ftp://files.example" (from page address) cannot be used:');
  await expect(alert).toContainText("Enter a registry's address above.");
  expect(sent).toEqual([]);
});

test('an unreachable registry is explained, not a blank page, and can be tried again', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent('http://127.0.0.1:9')}`);
  await expect(page.getByRole('alert')).toContainText('could not be reached');
  await expect(page.getByRole('alert')).toContainText('http://127.0.0.1:9');
  const asked = page.waitForRequest((request) => request.url() === 'http://127.0.0.1:9/v2/');
  await page.getByRole('button', { name: 'Try again' }).click();
  await asked;
  await expect(page.getByRole('alert')).toContainText('could not be reached');
});

test('the diagnosis is fetched when first shown; without it the failure is still told, and Try again checks again and fetches it', async ({ page, deployment }) => {
  let refuse = true;
  const fetched = [];
  await page.route(/\/split_diagnosis-[0-9a-f]+\.wasm$/, (route) => {
    fetched.push(route.request().url());
    return refuse ? route.abort('internetdisconnected') : route.continue();
  });
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent('http://127.0.0.1:9')}`);
  const alert = page.getByRole('main').getByRole('alert');
  await expect(alert).toContainText('could not be reached', { timeout: 20_000 });
  await expect(alert).toContainText('127.0.0.1:9');
  await expect.poll(() => fetched.length).toBeGreaterThan(0);
  refuse = false;
  const asked = page.waitForRequest((request) => request.url() === 'http://127.0.0.1:9/v2/');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await asked;
  await expect(page.getByRole('heading', { name: 'The registry could not be reached' })).toBeVisible();
  expect(fetched.length).toBeGreaterThanOrEqual(2);
});

test('https:// to a registry that speaks plain HTTP suggests http://, not "nothing answered"', async ({ page, deployment }) => {
  const plain = new URL(deployment.registry.url);
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(`https://${plain.host}`)}`);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('could not be reached');
  await expect(alert).toContainText(`or the secure (TLS) connection failed. If the registry serves plain HTTP, as a local registry often does, connect to http://${plain.host} instead.`);
  await expect(alert).not.toContainText('Nothing answered');
});

test('a registry address in the page address is cleaned like a typed one', async ({ page, deployment }) => {
  const sloppy = `${deployment.registry.url.replace('http://', '')}/v2/`;
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(sloppy)}`);
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
});

test('connecting through the address field remembers the registry', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent('http://127.0.0.1:9')}`);
  await page.getByRole('combobox', { name: 'Registry' }).fill(deployment.registry.url.replace('http://', ''));
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
  expect(new URL(page.url()).searchParams.get('registry')).toBe(deployment.registry.url);
  const recent = await page.evaluate(() => localStorage.getItem('tagdeck.recentRegistries'));
  expect(JSON.parse(recent)).toContain(deployment.registry.url);
});

test('a password typed into the registry address is left out, cleared from the field, and said so', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(deployment.registry.url)}`);
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
  const field = page.getByRole('combobox', { name: 'Registry' });
  const host = new URL(deployment.registry.url).host;
  // The registry already shown, typed again with credentials in it.
  await field.fill(`http://admin:hunter2@${host}`);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'were left out' }))
    .toContainText('The user name and password in that address were left out: an address keeps no secrets.');
  await expect(field).toHaveValue(deployment.registry.url);
  await expect(repositoryItems(page)).toHaveCount(repositoryNames(deployment.report).length);
  const kept = await page.evaluate(() => JSON.stringify({ local: Object.entries(localStorage), session: Object.entries(sessionStorage), url: location.href }));
  expect(kept).not.toContain('hunter2');
});
