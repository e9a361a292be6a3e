// Referrers beside each image: a cosign-style signature tag and an OCI 1.1 SBOM
// (listed in the fallback tag's index, as clients do on registries without the
// referrers API), shown with kinds, digests and sizes; deleting the image with
// "also remove its referrers" removes them, checked against the registry directly.
import { test, expect, screenshotPath } from './harness.mjs';
import {
  writerFor, pushImage, pushCosignSignature, pushSbom, manifestStatus, SPDX, COSIGN_SIMPLESIGNING,
} from './referrer-fixtures.mjs';

test.describe.configure({ mode: 'serial' });

const humanSize = (bytes) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

async function signedImage(registryUrl, repo, salt) {
  const writer = writerFor(registryUrl);
  const image = await pushImage(writer, repo, 'v1', salt);
  const signature = await pushCosignSignature(writer, repo, image);
  const sbom = await pushSbom(writer, repo, image);
  return { image, signature, sbom };
}

/** Copies the image open in `page` to `target` with its 2 referrers; returns the dialog and its report: a line
 * for each of the 3 items offered (the fallback tag, the SBOM it lists, the signature). */
async function copyWithReferrers(page, target) {
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Target repository' }).fill(target);
  await dialog.getByRole('checkbox', { name: /Also copy (its 2 referrers|the 2 referrers found)/ }).check({ timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Copy to repository' }).click();
  const report = dialog.getByRole('status', { name: 'Referrers' });
  await expect(report.locator('li')).toHaveCount(3, { timeout: 30_000 });
  return { dialog, report };
}

/** Deletes the image tagged v1 of `repo` with its 2 referrers; returns the dialog's report of them. */
async function deleteWithReferrers(page, consoleUrl, repo) {
  await page.goto(`${consoleUrl}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  await expect(page.getByRole('table', { name: 'Referrers' }).locator('tbody tr')).toHaveCount(2, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove tag' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Delete the image instead…').click();
  await dialog.getByRole('checkbox', { name: /Also remove (its 2 referrers|the 2 referrers found)/ }).check({ timeout: 20_000 });
  await dialog.getByRole('button', { name: /^Delete image/ }).click();
  const report = dialog.getByRole('status', { name: 'Referrers' });
  await expect(report.locator('li')).toHaveCount(3, { timeout: 30_000 });
  return report;
}

test('an image shows its cosign signature and its OCI 1.1 SBOM', async ({ page, mutable }) => {
  const repo = 'e2e-ref/shown';
  const { image, signature, sbom } = await signedImage(mutable.registry.url, repo, 'shown');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  const table = page.getByRole('table', { name: 'Referrers' });
  await expect(table.locator('tbody tr')).toHaveCount(2, { timeout: 20_000 });

  const sigRow = table.locator(`tr[data-digest="${signature.digest}"]`);
  await expect(sigRow).toHaveAttribute('data-kind', 'signature');
  await expect(sigRow.locator('.referrer-kind')).toHaveText('signature');
  await expect(sigRow).toContainText(COSIGN_SIMPLESIGNING);
  await expect(sigRow).toContainText(`cosign tag ${signature.tag}`);
  await expect(sigRow.locator('.referrer-size')).toHaveText(humanSize(signature.size));
  await expect(sigRow.locator('.referrer-size')).toHaveAttribute('title', `${signature.size} bytes`);

  const sbomRow = table.locator(`tr[data-digest="${sbom.digest}"]`);
  await expect(sbomRow.locator('.referrer-kind')).toHaveText('SBOM');
  await expect(sbomRow).toContainText(SPDX);
  await expect(sbomRow).toContainText(`fallback tag ${sbom.fallbackTag}`);
  await expect(sbomRow.locator('.referrer-size')).toHaveAttribute('title', `${sbom.size} bytes`);

  // Each referrer opens by digest, and its own view names the image it refers to.
  await sbomRow.getByRole('link').click();
  expect(new URL(page.url()).searchParams.get('ref')).toBe(sbom.digest);
  await expect(page.locator('.facts').first()).toContainText(image.digest);
  await expect(page.locator('.full-digest')).toHaveText(sbom.digest);
});

test('an image without referrers says where it looked', async ({ page, mutable }) => {
  const repo = 'e2e-ref/plain';
  await pushImage(writerFor(mutable.registry.url), repo, 'v1', 'plain');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  await expect(page.locator('.referrers-none')).toHaveText(
    // Across origins distribution 2.8 answers the API's path without CORS headers:
    // no answer the page can read, so the page does not say the registry lacks it.
    'None found: checked the referrers API (no answer this page could read: across origins a registry without it, such as distribution 2.8, gives none), the fallback tag and cosign tags (.sig, .att, .sbom).',
    { timeout: 20_000 },
  );
  // Copying it: not "nothing refers to it", which a registry with the API that
  // dropped the request would make untrue.
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  const hint = page.getByRole('dialog').locator('.hint').filter({ hasText: 'None found' });
  await expect(hint).toContainText('None found, though not all could be checked: checked the referrers API (no answer');
  await expect(page.getByRole('dialog')).not.toContainText('No signatures, SBOMs or attestations refer to this image.');
  await page.screenshot({ path: screenshotPath('referrers-none-not-all-checked'), fullPage: true });
});

test('signature and SBOM tags can be hidden, and the choice stays in the address', async ({ page, mutable }) => {
  const repo = 'e2e-ref/hidden';
  const { signature, sbom } = await signedImage(mutable.registry.url, repo, 'hidden');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}`);
  const rows = page.locator('[role="row"][data-tag]');
  // Shown by default.
  await expect(rows).toHaveCount(3, { timeout: 20_000 });
  await expect(page.locator(`[role="row"][data-tag="${signature.tag}"]`)).toBeVisible();
  // Said for what they are: a signature's config names no platform, and the fallback
  // tag is an index of artifacts, not a multi-arch image.
  await expect(page.locator(`[role="row"][data-tag="${signature.tag}"] .tag-kind`)).toHaveText('image');
  await expect(page.locator(`[role="row"][data-tag="${sbom.fallbackTag}"] .tag-kind`)).toHaveText('index of 1 artifact');
  await page.getByRole('checkbox', { name: 'Hide signature/SBOM tags' }).check();
  await expect(rows).toHaveCount(1);
  await expect(page.locator('[role="row"][data-tag="v1"]')).toBeVisible();
  expect(new URL(page.url()).searchParams.get('hideReferrerTags')).toBe('1');
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Hide signature/SBOM tags' })).toBeChecked();
  await expect(page.locator('[role="row"][data-tag="v1"]')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator(`[role="row"][data-tag="${sbom.fallbackTag}"]`)).toHaveCount(0);
  // Opened: the index lists its manifests by artifact type, and the signature shows no
  // platform ("/" before).
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=${sbom.fallbackTag}`);
  await expect(page.getByRole('table', { name: 'Manifests' })).toContainText(`artifact: ${SPDX}`, { timeout: 20_000 });
  await expect(page.getByRole('table', { name: 'Platforms' })).toHaveCount(0);
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=${signature.tag}`);
  await expect(page.getByRole('table', { name: 'Layers' })).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('.config')).not.toContainText('Platform');
});

test('deleting an image can remove its referrers too', async ({ page, mutable }) => {
  const repo = 'e2e-ref/gone';
  const url = mutable.registry.url;
  const { image, signature, sbom } = await signedImage(url, repo, 'gone');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  await expect(page.getByRole('table', { name: 'Referrers' }).locator('tbody tr')).toHaveCount(2, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove tag' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Delete the image instead…').click();
  const along = dialog.getByRole('checkbox', { name: /Also remove (its 2 referrers|the 2 referrers found)/ });
  await expect(along).toBeVisible({ timeout: 20_000 });
  // Three items are listed: the count of two says what the third is.
  // Across origins distribution 2.8's referrers API gives no readable answer: more
  // may refer to the image than the tag schemes listed, and the label says so.
  await expect(along).toHaveAccessibleName(/the 2 referrers found \(signatures, SBOMs, attestations\) and the fallback tag that lists them; the list may be incomplete: the referrers API gave no answer this page could read$/);
  await expect(dialog.locator('.referrer-items li')).toHaveCount(3);
  await expect(dialog.locator('.referrer-items')).toContainText(`fallback tag ${sbom.fallbackTag}`);
  await along.check();
  await dialog.getByRole('button', { name: /^Delete image/ }).click();
  const report = dialog.getByRole('status', { name: 'Referrers' });
  await expect(report.locator('li')).toHaveCount(3, { timeout: 30_000 });
  await expect(report).not.toContainText('not removed');

  // The registry itself: the image, both referrers and both referrer tags are gone.
  expect(await manifestStatus(url, repo, image.digest)).toBe(404);
  expect(await manifestStatus(url, repo, 'v1')).toBe(404);
  expect(await manifestStatus(url, repo, signature.digest)).toBe(404);
  expect(await manifestStatus(url, repo, signature.tag)).toBe(404);
  expect(await manifestStatus(url, repo, sbom.digest)).toBe(404);
  expect(await manifestStatus(url, repo, sbom.fallbackTag)).toBe(404);
  expect(await manifestStatus(url, repo, sbom.fallbackDigest)).toBe(404);

  // The referrers are one entry with one Undo: it puts the SBOM, which no tag named,
  // back by digest before the fallback tag's index that lists it (the registry
  // refuses the index without it), and the signature with its tag.
  await dialog.getByRole('button', { name: 'Close' }).click();
  const entries = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry');
  const referrersEntry = entries.filter({ hasText: /Remove the referrers of e2e-ref\/gone@sha256:\w+…?: 3 done, 0 failed, of 3/ });
  await expect(referrersEntry).toHaveCount(1);
  await referrersEntry.locator('.activity-items > summary').click();
  await expect(referrersEntry.locator('.activity-items li')).toHaveCount(3);
  await referrersEntry.getByRole('button', { name: 'Undo' }).click();
  await expect(referrersEntry).toContainText('undone', { timeout: 20_000 });
  await expect(referrersEntry.locator('.activity-status')).toHaveText('undone');
  for (const reference of [sbom.digest, sbom.fallbackTag, sbom.fallbackDigest, signature.tag, signature.digest]) {
    expect(await manifestStatus(url, repo, reference), reference).toBe(200);
  }
});

test('deleting an image without the box checked leaves its referrers', async ({ page, mutable }) => {
  const repo = 'e2e-ref/kept';
  const url = mutable.registry.url;
  const { image, signature, sbom } = await signedImage(url, repo, 'kept');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  await page.getByRole('button', { name: 'Remove tag' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Delete the image instead…').click();
  await expect(dialog.getByRole('checkbox', { name: /Also remove (its 2 referrers|the 2 referrers found)/ })).not.toBeChecked({ timeout: 20_000 });
  await dialog.getByRole('button', { name: /^Delete image/ }).click();
  await expect.poll(() => manifestStatus(url, repo, image.digest), { timeout: 20_000 }).toBe(404);
  expect(await manifestStatus(url, repo, signature.tag)).toBe(200);
  expect(await manifestStatus(url, repo, sbom.digest)).toBe(200);
  expect(await manifestStatus(url, repo, sbom.fallbackTag)).toBe(200);
});

test('copying an image can bring its referrers along', async ({ page, mutable }) => {
  const repo = 'e2e-ref/source';
  const target = 'e2e-ref/copied';
  const url = mutable.registry.url;
  const { image, signature, sbom } = await signedImage(url, repo, 'copied');
  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Target repository' }).fill(target);
  await dialog.getByRole('checkbox', { name: /Also copy (its 2 referrers|the 2 referrers found)/ }).check({ timeout: 20_000 });
  // The long fallback tag in the list wraps: the fields stay inside the dialog.
  const inside = await dialog.boundingBox();
  for (const name of ['Target repository', 'Target tag']) {
    const field = await dialog.getByRole('textbox', { name }).boundingBox();
    expect(field.x + field.width, name).toBeLessThanOrEqual(inside.x + inside.width);
  }
  expect(await dialog.evaluate((d) => d.scrollWidth - d.clientWidth), 'scrolls sideways').toBeLessThanOrEqual(0);
  await dialog.getByRole('button', { name: 'Copy to repository' }).click();
  const report = dialog.getByRole('status', { name: 'Referrers' });
  // A line for each item offered: the SBOM goes with the fallback tag's index.
  await expect(report.locator('li')).toHaveCount(3, { timeout: 30_000 });
  await expect(report).not.toContainText('not copied');
  await expect(report.locator('li', { hasText: `SBOM sha256:${sbom.digest.slice(7, 19)}… copied to ${target} with the fallback index` })).toHaveCount(1);
  for (const reference of [image.digest, 'v1', signature.tag, signature.digest, sbom.fallbackTag, sbom.digest]) {
    expect(await manifestStatus(url, target, reference), reference).toBe(200);
  }
  // Its entry says what its Undo leaves: the manifests copied, by digest.
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry')
    .filter({ hasText: /Copy the referrers of e2e-ref\/source@/ });
  await expect(entry).toContainText(`Undo takes back the tags they got; what was copied stays in ${target} by digest`);
});

test('copying referrers into a repository with a fallback tag of its own lists both there, and Undo puts its own back', async ({ page, mutable }) => {
  const repo = 'e2e-ref/merge-source';
  const target = 'e2e-ref/merge-target';
  const url = mutable.registry.url;
  const { image, sbom } = await signedImage(url, repo, 'merged');
  // The target has the same image, with an SBOM of its own in its fallback index.
  const writer = writerFor(url);
  expect((await pushImage(writer, target, 'v1', 'merged')).digest).toBe(image.digest);
  const theirs = await pushSbom(writer, target, image, 'their own sbom');
  const listed = async () => {
    const response = await fetch(`${url}/v2/${target}/manifests/${sbom.fallbackTag}`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    return (await response.json()).manifests.map((m) => m.digest).sort();
  };
  expect(await listed()).toEqual([theirs.digest]);

  await page.goto(`${mutable.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  const { dialog, report } = await copyWithReferrers(page, target);
  await expect(report).not.toContainText('not copied');
  expect(await listed()).toEqual([sbom.digest, theirs.digest].sort());
  expect(await manifestStatus(url, target, sbom.digest)).toBe(200);

  await dialog.getByRole('button', { name: 'Close' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry')
    .filter({ hasText: /Copy the referrers of e2e-ref\/merge-source@/ });
  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry.locator('.activity-status')).toHaveText('undone');
  expect(await listed()).toEqual([theirs.digest]);
});

test('a referrer copy that fails midway names what failed, once, and copying again finishes it', async ({ page, faults }) => {
  const repo = 'e2e-ref/fsource';
  const target = 'e2e-ref/fcopied';
  const url = faults.registry.url;
  const { image, signature, sbom } = await signedImage(url, repo, 'fcopied');
  // The SBOM, listed by the fallback tag's index, is refused where it is copied to.
  const refused = faults.proxy.addRule({
    method: 'PUT', path: new RegExp(`/v2/${target}/manifests/${sbom.digest}$`), times: 100, action: { status: 500 },
  });
  await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
  const copy = () => copyWithReferrers(page, target);
  const first = await copy();
  // The fallback tag's line says what failed; the SBOM's, that it went without it.
  await expect(first.report.locator('li', { hasText: 'not copied' })).toHaveCount(2);
  const failed = first.report.locator('li', { hasText: `fallback tag ${sbom.fallbackTag} not copied` });
  await expect(failed).toHaveCount(1);
  await expect(first.report.locator('li', { hasText: /SBOM sha256:[0-9a-f]{12}… not copied/ })).toContainText('see its line');
  const line = await failed.innerText();
  expect(line).toContain(`copying manifest ${sbom.digest.slice(7, 19)}, one the image lists; the tag was not written`);
  expect(line.match(/copy stopped/gi), line).toHaveLength(1);
  expect(refused.hits).toBeGreaterThan(0);
  expect(await manifestStatus(url, target, sbom.digest)).toBe(404);
  expect(await manifestStatus(url, target, sbom.fallbackTag)).toBe(404);
  // The registry takes it again: copying again finishes the copy.
  faults.proxy.clearRules();
  await first.dialog.getByRole('button', { name: 'Close' }).click();
  const again = await copy();
  await expect(again.report).not.toContainText('not copied');
  for (const reference of [image.digest, 'v1', signature.tag, signature.digest, sbom.fallbackTag, sbom.digest]) {
    expect(await manifestStatus(url, target, reference), reference).toBe(200);
  }
});

test('a referrer that cannot be removed keeps the fallback tag that lists it, and the dialog says so', async ({ page, faults }) => {
  const repo = 'e2e-ref/fkept';
  const url = faults.registry.url;
  const { image, signature, sbom } = await signedImage(url, repo, 'fkept');
  const refused = faults.proxy.addRule({
    method: 'DELETE', path: new RegExp(`/v2/${repo}/manifests/${sbom.digest}$`), times: 100, action: { status: 500 },
  });
  const report = await deleteWithReferrers(page, faults.console, repo);
  const dialog = page.getByRole('dialog');
  expect(refused.hits).toBeGreaterThan(0);
  await expect(report.locator('li', { hasText: `signature sha256:${signature.digest.slice(7, 19)}… removed.` })).toHaveCount(1);
  await expect(report.locator('li', { hasText: /SBOM sha256:[0-9a-f]{12}… not removed/ })).toHaveCount(1);
  // The index that lists the SBOM stays, and the line names the SBOM in full.
  const kept = report.locator('li', { hasText: `fallback tag ${sbom.fallbackTag} not removed` });
  await expect(kept).toContainText('Kept, so that what it lists stays findable');
  await expect(kept).toContainText(sbom.digest);
  await expect(kept).toContainText('Nothing was changed.');

  // The registry: the image and the signature are gone; the SBOM is still listed.
  expect(await manifestStatus(url, repo, image.digest)).toBe(404);
  expect(await manifestStatus(url, repo, signature.digest)).toBe(404);
  expect(await manifestStatus(url, repo, sbom.digest)).toBe(200);
  expect(await manifestStatus(url, repo, sbom.fallbackTag)).toBe(200);
  faults.proxy.clearRules();
  await dialog.getByRole('button', { name: 'Close' }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry')
    .filter({ hasText: /Remove the referrers of e2e-ref\/fkept@sha256:\w+…?: 1 done, 2 failed, of 3/ });
  await expect(entry.locator('.activity-status')).toHaveText('partly done');
  await entry.getByRole('button', { name: 'Undo' }).click();
  // The signature comes back. The SBOM's delete was answered 500, no refusal: it is
  // still there, but that delete may yet complete, so its Undo stays on the entry.
  await expect(entry.locator('.activity-status')).toHaveText('partly undone', { timeout: 20_000 });
  await expect(entry.locator('.activity-detail')).toContainText(
    `1 of 2 changes undone; not undone: ${repo}@sha256:${sbom.digest.slice(7, 19)}…: Nothing to undo now: the change is not on the registry`);
  await expect(entry.getByRole('button', { name: 'Undo' })).toBeVisible();
  expect(await manifestStatus(url, repo, signature.tag)).toBe(200);
  expect(await manifestStatus(url, repo, sbom.digest)).toBe(200);
});

test('a fallback tag whose delete fails after its referrers went says what it still lists, and can then be deleted from the tag list as advised', async ({ page, faults }) => {
  const repo = 'e2e-ref/fleft';
  const url = faults.registry.url;
  const { image, sbom } = await signedImage(url, repo, 'fleft');
  const indexDigest = (await fetch(`${url}/v2/${repo}/manifests/${sbom.fallbackTag}`, {
    method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.index.v1+json' },
  })).headers.get('docker-content-digest');
  const refused = faults.proxy.addRule({
    method: 'DELETE', path: new RegExp(`/v2/${repo}/manifests/${indexDigest}$`), action: { status: 500 },
  });
  const report = await deleteWithReferrers(page, faults.console, repo);
  const dialog = page.getByRole('dialog');
  expect(refused.hits).toBe(1);
  const kept = report.locator('li', { hasText: `fallback tag ${sbom.fallbackTag} not removed` });
  await expect(kept).toContainText(`so it is kept, and it lists ${sbom.digest}, which is gone`);
  await expect(kept).toContainText('Undo puts back what it lists');
  await page.screenshot({ path: screenshotPath('referrers-index-left-listing'), fullPage: true });
  expect(await manifestStatus(url, repo, sbom.digest)).toBe(404);
  expect(await manifestStatus(url, repo, sbom.fallbackTag)).toBe(200);
  await dialog.getByRole('button', { name: 'Close' }).click();

  // As the advice says: the fallback tag's image, deleted from the tag list.
  faults.proxy.clearRules();
  await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}`);
  const row = page.locator(`[role="row"][data-tag="${sbom.fallbackTag}"]`);
  await row.getByRole('button', { name: 'Remove tag' }).click({ timeout: 20_000 });
  await dialog.getByText('Delete the image instead…').click();
  await dialog.getByRole('button', { name: /^Delete image/ }).click();
  await expect(dialog.getByRole('status').first()).toContainText('Deleted', { timeout: 20_000 });
  expect(await manifestStatus(url, repo, sbom.fallbackTag)).toBe(404);
  expect(await manifestStatus(url, repo, image.digest)).toBe(404);
});

test('a referrer copy cut short by a reload is reconciled on load, like any change', async ({ page, faults }) => {
  const repo = 'e2e-ref/rsource';
  const target = 'e2e-ref/rcopied';
  const url = faults.registry.url;
  const { signature } = await signedImage(url, repo, 'rcopied');
  // The signature's tag PUT in the target never answers: the run is cut short there.
  faults.proxy.addRule({
    method: 'PUT', path: new RegExp(`/v2/${target}/manifests/${signature.tag}$`), times: 100, action: { hang: true },
  });
  try {
    await page.goto(`${faults.console}/?repo=${encodeURIComponent(repo)}&ref=v1`);
    await page.getByRole('button', { name: 'Copy to repository' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Target repository' }).fill(target);
    await dialog.getByRole('checkbox', { name: /Also copy (its 2 referrers|the 2 referrers found)/ }).check({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Copy to repository' }).click();
    await expect.poll(() => faults.proxy.log.some((e) => e.method === 'PUT' && e.status === 'hung'), { timeout: 30_000 }).toBe(true);
    await page.reload();
    const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry')
      .filter({ hasText: /Interrupted: Copy the referrers of e2e-ref\/rsource@/ });
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText(`${target}:${signature.tag} does not exist`, { timeout: 30_000 });
    await expect(entry.getByRole('button', { name: 'Retry' })).toHaveCount(1);
  } finally {
    faults.proxy.clearRules();
  }
});
