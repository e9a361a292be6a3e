// Two tabs of the console sharing a history: a tab duplicated (or opened by
// window.open) starts with a copy of the first tab's session storage, the journal of
// its changes still running included. Those changes are the first tab's: the copy
// must not offer to Retry or Undo them (nor an Undo or Retry it runs), while a
// reload of the first tab still reconciles its own.
import { test, expect } from './harness.mjs';

test.describe.configure({ mode: 'serial' });

const tagRow = (page, tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
const dialog = (page) => page.getByRole('dialog');
const activity = (page) => page.getByRole('list', { name: 'Activity' }).locator('.activity-entry');
const manifestPut = (tag) => ({ method: 'PUT', path: new RegExp(`/manifests/${tag}$`) });
const journalKeys = (page) => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('tagdeck.journal.')));

// Records in every page the test opens from now on whether `text` was ever on
// screen or in the tab's stored activity list, even for a moment (such as before the
// other tab was asked, which the screen may not have drawn yet on a busy machine).
async function recordIfEverShown(page, text) {
  await page.context().addInitScript((text) => {
    window.everShown = false;
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      if (String(value).includes(text)) window.everShown = true;
      return setItem.call(this, key, value);
    };
    new MutationObserver(() => {
      if (document.body?.textContent.includes(text)) window.everShown = true;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  }, text);
}
const everShown = (page) => page.evaluate(() => window.everShown);

async function startAddTag(page, faults, repo, source, name) {
  await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
  await expect(page.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 90_000 });
  await tagRow(page, source).getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill(name);
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
}

test('a copy of a tab whose change still runs leaves that change to it; a reload of the tab itself reconciles it', async ({ page, faults }) => {
  await page.context().addInitScript(() => {
    window.journalAtStart = Object.keys(sessionStorage).filter((k) => k.startsWith('tagdeck.journal.'));
  });
  faults.proxy.addRule({ ...manifestPut('f-tab-copy'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-tab-copy');
  await expect(dialog(page).getByRole('status')).toContainText('Tagging');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  expect((await journalKeys(page)).length).toBeGreaterThanOrEqual(2);

  // Opened by the page itself, so Chromium gives it a copy of the tab's session storage.
  const [copy] = await Promise.all([
    page.waitForEvent('popup'),
    page.evaluate(() => { window.open(location.href); }),
  ]);
  // The copy did happen: its journal keys as the page found them, before the console
  // in it could clear any (the init script runs before the page's own scripts).
  await copy.waitForLoadState('domcontentloaded');
  expect((await copy.evaluate(() => window.journalAtStart)).length).toBeGreaterThanOrEqual(2);

  const panel = copy.getByRole('region', { name: 'Activity in this tab' });
  await expect(panel).toContainText('1 change still running in another tab of this console was left to that tab', { timeout: 15_000 });
  await expect(activity(copy).filter({ hasText: 'Interrupted' })).toHaveCount(0);
  // In the activity panel only: a tag of the shared registry may have 'retry' in its name.
  await expect(panel.getByRole('button', { name: 'Retry', exact: true })).toHaveCount(0);
  // Only the copy's keys went: the first tab's change still runs and keeps its journal.
  await expect.poll(() => journalKeys(copy)).toEqual([]);
  expect((await journalKeys(page)).length).toBeGreaterThanOrEqual(2);
  await expect(dialog(page).getByRole('status')).toContainText('Tagging');

  // Nothing left in the copy for a reload to find.
  await copy.reload();
  await expect(copy.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 90_000 });
  await copy.waitForTimeout(2_000);
  await expect(activity(copy).filter({ hasText: 'Interrupted' })).toHaveCount(0);
  await expect(copy.getByText('was left to that tab')).toHaveCount(0);
  await copy.close();

  // The first tab reloaded: its page is gone, so its change is reconciled as before.
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Tag demo/web:f-tab-copy');
  await expect(entry).toContainText('demo/web:f-tab-copy does not exist');
  await expect(entry).toContainText('Retry runs it');
  await expect(page.getByText('was left to that tab')).toHaveCount(0);
});

test('a copy of a tab whose Retry still runs says that entry runs in the other tab, and offers nothing for it', async ({ page, faults }) => {
  const hang = faults.proxy.addRule({ ...manifestPut('f-tab-retry'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-tab-retry');
  await expect.poll(() => hang.hits).toBe(1);
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Tag demo/web:f-tab-retry');
  await expect(entry).toContainText('Retry runs it');
  // The Retry hangs on its PUT too: still running, its journal naming the entry.
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect.poll(() => hang.hits).toBe(2);
  await expect(entry).toContainText('retrying');
  expect((await journalKeys(page)).length).toBeGreaterThanOrEqual(2);
  await recordIfEverShown(page, 'was reloaded while this ran');

  const [copy] = await Promise.all([
    page.waitForEvent('popup'),
    page.evaluate(() => { window.open(location.href); }),
  ]);
  const panel = copy.getByRole('region', { name: 'Activity in this tab' });
  await expect(panel).toContainText('1 change still running in another tab of this console was left to that tab', { timeout: 15_000 });
  const copied = activity(copy).filter({ hasText: 'Interrupted: Tag demo/web:f-tab-retry' });
  await expect(copied).toHaveCount(1);
  await expect(copied).toContainText('running in another tab');
  await expect(copied).not.toContainText('was reloaded while this ran');
  for (const name of ['Retry', 'Check again', 'Undo']) {
    await expect(copied.getByRole('button', { name })).toHaveCount(0);
  }
  // Not even while the copy asked whether the first tab lives (Check again shown).
  expect(await everShown(copy)).toBe(false);
  // Still so after a reload of the copy; the first tab's Retry still runs.
  await copy.reload();
  await expect(copied).toContainText('running in another tab', { timeout: 90_000 });
  for (const name of ['Retry', 'Check again', 'Undo']) {
    await expect(copied.getByRole('button', { name })).toHaveCount(0);
  }
  await copy.close();
  await expect(entry).toContainText('retrying');
  expect(hang.hits).toBe(2);
});

test('a copy of a tab whose Undo still runs says that entry runs in the other tab, and offers no Undo again', async ({ page, faults }) => {
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-tab-undo');
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // The undo points the tag at a placeholder first (distribution 2.8 deletes no
  // tag): that PUT hangs, so the undo still runs. An undo opens no journal entry.
  const hang = faults.proxy.addRule({ ...manifestPut('f-tab-undo'), action: { hang: true } });
  const entry = activity(page).filter({ hasText: 'f-tab-undo' });
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => hang.hits).toBe(1);
  await expect(entry).toContainText('undoing');
  await recordIfEverShown(page, 'reloaded while this undo ran');

  const [copy] = await Promise.all([
    page.waitForEvent('popup'),
    page.evaluate(() => { window.open(location.href); }),
  ]);
  const copied = activity(copy).filter({ hasText: 'f-tab-undo' });
  await expect(copied).toHaveCount(1, { timeout: 90_000 });
  await expect(copied).toContainText('running in another tab', { timeout: 15_000 });
  await expect(copied).not.toContainText('reloaded while this undo ran');
  for (const name of ['Undo', 'Retry', 'Check again']) {
    await expect(copied.getByRole('button', { name })).toHaveCount(0);
  }
  // Not even while the copy asked whether the first tab lives (Undo again shown).
  expect(await everShown(copy)).toBe(false);
  await copy.close();
  // The first tab's undo still runs, and the copy wrote nothing.
  await expect(entry).toContainText('undoing');
  expect(hang.hits).toBe(1);
});
