// The clean-up planner against the real registry: a repository of 300 tags pushed
// here, the expected plan computed in this file (plain JS, from the pushed images and
// the documented rules), and every change checked against the registry over HTTP.
import { readFile } from 'node:fs/promises';
import { test, expect, screenshotPath, distDir } from './harness.mjs';
import { startTokenDeployment } from '../../scripts/lib/deployments.mjs';
import { RegistryWriter, pushImage, pushMultiArch, MEDIA } from '../../scripts/lib/fixtures.mjs';
import { retagBehindTheBack, tagDigest } from './registry-truth.mjs';

test.describe.configure({ mode: 'serial' });

const REPO = 'clean/app';
const DAY = 86_400_000;
const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
// Ages in days of the twelve single-platform images.
const AGES = [1, 5, 12, 20, 35, 50, 65, 80, 95, 110, 130, 150];
const RULES = { keepNewest: 20, keep: ['v*', 'latest'], remove: ['pr-*'], olderThanDays: 60 };
// Planned for removal, then moved behind the console's back before Apply: pr-02's
// image is deleted by the plan, pr-01's only loses tags.
const MOVED = ['pr-01', 'pr-02'];
const ACCEPT = Object.values(MEDIA).join(', ');

/**
 * Pushes the fixture: 12 images (one shared base layer, an own layer and config
 * each), a two-platform index, and 300 tags. Returns { tags: {tag: digest},
 * images: {digest: {created, blobs: [{digest, size}], children}} }.
 */
async function pushFixture(registryUrl) {
  const writer = new RegistryWriter(registryUrl);
  const now = Date.now();
  const iso = (days) => new Date(now - days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const images = {};
  const singles = [];
  const record = (image, created) => {
    const configSize = image.totalSize - image.layers.reduce((n, l) => n + l.size, 0);
    images[image.digest] = {
      created,
      children: [],
      blobs: [{ digest: image.configDigest, size: configSize }, ...image.layers.map((l) => ({ digest: l.digest, size: l.size }))],
    };
  };
  for (const [i, age] of AGES.entries()) {
    const created = iso(age);
    const image = await pushImage(writer, REPO, {
      format: 'oci', platform: AMD64, created, labels: { 'org.example.image': `clean ${i}` },
      layers: ['clean shared base layer', `clean application layer ${i}`],
    });
    record(image, created);
    singles.push(image.digest);
  }
  const indexCreated = iso(100);
  const index = await pushMultiArch(writer, REPO, {
    format: 'oci', tag: 'multi-1', created: indexCreated, platforms: [AMD64, ARM64], labels: {},
  });
  images[index.digest] = { created: indexCreated, children: index.platforms.map((p) => p.digest), blobs: [] };
  for (const platform of index.platforms) {
    const bytes = await manifestBytes(writer, platform.digest);
    const parsed = JSON.parse(bytes);
    images[platform.digest] = {
      created: indexCreated,
      children: [],
      blobs: [parsed.config, ...parsed.layers].map((d) => ({ digest: d.digest, size: d.size })),
    };
  }

  const tags = {
    latest: singles[0],
    'v1.0.0': singles[11], 'v1.1.0': singles[9], 'v1.2.0': singles[7],
    'multi-1': index.digest, 'v3.0.0': index.digest,
    'multi-1-amd64': index.platforms[0].digest, 'multi-1-arm64': index.platforms[1].digest,
    'shared-a': singles[8], 'shared-b': singles[8],
  };
  for (let k = 1; k <= 15; k++) tags[`pr-${String(k).padStart(2, '0')}`] = singles[(k * 5) % 12];
  const builds = 300 - Object.keys(tags).length;
  for (let n = 1; n <= builds; n++) tags[`build-${String(n).padStart(3, '0')}`] = singles[n % 12];
  expect(Object.keys(tags)).toHaveLength(300);

  // One digest's tags one after another, digests in parallel: distribution 2.8 races
  // on its link files when the same manifest (or an index and its platforms) is
  // written at the same moment (MANIFEST_BLOB_UNKNOWN, seen here).
  const family = (digest) => (images[digest].children.length || index.platforms.some((p) => p.digest === digest)
    ? index.digest : digest);
  const groups = new Map();
  for (const [tag, digest] of Object.entries(tags)) {
    if (tag === 'multi-1') continue;
    if (!groups.has(family(digest))) groups.set(family(digest), []);
    groups.get(family(digest)).push([tag, digest]);
  }
  await Promise.all([...groups.values()].map(async (group) => {
    for (const [tag, digest] of group) {
      const bytes = await manifestBytes(writer, digest);
      await writer.pushManifest(REPO, tag, bytes, JSON.parse(bytes).mediaType);
    }
  }));
  return { tags, images };
}

async function manifestBytes(writer, digest) {
  const response = await writer.request('GET', `/v2/${REPO}/manifests/${digest}`, { headers: { Accept: ACCEPT } });
  if (!response.ok) throw new Error(`GET ${digest}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Version order as people read it: runs of digits by value, the rest by character. */
function naturalCompare(a, b) {
  const chunks = (s) => s.match(/\d+|\D+/g) ?? [];
  const [x, y] = [chunks(a), chunks(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (/^\d/.test(x[i]) && /^\d/.test(y[i])) {
      const diff = BigInt(x[i]) - BigInt(y[i]);
      if (diff !== 0n) return diff < 0n ? -1 : 1;
      continue;
    }
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0);
}

const glob = (pattern) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/**
 * The plan as the rules document it: a keep pattern, then the newest N (by creation
 * date, ties by version order, highest first), then a remove pattern, then the age
 * rule; otherwise kept. An image is deleted when every tag pointing at it is
 * removed and no kept multi-arch image lists it. Bytes: blobs of deleted images
 * that no remaining manifest references, each once.
 */
function expectedPlan(fixture, rules, now = Date.now()) {
  const { tags, images } = fixture;
  const created = (tag) => Date.parse(images[tags[tag]].created);
  const ranked = Object.keys(tags).sort((a, b) => (created(b) - created(a)) || naturalCompare(b, a));
  const newest = new Set(ranked.slice(0, rules.keepNewest));
  const decision = {};
  for (const tag of Object.keys(tags)) {
    if (rules.keep.some((p) => glob(p).test(tag))) decision[tag] = 'keep';
    else if (newest.has(tag)) decision[tag] = 'keep';
    else if (rules.remove.some((p) => glob(p).test(tag))) decision[tag] = 'remove';
    else if (now - created(tag) > rules.olderThanDays * DAY) decision[tag] = 'remove';
    else decision[tag] = 'keep';
  }
  const keptDigests = new Set(Object.keys(tags).filter((t) => decision[t] === 'keep').map((t) => tags[t]));
  for (const digest of [...keptDigests]) for (const child of images[digest].children) keptDigests.add(child);
  const tagged = new Set(Object.values(tags));
  const deleted = [...tagged].filter((d) => !keptDigests.has(d));
  const tagsOnly = [...tagged].filter((d) => keptDigests.has(d)
    && Object.keys(tags).some((t) => tags[t] === d && decision[t] === 'remove'));
  const remainingBlobs = new Set();
  for (const [digest, image] of Object.entries(images)) {
    if (!deleted.includes(digest)) for (const blob of image.blobs) remainingBlobs.add(blob.digest);
  }
  const freed = new Map();
  for (const digest of deleted) {
    for (const blob of images[digest].blobs) if (!remainingBlobs.has(blob.digest)) freed.set(blob.digest, blob.size);
  }
  const reclaimable = [...freed.values()].reduce((n, s) => n + s, 0);
  const removed = Object.keys(tags).filter((t) => decision[t] === 'remove');
  return { decision, deleted, tagsOnly, reclaimable, removed };
}

/** RFC 4180 rows. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r') { /* before \n */ } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

async function registryTags(registry) {
  const body = await (await fetch(`${registry}/v2/${REPO}/tags/list`)).json();
  return (body.tags ?? []).sort();
}

async function manifestExists(registry, digest) {
  const response = await fetch(`${registry}/v2/${REPO}/manifests/${digest}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  return response.status === 200;
}

async function fillRules(page, rules) {
  await page.getByLabel('Keep the newest').fill(String(rules.keepNewest));
  await page.getByLabel('Keep tags matching').fill(rules.keep.join(' '));
  await page.getByLabel('Remove tags matching').fill(rules.remove.join(' '));
  await page.getByLabel('Remove tags whose image is older than (days)').fill(String(rules.olderThanDays));
}

async function planRows(page) {
  await expect(page.locator('.cleanup-summary')).toBeVisible({ timeout: 60_000 });
  return page.locator('.cleanup-tags tbody tr').evaluateAll((rows) => rows.map((r) => [r.dataset.tag, r.querySelector('.decision').textContent.toLowerCase()]));
}

let fixture;

test.beforeAll(async ({ cleanupDeployment }) => {
  test.setTimeout(180_000);
  fixture = await pushFixture(cleanupDeployment.registry.url);
});

test('the tag view opens the planner with the config.json defaults of the namespace', async ({ page, cleanupDeployment }) => {
  await page.goto(`${cleanupDeployment.console}/?repo=${REPO}`);
  await expect(page.getByText('300 tags', { exact: true })).toBeVisible({ timeout: 30_000 });
  await page.getByRole('link', { name: 'Clean up…' }).click();
  await expect(page.getByRole('heading', { name: `Clean up ${REPO}` })).toBeVisible();
  await expect(page.getByText('Rules from config.json (the defaults for clean).')).toBeVisible();
  await expect(page.getByLabel('Keep the newest')).toHaveValue('5');
  await expect(page.getByLabel('Keep tags matching')).toHaveValue('v*');
  // The planner's own messages, next to the field at fault; Plan waits for a fix.
  await page.getByLabel('Remove tags matching').fill('v1/*');
  await expect(page.locator('.cleanup-field', { has: page.getByLabel('Remove tags matching') }).locator('.field-error'))
    .toContainText("contains '/'");
  await expect(page.getByRole('button', { name: 'Plan' })).toBeDisabled();
  await page.getByLabel('Remove tags matching').fill('');
  await page.getByLabel('Keep the newest').fill('0');
  await expect(page.locator('.cleanup-field', { has: page.getByLabel('Keep the newest') }).locator('.field-error'))
    .toHaveText('keep newest must be at least 1; to not use the rule, leave it empty');
  await page.getByLabel('Keep the newest').fill('');
  await page.getByLabel('Keep tags matching').fill('');
  await page.getByLabel('Tags no rule decides are').selectOption('remove');
  await expect(page.locator('.cleanup-field', { has: page.getByLabel('Tags no rule decides are') }).locator('.field-error'))
    .toContainText('without a keep rule would remove every tag');
  await expect(page.getByRole('button', { name: 'Plan' })).toBeDisabled();
  // The namespace's row in the catalog leads to the plan over all its repositories.
  await page.goto(`${cleanupDeployment.console}/`);
  await page.getByRole('link', { name: 'Clean up clean/…' }).click();
  await expect(page.getByRole('heading', { name: 'Clean up every repository under clean/' })).toBeVisible();
  await page.getByRole('button', { name: 'Plan' }).click();
  await expect(page.locator('.cleanup-repository h4').first()).toHaveText(REPO, { timeout: 60_000 });
});

test('a plan over 300 tags lists exactly the expected set; the link and the downloads reproduce it', async ({ page, context, cleanupDeployment }) => {
  const expected = expectedPlan(fixture, RULES);
  expect(expected.deleted).toHaveLength(3);
  expect(expected.reclaimable).toBeGreaterThan(0);
  await page.goto(`${cleanupDeployment.console}/?cleanup=${REPO}`);
  await fillRules(page, RULES);
  // Cancel stops the gathering: no plan, nothing changed.
  await page.getByRole('button', { name: 'Plan' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Cancelled: no plan was made. Nothing was changed.')).toBeVisible();
  await page.getByRole('button', { name: 'Plan' }).click();
  await expect(page.locator('.cleanup-form .progress')).toContainText(REPO);
  const rows = await planRows(page);
  expect(rows).toHaveLength(300);
  expect(Object.fromEntries(rows)).toEqual(expected.decision);
  const kept = 300 - expected.removed.length;
  await expect(page.locator('.cleanup-summary')).toContainText(
    `300 tags in 1 repository: ${kept} kept, ${expected.removed.length} removed. 3 images deleted, ${expected.tagsOnly.length} images only lose tags.`,
  );
  const deletedList = page.getByRole('list', { name: `Images deleted from ${REPO}` }).locator('li');
  expect((await deletedList.evaluateAll((li) => li.map((l) => l.dataset.digest))).sort()).toEqual([...expected.deleted].sort());
  await page.screenshot({ path: screenshotPath('cleanup-plan'), fullPage: false });

  // Filter: only what goes.
  await page.getByRole('radio', { name: 'Removed' }).check();
  await expect(page.locator('.cleanup-tags tbody tr')).toHaveCount(expected.removed.length);

  // The address holds the rules: a fresh page on it makes the same plan by itself.
  const link = page.url();
  expect(link).toContain('keepNewest=20');
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByText('Rules from the page address.')).toBeVisible();
  await expect(other.getByLabel('Keep tags matching')).toHaveValue('v* latest');
  await expect(other.locator('.cleanup-tags tbody tr')).toHaveCount(expected.removed.length, { timeout: 60_000 });
  await other.getByRole('radio', { name: 'All tags' }).check();
  expect(Object.fromEntries(await planRows(other))).toEqual(expected.decision);
  await other.close();

  // Downloads: the CSV has one row per tag with its decision; the JSON the bytes.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
  expect(csvDownload.suggestedFilename()).toBe('cleanup-clean_app.csv');
  const csv = parseCsv(await readFile(await csvDownload.path(), 'utf8'));
  expect(csv[0]).toEqual(['tag', 'decision', 'rule', 'reason', 'digest', 'created', 'image']);
  expect(csv).toHaveLength(301);
  expect(Object.fromEntries(csv.slice(1).map((r) => [r[0], r[1]]))).toEqual(expected.decision);
  for (const r of csv.slice(1)) expect(r[4]).toBe(fixture.tags[r[0]]);
  const deletedRows = csv.slice(1).filter((r) => r[6] === 'deleted').map((r) => r[4]);
  expect([...new Set(deletedRows)].sort()).toEqual([...expected.deleted].sort());
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSON' }).click()]);
  const json = JSON.parse(await readFile(await jsonDownload.path(), 'utf8'));
  expect(json.registry).toBe(cleanupDeployment.registry.url);
  expect(Math.abs(json.plannedAt - Date.now() / 1000)).toBeLessThan(600);
  expect(json.repository).toBe(REPO);
  expect(json.reclaimableBytes).toBe(expected.reclaimable);
});

test('applying removes exactly the planned tags, skips tags moved since, keeps what kept tags use, and Undo restores', async ({ page, cleanupDeployment }) => {
  test.setTimeout(180_000);
  const registry = cleanupDeployment.registry.url;
  const expected = expectedPlan(fixture, RULES);
  for (const tag of MOVED) expect(expected.decision[tag]).toBe('remove');
  expect(expected.deleted).toContain(fixture.tags['pr-02']);
  expect(expected.tagsOnly).toContain(fixture.tags['pr-01']);
  expect(await registryTags(registry)).toEqual(Object.keys(fixture.tags).sort());

  await page.goto(`${cleanupDeployment.console}/?cleanup=${REPO}`);
  await fillRules(page, RULES);
  await page.getByRole('button', { name: 'Plan' }).click();
  expect(Object.fromEntries(await planRows(page))).toEqual(expected.decision);

  // Between Plan and Apply, behind the console's back.
  for (const tag of MOVED) await retagBehindTheBack(registry, REPO, 'latest', tag);

  const removed = expected.removed.length;
  await page.getByRole('button', { name: 'Apply…' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm clean-up' });
  await expect(confirm).toContainText(`Remove ${removed} tags and delete 3 images?`);
  await confirm.getByRole('button', { name: `Yes: remove ${removed} tags, delete 3 images` }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(
    `Clean-up of ${REPO}: ${removed - 2} done, 2 skipped, 0 failed, of ${removed} tags to remove; 3 images deleted`,
    { timeout: 150_000 },
  );
  // Two were skipped: not all done.
  await expect(entry.locator('.activity-status')).toHaveText('partly done');
  const report = page.getByRole('list', { name: 'Clean-up result per tag' });
  for (const tag of MOVED) {
    await expect(report.locator(`li[data-tag="${tag}"]`)).toContainText('skipped: it moved since the plan');
  }
  await expect(report.locator('li.failed')).toHaveCount(0);
  // A plan is applied once: the registry has changed since it was made.
  await expect(page.getByRole('button', { name: 'Apply…' })).toBeDisabled();
  const [reportDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Report CSV' }).click()]);
  const reportRows = parseCsv(await readFile(await reportDownload.path(), 'utf8'));
  expect(reportRows[0]).toEqual(['repository', 'tag', 'result', 'message', 'requests']);
  expect(reportRows.slice(1).map((r) => r[1]).sort()).toEqual([...expected.removed].sort());
  for (const r of reportRows.slice(1)) expect(r[2], r[1]).toBe(MOVED.includes(r[1]) ? 'skipped' : 'done');
  // The JSON report says where and when it ran, as the plan does.
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Report JSON' }).click()]);
  const reportJson = JSON.parse(await readFile(await jsonDownload.path(), 'utf8'));
  expect(reportJson.registry).toBe(registry);
  expect(Math.abs(reportJson.appliedAt - Date.now() / 1000)).toBeLessThan(600);
  expect(reportJson.tags.map((t) => t.tag).sort()).toEqual([...expected.removed].sort());
  const note = page.getByRole('note', { name: 'Why the disk did not shrink' });
  await expect(note).toContainText('frees it when its garbage collection runs');
  await expect(note).toContainText('registry garbage-collect');
  await expect(note).toContainText('--delete-untagged');
  await page.screenshot({ path: screenshotPath('cleanup-applied'), fullPage: false });

  // The registry, read directly: exactly the planned tags are gone, moved ones stay.
  const gone = new Set(expected.removed.filter((t) => !MOVED.includes(t)));
  expect(await registryTags(registry)).toEqual(Object.keys(fixture.tags).filter((t) => !gone.has(t)).sort());
  for (const tag of Object.keys(fixture.tags).filter((t) => !gone.has(t) && !MOVED.includes(t))) {
    expect(await tagDigest(registry, REPO, tag)).toBe(fixture.tags[tag]);
  }
  for (const tag of MOVED) expect(await tagDigest(registry, REPO, tag)).toBe(fixture.tags.latest);
  // Every image a kept tag uses (and every platform of a kept index) is still there;
  // the deleted ones are not.
  const keptTags = Object.keys(fixture.tags).filter((t) => expected.decision[t] === 'keep');
  const used = new Set(keptTags.map((t) => fixture.tags[t]));
  for (const digest of [...used]) for (const child of fixture.images[digest].children) used.add(child);
  for (const digest of used) expect(await manifestExists(registry, digest), digest).toBe(true);
  for (const digest of expected.deleted) expect(await manifestExists(registry, digest), digest).toBe(false);

  await entry.getByRole('button', { name: 'Undo' }).click();
  await expect(entry).toContainText('undone', { timeout: 120_000 });
  expect(await registryTags(registry)).toEqual(Object.keys(fixture.tags).sort());
  for (const tag of Object.keys(fixture.tags).filter((t) => !MOVED.includes(t))) {
    expect(await tagDigest(registry, REPO, tag)).toBe(fixture.tags[tag]);
  }
});

test('a reader sees the plan, and Apply is disabled with the reason', async ({ page }) => {
  const deployment = await startTokenDeployment({ consoleDir: distDir });
  try {
    const writes = [];
    page.on('request', (request) => {
      if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method()) && request.url().includes('/v2/')) writes.push(request.url());
    });
    await page.goto(`${deployment.url}/?cleanup=demo%2Fweb&remove=*`);
    const form = page.locator('form.sign-in').first();
    await form.getByRole('textbox', { name: 'User name' }).fill('reader');
    await form.getByLabel('Password or access token').fill('reader-secret');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.cleanup-summary'))
      .toContainText('3 tags in 1 repository: 0 kept, 3 removed. 2 images deleted, 0 images only lose tags.', { timeout: 60_000 });
    const apply = page.getByRole('button', { name: 'Apply…' });
    await expect(apply).toBeDisabled();
    await expect(apply).toHaveAttribute('title', /read-only in demo\/web/);
    await expect(page.locator('.cleanup-apply .access-notice')).toContainText('read-only in demo/web. Apply is disabled.');
    expect(writes).toEqual([]);
  } finally {
    await deployment.stop();
  }
});

test('keep newest 1 cutting between two tags of one image says how it ranked them', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?cleanup=demo%2Fweb&keepNewest=1&others=remove`);
  await expect(page.locator('.cleanup-notes')).toContainText(
    'keep newest 1 ends among tags created at the same moment, 2026-01-15 10:00 UTC: latest, 1.0 (tags of one image). '
    + 'Tags of one date rank by version order, highest first, so latest is among the 1 newest and 1.0 is not',
    { timeout: 30_000 });
});

test('an Apply of which nothing was done is reported failed, not partly done', async ({ page, cleanupDeployment }) => {
  const registry = cleanupDeployment.registry.url;
  const writer = new RegistryWriter(registry);
  const repo = 'skip/all';
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const tag of ['a', 'b']) {
    await pushImage(writer, repo, { format: 'oci', reference: tag, platform: AMD64, created, labels: {}, layers: [`skip ${tag}`] });
  }
  await page.goto(`${cleanupDeployment.console}/?cleanup=${encodeURIComponent(repo)}&remove=a`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  // Between Plan and Apply, behind the console's back: the one tag to remove moves.
  await retagBehindTheBack(registry, repo, 'b', 'a');
  await expect(page.locator('#cleanup-plan-heading')).toHaveText('Plan (dry run: nothing has been changed)');
  // The keyboard follows the question: its harmless answer first, Apply… after Back.
  await apply.click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm clean-up' });
  await expect(confirm.getByRole('button', { name: 'Back' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(confirm).toHaveCount(0);
  await expect(apply).toBeFocused();
  await apply.click();
  await confirm.getByRole('button', { name: /^Yes: remove 1 tag/ }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(`Clean-up of ${repo}: 0 done, 1 skipped, 0 failed`, { timeout: 60_000 });
  await expect(entry.locator('.activity-status')).toHaveText('failed');
  await expect(entry.locator('.activity-detail')).toContainText('The item was not done: it says why below, and what it left.');
  await expect(page.locator('#cleanup-plan-heading')).toHaveText(/^Plan, as applied: /);
  expect(await tagDigest(registry, repo, 'a')).toBe(await tagDigest(registry, repo, 'b'));
});

test('an image that gained a tag since the plan is skipped, not deleted, and counted as skipped', async ({ page, cleanupDeployment }) => {
  const registry = cleanupDeployment.registry.url;
  const writer = new RegistryWriter(registry);
  const repo = 'skip/gained';
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const tag of ['old', 'keep']) {
    await pushImage(writer, repo, { format: 'oci', reference: tag, platform: AMD64, created, labels: {}, layers: [`gained ${tag}`] });
  }
  const planned = await tagDigest(registry, repo, 'old');
  await page.goto(`${cleanupDeployment.console}/?cleanup=${encodeURIComponent(repo)}&remove=old`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByRole('list', { name: `Images deleted from ${repo}` })).toContainText(planned);
  // Between Plan and Apply, behind the console's back: the image gains a tag.
  await retagBehindTheBack(registry, repo, 'old', 'hotfix');
  await apply.click();
  await page.getByRole('alertdialog', { name: 'Confirm clean-up' }).getByRole('button', { name: /^Yes: remove 1 tag/ }).click();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(`Clean-up of ${repo}: 0 done, 1 skipped, 0 failed`, { timeout: 60_000 });
  await expect(entry).toContainText('skipped: its image changed since the plan, so it was not deleted');
  await expect(entry).toContainText('hotfix');
  expect(await tagDigest(registry, repo, 'old')).toBe(planned);
  expect(await tagDigest(registry, repo, 'hotfix')).toBe(planned);
});

test('rules edited after a plan disable Apply until Plan is pressed again', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?cleanup=demo/web&remove=0.9`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  const remove = page.getByRole('textbox', { name: 'Remove tags matching' });
  await remove.fill('*');
  await expect(apply).toBeDisabled();
  await expect(page.locator('.stale-plan')).toContainText('The rules above were changed since this plan was made: Plan again');
  // Back to the plan's rules: Apply is offered again, for the plan shown.
  await remove.fill('0.9');
  await expect(apply).toBeEnabled();
  await expect(page.locator('.stale-plan')).toHaveCount(0);
  // Planned anew, the new rules can be applied.
  await remove.fill('0.*');
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await expect(page.locator('.stale-plan')).toHaveCount(0);
});

test('a plan that removes every tag of a repository says so, and its question says so again', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?cleanup=demo/web&remove=*`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await expect(page.locator('.cleanup-notes')).toContainText(
    /these rules remove every tag of this repository \(\d+ tags\): nothing in it is left to pull by tag/);
  await apply.click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm clean-up' });
  await expect(confirm).toContainText('It leaves no tag at all in demo/web.');
  await confirm.getByRole('button', { name: 'Back' }).click();
  // Keeping one tag: neither is said.
  await page.getByRole('textbox', { name: 'Keep tags matching' }).fill('latest');
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await expect(page.locator('.cleanup-tags tr.keep')).toHaveCount(1);
  await expect(page.getByText(/remove every tag/)).toHaveCount(0);
  await apply.click();
  await expect(confirm).toContainText('Remove ');
  await expect(confirm.getByText(/It leaves no tag/)).toHaveCount(0);
});

test('on a registry with deletes turned off, Apply says so instead of asking, and changes nothing', async ({ page, noDeletes }) => {
  const truth = noDeletes.report.repositories['demo/web']['0.9'].digest;
  await page.goto(`${noDeletes.console}/?cleanup=demo/web&remove=0.9`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  // Only looking at the plan asks nothing of the registry's deletes.
  await expect(page.locator('.deletes-off')).toHaveCount(0);
  await apply.click();
  const notice = page.locator('.deletes-off');
  await expect(notice).toContainText('This registry does not delete');
  await expect(notice).toContainText('set storage.delete.enabled: true');
  await expect(apply).toBeDisabled();
  await expect(page.getByRole('alertdialog', { name: 'Confirm clean-up' })).toHaveCount(0);
  expect(await tagDigest(noDeletes.registry.url, 'demo/web', '0.9')).toBe(truth);
  // Asked again from here too, with one DELETE of a digest nobody has.
  const deletes = [];
  page.on('request', (request) => { if (request.method() === 'DELETE') deletes.push(request.url()); });
  await notice.getByRole('button', { name: 'Check again' }).click();
  await expect(notice).toContainText('Asked again: deletes are still off.');
  expect(deletes).toHaveLength(1);
  await expect(apply).toBeDisabled();
  expect(await tagDigest(noDeletes.registry.url, 'demo/web', '0.9')).toBe(truth);
});

test('while Apply runs, Plan waits: the run keeps its progress and Cancel, and no second plan reads a registry mid-change', async ({ page, cleanupDeployment }) => {
  const registry = cleanupDeployment.registry.url;
  const writer = new RegistryWriter(registry);
  const repo = 'busy/app';
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const tag of ['a', 'b']) {
    await pushImage(writer, repo, { format: 'oci', reference: tag, platform: AMD64, created, labels: {}, layers: [`busy ${tag}`] });
  }
  // The apply's writes (a's image deleted, a only names it) are held until released;
  // not the check whether the registry deletes, asked before the question.
  let armed = false;
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route((url) => url.pathname.startsWith(`/v2/${repo}/manifests/`), async (route) => {
    if (armed && route.request().method() !== 'GET' && route.request().method() !== 'HEAD') await released;
    return route.continue();
  });
  await page.goto(`${cleanupDeployment.console}/?cleanup=${encodeURIComponent(repo)}&remove=a`);
  const apply = page.getByRole('button', { name: 'Apply…' });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await apply.click();
  const confirm = page.getByRole('alertdialog', { name: 'Confirm clean-up' });
  await expect(confirm).toBeVisible();
  armed = true;
  await confirm.getByRole('button', { name: /^Yes: remove 1 tag/ }).click();
  const plan = page.getByRole('button', { name: 'Plan' });
  await expect(plan).toBeDisabled();
  await expect(plan).toHaveAttribute('title', 'Plan again once the clean-up below is applied');
  // Enter in a rule field submits the form: still no new plan.
  await page.getByRole('textbox').first().press('Enter');
  await expect(page.locator('.cleanup-apply')).toBeVisible();
  // Left and opened again while it runs: the new planner waits too, and says why.
  await page.getByRole('link', { name: 'Back to the tags' }).click();
  await page.getByRole('link', { name: 'Clean up…' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'A clean-up of this registry is being applied' })).toBeVisible();
  await expect(plan).toBeDisabled();
  // Another registry's address meanwhile (its views replace this registry's; this
  // deployment's policy lets the page reach no other registry, so one it cannot
  // use, which is sent nothing), then Back to this one: still waiting.
  await page.evaluate(() => {
    history.pushState(null, '', '?registry=ftp%3A%2F%2Ffiles.example');
    dispatchEvent(new PopStateEvent('popstate'));
  });
  await expect(page.getByRole('main').getByRole('alert')).toContainText('cannot be used');
  await expect(plan).toHaveCount(0);
  await page.goBack();
  await expect(page.getByRole('status').filter({ hasText: 'A clean-up of this registry is being applied' })).toBeVisible();
  await expect(plan).toBeDisabled();
  release();
  const entry = page.getByRole('list', { name: 'Activity' }).locator('.activity-entry').first();
  await expect(entry).toContainText(`Clean-up of ${repo}: 1 done`, { timeout: 60_000 });
  await expect(plan).toBeEnabled();
  await expect(page.getByText('A clean-up of this registry is being applied')).toHaveCount(0);
  expect(await tagDigest(registry, repo, 'a')).toBeNull();
});

test('a config.json that is not valid JSON is said in the planner, not taken for "no rules"', async ({ page, deployment }) => {
  await page.route((url) => url.pathname.endsWith('/config.json'), (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"cleanup": {"demo": ' }));
  await page.goto(`${deployment.console}/?registry=${encodeURIComponent(deployment.registry.url)}&cleanup=demo/web`);
  const alert = page.getByRole('region', { name: /Clean up/ }).getByRole('alert');
  await expect(alert).toContainText("config.json's clean-up defaults were not used: config.json is not valid JSON");
  await expect(page.getByText('No rules are saved for this repository')).toBeVisible();
});

test('a namespace plan gives each repository its own config.json rules, and says which', async ({ page, cleanupDeployment }) => {
  // config.json: tidy keeps the newest tag and removes the rest; tidy/keepall keeps all.
  const writer = new RegistryWriter(cleanupDeployment.registry.url);
  const iso = (days) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const repo of ['tidy/app', 'tidy/keepall']) {
    for (const [i, tag] of ['t1', 't2', 't3'].entries()) {
      await pushImage(writer, repo, {
        format: 'oci', reference: tag, platform: AMD64, created: iso(i + 1), labels: {}, layers: [`${repo} ${tag}`],
      });
    }
  }
  await page.goto(`${cleanupDeployment.console}/`);
  await page.getByRole('link', { name: 'Clean up tidy/…' }).click();
  await expect(page.getByText('Rules from config.json (the defaults for tidy).')).toBeVisible();
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  const plan = (repo) => page.locator(`.cleanup-repository[data-repository="${repo}"]`);
  await expect(plan('tidy/app').locator('.cleanup-tags tr.remove')).toHaveCount(2, { timeout: 60_000 });
  await expect(plan('tidy/keepall').locator('.cleanup-tags tr.keep')).toHaveCount(3);
  await expect(plan('tidy/keepall').locator('.cleanup-tags tr.remove')).toHaveCount(0);
  await expect(page.getByText('tidy/keepall is planned with its own rules from config.json')).toBeVisible();
  await page.screenshot({ path: screenshotPath('cleanup-namespace-own-rules'), fullPage: true });
});
