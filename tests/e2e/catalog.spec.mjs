import { test, expect, screenshotPath } from './harness.mjs';
import { repositoryNames } from '../../scripts/lib/fixtures.mjs';

test('lists exactly the repositories the fixture generator pushed', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/`);
  const list = page.getByRole('list', { name: 'Repositories' });
  await expect(list).toBeVisible();
  const shown = (await list.getByRole('listitem').allTextContents()).map((s) => s.trim());
  expect(shown.sort()).toEqual(repositoryNames(deployment.report));
  await page.screenshot({ path: screenshotPath('catalog'), fullPage: true });
});

test('the registry can also come from the page address', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(deployment.registry.url)}`);
  await expect(page.getByText('(from page address)')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Repositories' }).getByRole('listitem'))
    .toHaveCount(repositoryNames(deployment.report).length);
});

test('an unreachable registry gets an explanation, not a blank page', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent('http://127.0.0.1:9')}`);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('could not be reached');
  await expect(alert).toContainText('CORS');
});
