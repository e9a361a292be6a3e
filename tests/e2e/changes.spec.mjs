// Changing tags through the console, each result checked with skopeo or plain
// registry requests, never only through the console itself.
import { test, expect, screenshotPath } from './harness.mjs';
import { skopeoDigest, tagDigest, retagBehindTheBack } from './registry-truth.mjs';
import { pushImage, writerFor, manifestStatus } from './referrer-fixtures.mjs';

test.describe.configure({ mode: 'serial' });

const tagRow = (page, tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
const dialog = (page) => page.getByRole('dialog');

async function openRepository(page, deployment, repo) {
  await page.goto(`${deployment.console}/?repo=${encodeURIComponent(repo)}`);
  await expect(page.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 20_000 });
}

/** Opens a repository through the app's own links, so the tab (and its activity list) stays. */
async function navigateToRepository(page, repo) {
  await page.getByRole('link', { name: 'Tagdeck' }).click();
  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: repo, exact: true }).click();
  await expect(page.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 20_000 });
}

async function addTag(page, deployment, repo, sourceTag, newTag) {
  if (page.url().startsWith(deployment.console)) await navigateToRepository(page, repo);
  else await openRepository(page, deployment, repo);
  await tagRow(page, sourceTag).getByRole('button', { name: 'Add tag' }).click();
  // The dialog opens on the field it asks for.
  await expect(dialog(page).getByRole('textbox', { name: 'New tag' })).toBeFocused();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill(newTag);
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
}

test('every manifest kind keeps its digest when tagged', async ({ page, mutable }) => {
  const kinds = [['demo/web', '1.0'], ['demo/api', 'v1'], ['demo/legacy-multiarch', '3.1'], ['demo/multiarch', '2.0']];
  for (const [repo, source] of kinds) {
    const truth = mutable.report.repositories[repo][source].digest;
    await addTag(page, mutable, repo, source, `e2e-${source}`);
    await expect(dialog(page).getByRole('status')).toContainText(`now points at ${truth}`);
    expect(skopeoDigest(mutable.registry.url, `${repo}:e2e-${source}`)).toBe(truth);
    // Done, the focus is on Close: a second Enter closes the dialog, it does not tag again.
    await expect(dialog(page).getByRole('button', { name: 'Close' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toHaveCount(0);
    await expect(tagRow(page, `e2e-${source}`).locator('code.digest')).toHaveAttribute('title', truth);
  }
  // One tab, four changes: all of them are listed, newest first, with their digests.
  const activity = page.getByRole('list', { name: 'Activity' }).getByRole('listitem');
  await expect(activity).toHaveCount(4);
  await expect(activity.first()).toContainText(mutable.report.repositories['demo/multiarch']['2.0'].digest);
  await page.screenshot({ path: screenshotPath('activity'), fullPage: true });
});

test('a tag name is validated as it is typed', async ({ page, mutable }) => {
  await openRepository(page, mutable, 'demo/web');
  await tagRow(page, '1.0').getByRole('button', { name: 'Add tag' }).click();
  const field = dialog(page).getByRole('textbox', { name: 'New tag' });
  await field.fill('.hidden');
  await expect(dialog(page)).toContainText("starts with '.'");
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(dialog(page).getByRole('button', { name: 'Add tag' })).toBeDisabled();
  await field.fill('ok-name');
  await expect(dialog(page).getByRole('button', { name: 'Add tag' })).toBeEnabled();
  // A blank inside is refused; blanks around a pasted name are not part of it.
  await field.fill('ok name');
  await expect(dialog(page)).toContainText("contains ' '");
  await field.fill(' pasted-name ');
  await expect(field).toHaveAttribute('aria-invalid', 'false');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  const digest = mutable.report.repositories['demo/web']['1.0'].digest;
  await expect(dialog(page).getByRole('status')).toContainText(`demo/web:pasted-name now points at ${digest}`);
  expect(await tagDigest(mutable.registry.url, 'demo/web', 'pasted-name')).toBe(digest);
});

test('moving a tag needs confirmation and can be undone', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const newer = mutable.report.repositories['demo/web']['1.0'].digest;
  const older = mutable.report.repositories['demo/web']['0.9'].digest;
  await addTag(page, mutable, 'demo/web', '1.0', '0.9');
  const confirm = dialog(page).getByRole('alert');
  await expect(confirm).toContainText(older);
  await expect(confirm).toContainText(newer);
  expect(await tagDigest(registry, 'demo/web', '0.9')).toBe(older); // nothing happened yet
  await page.screenshot({ path: screenshotPath('move-confirmation') });
  // The question is about the tag the field named: edited, it goes; named again, it is back.
  const field = dialog(page).getByRole('textbox', { name: 'New tag' });
  await field.fill('0.9-other');
  await expect(confirm).toHaveCount(0);
  await field.fill('0.9');
  await expect(confirm).toContainText(older);
  await confirm.getByRole('button', { name: 'Move tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`moved from sha256:${older.slice(7, 19)}`);
  expect(skopeoDigest(registry, 'demo/web:0.9')).toBe(newer);
  // The Move tag button is gone with the question it answered; the focus is on Close.
  await expect(dialog(page).getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog(page)).toHaveCount(0);
  // Each Undo is described by the change it undoes (a screen reader lists many).
  const undo = page.getByRole('list', { name: 'Activity' }).getByRole('button', { name: 'Undo' }).first();
  await expect(undo).toHaveAccessibleDescription(/demo\/web:0\.9/);
  // From the keyboard: the entry is drawn anew for each state, and the focus follows
  // it (it fell to the page's top with the pressed button); the outcome is announced.
  await undo.focus();
  await page.keyboard.press('Enter');
  const entry = page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first();
  await expect(entry).toContainText('undone');
  await expect(entry).toBeFocused();
  await expect(page.getByRole('region', { name: 'Activity in this tab' }).getByRole('status')).toHaveText(/^Undone: demo\/web:0\.9 now points at sha256:[0-9a-f]{12}…/);
  expect(skopeoDigest(registry, 'demo/web:0.9')).toBe(older);
});

test('removing one of two tags sharing a digest keeps the other, and undo restores it', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const digest = mutable.report.repositories['demo/api'].v1.digest;
  await openRepository(page, mutable, 'demo/api');
  await tagRow(page, 'stable').getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page)).toContainText(/Other tags with the same image: (.*, )?v1\. The image is kept for (that tag|them)/);
  await page.screenshot({ path: screenshotPath('remove-one-tag') });
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('Removed demo/api:stable');
  expect(await tagDigest(registry, 'demo/api', 'stable')).toBeNull();
  expect(skopeoDigest(registry, 'demo/api:v1')).toBe(digest);
  // The table behind the dialog is current; closing gives the focus to the row that
  // took the removed one's place, not to the top of the page.
  await expect(tagRow(page, 'stable')).toHaveCount(0);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await expect.poll(() => page.evaluate(() => document.activeElement?.closest('[role="row"]')?.dataset.tag ?? document.activeElement?.tagName))
    .toMatch(/^(latest|v1)$/);
  await page.getByRole('list', { name: 'Activity' }).getByRole('button', { name: 'Undo' }).first().click();
  await expect(page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first()).toContainText('undone');
  expect(skopeoDigest(registry, 'demo/api:stable')).toBe(digest);
  expect(skopeoDigest(registry, 'demo/api:v1')).toBe(digest);
});

test('an Undo whose code cannot be fetched says so, changes nothing, and can be tried again', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const digest = mutable.report.repositories['demo/web']['1.0'].digest;
  await addTag(page, mutable, 'demo/web', '1.0', 'undo-offline');
  // Done, not only started: the step ("Tagging demo/web:undo-offline…") names the tag
  // too, and a reload in the middle of the write leaves an interrupted change instead.
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // After a reload the code of changes (ui::on_demand's `changes` part: the forms,
  // bulk runs, Undo, Retry, Check again) is fetched again with the first of them.
  let refuse = true;
  await page.route(/\/split_changes-[0-9a-f]+\.wasm$/, (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
  await page.reload();
  const entry = page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first();
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undo failed');
  await expect(entry).toContainText('Undo could not start');
  await expect(entry).toContainText('Nothing was changed in the registry');
  await page.screenshot({ path: screenshotPath('undo-code-not-fetched') });
  expect(await tagDigest(registry, 'demo/web', 'undo-offline')).toBe(digest);
  refuse = false;
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undone');
  expect(await tagDigest(registry, 'demo/web', 'undo-offline')).toBeNull();
});

test('deleting the image is a separate choice that lists every tag it takes', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const digest = mutable.report.repositories['team/sub/app']['1.10.0'].digest;
  await openRepository(page, mutable, 'team/sub/app');
  await tagRow(page, '1.10.0').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await expect(dialog(page)).toContainText('every tag pointing at it (2): 1.10.0, current');
  await dialog(page).getByRole('button', { name: 'Delete image and 2 tags' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`Deleted the image sha256:${digest.slice(7, 19)} from team/sub/app, with its tags: 1.10.0, current.`);
  // What the plan said of keeping the image is moot now: gone, with its button.
  await expect(dialog(page).getByText('The image is kept for')).toBeHidden();
  await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toBeHidden();
  expect(await tagDigest(registry, 'team/sub/app', 'current')).toBeNull();
  expect(await tagDigest(registry, 'team/sub/app', '1.9.0')).toBe(mutable.report.repositories['team/sub/app']['1.9.0'].digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await page.getByRole('list', { name: 'Activity' }).getByRole('button', { name: 'Undo' }).first().click();
  await expect(page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first()).toContainText('undone');
  expect(skopeoDigest(registry, 'team/sub/app:current')).toBe(digest);
  expect(skopeoDigest(registry, 'team/sub/app:1.10.0')).toBe(digest);
});

test('a tag that changed since it was shown is not removed', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const shown = mutable.report.repositories['demo/web'].latest.digest;
  await openRepository(page, mutable, 'demo/web');
  await expect(tagRow(page, 'latest').locator('code.digest')).toHaveAttribute('title', shown);
  await retagBehindTheBack(registry, 'demo/web', '0.9', 'latest');
  const now = await tagDigest(registry, 'demo/web', 'latest');
  await tagRow(page, 'latest').getByRole('button', { name: 'Remove tag' }).click();
  const alert = dialog(page).getByRole('alert');
  await expect(alert).toContainText(`Shown: ${shown}`);
  await expect(alert).toContainText(`Now: ${now}`);
  await expect(alert).toContainText('Nothing was changed');
  expect(await tagDigest(registry, 'demo/web', 'latest')).toBe(now);
});

test('a tag that changed since it was shown is not tagged from', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  // The tests before may have moved latest: it moves to whichever image it is not on.
  const shown = await tagDigest(registry, 'demo/web', 'latest');
  const other = (await tagDigest(registry, 'demo/web', '0.9')) === shown ? '1.0' : '0.9';
  await openRepository(page, mutable, 'demo/web');
  await expect(tagRow(page, 'latest').locator('code.digest')).toHaveAttribute('title', shown);
  await retagBehindTheBack(registry, 'demo/web', other, 'latest');
  const now = await tagDigest(registry, 'demo/web', 'latest');
  // The row still shows what the page read: the dialog acts on that image.
  await tagRow(page, 'latest').getByRole('button', { name: 'Add tag' }).click();
  await expect(dialog(page)).toContainText(shown);
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('pinned');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  const alert = dialog(page).getByRole('alert');
  await expect(alert).toContainText(`latest now points at ${now}, not at ${shown}`);
  await expect(alert).toContainText('Nothing was changed');
  expect(await tagDigest(registry, 'demo/web', 'pinned')).toBe(null);
});

test('copying a multi-arch image to another repository', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const truth = mutable.report.repositories['demo/multiarch']['2.0'];
  await page.goto(`${mutable.console}/?repo=demo/multiarch&ref=2.0`);
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  // The dialog opens on the field it asks for first, as Add tag's does; opened again
  // too (its referrers are read again meanwhile).
  await expect(dialog(page).getByRole('textbox', { name: 'Target repository' })).toBeFocused();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  await expect(dialog(page).getByRole('textbox', { name: 'Target repository' })).toBeFocused();
  await page.waitForTimeout(500);
  await expect(dialog(page).getByRole('textbox', { name: 'Target repository' })).toBeFocused();
  // Its own repository is no target: that is Add tag.
  await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('demo/multiarch');
  await expect(dialog(page).getByRole('alert')).toContainText('use Add tag');
  await expect(dialog(page).getByRole('button', { name: 'Copy to repository' })).toBeDisabled();
  await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('copies/multiarch');
  await expect(dialog(page).getByRole('alert')).toHaveCount(0);
  await expect(dialog(page).getByRole('textbox', { name: 'Target tag' })).toHaveValue('2.0');
  await dialog(page).getByRole('button', { name: 'Copy to repository' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`to copies/multiarch:2.0, digest ${truth.digest}`);
  expect(skopeoDigest(registry, `copies/multiarch@${truth.digest}`)).toBe(truth.digest);
  for (const platform of truth.platforms) {
    expect(skopeoDigest(registry, `copies/multiarch@${platform.digest}`)).toBe(platform.digest);
  }
  // Undo takes back the tag only, and says beforehand what it leaves.
  await expect(dialog(page).getByRole('status')).toContainText(`Undo takes back the tag only: the ${truth.platforms.length + 1} manifests and`);
  await page.screenshot({ path: screenshotPath('copy-done') });
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  await expect(entry).toContainText('this copy added stay in copies/multiarch by digest, untagged');
  expect(await tagDigest(registry, 'copies/multiarch', '2.0')).toBeNull();
  expect(skopeoDigest(registry, `copies/multiarch@${truth.digest}`)).toBe(truth.digest);
});

test('with deletes disabled, removing a tag says so and changes nothing', async ({ page, noDeletes }) => {
  const registry = noDeletes.registry.url;
  const digest = noDeletes.report.repositories['demo/web']['1.0'].digest;
  await openRepository(page, noDeletes, 'demo/web');
  await tagRow(page, '1.0').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  const alert = dialog(page).getByRole('alert');
  await expect(alert).toContainText('This registry does not delete manifests');
  await expect(alert).toContainText('storage.delete.enabled');
  await expect(alert).toContainText('Nothing was changed');
  expect(await tagDigest(registry, 'demo/web', '1.0')).toBe(digest);
  expect(await tagDigest(registry, 'demo/web', 'latest')).toBe(digest);
  // The dialog itself offers it no more.
  await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toBeDisabled();
  await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toHaveAttribute('title', /does not delete/);
  // Said on the page in words, not only in the buttons' titles.
  const notice = page.locator('.access-notice');
  await expect(notice).toContainText('This registry does not delete: storage.delete.enabled is off in its configuration, or it is a pull-through cache. Removing tags and deleting images are disabled.');
  await expect(notice.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
  // Found out once, said on every removal button of the tab rather than by the next
  // refusal: each row's, and the image page's.
  const everyRowDisabled = async (page) => {
    for (const tag of ['0.9', '1.0', 'latest']) {
      const remove = tagRow(page, tag).getByRole('button', { name: 'Remove tag' });
      await expect(remove).toBeDisabled();
      await expect(remove).toHaveAttribute('title', /does not delete: storage\.delete\.enabled is off/);
      await expect(tagRow(page, tag).getByRole('button', { name: 'Add tag' })).toBeEnabled();
    }
  };
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await everyRowDisabled(page);
  await tagRow(page, '1.0').getByRole('link').first().click();
  await expect(page.locator('.full-digest')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove tag' })).toBeDisabled();
  await expect(page.locator('.access-notice')).toContainText('Removing tags and deleting images are disabled.');
  // Reloaded, the tab still knows; Check again asks the registry anew, with one
  // DELETE of a digest nobody has.
  await openRepository(page, noDeletes, 'demo/web');
  await everyRowDisabled(page);
  const deletes = [];
  page.on('request', (request) => { if (request.method() === 'DELETE') deletes.push(request.url()); });
  await page.locator('.access-notice').getByRole('button', { name: 'Check again' }).click();
  await expect(page.locator('.access-notice')).toContainText('Asked again: deletes are still off.');
  expect(deletes).toHaveLength(1);
  await everyRowDisabled(page);
  await page.screenshot({ path: screenshotPath('deletes-off-notice') });
  // Another tab knows nothing yet. The only tag of its image: removing it is
  // refused, said to change nothing, and teaches the same.
  const other = await page.context().newPage();
  await openRepository(other, noDeletes, 'demo/web');
  await expect(other.locator('.access-notice')).toHaveCount(0);
  await tagRow(other, '0.9').getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(other)).toContainText('No other tag uses this image');
  await dialog(other).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(other).getByRole('alert')).toContainText('storage.delete.enabled');
  await expect(dialog(other).getByRole('alert')).toContainText('Nothing was changed');
  expect(await tagDigest(registry, 'demo/web', '0.9')).toBe(noDeletes.report.repositories['demo/web']['0.9'].digest);
  await dialog(other).getByRole('button', { name: 'Close' }).click();
  await everyRowDisabled(other);
});

test('a registry read-only for maintenance: a removal and an add are refused, said so, not remembered, and work once it is writable', async ({ page, reconfigurable: readOnly }) => {
  const registry = readOnly.registry.url;
  const truth = readOnly.report.repositories['demo/web'];
  await readOnly.registry.reconfigure({ readOnly: true });
  try {
    await openRepository(page, readOnly, 'demo/web');
    await tagRow(page, '1.0').getByRole('button', { name: 'Remove tag' }).click();
    await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
    const alert = dialog(page).getByRole('alert');
    await expect(alert).toContainText('read-only mode');
    await expect(alert).toContainText('Nothing was changed');
    await expect(alert).not.toContainText('storage.delete.enabled');
    await page.screenshot({ path: screenshotPath('read-only-removal') });
    expect(await tagDigest(registry, 'demo/web', '1.0')).toBe(truth['1.0'].digest);
    await dialog(page).getByRole('button', { name: 'Close' }).click();
    // Not taken for "deletes off": nothing disabled, no notice, not after a reload.
    await expect(page.locator('.access-notice')).toHaveCount(0);
    await expect(tagRow(page, '1.0').getByRole('button', { name: 'Remove tag' })).toBeEnabled();
    await addTag(page, readOnly, 'demo/web', '0.9', 'ro-add');
    await expect(dialog(page).getByRole('alert')).toContainText('read-only mode');
    expect(await tagDigest(registry, 'demo/web', 'ro-add')).toBeNull();
    await openRepository(page, readOnly, 'demo/web');
    await expect(page.locator('.access-notice')).toHaveCount(0);
    await expect(tagRow(page, '1.0').getByRole('button', { name: 'Remove tag' })).toBeEnabled();
  } finally {
    await readOnly.registry.reconfigure({ readOnly: false });
  }
  // Writable again: the same removal goes through, without a reload.
  await tagRow(page, '1.0').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('Removed');
  expect(await tagDigest(registry, 'demo/web', '1.0')).toBeNull();
  expect(await tagDigest(registry, 'demo/web', 'latest')).toBe(truth['1.0'].digest);
});

test('an Undo disabled because the registry does not delete says where to ask again, and works once deletes are on', async ({ page, reconfigurable }) => {
  const registry = reconfigurable.registry.url;
  const truth = reconfigurable.report.repositories['demo/web'];
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry', { hasText: 'undo-later' });
  const notice = page.locator('.access-notice');
  await reconfigurable.registry.reconfigure({ deletes: false });
  try {
    await addTag(page, reconfigurable, 'demo/web', '0.9', 'undo-later');
    await expect(dialog(page).getByRole('status')).toContainText('now points at');
    await dialog(page).getByRole('button', { name: 'Close' }).click();
    // A refused removal teaches the tab that this registry does not delete (1.0 was
    // removed by the read-only test; latest is its image's last tag).
    await tagRow(page, 'latest').getByRole('button', { name: 'Remove tag' }).click();
    await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
    await expect(dialog(page).getByRole('alert')).toContainText('This registry does not delete manifests');
    await dialog(page).getByRole('button', { name: 'Close' }).click();
    await expect(entry.getByRole('button', { name: 'Undo' })).toBeDisabled();
    await expect(entry.locator('.undo-blocked')).toContainText('Undo is disabled (this registry does not delete');
    await expect(entry.locator('.undo-blocked')).toContainText("use Check again on the repository's page");
    await notice.getByRole('button', { name: 'Check again' }).click();
    await expect(notice).toContainText('Asked again: deletes are still off.');
  } finally {
    await reconfigurable.registry.reconfigure({ deletes: true });
  }
  await notice.getByRole('button', { name: 'Check again' }).click();
  // Told to every view: the Undo and the rows' removal buttons are offered again.
  await expect(notice).toHaveCount(0);
  await expect(entry.locator('.undo-blocked')).toHaveCount(0);
  await expect(tagRow(page, 'latest').getByRole('button', { name: 'Remove tag' })).toBeEnabled();
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  expect(await tagDigest(registry, 'demo/web', 'undo-later')).toBeNull();
  expect(await tagDigest(registry, 'demo/web', '0.9')).toBe(truth['0.9'].digest);
});

test('the only tag of a platform image is removed without breaking its multi-arch image', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const repo = 'demo/multiarch';
  const index = mutable.report.repositories[repo]['2.0'];
  const child = index.platforms[0].digest;
  // Tagging one platform of an index on its own, as `docker buildx` users do.
  await retagBehindTheBack(registry, repo, child, 'platform-only');
  await openRepository(page, mutable, repo);
  const filter = page.getByRole('searchbox', { name: 'Filter tags' });
  await filter.fill('platform');
  await tagRow(page, 'platform-only').getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page)).toContainText(/The image is a platform of the multi-arch image tagged (.*, )?2\.0/);
  // Deleting the image would take a platform out of 2.0: not offered.
  await expect(dialog(page).getByText('Delete the image instead…')).toHaveCount(0);
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`Removed ${repo}:platform-only`);
  expect(await tagDigest(registry, repo, 'platform-only')).toBeNull();
  expect(await tagDigest(registry, repo, child)).toBe(child); // the platform image is still there
  expect(skopeoDigest(registry, `${repo}:2.0`)).toBe(index.digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // The view reloaded to show the change, and kept the filter the user typed.
  await expect(filter).toHaveValue('platform');
  await expect(page.getByRole('status').filter({ hasText: /^0 of \d+ tags match/ })).toBeVisible();
});

test('deleting a multi-arch image says its platform images stay behind, untagged', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const repo = 'demo/legacy-multiarch';
  const index = mutable.report.repositories[repo]['3.1'];
  await openRepository(page, mutable, repo);
  await tagRow(page, '3.1').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await expect(dialog(page)).toContainText('Its platform images are not deleted with it: they stay in the registry, untagged');
  await dialog(page).getByRole('button', { name: /^Delete image/ }).click();
  await expect(dialog(page).getByRole('status')).toContainText('Its 2 platform images are not deleted with it');
  // What the registry shows: the index is gone, both platforms are still there.
  expect(await tagDigest(registry, repo, index.digest)).toBeNull();
  for (const platform of index.platforms) expect(await tagDigest(registry, repo, platform.digest)).toBe(platform.digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).getByRole('listitem').first();
  await expect(entry).toContainText('Its 2 platform images are not deleted with it');
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undone');
  expect(skopeoDigest(registry, `${repo}:3.1`)).toBe(index.digest);
});

test('undo still works after the page is reloaded', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const repo = 'team/tools';
  const digest = mutable.report.repositories[repo].edge.digest;
  await openRepository(page, mutable, repo);
  await tagRow(page, 'edge').getByRole('button', { name: 'Remove tag' }).click();
  // The last tag: removing it never deletes the image, which the dialog says, and
  // deleting the image is offered as its own, explicit choice.
  await expect(dialog(page)).toContainText('No other tag uses this image');
  await expect(dialog(page)).toContainText('the image stays in the registry, pullable by digest');
  await expect(dialog(page).getByText('Delete the image instead…')).toHaveCount(1);
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`Removed ${repo}:edge`);
  await expect(dialog(page).getByRole('status')).toContainText('stays in the registry, pullable by digest');
  // The tag is gone: deleting the image "instead" is no longer offered.
  await expect(dialog(page).getByText('Delete the image instead…')).toBeHidden();
  expect(await tagDigest(registry, repo, 'edge')).toBeNull();
  expect(await tagDigest(registry, repo, digest)).toBe(digest);
  // The tag is gone from the registry; its bytes for Undo live in this tab only.
  await page.reload();
  const activity = page.getByRole('list', { name: 'Activity' });
  await expect(activity.getByRole('listitem').first()).toContainText(`Removed ${repo}:edge`);
  await activity.getByRole('button', { name: 'Undo' }).first().click();
  await expect(activity.getByRole('listitem').first()).toContainText('undone');
  expect(skopeoDigest(registry, `${repo}:edge`)).toBe(digest);
});

test('removing the tag an image page shows: the page says so and opens the image by digest', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const digest = mutable.report.repositories['demo/web']['1.0'].digest;
  await retagBehindTheBack(registry, 'demo/web', '1.0', 'gone-here');
  await page.goto(`${mutable.console}/?repo=demo/web&ref=gone-here`);
  await expect(page.locator('.full-digest')).toHaveText(digest, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('Removed demo/web:gone-here');
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  const gone = page.locator('.tag-gone');
  await expect(gone).toContainText('demo/web:gone-here no longer exists.');
  await expect(gone).toContainText(`The image it pointed at, sha256:${digest.slice(7, 19)}, may still be in the registry`);
  await gone.getByRole('link', { name: `Open sha256:${digest.slice(7, 19)} by digest` }).click();
  await expect(page.locator('.full-digest')).toHaveText(digest);
  expect(await tagDigest(registry, 'demo/web', 'gone-here')).toBeNull();
});

test('deleting the image an image page shows: the page says the image is gone too, and offers no link to it', async ({ page, mutable }) => {
  const registry = mutable.registry.url;
  const repo = 'e2e-gone/image';
  const { digest } = await pushImage(writerFor(registry), repo, 'only', 'gone with its tag');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=only`);
  await expect(page.locator('.full-digest')).toHaveText(digest, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await dialog(page).getByRole('button', { name: /^Delete image/ }).click();
  await expect(dialog(page).getByRole('status')).toContainText('Deleted the image', { timeout: 20_000 });
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  const gone = page.locator('.tag-gone');
  await expect(gone).toContainText(`${repo}:only no longer exists.`);
  await expect(gone).toContainText(`The image it pointed at, sha256:${digest.slice(7, 19)}, is not in this repository any more either`);
  await expect(gone.getByRole('link', { name: /by digest/ })).toHaveCount(0);
  await expect(gone.getByRole('link', { name: `The tags of ${repo}` })).toBeVisible();
  expect(await manifestStatus(registry, repo, digest)).toBe(404);
});

test('a refresh overtaken by a later change still reads again the tag it changed', async ({ page, mutable }) => {
  const writer = writerFor(mutable.registry.url);
  const repo = 'refresh/race';
  const a = await pushImage(writer, repo, 'a', 'race a');
  await pushImage(writer, repo, 'b', 'race b');
  await openRepository(page, mutable, repo);
  await expect(page.getByText('2 tags', { exact: true })).toBeVisible();
  // From here the first request of each listing of the repository waits until released.
  const held = [];
  let hold = true;
  await page.route((url) => url.pathname === `/v2/${repo}/tags/list`, (route) => (hold ? held.push(route) : route.continue()));
  // Change 1 moves b onto a's image; its refresh's listing waits.
  await tagRow(page, 'a').getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('b');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('alert').getByRole('button', { name: 'Move tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('moved from');
  await page.keyboard.press('Escape');
  await expect.poll(() => held.length).toBe(1);
  // Change 2 adds c; its refresh overtakes the first.
  await tagRow(page, 'a').getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('c');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('now points at');
  await page.keyboard.press('Escape');
  await expect.poll(() => held.length).toBe(2);
  hold = false;
  await held[1].continue();
  await expect(page.getByText('3 tags', { exact: true })).toBeVisible();
  await held[0].continue();
  await expect(tagRow(page, 'b').locator('code.digest')).toHaveAttribute('title', a.digest);
});
