// Faults between the console and the real registry (the fault proxy of the harness),
// for each write step: the registry is checked directly afterwards, the message must
// state what is true, and Undo must be there whenever something was written.
import { test, expect, screenshotPath } from './harness.mjs';
import { tagDigest, retagBehindTheBack } from './registry-truth.mjs';
import { RegistryWriter, pushImage } from '../../scripts/lib/fixtures.mjs';

test.describe.configure({ mode: 'serial' });

const tagRow = (page, tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
const dialog = (page) => page.getByRole('dialog');
const activity = (page) => page.getByRole('list', { name: 'Activity' }).locator('.activity-entry');

async function openRepository(page, faults, repo) {
  await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
  // Every digest loaded: scale/many-tags has 2,000 tags behind the proxy here.
  await expect(page.getByText(/^\d+ tags?$/)).toBeVisible({ timeout: 90_000 });
}

async function startAddTag(page, faults, repo, source, name) {
  await openRepository(page, faults, repo);
  await tagRow(page, source).getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill(name);
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
}

async function removeTag(page, faults, repo, tag) {
  await openRepository(page, faults, repo);
  await tagRow(page, tag).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toBeEnabled();
  await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
}

const manifestPut = (tag) => ({ method: 'PUT', path: new RegExp(`/manifests/${tag}$`) });

test('a tag PUT the registry applied before failing is reported done, with Undo', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  const rule = faults.proxy.addRule({ ...manifestPut('f-applied'), action: { after: { status: 500 } } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-applied');
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await expect(dialog(page).getByRole('status')).toContainText('reading it again shows the change was applied');
  expect(rule.hits).toBe(1);
  expect(await tagDigest(registry, 'demo/web', 'f-applied')).toBe(digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-applied')).toBeNull();
});

test('a tag PUT whose answer never comes: after 2 minutes the registry is read again, the change is reported applied, with Undo', async ({ page, faults }) => {
  // The fake clock jumps over the write timeout (oci::http::WRITE_TIMEOUT_MS) instead
  // of waiting it; real time still flows between jumps.
  await page.clock.install();
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  const rule = faults.proxy.addRule({ ...manifestPut('f-silent'), action: { after: { hang: true } } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-silent');
  await expect.poll(() => rule.hits).toBe(1);
  // Written, but no answer: the dialog still waits, and says nothing yet.
  expect(await tagDigest(registry, 'demo/web', 'f-silent')).toBe(digest);
  await page.clock.fastForward('00:06');
  // After a few silent seconds the dialog says what the wait is and how it ends.
  await expect(dialog(page).getByRole('status')).toContainText('Tagging demo/web:f-silent');
  await expect(dialog(page).getByRole('status')).toContainText('The registry has not answered yet. Tagdeck waits up to 2 minutes');
  await page.clock.fastForward('01:53');
  await expect(dialog(page).getByRole('status')).not.toContainText('now points at');
  await expect(dialog(page).getByRole('alert')).toHaveCount(0);
  await page.clock.fastForward('00:02');
  const status = dialog(page).getByRole('status');
  await expect(status).toContainText(`now points at ${digest}`);
  await expect(status).toContainText('the registry did not answer in time, but reading the registry again shows the change was applied');
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await expect(activity(page).first()).toContainText('done demo/web:f-silent now points at');
  // Undo writes to the same tag (a placeholder first): let that through.
  faults.proxy.removeRule(rule);
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-silent')).toBeNull();
});

test('a tag PUT that never arrived: read again, not there, and the Undo kept, since it may still land', async ({ page, faults }) => {
  const registry = faults.registry.url;
  faults.proxy.addRule({ ...manifestPut('f-lost'), action: { drop: true } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-lost');
  const alert = dialog(page).getByRole('alert');
  // Told like every failure panel: the headline, what happened in words, what it
  // left; the request itself only under Technical details, folded.
  await expect(alert.locator('.error-headline')).toHaveText('The registry could not be reached');
  await expect(alert.locator('.error-advice')).toContainText('Read again after the failure, demo/web:f-lost does not exist.');
  await expect(alert.locator('.error-advice')).not.toContainText('http');
  await expect(alert.locator('p strong')).toHaveText('Not applied when read again, but the request may still complete on the registry: Undo stays available.');
  const request = alert.locator('.error-details code.error-detail');
  await expect(request).toHaveText(/^PUT http:\/\/[^ ]+\/v2\/demo\/web\/manifests\/f-lost: no response/);
  await expect(request).toBeHidden();
  await page.screenshot({ path: screenshotPath('fault-put-lost') });
  await alert.getByText('Technical details').click();
  await expect(request).toBeVisible();
  expect(await tagDigest(registry, 'demo/web', 'f-lost')).toBeNull();
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await expect(activity(page).first()).toContainText('failed');
  // A dropped connection proves nothing: the PUT may still reach the registry.
  await expect(activity(page).first().getByRole('button', { name: 'Undo' })).toHaveCount(1);
  // The activity list tells it the same way, the request folded away.
  await expect(activity(page).first().locator('.activity-detail')).toContainText('Read again after the failure, demo/web:f-lost does not exist.');
  await expect(activity(page).first().locator('.activity-detail')).not.toContainText('http');
  await expect(activity(page).first().locator('.error-details code.error-detail')).toHaveText(/^PUT http:\/\/[^ ]+\/manifests\/f-lost: no response/);
  await page.screenshot({ path: screenshotPath('fault-put-lost-activity'), fullPage: true });
});

test('when the registry cannot be read again, the state is unknown and Undo is kept', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  faults.proxy.addRule({ ...manifestPut('f-unknown'), action: { after: { drop: true } } });
  // The read before the PUT passes: two HEADs, as the tag does not exist yet (a
  // safelisted first pass answered 404, then the full Accept). Every re-read after
  // the PUT fails.
  faults.proxy.addRule({ method: 'HEAD', path: /\/manifests\/f-unknown$/, nth: 3, times: 100, action: { drop: true } });
  faults.proxy.addRule({ method: 'GET', path: /\/manifests\/f-unknown$/, action: { drop: true } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-unknown');
  const alert = dialog(page).getByRole('alert');
  await expect(alert.locator('.error-headline')).toHaveText('Not known whether the change was applied');
  await expect(alert).toContainText('It is not known whether the change was applied');
  // The write and the failed read after it, one a line.
  await expect(alert.locator('.error-details code.error-detail')).toHaveCount(2);
  await expect(alert).toContainText('Undo is kept');
  expect(await tagDigest(registry, 'demo/web', 'f-unknown')).toBe(digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  faults.proxy.clearRules();
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-unknown')).toBeNull();
  await page.screenshot({ path: screenshotPath('fault-unknown-undone'), fullPage: true });
});

test('a move whose PUT failed after it was applied is reported done, and Undo moves it back', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const web = faults.report.repositories['demo/web'];
  // Make a tag to move: f-move on 0.9's image.
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-move');
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${web['0.9'].digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  faults.proxy.addRule({ ...manifestPut('f-move'), action: { after: { status: 502 } } });
  await tagRow(page, '1.0').getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('f-move');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('button', { name: 'Move tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText('moved from');
  await expect(dialog(page).getByRole('status')).toContainText('the change was applied');
  expect(await tagDigest(registry, 'demo/web', 'f-move')).toBe(web['1.0'].digest);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  faults.proxy.clearRules();
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-move')).toBe(web['0.9'].digest);
});

test('a definite refusal changed nothing', async ({ page, faults }) => {
  faults.proxy.addRule({ ...manifestPut('f-refused'), action: { status: 400 } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-refused');
  await expect(dialog(page).getByRole('alert')).toContainText('Nothing was changed.');
  expect(await tagDigest(faults.registry.url, 'demo/web', 'f-refused')).toBeNull();
});

test('a bulk item whose PUT failed says so in words, with the request under Technical details, on screen and in the activity list', async ({ page, faults }) => {
  faults.proxy.addRule({ ...manifestPut('0.9-bw'), action: { status: 503 } });
  await openRepository(page, faults, 'demo/web');
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  for (const tag of ['0.9', '1.0']) await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-bw');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  const results = page.getByRole('list', { name: 'Bulk result per tag' });
  const failed = results.locator('li.failed[data-tag="0.9"]');
  await expect(failed).toBeVisible();
  // The words: what happened and what the registry shows now, no request line.
  const words = await failed.evaluate((li) => [...li.childNodes].filter((n) => n.nodeName !== 'DETAILS').map((n) => n.textContent).join(''));
  expect(words).toMatch(/^0\.9: \S/);
  expect(words).toContain('Read again after the failure, demo/web:0.9-bw does not exist. Not applied when read again, but the request may still complete on the registry: Undo stays available.');
  expect(words).not.toContain('/v2/');
  // The request, folded away.
  const details = failed.locator('details.error-details');
  await expect(details.getByText(/^PUT http.*\/v2\/demo\/web\/manifests\/0\.9-bw/)).toBeHidden();
  await details.locator('summary').click();
  await expect(details.getByText(/^PUT http.*\/v2\/demo\/web\/manifests\/0\.9-bw/)).toBeVisible();
  await expect(results.locator('li.done[data-tag="1.0"]')).toContainText('tagged 1.0-bw');
  // The activity entry: the same words, the same request under its own details.
  const entry = activity(page).first();
  await expect(entry).toContainText('1 done, 1 failed, of 2');
  await entry.locator('.activity-items > summary').click();
  const line = entry.locator('.activity-items li', { hasText: '0.9: FAILED' });
  await expect(line).toContainText('demo/web:0.9-bw does not exist. Not applied when read again, but the request may still complete on the registry: Undo stays available.');
  await expect(line).not.toContainText('/v2/');
  await entry.locator('.activity-items details.error-details summary').click();
  await expect(entry.locator('.activity-items .error-detail')).toContainText(['PUT ']);
  expect(await tagDigest(faults.registry.url, 'demo/web', '0.9-bw')).toBeNull();
  expect(await tagDigest(faults.registry.url, 'demo/web', '1.0-bw')).toBe(faults.report.repositories['demo/web']['1.0'].digest);
  await page.screenshot({ path: screenshotPath('fault-bulk-item'), fullPage: true });
});

test('a copy whose tag PUT failed after it was applied is reported done', async ({ page, faults }) => {
  const truth = faults.report.repositories['demo/api'].v1;
  faults.proxy.addRule({ method: 'PUT', path: /\/copies\/api\/manifests\/v1$/, action: { after: { status: 502 } } });
  await page.goto(`${faults.console}/?repo=demo/api&ref=v1`);
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('copies/api');
  await dialog(page).getByRole('button', { name: 'Copy to repository' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`to copies/api:v1, digest ${truth.digest}`);
  await expect(dialog(page).getByRole('status')).toContainText('the change was applied');
  expect(await tagDigest(faults.registry.url, 'copies/api', 'v1')).toBe(truth.digest);
});

test('removing a tag: a placeholder delete applied before failing still removes just the tag', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  // Make a second tag of the image to remove.
  const put = faults.proxy.addRule({ ...manifestPut('f-rm'), action: { delay: 0 } });
  await startAddTag(page, faults, 'demo/web', '1.0', 'f-rm');
  await expect(dialog(page).getByRole('status')).toContainText('now points at');
  expect(put.hits).toBe(1);
  // DELETEs by digest: the deletes probe first, then the placeholder.
  faults.proxy.addRule({ method: 'DELETE', path: /\/manifests\/sha256:/, nth: 2, action: { after: { drop: true } } });
  await removeTag(page, faults, 'demo/web', 'f-rm');
  await expect(dialog(page).getByRole('status')).toContainText('Removed demo/web:f-rm');
  await expect(dialog(page).getByRole('status')).toContainText('the change was applied');
  expect(await tagDigest(registry, 'demo/web', 'f-rm')).toBeNull();
  expect(await tagDigest(registry, 'demo/web', '1.0')).toBe(digest);
  expect(await tagDigest(registry, 'demo/web', 'latest')).toBe(digest);
});

test('removing a tag: a placeholder that cannot be deleted is rolled back', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  faults.proxy.addRule({ method: 'DELETE', path: /\/manifests\/sha256:/, nth: 2, action: { status: 500 } });
  await removeTag(page, faults, 'demo/web', 'latest');
  const alert = dialog(page).getByRole('alert');
  await expect(alert).toContainText('it was put back and still points at');
  expect(await tagDigest(registry, 'demo/web', 'latest')).toBe(digest);
});

test('deleting an image: a DELETE applied before the connection dropped is reported done, with Undo', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['team/tools'].edge.digest;
  faults.proxy.addRule({ method: 'DELETE', path: new RegExp(`/manifests/${digest}$`), action: { after: { drop: true } } });
  await openRepository(page, faults, 'team/tools');
  await tagRow(page, 'edge').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await dialog(page).getByRole('button', { name: 'Delete image' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`Deleted the image sha256:${digest.slice(7, 19)} from team/tools, with its tag: edge.`);
  await expect(dialog(page).getByRole('status')).toContainText('the change was applied');
  expect(await tagDigest(registry, 'team/tools', 'edge')).toBeNull();
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'team/tools', 'edge')).toBe(digest);
});

test('deleting an image answered 500: read again it is still there, the Undo kept, and the activity list names it an image delete', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['team/tools'].edge.digest;
  faults.proxy.addRule({ method: 'DELETE', path: new RegExp(`/manifests/${digest}$`), action: { status: 500 }, times: 100 });
  await openRepository(page, faults, 'team/tools');
  await tagRow(page, 'edge').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await dialog(page).getByRole('button', { name: 'Delete image' }).click();
  // A 500 is no definite refusal: the delete may still complete.
  await expect(dialog(page).getByRole('alert')).toContainText('Not applied when read again, but the request may still complete on the registry: Undo stays available.');
  expect(await tagDigest(registry, 'team/tools', 'edge')).toBe(digest);
  faults.proxy.clearRules();
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  const entry = activity(page).first();
  await expect(entry.locator('.activity-status')).toHaveText('failed');
  await expect(entry.locator('.activity-summary')).toHaveText(`Delete the image of team/tools:edge (${digest})`);
  await expect(entry.locator('.activity-registry')).toHaveCount(0);
  // With another address in use (the console's own origin, which is no registry),
  // the entry names the registry it changed.
  const address = page.getByRole('search', { name: 'Registry' }).getByRole('combobox');
  await address.fill(faults.console);
  await address.press('Enter');
  await expect(page.getByRole('alert').first()).toBeVisible({ timeout: 20_000 });
  const registryNamed = activity(page).first().locator('.activity-registry');
  await expect(registryNamed).toHaveText(/^ \(on http:\/\/127\.0\.0\.1:\d+\)$/);
  await expect(registryNamed).not.toContainText(faults.console);
});

test('an undo that fails says so and can be tried again', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/api'].stable.digest;
  await startAddTag(page, faults, 'demo/api', 'v1', 'f-undo');
  await expect(dialog(page).getByRole('status')).toContainText('now points at');
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // Undo of an added tag pushes a placeholder: its first manifest PUT fails.
  faults.proxy.addRule({ method: 'PUT', path: /\/manifests\/f-undo$/, action: { status: 503 } });
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undo failed');
  // What to do in words; the refused PUT under Technical details.
  await expect(activity(page).first().locator('.activity-detail')).not.toContainText('http');
  await expect(activity(page).first().locator('.error-details code.error-detail')).toHaveText(/^PUT http:\/\/[^ ]+\/manifests\/f-undo: .*HTTP 503/);
  expect(await tagDigest(registry, 'demo/api', 'f-undo')).toBe(digest);
  faults.proxy.clearRules();
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect(activity(page).first()).toContainText('undone');
  expect(await tagDigest(registry, 'demo/api', 'f-undo')).toBeNull();
});

test('a change cut short by a reload is reconciled: not applied, so Retry', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  faults.proxy.addRule({ ...manifestPut('f-cut'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-cut');
  await expect(dialog(page).getByRole('status')).toContainText('Tagging');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Tag demo/web:f-cut');
  await expect(entry).toContainText('demo/web:f-cut does not exist');
  await expect(entry).toContainText('Retry runs it');
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry).toContainText('done');
  expect(await tagDigest(registry, 'demo/web', 'f-cut')).toBe(digest);
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
});

test('a move cut short by a reload, found not applied, keeps its Undo beside Retry: should the PUT land after all, Undo puts the tag back', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const web = faults.report.repositories['demo/web'];
  await retagBehindTheBack(registry, 'demo/web', '0.9', 'f-move-cut');
  const hang = faults.proxy.addRule({ ...manifestPut('f-move-cut'), action: { hang: true } });
  await page.goto(`${faults.console}/?repo=demo/web`);
  await expect(tagRow(page, 'f-move-cut')).toBeVisible({ timeout: 90_000 });
  await tagRow(page, '1.0').getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('f-move-cut');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('button', { name: 'Move tag' }).click();
  await expect.poll(() => hang.hits).toBe(1);
  await page.reload();
  const entry = activity(page).filter({ hasText: 'f-move-cut' });
  await expect(entry).toContainText('Interrupted', { timeout: 30_000 });
  await expect(entry).toContainText('may still complete on the registry');
  await expect(entry).not.toContainText('changed nothing');
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
  // The PUT lands after all (written here behind the console's back): Undo puts the
  // tag back where it was.
  faults.proxy.clearRules();
  await retagBehindTheBack(registry, 'demo/web', '1.0', 'f-move-cut');
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undone', { timeout: 30_000 });
  expect(await tagDigest(registry, 'demo/web', 'f-move-cut')).toBe(web['0.9'].digest);
});

test('a change cut short whose tag could not be read after the reload: Check again reads it, says what it found and keeps the focus', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  faults.proxy.addRule({ ...manifestPut('f-check'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-check');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  faults.proxy.clearRules();
  // Every read of the tag fails after the reload, so its state stays unknown.
  faults.proxy.addRule({ path: /\/manifests\/f-check$/, action: { status: 503 } });
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Tag demo/web:f-check');
  await expect(entry).toContainText('could not be read');
  const check = entry.getByRole('button', { name: 'Check again' });
  await expect(check).toBeEnabled();
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  faults.proxy.clearRules();
  await check.focus();
  await page.keyboard.press('Enter');
  // The same entry, redrawn with what the registry says now.
  await expect(entry).toContainText('demo/web:f-check does not exist');
  await expect(entry).toContainText('Retry runs it');
  await expect(entry).not.toContainText('could not be read');
  await expect(entry.getByRole('button', { name: 'Check again' })).toHaveCount(0);
  await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('activity-entry'))).toBe(true);
  await expect(page.getByRole('region', { name: 'Activity in this tab' }).getByRole('status')).toContainText(/^Failed: Interrupted: Tag demo\/web:f-check .*demo\/web:f-check does not exist/);
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('done');
  expect(await tagDigest(registry, 'demo/web', 'f-check')).toBe(digest);
});

test('Check again and Retry never run together on one entry: while the registry is read, Retry is not offered, and both tags are then retried', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const truth = faults.report.repositories['demo/web'];
  await openRepository(page, faults, 'demo/web');
  // Two images, so the bulk run writes both tags at once; neither write answers.
  faults.proxy.addRule({ method: 'PUT', path: /\/manifests\/(0\.9|1\.0)-ov$/, action: { hang: true } });
  for (const tag of ['0.9', '1.0']) await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-ov');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  await expect.poll(() => faults.proxy.log.filter((e) => e.method === 'PUT' && e.status === 'hung').length).toBe(2);
  faults.proxy.clearRules();
  // After the reload one tag reads as absent (Retry), the other cannot be read.
  faults.proxy.addRule({ path: /\/manifests\/1\.0-ov$/, action: { status: 503 } });
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Bulk add tag {tag}-ov in demo/web');
  await expect(entry).toContainText('could not be read');
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  faults.proxy.clearRules();
  // The check's read takes a while: the row says so and offers nothing meanwhile.
  const slow = faults.proxy.addRule({ path: /\/manifests\/1\.0-ov$/, action: { delay: 3000 } });
  await entry.getByRole('button', { name: 'Check again' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('checking…');
  await expect.poll(() => slow.matches).toBeGreaterThan(0);
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await expect(entry.getByRole('button', { name: 'Check again' })).toHaveCount(0);
  // What the check found joins what it kept: Retry now runs both tags.
  await expect(entry).toContainText('demo/web:1.0-ov does not exist', { timeout: 15_000 });
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('done');
  expect(await tagDigest(registry, 'demo/web', '0.9-ov')).toBe(truth['0.9'].digest);
  expect(await tagDigest(registry, 'demo/web', '1.0-ov')).toBe(truth['1.0'].digest);
});

test('Retry of an interrupted change with a part still unread says so, not done, and keeps Check again', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const truth = faults.report.repositories['demo/web'];
  await openRepository(page, faults, 'demo/web');
  faults.proxy.addRule({ method: 'PUT', path: /\/manifests\/(0\.9|1\.0)-rk$/, action: { hang: true } });
  for (const tag of ['0.9', '1.0']) await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-rk');
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  await expect.poll(() => faults.proxy.log.filter((e) => e.method === 'PUT' && e.status === 'hung').length).toBe(2);
  faults.proxy.clearRules();
  faults.proxy.addRule({ path: /\/manifests\/1\.0-rk$/, action: { status: 503 } });
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('could not be read');
  // Retry runs 0.9-rk; 1.0-rk is still unread.
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry).toContainText('Retry ran what was not applied; it is done.');
  await expect(entry.locator('.activity-status')).toHaveText('failed');
  await expect(entry).toContainText('What could not be read is kept: Check again');
  expect(await tagDigest(registry, 'demo/web', '0.9-rk')).toBe(truth['0.9'].digest);
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Check again' }).click();
  await expect(entry).toContainText('demo/web:1.0-rk does not exist');
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('done');
  expect(await tagDigest(registry, 'demo/web', '1.0-rk')).toBe(truth['1.0'].digest);
});

test('a change cut short by a reload after the registry applied it is reconciled: done, with Undo', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  faults.proxy.addRule({ ...manifestPut('f-landed'), action: { after: { hang: true } } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-landed');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Tag demo/web:f-landed');
  await expect(entry).toContainText(`demo/web:f-landed points at`);
  // Applied in full: said done, not failed, though the page did not see it end.
  await expect(entry.locator('.activity-status')).toHaveText('done');
  await expect(entry).toContainText('What was applied can be undone.');
  expect(await tagDigest(registry, 'demo/web', 'f-landed')).toBe(digest);
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-landed')).toBeNull();
});

test('an undo cut short by a reload, its tag left on the placeholder: Undo again finishes it', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-undo-cut');
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // distribution 2.8 cannot delete a tag: the undo points it at a placeholder first.
  // That PUT lands, its answer never comes, and the page is reloaded.
  faults.proxy.addRule({ ...manifestPut('f-undo-cut'), action: { after: { hang: true } } });
  await activity(page).first().getByRole('button', { name: 'Undo' }).click();
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  await page.reload();
  const placeholder = await tagDigest(registry, 'demo/web', 'f-undo-cut');
  expect(placeholder).not.toBeNull();
  expect(placeholder).not.toBe(digest);
  const entry = activity(page).filter({ hasText: 'demo/web:f-undo-cut now points at' });
  await expect(entry).toContainText('The page was reloaded while this undo ran');
  await expect(entry).toContainText('Undo again finishes it');
  await page.screenshot({ path: screenshotPath('undo-cut-by-reload'), fullPage: true });
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-undo-cut')).toBeNull();
  // The image stays for the tag it came from.
  expect(await tagDigest(registry, 'demo/web', '0.9')).toBe(digest);
});

test('a list of repositories that may be incomplete is shown, with why and Try again, not refused as "not a registry"', async ({ page, faults }) => {
  // distribution sends the whole catalog without a Link: the console asks what comes
  // after the last name, to be sure. That question fails.
  const after = faults.proxy.addRule({ method: 'GET', path: /\/v2\/_catalog\?.*last=/, action: { status: 500 } });
  await page.goto(`${faults.console}/`);
  const incomplete = page.getByRole('alert').filter({ hasText: 'This list of repositories may be incomplete' });
  await expect(incomplete).toBeVisible({ timeout: 20_000 });
  expect(after.hits).toBeGreaterThan(0);
  const names = Object.keys(faults.report.repositories);
  const list = page.getByRole('list', { name: 'Repositories' });
  await expect(list.getByRole('link', { name: names[0], exact: true })).toBeVisible();
  await expect(page.getByText(/^\d+ repositories listed so far$/)).toBeVisible();
  await expect(page.getByText('Unreadable answer')).toHaveCount(0);
  // Read whole again: the warning goes.
  faults.proxy.clearRules();
  await incomplete.getByRole('button', { name: 'Try again' }).click();
  await expect(incomplete).toHaveCount(0);
  await expect(page.getByText(/^\d+ repositories$/)).toBeVisible();
});

test('a paged tag list with its Link hidden is read whole; when it cannot be, deleting is refused', async ({ page, faults }) => {
  const repo = 'team/sub/app';
  const tags = Object.keys(faults.report.repositories[repo]);
  faults.proxy.addRule({ method: 'GET', path: /\/tags\/list/, action: { pageTags: { size: 2, exposeLink: false } } });
  await openRepository(page, faults, repo);
  await expect(page.getByText(`${tags.length} tags`, { exact: true })).toBeVisible();
  for (const tag of tags) await expect(tagRow(page, tag)).toHaveCount(1);

  // Now the look past the first page fails: the list may be incomplete.
  faults.proxy.clearRules();
  faults.proxy.addRule({ method: 'GET', path: /\/tags\/list\?n=1000$/, action: { pageTags: { size: 2, exposeLink: false } } });
  faults.proxy.addRule({ method: 'GET', path: /\/tags\/list\?.*last=/, action: { drop: true } });
  await page.reload();
  await expect(page.getByRole('alert').filter({ hasText: 'may be incomplete' })).toBeVisible({ timeout: 20_000 });
  const first = [...tags].sort()[0];
  await tagRow(page, first).getByRole('button', { name: 'Remove tag' }).click();
  await expect(dialog(page)).toContainText('Deleting the image is not offered: the registry\'s tag list may be incomplete');
  await expect(dialog(page).getByText('Delete the image instead…')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('fault-incomplete-list'), fullPage: true });

  // The registry serves its whole list again: Try again reads it, and the warning goes.
  await page.keyboard.press('Escape');
  faults.proxy.clearRules();
  const incomplete = page.getByRole('alert').filter({ hasText: 'may be incomplete' });
  await incomplete.getByRole('button', { name: 'Try again' }).click();
  await expect(incomplete).toHaveCount(0);
  await expect(page.getByText(`${tags.length} tags`, { exact: true })).toBeVisible();
});

test('after a change, a tag list that may be incomplete takes no row away: rows on pages it could not read stay, with their digests', async ({ page, faults }) => {
  const repo = 'paged/keep';
  const writer = new RegistryWriter(faults.registry.url);
  const digests = {};
  for (let i = 1; i <= 25; i += 1) {
    const tag = `t-${String(i).padStart(2, '0')}`;
    const image = await pushImage(writer, repo, {
      format: 'oci', reference: tag, platform: { os: 'linux', architecture: 'amd64' },
      created: '2026-01-01T00:00:00Z', labels: {}, layers: [`paged ${tag}`],
    });
    digests[tag] = image.digest;
  }
  const tagList = /\/v2\/paged\/keep\/tags\/list/;
  const pages = { method: 'GET', path: tagList, action: { pageTags: { size: 10, exposeLink: false } } };
  try {
    // Tall enough that every row is rendered (the table renders the rows in view).
    await page.setViewportSize({ width: 1280, height: 1800 });
    // Pages of 10 whose Link CORS hides: read on with last=, the list is whole.
    faults.proxy.addRule(pages);
    await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
    await expect(page.getByText('25 tags', { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(tagRow(page, 't-25').locator('code.digest')).toHaveAttribute('title', digests['t-25']);

    // Now every look past the first page fails: the refresh after the change reads
    // t-01…t-09 and the new tag (a-new sorts first), and may be incomplete.
    faults.proxy.clearRules();
    const pastFirstPage = faults.proxy.addRule({ method: 'GET', path: /\/v2\/paged\/keep\/tags\/list\?.*last=/, action: { status: 503 } });
    faults.proxy.addRule(pages);
    await tagRow(page, 't-25').getByRole('button', { name: 'Add tag' }).click();
    await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('a-new');
    await dialog(page).getByRole('button', { name: 'Add tag' }).click();
    await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digests['t-25']}`);
    await dialog(page).getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'may be incomplete' })).toBeVisible({ timeout: 20_000 });
    expect(pastFirstPage.hits).toBeGreaterThan(0);
    // Every row stays, with the digest it showed, and the new tag joins them.
    await expect(page.getByText('26 tags', { exact: true })).toBeVisible();
    await expect(tagRow(page, 'a-new').locator('code.digest')).toHaveAttribute('title', digests['t-25']);
    for (const [tag, digest] of Object.entries(digests)) {
      await expect(tagRow(page, tag).locator('code.digest')).toHaveAttribute('title', digest);
    }
    await page.screenshot({ path: screenshotPath('fault-incomplete-refresh-keeps-rows'), fullPage: true });

    // A tag removed here, on a page no listing reads now: its own read tells it is
    // gone, and its row leaves (no incomplete listing ever would).
    await tagRow(page, 't-20').getByRole('button', { name: 'Remove tag' }).click();
    await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toBeEnabled();
    await dialog(page).getByRole('button', { name: 'Remove tag' }).click();
    await expect(dialog(page).getByRole('status')).toContainText('Removed');
    await dialog(page).getByRole('button', { name: 'Close' }).click();
    expect(await tagDigest(faults.registry.url, repo, 't-20')).toBeNull();
    await expect(tagRow(page, 't-20')).toHaveCount(0, { timeout: 20_000 });
    await expect(page.getByText('25 tags', { exact: true })).toBeVisible();
    await expect(tagRow(page, 't-21').locator('code.digest')).toHaveAttribute('title', digests['t-21']);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a bulk removal takes each removed row out of the table as it goes, not when the run ends', async ({ page, faults }) => {
  const registry = faults.registry.url;
  for (const tag of ['rm-a', 'rm-b', 'rm-c']) await retagBehindTheBack(registry, 'demo/web', '0.9', tag);
  await openRepository(page, faults, 'demo/web');
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  for (const tag of ['rm-a', 'rm-b', 'rm-c']) await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
  await expect(bulk.getByRole('status')).toHaveText('3 selected');
  // One image's tags go one after another: the last one's write is held up.
  // Longer than the checks below wait, so they pass only while the run is on.
  const held = faults.proxy.addRule({ method: 'PUT', path: /\/manifests\/rm-c$/, action: { delay: 8000 } });
  await bulk.getByRole('button', { name: 'Remove selected tags' }).click();
  await page.getByRole('alertdialog', { name: 'Confirm bulk removal' }).getByRole('button', { name: 'Remove 3 tags' }).click();
  await expect.poll(() => held.matches, { timeout: 15_000 }).toBeGreaterThan(0);
  // While rm-c waits, the two removed rows are gone and the selection says what is left.
  await expect(tagRow(page, 'rm-a')).toHaveCount(0);
  await expect(tagRow(page, 'rm-b')).toHaveCount(0);
  await expect(tagRow(page, 'rm-c')).toHaveCount(1);
  await expect(bulk.getByRole('status')).toHaveText('1 selected');
  expect(await tagDigest(registry, 'demo/web', 'rm-a')).toBeNull();
  await expect(tagRow(page, 'rm-c')).toHaveCount(0, { timeout: 15_000 });
  await expect(activity(page).first()).toContainText('Bulk remove tags in demo/web: 3 done, 0 failed, of 3');
  expect(await tagDigest(registry, 'demo/web', 'rm-c')).toBeNull();
  expect(await tagDigest(registry, 'demo/web', '0.9')).toBe(faults.report.repositories['demo/web']['0.9'].digest);
});

test('a registry killed and restarted in the middle of a bulk run: the report matches the registry', async ({ page, faults }) => {
  const registry = faults.registry;
  const repo = 'scale/many-tags';
  const digest = faults.report.repositories[repo]['build-00000'].digest;
  await openRepository(page, faults, repo);
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('build-0000');
  await page.getByRole('checkbox', { name: 'Select build-00000' }).click();
  await bulk.getByRole('button', { name: 'Select all matching' }).click();
  await expect(bulk.getByRole('status')).toHaveText('10 selected');
  await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-k');
  // Slow the PUTs down so the kill lands in the middle.
  const puts = faults.proxy.addRule({ method: 'PUT', path: /-k$/, action: { delay: 300 } });
  await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
  await expect.poll(() => puts.matches, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
  await registry.restart({ downMs: 1500 });
  const entry = activity(page).first();
  await expect(entry).toContainText(`Bulk add tag {tag}-k in ${repo}`, { timeout: 60_000 });
  await entry.locator('.activity-items > summary').click();
  const lines = await entry.locator('.activity-items li').allTextContents();
  expect(lines).toHaveLength(10);
  let failed = 0;
  for (const line of lines) {
    const tag = line.split(':')[0];
    const now = await tagDigest(registry.url, repo, `${tag}-k`);
    if (line.includes('FAILED')) {
      failed += 1;
      // A failure says what is true: not applied means absent; applied or unknown
      // keeps Undo in the entry.
      if (line.toLowerCase().includes('nothing was changed')) expect(now, line).toBeNull();
    } else {
      expect(now, line).toBe(digest);
    }
  }
  expect(failed).toBeGreaterThan(0);
  await page.screenshot({ path: screenshotPath('fault-bulk-restart'), fullPage: true });
});

test('after a change in a 2,000-tag repository the tag view stays and re-resolves only the tags the change touched', async ({ page, faults }) => {
  const repo = 'scale/many-tags';
  const digest = faults.report.repositories[repo]['build-00000'].digest;
  await openRepository(page, faults, repo);
  // Earlier tests of this file may have added tags here: count what the view shows.
  const total = Number((await page.getByText(/^\d+ tags?$/).textContent()).split(' ')[0]);
  // Every digest known: the loading is over.
  await expect(page.getByRole('status').filter({ hasText: /digests \d+ of/ })).toHaveCount(0, { timeout: 30_000 });
  await page.locator('[role="table"]').evaluate((table) => { table.dataset.marker = 'kept'; });
  faults.proxy.clearLog();
  await tagRow(page, 'build-00000').getByRole('button', { name: 'Add tag' }).click();
  await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('in-place');
  await dialog(page).getByRole('button', { name: 'Add tag' }).click();
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await expect(page.getByText(`${total + 1} tags`, { exact: true })).toBeVisible();
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('in-place');
  await expect(tagRow(page, 'in-place').locator('code.digest')).toHaveAttribute('title', digest);
  // The same table element: no remount.
  await expect(page.locator('[role="table"]')).toHaveAttribute('data-marker', 'kept');
  // The change itself reads the source tag again (it must still be on the image
  // shown), reads in-place twice and writes it once; the refresh lists the tags again
  // and resolves in-place alone, never the other tags.
  const manifestReads = faults.proxy.log.filter((e) => ['HEAD', 'GET'].includes(e.method) && e.path.includes('/manifests/'));
  const others = manifestReads.filter((e) => !/\/manifests\/(in-place|build-00000|sha256:)/.test(e.path));
  expect(others, JSON.stringify(others)).toEqual([]);
  expect(manifestReads.length).toBeLessThan(10);
  expect(faults.proxy.log.filter((e) => e.path.includes('/tags/list')).length).toBeLessThanOrEqual(6);
});

test('across origins, the check of who else uses an image reads 2,000 tags without a preflight per tag', async ({ page, faults }) => {
  const repo = 'scale/many-tags';
  await openRepository(page, faults, repo);
  const total = Number((await page.getByText(/^\d+ tags?$/).textContent()).split(' ')[0]);
  faults.proxy.clearLog();
  await tagRow(page, 'build-00007').getByRole('button', { name: 'Remove tag' }).click();
  // The Remove button waits for the check: every other tag looked up.
  await expect(dialog(page).getByRole('button', { name: 'Remove tag' })).toBeEnabled({ timeout: 60_000 });
  const tagPath = /^\/v2\/scale\/many-tags\/manifests\/[^/]+$/;
  const reads = faults.proxy.log.filter((e) => e.method === 'HEAD' && tagPath.test(e.path) && !e.path.includes('sha256:'));
  const preflights = faults.proxy.log.filter((e) => e.method === 'OPTIONS' && tagPath.test(e.path));
  expect(new Set(reads.map((e) => e.path)).size).toBe(total);
  // A full-Accept HEAD is preflighted, each URL on its own: only the first passes
  // that could not be trusted (while the lookups learn the repository) cost one.
  expect(preflights.length, `${preflights.length} preflights for ${reads.length} HEADs`).toBeLessThan(20);
  // Ten of the other tags named, the rest counted: the Remove button stays in sight.
  await expect(dialog(page)).toContainText(`(and ${total - 1 - 10} more). The image is kept for them: only build-00007 is removed.`);
  await page.screenshot({ path: screenshotPath('remove-check-2000-tags') });
  await dialog(page).getByRole('button', { name: 'Close' }).click();
});

test('a repository opened again shows the digests it knew at once, marked as re-checked, then the registry\'s', async ({ page, faults }) => {
  const repo = 'team/sub/app';
  const tags = faults.report.repositories[repo];
  const [older, newer] = [tags['1.9.0'].digest, tags['1.10.0'].digest];
  await openRepository(page, faults, repo);
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('c');
  await expect(tagRow(page, 'current').locator('code.digest')).toHaveAttribute('title', newer);
  await expect(page).toHaveURL(/[?&]q=c(&|$)/);
  // Behind the console's back, `current` moves; the next visit's HEADs are slow.
  await retagBehindTheBack(faults.registry.url, repo, '1.9.0', 'current');
  try {
    faults.proxy.addRule({ method: 'HEAD', path: /\/manifests\//, action: { delay: 1500 } });
    await page.getByRole('link', { name: 'Repositories' }).click();
    await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: repo, exact: true }).click();
    // At once: the digest known before, marked, and no change offered on it.
    const digest = tagRow(page, 'current').locator('code.digest');
    await expect(digest).toHaveClass(/rechecking/, { timeout: 1000 });
    await expect(digest).toHaveAttribute('title', `${newer} (known from earlier in this tab; being checked again)`);
    await expect(tagRow(page, 'current').getByRole('button', { name: 'Add tag' })).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: 're-checking' })).toBeVisible();
    // Then what the registry says now.
    await expect(digest).toHaveAttribute('title', older, { timeout: 10_000 });
    await expect(digest).not.toHaveClass(/rechecking/);
    await expect(tagRow(page, 'current').getByRole('button', { name: 'Add tag' })).toHaveCount(1);
    await expect(page.getByRole('status').filter({ hasText: 're-checking' })).toHaveCount(0);
    // The filter is back empty for a view opened from a link; Back restores it.
    await expect(page.getByRole('searchbox', { name: 'Filter tags' })).toHaveValue('');
    await page.goBack();
    await page.goBack();
    await expect(page.getByRole('searchbox', { name: 'Filter tags' })).toHaveValue('c');
    await expect(tagRow(page, '1.9.0')).toHaveCount(0);
  } finally {
    faults.proxy.clearRules();
    await retagBehindTheBack(faults.registry.url, repo, '1.10.0', 'current');
  }
});

test('a digest read whose connection dropped is asked again once; dropped every time, the row says so', async ({ page, faults }) => {
  const repo = 'demo/web';
  const truth = faults.report.repositories[repo]['1.0'].digest;
  const head = { method: 'HEAD', path: /\/v2\/demo\/web\/manifests\/1\.0$/ };
  try {
    // Dropped once: the HEAD is sent again and the row shows the registry's digest.
    // (Chromium itself sends a request again when a reused connection closes without
    // an answer, so this shows the outcome; tests/client.rs shows the console's part.)
    const once = faults.proxy.addRule({ ...head, times: 1, action: { drop: true } });
    await openRepository(page, faults, repo);
    await expect(tagRow(page, '1.0').locator('code.digest')).toHaveAttribute('title', truth);
    expect(once.hits).toBe(1);

    // Dropped every time: after the retries (the console's and the browser's), the
    // row says the digest is unavailable; the other rows are read.
    faults.proxy.clearRules();
    const always = faults.proxy.addRule({ ...head, action: { drop: true } });
    await page.reload();
    await expect(tagRow(page, '1.0')).toContainText('unavailable');
    expect(always.hits).toBeGreaterThanOrEqual(2);
    await expect(tagRow(page, '0.9').locator('code.digest'))
      .toHaveAttribute('title', faults.report.repositories[repo]['0.9'].digest);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a digest read that never answers: after 30 s the row and the count say so, the other rows are read, and Read again reads it', async ({ page, faults }) => {
  const repo = 'demo/web';
  const head = { method: 'HEAD', path: /\/v2\/demo\/web\/manifests\/1\.0$/ };
  // The fake clock jumps over the read timeout (oci::http::READ_TIMEOUT_MS).
  await page.clock.install();
  const hung = faults.proxy.addRule({ ...head, action: { hang: true } });
  try {
    await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
    await expect(tagRow(page, '0.9').locator('code.digest'))
      .toHaveAttribute('title', faults.report.repositories[repo]['0.9'].digest);
    await expect.poll(() => hung.hits).toBe(1);
    // Every other read done before the clock jumps: one still in flight then (on a
    // busy machine) would time out too.
    const others = page.locator('[role="row"][data-tag]:not([data-tag="1.0"])');
    await expect(others.locator('.tag-digest .pending')).toHaveCount(0);
    for (const kind of await others.locator('.tag-kind').all()) await expect(kind).not.toBeEmpty();
    // The clock also runs on meanwhile (the reads above take their time on a busy
    // machine): 25 s of the 30 jumped, then past them.
    await page.clock.fastForward('00:25');
    await expect(tagRow(page, '1.0')).not.toContainText('unavailable');
    await page.clock.fastForward('00:06');
    await expect(tagRow(page, '1.0')).toContainText('unavailable: The registry did not answer in time');
    // The message has the room of the cells that would describe the image: all of it shows.
    const cell = tagRow(page, '1.0').locator('.tag-digest');
    await expect(cell).toHaveAttribute('aria-colspan', '4');
    expect(await cell.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    const count = page.locator('p.count[role="status"]');
    await expect(count).toHaveText(/^\d+ tags · the digest of 1 tag could not be read$/);
    // One wait, not two: a read that timed out is not asked again, with the full
    // Accept or otherwise.
    expect(hung.hits).toBe(1);
    // The registry answers again: "Read again" reads just that digest.
    faults.proxy.clearRules();
    faults.proxy.clearLog();
    await page.getByRole('button', { name: 'Read again' }).click();
    await expect(tagRow(page, '1.0').locator('code.digest'))
      .toHaveAttribute('title', faults.report.repositories[repo]['1.0'].digest);
    await expect(count).toHaveText(/^\d+ tags?$/);
    await expect(page.getByRole('button', { name: 'Read again' })).toHaveCount(0);
    const heads = faults.proxy.log.filter((e) => e.method === 'HEAD').map((e) => e.path);
    expect(heads.length).toBeGreaterThan(0);
    expect(heads.every((p) => p.endsWith('/manifests/1.0'))).toBe(true);
  } finally {
    faults.proxy.clearRules();
  }
});

test('an image whose read failed is counted, and Read again reads it, with no second read asked meanwhile', async ({ page, faults }) => {
  const repo = 'demo/web';
  const digest = faults.report.repositories[repo]['1.0'].digest;
  // The tag's digest is read; what the image is (its manifest, by digest) is not.
  const image = faults.proxy.addRule({ method: 'GET', path: new RegExp(`/v2/demo/web/manifests/${digest}$`), action: { status: 503 } });
  try {
    await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
    const kind = tagRow(page, '1.0').locator('.tag-kind');
    await expect(kind).toContainText('unreadable', { timeout: 20_000 });
    const count = page.locator('p.count[role="status"]');
    await expect(count).toHaveText(/^\d+ tags · the images? of \d+ tags? could not be read$/);
    // Not asked again unasked: the other tags of the image do not each read it.
    const hits = image.hits;
    await page.waitForTimeout(1000);
    expect(image.hits).toBe(hits);
    // The registry answers again: Read again reads it.
    faults.proxy.clearRules();
    await page.getByRole('button', { name: 'Read again' }).click();
    await expect(kind).not.toContainText('unreadable');
    await expect(kind).not.toBeEmpty();
    await expect(count).toHaveText(/^\d+ tags$/);
    await expect(page.getByRole('button', { name: 'Read again' })).toHaveCount(0);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a platform slow to answer holds up only its own cells, never the image page', async ({ page, faults }) => {
  const truth = faults.report.repositories['demo/multiarch']['2.0'];
  const [amd, arm] = ['amd64', 'arm64'].map((a) => truth.platforms.find((p) => p.architecture === a));
  const date = (iso) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;
  const armManifest = await (await fetch(`${faults.registry.url}/v2/demo/multiarch/manifests/${arm.digest}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  })).json();
  try {
    faults.proxy.addRule({ method: 'GET', path: new RegExp(`/blobs/${armManifest.config.digest}$`), action: { delay: 8000 } });
    const started = Date.now();
    await page.goto(`${faults.console}/?repo=demo/multiarch&ref=2.0`);
    await expect(page.locator('.full-digest')).toHaveText(truth.digest);
    const created = (label) => page.getByRole('table', { name: 'Platforms' }).locator(`tr[data-platform="${label}"] .platform-created`);
    await expect(created('linux/amd64')).toHaveText(date(amd.created));
    await expect(created('linux/arm64/v8')).toHaveText('…');
    // Shown before the slow answer came.
    expect(Date.now() - started).toBeLessThan(8000);
    await expect(created('linux/arm64/v8')).toHaveText(date(arm.created), { timeout: 20_000 });

    // A platform's way back to its multi-arch image: read again, without holding the page.
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/demo\/multiarch\/manifests\/2\.0$/, action: { delay: 8000 } });
    const opened = Date.now();
    await page.goto(`${faults.console}/?repo=demo/multiarch&ref=${amd.digest}&index=2.0`);
    await expect(page.locator('.full-digest')).toHaveText(amd.digest);
    const partOf = page.locator('.part-of-text');
    await expect(partOf).toHaveText('checking the multi-arch image it was opened from…');
    expect(Date.now() - opened).toBeLessThan(8000);
    await expect(partOf).toHaveText('linux/amd64 in the multi-arch image demo/multiarch:2.0', { timeout: 20_000 });
  } finally {
    faults.proxy.clearRules();
  }
});

test('Cancel in Find a digest takes effect at once, with requests still waiting for an answer', async ({ page, faults }) => {
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  try {
    // Every tag list answers only after 20 s: the search is all requests in flight.
    const lists = faults.proxy.addRule({ method: 'GET', path: /\/tags\/list/, action: { delay: 20_000 } });
    await page.goto(`${faults.console}/?view=find&digest=${digest}`);
    const status = page.locator('.find-progress');
    await expect(status).toContainText('Searching: 0 of');
    await expect.poll(() => lists.hits).toBeGreaterThan(0);
    const cancelled = Date.now();
    await status.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Cancelled after 0 of' })).toBeVisible({ timeout: 5_000 });
    // Not held until the answers came (20 s), and said as a cancel, not as a failure.
    expect(Date.now() - cancelled).toBeLessThan(5_000);
    await expect(status).toContainText('Cancelled: 0 of');
    // The Cancel button went with the search; the focus is on the line that says so.
    await expect(status).toBeFocused();
    // The repositories whose tag lists were still awaited were read only in part.
    await expect(page.getByRole('alert').filter({ hasText: 'Cancelled after 0 of' })).toContainText(/ were read only in part\. \d+ repositor(y was|ies were) not searched\./);
    await expect(status.getByRole('button', { name: 'Cancel' })).toHaveCount(0);
    await expect(page.getByText('Technical details')).toHaveCount(0);
  } finally {
    faults.proxy.clearRules();
  }
});

test('Find a digest: an image no tag points at, whose read fails, is a gap, never "not found"', async ({ page, faults }) => {
  // Two whole searches, the first through 503s answered after the registry's retries:
  // over a minute on a loaded machine.
  test.setTimeout(180_000);
  const writer = new RegistryWriter(faults.registry.url);
  const repo = 'find/moved-on';
  const image = (build) => ({ format: 'oci', reference: 'stable', platform: { os: 'linux', architecture: 'amd64' }, created: '2026-01-01T00:00:00Z', labels: {}, layers: [build] });
  const old = await pushImage(writer, repo, image('first build'));
  await pushImage(writer, repo, image('second build'));
  try {
    // The registry keeps the first image, untagged; only the manifest endpoint can
    // say so (no blob has that digest), and it fails.
    const head = faults.proxy.addRule({ method: 'HEAD', path: new RegExp(`/v2/${repo}/manifests/${old.digest}$`), times: 100, action: { status: 503 } });
    await page.goto(`${faults.console}/?view=find&digest=${old.digest}`);
    const missed = page.locator('.may-have-missed');
    await expect(missed).toContainText(`Whether ${repo} keeps an image of that digest that no tag points at could not be read`, { timeout: 120_000 });
    expect(head.hits).toBeGreaterThan(0);
    // Never a plain "Not found in the N repositories searched".
    await expect(page.locator('.find-summary')).toContainText('Not found in what could be read of');
    await page.screenshot({ path: screenshotPath('find-untagged-unreadable'), fullPage: true });
    // Read again once the registry answers: found, as untagged.
    faults.proxy.clearRules();
    await page.goto(`${faults.console}/?view=find&digest=${old.digest}`);
    await expect(page.locator('.find-summary')).toHaveText('Found in 1 repository: 1 image no tag points at is stored under it.', { timeout: 120_000 });
    await expect(missed).toHaveCount(0);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a list or an image the registry failed to give can be asked again with Try again, without a reload', async ({ page, faults }) => {
  try {
    // The repositories.
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/_catalog/, action: { status: 503 } });
    await page.goto(`${faults.console}/`);
    const failed = page.getByRole('alert').filter({ hasText: 'Technical details' });
    await expect(failed).toBeVisible();
    faults.proxy.clearRules();
    await failed.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByRole('link', { name: 'demo/web' })).toBeVisible();
    await expect(failed).toHaveCount(0);

    // A repository's tags.
    const count = page.locator('p.count[role="status"]');
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/demo\/web\/tags\/list/, action: { status: 503 } });
    await page.goto(`${faults.console}/?repo=demo/web`);
    await expect(failed).toBeVisible();
    await expect(count).toHaveText('No tags could be listed: see the failure below.');
    // No empty table under the failure.
    await expect(page.getByRole('table', { name: 'Tags' })).toBeHidden();
    faults.proxy.clearRules();
    await failed.getByRole('button', { name: 'Try again' }).click();
    await expect(tagRow(page, '1.0').locator('code.digest'))
      .toHaveAttribute('title', faults.report.repositories['demo/web']['1.0'].digest);
    await expect(count).toHaveText(/^\d+ tags?$/);
    await expect(failed).toHaveCount(0);
    await expect(page.getByRole('table', { name: 'Tags' })).toBeVisible();

    // A list that stops part-way says that more tags may exist, and Try again reads
    // it whole. One tag per page; the page after 0.9 fails.
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/demo\/web\/tags\/list\?.*last=0\.9/, action: { status: 503 } });
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/demo\/web\/tags\/list/, action: { pageTags: { size: 1 } } });
    await page.goto(`${faults.console}/?repo=demo/web`);
    await expect(count).toHaveText('1 tag listed before the failure below; the repository may have more');
    faults.proxy.clearRules();
    await failed.getByRole('button', { name: 'Try again' }).click();
    // Every tag the registry has (earlier tests of this file add some to demo/web).
    const listed = await (await fetch(`${faults.registry.url}/v2/demo/web/tags/list`)).json();
    expect(listed.tags.length).toBeGreaterThan(1);
    await expect(count).toHaveText(`${listed.tags.length} tags`);
    await expect(tagRow(page, 'latest').locator('code.digest'))
      .toHaveAttribute('title', faults.report.repositories['demo/web'].latest.digest);

    // An image.
    faults.proxy.addRule({ method: 'GET', path: /\/v2\/demo\/web\/manifests\/1\.0$/, action: { status: 503 } });
    await page.goto(`${faults.console}/?repo=demo/web&ref=1.0`);
    await expect(failed).toBeVisible();
    faults.proxy.clearRules();
    await failed.getByRole('button', { name: 'Try again' }).click();
    await expect(page.locator('.full-digest')).toHaveText(faults.report.repositories['demo/web']['1.0'].digest);
    await expect(failed).toHaveCount(0);
  } finally {
    faults.proxy.clearRules();
  }
});

test('Cancel during a copy step that waits for the registry says when it takes effect; no tag is written', async ({ page, faults }) => {
  await page.clock.install();
  const registry = faults.registry.url;
  const hung = faults.proxy.addRule({ method: 'POST', path: /\/v2\/demo\/copy-cancel\/blobs\/uploads\//, action: { hang: true } });
  try {
    await page.goto(`${faults.console}/?repo=demo/web&ref=1.0`);
    await page.getByRole('button', { name: 'Copy to repository' }).click();
    await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('demo/copy-cancel');
    await dialog(page).getByRole('textbox', { name: 'Target tag' }).fill('1.0');
    await dialog(page).getByRole('button', { name: 'Copy to repository' }).click();
    await expect.poll(() => hung.hits).toBe(1);
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog(page).getByRole('button', { name: 'Stopping after this step…' })).toBeDisabled();
    await page.clock.fastForward('02:01');
    await expect(dialog(page).getByRole('alert')).toContainText('No tag was changed');
    expect(hung.hits).toBe(1);
    expect(await tagDigest(registry, 'demo/copy-cancel', '1.0')).toBeNull();
  } finally {
    faults.proxy.clearRules();
  }
});

test('a copy goes on when its dialog is closed part-way, and lands in the activity list; the page still answers', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const slow = faults.proxy.addRule({ method: 'POST', path: /\/v2\/demo\/copy-closed\/blobs\/uploads\//, action: { delay: 1500 } });
  try {
    await page.goto(`${faults.console}/?repo=demo/web&ref=1.0`);
    await page.getByRole('button', { name: 'Copy to repository' }).click();
    await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('demo/copy-closed');
    await dialog(page).getByRole('textbox', { name: 'Target tag' }).fill('1.0');
    await dialog(page).getByRole('button', { name: 'Copy to repository' }).click();
    await expect.poll(() => slow.hits).toBeGreaterThan(0);
    await page.keyboard.press('Escape');
    await expect(dialog(page)).toHaveCount(0);
    await expect(activity(page).first()).toContainText(`Copied demo/web:1.0 to demo/copy-closed:1.0, digest ${digest}`, { timeout: 30_000 });
    expect(await tagDigest(registry, 'demo/copy-closed', '1.0')).toBe(digest);
    await expect(page.locator('.crash')).toHaveCount(0);
    expect(errors).toEqual([]);
    // The page still answers: the copy's tag opens.
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect(dialog(page).getByRole('textbox', { name: 'New tag' })).toBeFocused();
  } finally {
    faults.proxy.clearRules();
  }
});

test('a bulk run goes on when its tag view is left, and lands in the activity list; the page still answers', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  faults.proxy.addRule({ method: 'PUT', path: /\/manifests\/.*-left$/, action: { delay: 1500 } });
  try {
    await openRepository(page, faults, 'demo/web');
    const bulk = page.getByRole('group', { name: 'Bulk changes' });
    for (const tag of ['0.9', '1.0']) await page.getByRole('checkbox', { name: `Select ${tag}`, exact: true }).click();
    await bulk.getByRole('textbox', { name: 'New tag pattern' }).fill('{tag}-left');
    await bulk.getByRole('button', { name: 'Add tag to selected' }).click();
    await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && /-left$/.test(e.path))).toBe(true);
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Repositories' }).click();
    await expect(page.getByRole('list', { name: 'Repositories' })).toBeVisible();
    await expect(activity(page).first()).toContainText('2 done, 0 failed, of 2', { timeout: 30_000 });
    expect(await tagDigest(registry, 'demo/web', '0.9-left')).toBe(faults.report.repositories['demo/web']['0.9'].digest);
    expect(await tagDigest(registry, 'demo/web', '1.0-left')).toBe(faults.report.repositories['demo/web']['1.0'].digest);
    await expect(page.locator('.crash')).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a clean-up goes on when its view is left, and lands in the activity list; the page still answers', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const writer = new RegistryWriter(registry);
  const repo = 'left/cleanup';
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const tag of ['keep', 'old-1', 'old-2']) {
    await pushImage(writer, repo, { format: 'oci', reference: tag, platform: { os: 'linux', architecture: 'amd64' }, created, labels: {}, layers: [`left ${tag}`] });
  }
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  faults.proxy.addRule({ method: 'DELETE', path: /\/v2\/left\/cleanup\/manifests\//, action: { delay: 1500 } });
  try {
    await page.goto(`${faults.console}/?cleanup=${encodeURIComponent(repo)}&remove=old-*`);
    const apply = page.getByRole('button', { name: 'Apply…' });
    await expect(apply).toBeEnabled({ timeout: 30_000 });
    await apply.click();
    await page.getByRole('alertdialog', { name: 'Confirm clean-up' }).getByRole('button', { name: /^Yes: remove 2 tags/ }).click();
    // Under way: past Apply's check that the registry deletes (its first DELETE).
    await expect.poll(() => faults.proxy.log.filter((e) => e.method === 'DELETE' && e.path.startsWith('/v2/left/cleanup/')).length).toBeGreaterThan(1);
    await page.getByRole('link', { name: 'Repositories', exact: true }).first().click();
    await expect(page.getByRole('list', { name: 'Repositories' })).toBeVisible();
    await expect(activity(page).first()).toContainText(`Clean-up of ${repo}: 2 done, 0 skipped, 0 failed`, { timeout: 30_000 });
    expect(await tagDigest(registry, repo, 'old-1')).toBeNull();
    expect(await tagDigest(registry, repo, 'old-2')).toBeNull();
    expect(await tagDigest(registry, repo, 'keep')).not.toBeNull();
    await expect(page.locator('.crash')).toHaveCount(0);
    expect(errors).toEqual([]);
  } finally {
    faults.proxy.clearRules();
  }
});

test('a copy cut short by a reload before its tag is reconciled: not applied, so Retry copies it', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['1.0'].digest;
  const hung = faults.proxy.addRule({ method: 'POST', path: /\/v2\/demo\/copy-cut\/blobs\/uploads\//, action: { hang: true } });
  await page.goto(`${faults.console}/?repo=demo/web&ref=1.0`);
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  await dialog(page).getByRole('textbox', { name: 'Target repository' }).fill('demo/copy-cut');
  await dialog(page).getByRole('textbox', { name: 'Target tag' }).fill('1.0');
  await dialog(page).getByRole('button', { name: 'Copy to repository' }).click();
  await expect.poll(() => hung.hits).toBe(1);
  await page.reload();
  const entry = activity(page).first();
  await expect(entry).toContainText('Interrupted: Copy demo/web:1.0');
  await expect(entry).toContainText('demo/copy-cut:1.0 does not exist');
  await expect(entry).toContainText('Retry runs it');
  // Cut short before its tag PUT was sent: nothing of it can land, no Undo to keep.
  await expect(entry).not.toContainText('may still complete');
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(0);
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry).toContainText('done');
  expect(await tagDigest(registry, 'demo/copy-cut', '1.0')).toBe(digest);
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
});

test('a change whose record the tab\'s storage cannot take is not started, and says so', async ({ page, faults }) => {
  await openRepository(page, faults, 'demo/web');
  // Fill the tab's session storage to the last character.
  await page.evaluate(() => {
    let size = 1 << 22;
    let n = 0;
    while (size >= 1) {
      try {
        sessionStorage.setItem(`fill-${n}`, 'x'.repeat(size));
        n += 1;
      } catch {
        size = Math.floor(size / 2);
      }
    }
  });
  try {
    await tagRow(page, '0.9').getByRole('button', { name: 'Add tag' }).click();
    await dialog(page).getByRole('textbox', { name: 'New tag' }).fill('f-unrecorded');
    await dialog(page).getByRole('button', { name: 'Add tag' }).click();
    await expect(dialog(page)).toContainText('Not started: this tab\'s storage is full', { timeout: 30_000 });
    await expect(dialog(page)).toContainText('Nothing was changed.');
    expect(await tagDigest(faults.registry.url, 'demo/web', 'f-unrecorded')).toBe(null);
    expect(faults.proxy.log.some((e) => e.method === 'PUT')).toBe(false);
  } finally {
    await page.evaluate(() => {
      for (const key of Object.keys(sessionStorage)) if (key.startsWith('fill-')) sessionStorage.removeItem(key);
    });
  }
});

// Recovery of interrupted changes (Undo, Retry, Check again after a reload).

test('a tag removal cut short on its throw-away manifest: once Undo put the tag back, no Retry is offered', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-rm-undo');
  await expect(dialog(page).getByRole('status')).toContainText(`now points at ${digest}`);
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  // The 1st DELETE by digest is the deletes probe; the 2nd, of the placeholder, never answers.
  faults.proxy.addRule({ method: 'DELETE', path: /\/manifests\/sha256:/, nth: 2, action: { hang: true } });
  await removeTag(page, faults, 'demo/web', 'f-rm-undo');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'DELETE' && e.status === 'hung')).toBe(true);
  await page.reload();
  faults.proxy.clearRules();
  const entry = activity(page).first();
  await expect(entry).toContainText('Undo puts the tag back on its image instead');
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  expect(await tagDigest(registry, 'demo/web', 'f-rm-undo')).toBe(digest);
  // Retry would remove the tag just put back.
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await expect(entry.getByRole('button', { name: 'Check again' })).toHaveCount(0);
});

test('a Retry refused keeps Retry; one whose outcome is unclear offers Check again', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['demo/web']['0.9'].digest;
  faults.proxy.addRule({ ...manifestPut('f-retry-kept'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-retry-kept');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  await page.reload();
  faults.proxy.clearRules();
  const entry = activity(page).first();
  await expect(entry).toContainText('Retry runs it');
  // Refused outright: nothing written, Retry again.
  faults.proxy.addRule({ ...manifestPut('f-retry-kept'), action: { status: 403 } });
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry).toContainText('Retry failed');
  await expect(entry).toContainText('What was refused changed nothing: Retry runs it again.');
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  faults.proxy.clearRules();
  // A 503: it may land; Check again reads it.
  faults.proxy.addRule({ ...manifestPut('f-retry-kept'), action: { status: 503 } });
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry).toContainText('Check again reads the registry for it');
  await expect(entry.getByRole('button', { name: 'Check again' })).toHaveCount(1);
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
  faults.proxy.clearRules();
  await entry.getByRole('button', { name: 'Check again' }).click();
  await entry.getByRole('button', { name: 'Retry' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('done');
  expect(await tagDigest(registry, 'demo/web', 'f-retry-kept')).toBe(digest);
});

test('a Retry cut short by a reload is checked again by its own entry, never a second one offering the same writes', async ({ page, faults }) => {
  faults.proxy.addRule({ ...manifestPut('f-twice'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-twice');
  await expect.poll(() => faults.proxy.log.filter((e) => e.method === 'PUT' && e.status === 'hung').length).toBe(1);
  await page.reload();
  await activity(page).first().getByRole('button', { name: 'Retry' }).click();
  await expect.poll(() => faults.proxy.log.filter((e) => e.method === 'PUT' && e.status === 'hung').length).toBe(2);
  await page.reload();
  faults.proxy.clearRules();
  const entries = activity(page).filter({ hasText: 'demo/web:f-twice' });
  await expect(entries.first()).toContainText('Interrupted: Tag demo/web:f-twice');
  // Read again on loading: the PUT never reached the registry, so Retry is offered.
  await expect(entries.first()).toContainText('Retry runs it', { timeout: 20_000 });
  await expect(entries).toHaveCount(1);
  await expect(activity(page).filter({ hasText: 'Interrupted: Interrupted:' })).toHaveCount(0);
  await expect(activity(page).filter({ hasText: 'retrying' })).toHaveCount(0);
});

test('an image delete cut short by a reload, found not applied: Undo is kept with Retry, as the DELETE may still land', async ({ page, faults }) => {
  const registry = faults.registry.url;
  const digest = faults.report.repositories['team/tools'].edge.digest;
  faults.proxy.addRule({ method: 'DELETE', path: new RegExp(`/manifests/${digest}$`), action: { hang: true } });
  await openRepository(page, faults, 'team/tools');
  await tagRow(page, 'edge').getByRole('button', { name: 'Remove tag' }).click();
  await dialog(page).getByText('Delete the image instead…').click();
  await dialog(page).getByRole('button', { name: 'Delete image' }).click();
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'DELETE' && e.status === 'hung')).toBe(true);
  await page.reload();
  faults.proxy.clearRules();
  const entry = activity(page).first();
  await expect(entry).toContainText('may still complete on the registry');
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
  // Not landed: nothing to undo now, and the Undo stays.
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('nothing to undo now');
  await expect(entry.getByRole('button', { name: 'Undo' })).toHaveCount(1);
  await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  expect(await tagDigest(registry, 'team/tools', 'edge')).toBe(digest);
});

test('a journal entry this version cannot read is told after the reload, not dropped silently, and then cleared', async ({ page, faults }) => {
  await openRepository(page, faults, 'demo/web');
  await page.evaluate(() => sessionStorage.setItem('tagdeck.journal.42', '{"from":"another version"}'));
  await page.reload();
  await expect(page.getByText('1 earlier changes of this tab could not be read back after the reload')).toBeVisible();
  // Cleared once the activity list is saved: said once, not at every reload.
  await expect.poll(() => page.evaluate(() => sessionStorage.getItem('tagdeck.journal.42'))).toBe(null);
});

test('a change cut short by a reload leaves its journal keys until the activity list holds it, then none', async ({ page, faults }) => {
  faults.proxy.addRule({ ...manifestPut('f-journal-keys'), action: { hang: true } });
  await startAddTag(page, faults, 'demo/web', '0.9', 'f-journal-keys');
  await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung')).toBe(true);
  // One key for the change and one per intent, each written on its own.
  const keys = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('tagdeck.journal.')));
  expect(keys.length).toBeGreaterThanOrEqual(2);
  await page.reload();
  faults.proxy.clearRules();
  await expect(activity(page).first()).toContainText('Interrupted: Tag demo/web:f-journal-keys');
  await expect.poll(() => page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('tagdeck.journal')).length)).toBe(0);
  const stored = await page.evaluate(() => sessionStorage.getItem('tagdeck.activity'));
  expect(stored).toContain('f-journal-keys');
});

/**
 * Harbor lists repositories to administrators only; other registries not at all. A
 * refused catalog leaves every repository openable by its full name, typed in the
 * filter; text that is no valid name offers nothing.
 */
test('a registry that refuses to list its repositories still opens one by its full name', async ({ page, faults }) => {
  const refused = faults.proxy.addRule({
    method: 'GET',
    path: /^\/v2\/_catalog/,
    action: { status: 403, body: { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] } },
  });
  await page.goto(`${faults.console}/`);
  await expect(page.getByRole('alert').first()).toBeVisible();
  expect(refused.hits).toBeGreaterThan(0);
  await expect(page.getByText('can still be opened: type its full name')).toBeVisible();
  const filter = page.getByRole('searchbox', { name: 'Filter repositories' });
  await filter.fill('Demo Web');
  await expect(page.getByRole('link', { name: /^Open / })).toHaveCount(0);
  await filter.fill('demo/web');
  await page.getByRole('link', { name: 'Open demo/web' }).click();
  await expect(tagRow(page, '1.0')).toBeVisible();
  await page.screenshot({ path: screenshotPath('catalog-refused-open-by-name') });
});
