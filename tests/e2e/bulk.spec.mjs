// Bulk changes: many tags at once, a result per item, checked against the registry.
import { test, expect, screenshotPath } from './harness.mjs';
import { retagBehindTheBack, tagDigest } from './registry-truth.mjs';
import { RegistryWriter, pushImage } from '../../scripts/lib/fixtures.mjs';

const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';

async function registryTags(registry, repo) {
  const body = await (await fetch(`${registry}/v2/${repo}/tags/list`)).json();
  return body.tags ?? [];
}

async function digestOf(registry, repo, tag) {
  const response = await fetch(`${registry}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  return response.ok ? response.headers.get('docker-content-digest') : null;
}

test('shift-click selects a range', async ({ page, bulkDeployment }) => {
  await page.goto(`${bulkDeployment.console}/?repo=team/sub/app`);
  await page.getByRole('checkbox', { name: 'Select 1.9.0' }).click();
  await page.getByRole('checkbox', { name: 'Select current' }).click({ modifiers: ['Shift'] });
  await expect(page.getByRole('group', { name: 'Bulk changes' }).getByRole('status')).toHaveText('3 selected');
  await expect(page.getByRole('checkbox', { name: 'Select 1.10.0' })).toBeChecked();
  // Selected tags the filter hides still count, and the bar says how many are hidden.
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('1.10');
  await expect(page.getByRole('group', { name: 'Bulk changes' }).getByRole('status')).toHaveText('3 selected (2 not shown by the filter)');
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('');
  await expect(page.getByRole('group', { name: 'Bulk changes' }).getByRole('status')).toHaveText('3 selected');
});

test('a bulk tag of 100 tags and a bulk removal report every item', async ({ page, bulkDeployment }) => {
  // 200 writes and their reports: more than the default minute on a busy machine.
  test.setTimeout(240_000);
  const registry = bulkDeployment.registry.url;
  const repo = 'scale/many-tags';
  const digest = bulkDeployment.report.repositories[repo]['build-00000'].digest;
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  const all = Object.keys(bulkDeployment.report.repositories[repo]).length;
  await expect(page.getByText(`${all} tags`, { exact: true })).toBeVisible({ timeout: 30_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });

  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('build-000');
  await page.getByRole('checkbox', { name: 'Select build-00000' }).click();
  await bulk.getByRole('button', { name: 'Select all matching' }).click();
  await expect(bulk.getByRole('status')).toHaveText('100 selected');
  // No ready-made pattern: nothing to add until one is written.
  await expect(bulk.getByRole('textbox', { name: 'New tag pattern' })).toHaveValue('');
  await expect(bulk.getByRole('button', { name: 'Add tag to selected' })).toBeDisabled();
  // What a pattern makes is shown before it runs: text without {tag} is appended.
  const preview = bulk.locator('#bulk-pattern-preview');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('fixed');
  await expect(preview).toHaveText('Makes build-00000fixed (from build-00000), build-00001fixed (from build-00001) and 98 more.');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('/x');
  await expect(bulk.locator('.field-error')).toContainText('tag "build-00000/x" is invalid');
  await expect(preview).toHaveText('');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{Tag}-x');
  await expect(bulk.locator('.field-error')).toContainText('The placeholder for each selected tag is {tag}, in lower case');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-rc');
  await expect(preview).toHaveText('Makes build-00000-rc (from build-00000), build-00001-rc (from build-00001) and 98 more.');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  // Live progress, then the report per item in the activity list.
  await expect(page.locator('.bulk-results summary')).toContainText('Bulk add tag {tag}-rc:');
  const entries = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry');
  await expect(entries.first()).toContainText(`Bulk add tag {tag}-rc in ${repo}: 100 done, 0 failed, of 100`, { timeout: 120_000 });
  await entries.first().locator('.activity-items > summary').click();
  const addedItems = entries.first().locator('.activity-items li');
  await expect(addedItems).toHaveCount(100);
  await expect(addedItems.first()).toContainText(`build-00000: tagged build-00000-rc → ${digest}`);
  await page.screenshot({ path: screenshotPath('bulk-tag'), fullPage: true });

  const created = (await registryTags(registry, repo)).filter((t) => t.endsWith('-rc'));
  expect(created).toHaveLength(100);
  for (const tag of created) expect(await digestOf(registry, repo, tag)).toBe(digest);

  // The view reloaded after the change, keeping the filter: select the new tags and
  // remove them.
  await expect(page.getByRole('searchbox', { name: 'Filter tags' })).toHaveValue('build-000');
  await expect(page.getByText(`200 of ${all + 100} tags match`, { exact: true })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('-rc');
  await page.getByRole('checkbox', { name: 'Select build-00000-rc' }).click();
  await bulk.getByRole('button', { name: 'Select all matching' }).click();
  await expect(bulk.getByRole('status')).toHaveText('100 selected');
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  // Asked first, as a single removal is.
  const question = page.getByRole('alertdialog', { name: 'Confirm bulk removal' });
  await expect(question).toContainText(`Remove 100 tags from ${repo}?`);
  await expect(question).toContainText('the images stay for their other tags');
  await question.getByRole('button', { name: 'Remove 100 tags' }).click();
  await expect(entries.first()).toContainText(`Bulk remove tags in ${repo}: 100 done, 0 failed, of 100`, { timeout: 120_000 });
  await entries.first().locator('.activity-items > summary').click();
  const removedItems = entries.first().locator('.activity-items li');
  await expect(removedItems).toHaveCount(100);
  await expect(removedItems.first()).toContainText('build-00000-rc: removed;');

  const left = await registryTags(registry, repo);
  expect(left.filter((t) => t.endsWith('-rc'))).toHaveLength(0);
  expect(left).toHaveLength(all);
  expect(await digestOf(registry, repo, 'build-00042')).toBe(digest);
});

test('when a bulk change fails midway, the report says what was done and the rest can be retried', async ({ page, bulkDeployment }) => {
  const registry = bulkDeployment.registry.url;
  const repo = 'team/sub/app';
  const truth = bulkDeployment.report.repositories[repo];
  // 1.9.0-x already exists and points at another image: a bulk add does not move tags.
  await retagBehindTheBack(registry, repo, '1.10.0', '1.9.0-x');
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  await expect(page.getByText('4 tags', { exact: true })).toBeVisible();
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  for (const tag of ['1.9.0', '1.10.0', 'current']) {
    await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  }
  await expect(bulk.getByRole('status')).toHaveText('3 selected');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-x');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText('2 done, 1 failed, of 3');
  await expect(entry.locator('.activity-status')).toHaveText('partly done');
  await entry.locator('.activity-items > summary').click();
  await expect(entry.locator('.activity-items li', { hasText: '1.9.0: FAILED' })).toContainText('needs confirmation');
  expect(await tagDigest(registry, repo, '1.10.0-x')).toBe(truth['1.10.0'].digest);
  expect(await tagDigest(registry, repo, '1.9.0-x')).toBe(truth['1.10.0'].digest); // untouched

  // The failed item comes back selected; once the conflict is resolved, retry it.
  const retry = page.locator('.bulk-retry');
  await expect(retry).toContainText('1 tag failed or did not run in the last bulk change; it is selected.');
  await expect(bulk.getByRole('status')).toHaveText('1 selected');
  // Retry runs what failed as it ran, whatever pattern was typed since: the result's
  // Retry (the conflict still there, so it fails again) ...
  const results = page.locator('.bulk-results');
  await expect(results.locator('summary')).toHaveText('Bulk add tag {tag}-x: 2 done, 1 failed, 0 not yet run');
  const pattern = bulk.getByRole('textbox', { name: 'New tag pattern' });
  await pattern.fill('{tag}-y');
  await results.getByRole('button', { name: 'Retry failed' }).click();
  await expect(page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first()).toContainText('Bulk add tag {tag}-x in team/sub/app: 0 done, 1 failed, of 1');
  await expect(results.locator('summary')).toHaveText('Bulk add tag {tag}-x: 2 done, 1 failed, 0 not yet run');
  expect(await tagDigest(registry, repo, '1.9.0-y')).toBe(null);
  // ... and the one that comes back with the selection, with a half-typed pattern.
  await retagBehindTheBack(registry, repo, '1.9.0', '1.9.0-x');
  await pattern.fill('{tag');
  await retry.getByRole('button', { name: 'Retry failed' }).click();
  await expect(page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first()).toContainText('Bulk add tag {tag}-x in team/sub/app: 1 done, 0 failed, of 1');
  await expect(page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first().locator('.activity-status')).toHaveText('done');
  expect(await tagDigest(registry, repo, '1.9.0-x')).toBe(truth['1.9.0'].digest);
  expect(await registryTags(registry, repo)).not.toContain('1.9.0{tag');
});

test('a bulk run whose code cannot be fetched writes nothing, says why per item, and can be retried', async ({ page, bulkDeployment }) => {
  const registry = bulkDeployment.registry.url;
  const repo = 'team/sub/app';
  const truth = bulkDeployment.report.repositories[repo];
  // The bulk run is in the on-demand part `changes` (ui::on_demand), fetched at the first run.
  let refuse = true;
  await page.route(/\/split_changes-[0-9a-f]+\.wasm$/, (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  for (const tag of ['1.9.0', 'current']) {
    await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  }
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-offline');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText('0 done, 2 failed, of 2');
  await entry.locator('.activity-items > summary').click();
  await expect(entry.locator('.activity-items li', { hasText: '1.9.0: FAILED' })).toContainText('could not start');
  expect(await tagDigest(registry, repo, '1.9.0-offline')).toBeNull();
  expect(await tagDigest(registry, repo, 'current-offline')).toBeNull();

  refuse = false;
  const retry = page.locator('.bulk-retry');
  await expect(retry).toContainText('2 tags failed or did not run in the last bulk change; they are selected.');
  await retry.getByRole('button', { name: 'Retry failed' }).click();
  await expect(page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first()).toContainText('2 done, 0 failed, of 2');
  expect(await tagDigest(registry, repo, '1.9.0-offline')).toBe(truth['1.9.0'].digest);
  expect(await tagDigest(registry, repo, 'current-offline')).toBe(truth.current.digest);
});

test('a bulk removal across images removes only the tags, keeps every image, and undo brings every tag back', async ({ page, bulkDeployment }) => {
  const registry = bulkDeployment.registry.url;
  const repo = 'demo/web';
  const truth = bulkDeployment.report.repositories[repo];
  const tags = ['0.9', '1.0', 'latest']; // 1.0 and latest share one image, 0.9 has its own
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  await expect(page.getByText(`${tags.length} tags`, { exact: true })).toBeVisible({ timeout: 20_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('checkbox', { name: 'Select 0.9', exact: true }).click();
  await bulk.getByRole('button', { name: 'Select all matching' }).click();
  await expect(bulk.getByRole('status')).toHaveText('3 selected');
  // Tags the filter hides are still selected: the question says so, and Cancel
  // removes nothing.
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('0.9');
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  const question = page.getByRole('alertdialog', { name: 'Confirm bulk removal' });
  await expect(question).toContainText(`Remove 3 tags from ${repo}?`);
  await expect(question).toContainText('2 of them are not shown by the filter.');
  await page.screenshot({ path: screenshotPath('bulk-remove-question') });
  // The keyboard is on the harmless answer; Escape gives it and goes back to the button.
  await expect(question.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(question).toHaveCount(0);
  await expect(bulk.getByRole('button', { name: 'Remove selected tags' })).toBeFocused();
  await expect(question).toHaveCount(0);
  for (const tag of tags) expect(await tagDigest(bulkDeployment.registry.url, repo, tag)).not.toBeNull();
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('');
  await expect(page.locator('[role="row"][data-tag="latest"]')).toBeVisible();
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  await expect(question).not.toContainText('not shown by the filter');
  await question.getByRole('button', { name: 'Remove 3 tags' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(`Bulk remove tags in ${repo}: 3 done, 0 failed, of 3`, { timeout: 60_000 });
  await entry.locator('.activity-items > summary').click();
  const items = entry.locator('.activity-items li');
  await expect(items.filter({ hasText: /^0\.9: removed; image \w+ stays, pullable by digest/ })).toHaveCount(1);
  // Of the two tags sharing an image, one went while the other still used it; the
  // last one went too, and the image stays: a tag removal never deletes an image.
  await expect(items.filter({ hasText: 'stays, pullable by digest' })).toHaveCount(2);
  await expect(items.filter({ hasText: /kept for the other tag (latest|1\.0)$/ })).toHaveCount(1);
  expect(await registryTags(registry, repo)).toEqual([]);
  for (const tag of tags) {
    const digest = truth[tag].digest;
    expect(await tagDigest(registry, repo, digest)).toBe(digest);
  }

  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undone', { timeout: 30_000 });
  for (const tag of tags) expect(await tagDigest(registry, repo, tag)).toBe(truth[tag].digest);
});

test('on a registry with deletes turned off, removing selected tags says so instead of asking, and changes nothing', async ({ page, noDeletes }) => {
  const registry = noDeletes.registry.url;
  const truth = noDeletes.report.repositories['demo/web'];
  await page.goto(`${noDeletes.console}/?repo=demo/web`);
  await expect(page.locator('[role="row"][data-tag="0.9"] code.digest')).toHaveAttribute('title', truth['0.9'].digest, { timeout: 20_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('checkbox', { name: 'Select 0.9', exact: true }).click();
  await page.getByRole('checkbox', { name: 'Select 1.0', exact: true }).click();
  const remove = bulk.getByRole('button', { name: 'Remove selected tags' });
  await remove.click();
  const notice = page.locator('.deletes-off');
  await expect(notice).toContainText('This registry does not delete');
  await expect(notice).toContainText('Selected tags cannot be removed here: nothing was changed.');
  await expect(remove).toBeDisabled();
  await expect(page.getByRole('alertdialog', { name: 'Confirm bulk removal' })).toHaveCount(0);
  for (const tag of ['0.9', '1.0']) expect(await tagDigest(registry, 'demo/web', tag)).toBe(truth[tag].digest);
});

test('Retry failed runs exactly the failed tags, asks first for a removal, and a run goes on showing when the repository is left and opened again', async ({ page, bulkDeployment }) => {
  const registry = bulkDeployment.registry.url;
  const repo = 'demo/api'; // v1 and stable share one image
  // stable's writes (its placeholder PUT) fail first, then are held until released.
  let mode = 'fail';
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route((url) => url.pathname === `/v2/${repo}/manifests/stable`, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    if (mode === 'fail') return route.abort('connectionreset');
    await released;
    return route.continue();
  });
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  await expect(page.getByText('2 tags', { exact: true })).toBeVisible({ timeout: 20_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  const question = page.getByRole('alertdialog', { name: 'Confirm bulk removal' });
  await page.getByRole('checkbox', { name: 'Select stable', exact: true }).click();
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  await question.getByRole('button', { name: 'Remove 1 tag' }).click();
  const activity = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry');
  await expect(activity.first()).toContainText(`Bulk remove tags in ${repo}: 0 done, 1 failed, of 1`, { timeout: 30_000 });
  const retry = page.locator('.bulk-retry');
  await expect(retry).toContainText('1 tag failed or did not run in the last bulk change; it is selected.');

  // v1 selected since: the banner's Retry still runs only stable, and asks first.
  await page.getByRole('checkbox', { name: 'Select v1', exact: true }).click();
  await expect(bulk.getByRole('status')).toHaveText('2 selected');
  mode = 'hold';
  await retry.getByRole('button', { name: 'Retry failed' }).click();
  await expect(question).toContainText(`Remove 1 tag from ${repo}?`);
  await question.getByRole('button', { name: 'Remove 1 tag' }).click();
  const results = page.locator('.bulk-results summary');
  await expect(results).toHaveText('Bulk remove tags: 0 done, 0 failed, 1 not yet run');

  // Left and opened again while stable's write is held: the run shows, with its
  // Cancel, and nothing can start beside it.
  await page.getByRole('link', { name: 'Tagdeck' }).click();
  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: repo, exact: true }).click();
  await expect(results).toHaveText('Bulk remove tags: 0 done, 0 failed, 1 not yet run');
  await expect(bulk.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Select v1', exact: true }).click();
  await expect(bulk.getByRole('button', { name: 'Remove selected tags' })).toBeDisabled();
  release();
  await expect(activity.first()).toContainText(`Bulk remove tags in ${repo}: 1 done, 0 failed, of 1`, { timeout: 30_000 });
  await expect(results).toHaveText('Bulk remove tags: 1 done, 0 failed, 0 not yet run');
  expect(await tagDigest(registry, repo, 'stable')).toBeNull();
  expect(await tagDigest(registry, repo, 'v1')).toBe(bulkDeployment.report.repositories[repo].v1.digest);
});

test('a bulk run that fails after its repository was left and opened again says its failed tags are not selected there', async ({ page, bulkDeployment }) => {
  const repo = 'team/tools';
  let fail;
  const failing = new Promise((resolve) => { fail = resolve; });
  await page.route((url) => url.pathname === `/v2/${repo}/manifests/edge`, async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    await failing;
    return route.abort('connectionreset');
  });
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  await expect(page.getByText('1 tag', { exact: true })).toBeVisible({ timeout: 20_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('checkbox', { name: 'Select edge', exact: true }).click();
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  await page.getByRole('alertdialog', { name: 'Confirm bulk removal' }).getByRole('button', { name: 'Remove 1 tag' }).click();
  await expect(page.locator('.bulk-results summary')).toHaveText('Bulk remove tags: 0 done, 0 failed, 1 not yet run');
  await page.getByRole('link', { name: 'Tagdeck' }).click();
  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: repo, exact: true }).click();
  await expect(bulk.getByRole('button', { name: 'Cancel' })).toBeVisible();
  fail();
  const retry = page.locator('.bulk-retry');
  await expect(retry).toContainText('1 tag failed or did not run in the last bulk change; Retry failed runs it again.', { timeout: 30_000 });
  await expect(bulk.getByRole('status')).toHaveText('0 selected');
});

test('a selected tag removed elsewhere leaves the selection when the tags are listed again, instead of counting as hidden by the filter', async ({ page, bulkDeployment }) => {
  // A repository of its own (the file's other tests change demo/*): v1 and stable
  // share one image.
  const repo = 'bulk/gone';
  const writer = new RegistryWriter(bulkDeployment.registry.url);
  await pushImage(writer, repo, {
    format: 'oci', reference: 'stable', platform: { os: 'linux', architecture: 'amd64' },
    created: '2026-01-01T00:00:00Z', labels: {}, layers: ['bulk gone'],
  });
  await retagBehindTheBack(bulkDeployment.registry.url, repo, 'stable', 'v1');
  // stable's removal fails, so it stays selected for a retry.
  await page.route((url) => url.pathname === `/v2/${repo}/manifests/stable`, (route) =>
    route.request().method() === 'PUT' ? route.abort('connectionreset') : route.continue());
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  await expect(page.getByText('2 tags', { exact: true })).toBeVisible({ timeout: 20_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('checkbox', { name: 'Select stable', exact: true }).click();
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  await page.getByRole('alertdialog', { name: 'Confirm bulk removal' }).getByRole('button', { name: 'Remove 1 tag' }).click();
  await expect(page.locator('.bulk-retry')).toContainText('it is selected', { timeout: 30_000 });
  // Removed elsewhere since: the registry no longer lists it.
  await page.route((url) => url.pathname === `/v2/${repo}/tags/list`, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.tags = (body.tags ?? []).filter((tag) => tag !== 'stable');
    await route.fulfill({ response, json: body });
  });
  await page.getByRole('link', { name: 'Tagdeck' }).click();
  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: repo, exact: true }).click();
  await expect(page.getByText('1 tag', { exact: true })).toBeVisible({ timeout: 20_000 });
  // Before: "1 selected (1 not shown by the filter)", and a removal of it failed.
  await expect(bulk).toHaveCount(0);
  await expect(page.getByText('not shown by the filter')).toHaveCount(0);
});

test('Cancel during a bulk run: the items it came before are told as not run, not failed, and Retry failed offers them', async ({ page, bulkDeployment }) => {
  const repo = 'scale/many-tags';
  // Every tag here names one image: its items run one after another, so holding the
  // first write holds the run.
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  const held = [];
  await page.route((url) => url.pathname.startsWith(`/v2/${repo}/manifests/`) && url.pathname.endsWith('-halt'), async (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    held.push(route.request().url());
    await released;
    return route.continue();
  });
  await page.goto(`${bulkDeployment.console}/?repo=${repo}`);
  const all = Object.keys(bulkDeployment.report.repositories[repo]).length;
  await expect(page.getByText(`${all} tags`, { exact: true })).toBeVisible({ timeout: 30_000 });
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('build-0001');
  await page.getByRole('checkbox', { name: 'Select build-00010' }).click();
  await bulk.getByRole('button', { name: 'Select all matching' }).click();
  await expect(bulk.getByRole('status')).toHaveText('10 selected');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-halt');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  await expect.poll(() => held.length).toBe(1);
  await bulk.getByRole('button', { name: 'Cancel' }).click();
  release();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(`Bulk add tag {tag}-halt in ${repo}: 1 done, 9 not run (cancelled), of 10`, { timeout: 30_000 });
  await expect(entry.locator('.activity-status')).toHaveText('partly done');
  const results = page.locator('.bulk-results');
  await expect(results.locator('summary')).toContainText('1 done, 0 failed, 0 not yet run, 9 not run (cancelled)');
  await expect(results.locator('.bulk-items li.not-run')).toHaveCount(9);
  await expect(results.locator('.bulk-items li.not-run').first()).toContainText('not run: cancelled; nothing was changed for it');
  await expect(results.getByRole('button', { name: 'Retry failed' })).toBeVisible();
  expect(held).toHaveLength(1);
});
