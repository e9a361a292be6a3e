// Find a digest across the registry, and switching between remembered registries.
// What the console finds is compared with what the test pushed.
import { test, expect, screenshotPath } from './harness.mjs';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { writerFor, pushImage, pushIndex, sha256 } from './referrer-fixtures.mjs';
import { MEDIA } from '../../scripts/lib/fixtures.mjs';
import { retagBehindTheBack } from './registry-truth.mjs';

test.describe.configure({ mode: 'serial' });

test('finds a digest used in three repositories and one multi-arch image, exactly', async ({ page, mutable }) => {
  const writer = writerFor(mutable.registry.url);
  const wanted = await pushImage(writer, 'e2e-find/a', 'v1', 'find-me');
  await pushImage(writer, 'e2e-find/b', 'v2', 'find-me');
  await pushImage(writer, 'e2e-find/c', 'latest', 'find-me');
  const arm = await pushImage(writer, 'e2e-find/c', null, 'find-me-arm', { os: 'linux', architecture: 'arm64' });
  const index = await pushIndex(writer, 'e2e-find/c', 'multi', [wanted, arm]);
  // Decoys: another image and an index that does not list it.
  await pushImage(writer, 'e2e-find/a', 'other', 'decoy');
  await pushIndex(writer, 'e2e-find/b', 'multi-other', [await pushImage(writer, 'e2e-find/b', null, 'decoy-arm')]);
  const expected = [
    ['e2e-find/a', 'v1', 'tag'],
    ['e2e-find/b', 'v2', 'tag'],
    ['e2e-find/c', 'latest', 'tag'],
    ['e2e-find/c', 'multi', 'index'],
  ];

  // From the image view's "Find where used".
  await page.goto(`${mutable.console}/?repo=e2e-find/a&ref=v1`);
  await page.getByRole('link', { name: 'Find where used' }).click();
  const url = new URL(page.url());
  expect(url.searchParams.get('view')).toBe('find');
  expect(url.searchParams.get('digest')).toBe(wanted.digest);
  await expect(page.getByRole('textbox', { name: 'Digest' })).toHaveValue(wanted.digest);

  const catalog = (await (await fetch(`${mutable.registry.url}/v2/_catalog?n=1000`)).json()).repositories;
  const progress = page.locator('.find-progress');
  await expect(progress).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  const rows = page.getByRole('table', { name: 'Where the digest is used' }).locator('tbody tr');
  await expect(rows).toHaveCount(expected.length);
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag, tr.dataset.kind]));
  expect(shown.sort()).toEqual(expected.sort());
  await expect(rows.filter({ hasText: 'multi' })).toContainText(`the multi-arch image sha256:${index.digest.slice(7, 19)}… lists it`);
  await expect(rows.filter({ hasText: 'multi' })).toContainText('as linux/amd64');
  await expect(page.locator('.find-summary')).toHaveText('Found in 3 repositories: 3 tags point at it and 1 multi-arch image lists it.');
  await expect(page.locator('.may-have-missed')).toHaveCount(0);

  // Also picked from a row of the tag table.
  await page.goto(`${mutable.console}/?repo=e2e-find/b`);
  await page.locator('[role="row"][data-tag="v2"]').getByRole('link', { name: `Find where ${wanted.digest.slice(7, 19)} is used` }).click();
  await expect(page.getByRole('textbox', { name: 'Digest' })).toHaveValue(wanted.digest);
  await expect(page.locator('.find-summary')).toHaveText('Found in 3 repositories: 3 tags point at it and 1 multi-arch image lists it.', { timeout: 60_000 });

  // The manifest a multi-arch image lists opens as its platform, with the way back.
  await rows.filter({ hasText: 'multi' }).getByRole('link', { name: 'Open the linux/amd64 image of e2e-find/c:multi' }).click();
  await expect(page.locator('.full-digest')).toHaveText(wanted.digest);
  await expect(page.locator('.part-of-text')).toHaveText('linux/amd64 in the multi-arch image e2e-find/c:multi');
  await expect(page).toHaveTitle(`e2e-find/c@${wanted.digest} · Tagdeck`);

  // Back: the results come back at once, said to be from earlier, without reading
  // the registry again; Search again does.
  const tagLists = [];
  const countLists = (request) => { if (request.url().includes('/tags/list')) tagLists.push(request.url()); };
  page.on('request', countLists);
  await page.goBack();
  await expect(page.locator('.earlier-search')).toContainText(/The results of this search \d+ (second|seconds|minute) ago in this tab; the registry may have changed since\./);
  await expect(rows).toHaveCount(expected.length);
  await expect(page.locator('.find-summary')).toHaveText('Found in 3 repositories: 3 tags point at it and 1 multi-arch image lists it.');
  expect(tagLists).toEqual([]);
  await page.getByRole('button', { name: 'Search again' }).click();
  await expect(progress).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  await expect(rows).toHaveCount(expected.length);
  expect(tagLists.length).toBeGreaterThanOrEqual(catalog.length);
  // Find, with the same digest written another way, searches the registry again too.
  const before = tagLists.length;
  await page.getByRole('textbox', { name: 'Digest' }).fill(`  ${wanted.digest.toUpperCase()} `);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect.poll(() => tagLists.length, { timeout: 60_000 }).toBeGreaterThanOrEqual(before + catalog.length);
  await expect(progress).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  await expect(page.locator('.earlier-search')).toHaveCount(0);
  await expect(rows).toHaveCount(expected.length);
  page.off('request', countLists);

  // By its first 12 digits, as docker images shows an image ID: the same uses, each
  // with the whole digest it found, and what such a search cannot find said.
  await page.goto(`${mutable.console}/?view=find`);
  const start = wanted.digest.slice(7, 19);
  await page.getByRole('textbox', { name: 'Digest' }).fill(start);
  await page.getByRole('button', { name: 'Find' }).click();
  expect(new URL(page.url()).searchParams.get('digest')).toBe(`sha256:${start}`);
  await expect(page.locator('.find-summary')).toHaveText('Found in 3 repositories: 3 tags point at it and 1 multi-arch image lists it.', { timeout: 60_000 });
  const byStart = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag, tr.dataset.kind]));
  expect(byStart.sort()).toEqual(expected.sort());
  const found = await rows.locator('.found-digest').evaluateAll((codes) => codes.map((c) => c.title));
  expect(found).toEqual(expected.map(() => wanted.digest));
  await expect(page.locator('.find-by-start')).toContainText(`Searched for the images whose digest starts with sha256:${start}`);
  await expect(page.locator('.find-by-start')).toContainText('A layer or an image configuration can be found by its whole digest only.');
  await expect(page.locator('.may-have-missed')).toHaveCount(0);
  await rows.filter({ hasText: 'multi' }).getByRole('link', { name: 'Open the linux/amd64 image of e2e-find/c:multi' }).click();
  await expect(page.locator('.full-digest')).toHaveText(wanted.digest);
});

test('an image whose tag moved on is found where the registry still keeps it, as untagged', async ({ page, mutable }) => {
  const writer = writerFor(mutable.registry.url);
  const old = await pushImage(writer, 'e2e-find/moved', 'stable', 'first build');
  await pushImage(writer, 'e2e-find/moved', 'stable', 'second build');
  // The registry keeps the first image under its digest; its blob endpoint does not
  // answer for it (a manifest is no blob there).
  const kept = await fetch(`${mutable.registry.url}/v2/e2e-find/moved/manifests/${old.digest}`, { method: 'HEAD', headers: { Accept: MEDIA.ociManifest } });
  expect(kept.status).toBe(200);
  const asBlob = await fetch(`${mutable.registry.url}/v2/e2e-find/moved/blobs/${old.digest}`, { method: 'HEAD' });
  expect(asBlob.status).toBe(404);

  await page.goto(`${mutable.console}/?view=find&digest=${old.digest}`);
  await expect(page.locator('.find-summary')).toHaveText('Found in 1 repository: 1 image no tag points at is stored under it.', { timeout: 60_000 });
  const rows = page.getByRole('table', { name: 'Where the digest is used' }).locator('tbody tr');
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag ?? null, tr.dataset.kind]));
  expect(shown).toEqual([['e2e-find/moved', null, 'untagged']]);
  await expect(rows).toContainText('stored here as an image, but no tag points at it');
  await expect(page.locator('.may-have-missed')).toHaveCount(0);
  await rows.getByRole('link', { name: `Open the untagged image e2e-find/moved@${old.digest}` }).click();
  await expect(page.locator('.full-digest')).toHaveText(old.digest);
});

test('a platform found through a nested index opens with the way back through that index', async ({ page, mutable }) => {
  const writer = writerFor(mutable.registry.url);
  const repo = 'e2e-find/nested';
  const arm = await pushImage(writer, repo, null, 'nested arm', { os: 'linux', architecture: 'arm64' });
  // The index in the middle has no tag of its own.
  const innerBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [{ mediaType: arm.mediaType, digest: arm.digest, size: arm.size, platform: arm.platform }],
  }));
  const inner = { digest: sha256(innerBytes), size: innerBytes.length };
  expect(await writer.pushManifest(repo, inner.digest, innerBytes, MEDIA.ociIndex)).toBe(inner.digest);
  await pushIndex(writer, repo, 'outer', [{ ...inner, mediaType: MEDIA.ociIndex }]);

  await page.goto(`${mutable.console}/?view=find&digest=${arm.digest}`);
  const rows = page.getByRole('table', { name: 'Where the digest is used' }).locator('tbody tr');
  await expect(page.locator('.find-summary')).toContainText('Found in 1 repository', { timeout: 60_000 });
  await expect(rows).toHaveCount(1);
  const outer = rows.and(page.locator('[data-tag="outer"]'));
  await expect(outer).toContainText(`the multi-arch image sha256:${inner.digest.slice(7, 19)}… lists it`);
  await outer.getByRole('link', { name: `Open the linux/arm64 image of ${repo}:outer` }).click();
  await expect(page.locator('.full-digest')).toHaveText(arm.digest);
  // The tag above names an index of indexes: the platform is one level down.
  const partOf = page.locator('.part-of-text');
  await expect(partOf).toHaveText(`linux/arm64 in the multi-arch image ${repo}:outer, through the multi-arch image it lists sha256:${inner.digest.slice(7, 19)}…`);
  await page.screenshot({ path: screenshotPath('find-nested-part-of'), fullPage: true });
  await partOf.getByRole('link', { name: `sha256:${inner.digest.slice(7, 19)}…` }).click();
  await expect(page.locator('.full-digest')).toHaveText(inner.digest);

  // Tagged too, the index in the middle is reached from both tags: both use it.
  await writer.pushManifest(repo, 'inner', innerBytes, MEDIA.ociIndex);
  await page.goto(`${mutable.console}/?view=find&digest=${arm.digest}`);
  await expect(page.locator('.find-summary')).toContainText('Found in 1 repository', { timeout: 60_000 });
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.tag, tr.dataset.kind]));
  expect(shown.sort()).toEqual([['inner', 'index'], ['outer', 'index']]);
});

test('a layer is found in every tagged image that has it, from the image view', async ({ page, deployment }) => {
  const layer = deployment.report.repositories['demo/web']['1.0'].layers[0];
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  await page.getByRole('link', { name: 'Find where layer 1 is used' }).click();
  await expect(page.getByRole('textbox', { name: 'Digest' })).toHaveValue(layer.digest);

  // What the registry says: in each repository that stores the blob, the tags whose
  // image (or a platform of it) lists it as a layer; a repository where none does
  // is a row of its own.
  const base = deployment.registry.url;
  const accept = Object.values(MEDIA).join(', ');
  const manifest = async (repo, reference) =>
    (await fetch(`${base}/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept } })).json();
  const catalog = (await (await fetch(`${base}/v2/_catalog?n=1000`)).json()).repositories;
  // [repository, tag, kind] for each tag whose image has `digest` (as a layer, or as
  // its configuration), and a blob row for a repository that stores it unused.
  const usesOf = async (digest) => {
    const uses = [];
    for (const repo of catalog) {
      if (!(await fetch(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).ok) continue;
      const before = uses.length;
      for (const tag of (await (await fetch(`${base}/v2/${repo}/tags/list?n=10000`)).json()).tags) {
        const found = await manifest(repo, tag);
        const images = found.manifests ? await Promise.all(found.manifests.map((m) => manifest(repo, m.digest))) : [found];
        for (const image of images) {
          if ((image.layers ?? []).some((l) => l.digest === digest)) uses.push([repo, tag, 'layer']);
          if (image.config?.digest === digest) uses.push([repo, tag, 'config']);
        }
      }
      if (uses.length === before) uses.push([repo, null, 'blob']);
    }
    return uses;
  };
  const expected = await usesOf(layer.digest);
  expect(expected.filter(([repo]) => repo === 'demo/web').map(([, tag]) => tag).sort()).toEqual(['0.9', '1.0', 'latest']);

  await expect(page.locator('.find-progress')).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  const rows = page.getByRole('table', { name: 'Where the digest is used' }).locator('tbody tr');
  await expect(rows).toHaveCount(expected.length);
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag ?? null, tr.dataset.kind]));
  expect(shown.sort()).toEqual(expected.sort());
  await expect(rows.and(page.locator('[data-tag="1.0"]'))).toContainText('its image has it as layer 1 of 2');
  const n = expected.length;
  const repositories = new Set(expected.map(([repo]) => repo)).size;
  const count = (kind) => expected.filter(([, , k]) => k === kind).length;
  const asLayer = count('layer') === 1 ? '1 tag names an image that has it as a layer' : `${count('layer')} tags name images that have it as a layer`;
  const unused = count('blob') === 1 ? '1 repository stores it with no tagged image using it' : `${count('blob')} repositories store it with no tagged image using it`;
  expect(count('layer') + count('blob')).toBe(n);
  await expect(page.locator('.find-summary'))
    .toHaveText(`Found in ${repositories} repositor${repositories === 1 ? 'y' : 'ies'}: ${count('blob') ? `${asLayer} and ${unused}` : asLayer}.`);
  await expect(page.locator('.may-have-missed')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('find-layer') });

  // A layer of one platform of a multi-arch image: found under the image's tags, and
  // opened as that platform, with the way back.
  const truth = deployment.report.repositories['demo/multiarch']['2.0'];
  const arm = truth.platforms.find((p) => p.architecture === 'arm64');
  const armLayer = (await manifest('demo/multiarch', arm.digest)).layers[1].digest;
  await page.goto(`${deployment.console}/?view=find&digest=${armLayer}`);
  await expect(page.locator('.find-progress')).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  await expect(rows).toHaveCount(2);
  expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.tag))).sort()).toEqual(['2.0', 'latest']);
  const row = rows.and(page.locator('[data-tag="2.0"]'));
  await expect(row).toContainText('its linux/arm64/v8 image has it as layer 2 of 2 (open it)');
  await row.getByRole('link', { name: 'Open the linux/arm64/v8 image of demo/multiarch:2.0' }).click();
  await expect(page.locator('.full-digest')).toHaveText(arm.digest);
  await expect(page.locator('.part-of-text')).toHaveText('linux/arm64/v8 in the multi-arch image demo/multiarch:2.0');
  // The breadcrumbs go through the multi-arch image too, and name the platform as it
  // lists it (the digest in the crumb's title).
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumbs' });
  await expect(crumbs).toHaveText('Repositories / demo/multiarch / 2.0 / linux/arm64/v8');
  await expect(crumbs.locator('[aria-current="page"]')).toHaveAttribute('title', arm.digest);
  await crumbs.getByRole('link', { name: '2.0' }).click();
  await expect(page.locator('.full-digest')).toHaveText(truth.digest);
  await expect(crumbs).toHaveText('Repositories / demo/multiarch / 2.0');

  // An image's configuration, from the image view.
  const config = (await manifest('demo/web', '1.0')).config.digest;
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  await expect(page.locator('.config-digest')).toHaveText(config.slice(0, 19));
  await page.getByRole('link', { name: 'Find where the configuration is used' }).click();
  await expect(page.getByRole('textbox', { name: 'Digest' })).toHaveValue(config);
  const configUses = await usesOf(config);
  expect(configUses).toContainEqual(['demo/web', '1.0', 'config']);
  await expect(page.locator('.find-progress')).toContainText(`Searched: ${catalog.length} of ${catalog.length} repositories,`, { timeout: 60_000 });
  await expect(rows).toHaveCount(configUses.length);
  const shownConfig = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag ?? null, tr.dataset.kind]));
  expect(shownConfig.sort()).toEqual(configUses.sort());
  await expect(rows.and(page.locator('[data-repository="demo/web"][data-tag="1.0"]'))).toContainText('its image has it as its configuration');
});

test('a pasted digest is checked, and a bad one is explained', async ({ page, mutable }) => {
  await page.goto(`${mutable.console}/`);
  await page.getByRole('link', { name: 'Find a digest' }).click();
  const field = page.getByRole('textbox', { name: 'Digest' });
  await field.fill('sha256:not-a-digest');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('alert')).toContainText('That is not a digest');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(field).toHaveAccessibleDescription(/That is not a digest/);
  expect(new URL(page.url()).searchParams.get('digest')).toBeNull();
  // Fewer digits than a tag row shows: said for what they are.
  await field.fill('sha256:962752cd0b');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('alert')).toContainText('That is too short a start of a digest (10 hexadecimal digits)');
  await expect(page.getByRole('alert')).toContainText('the search takes at least the first 12');
  // A name and tag, as docker prints it: said for what it is.
  await field.fill('demo/web:1.0');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('alert')).toContainText("demo/web:1.0 is an image's name and tag, not a digest.");
  // A digest no tag uses: the search covers everything and says so.
  const nowhere = `sha256:${'0'.repeat(64)}`;
  await field.fill(`  ${nowhere} `);
  await page.getByRole('button', { name: 'Find' }).click();
  expect(new URL(page.url()).searchParams.get('digest')).toBe(nowhere);
  await expect(page.locator('.find-summary')).toContainText('Not found in the', { timeout: 60_000 });
  await expect(page.locator('.may-have-missed')).toHaveCount(0);
  // The start of a digest nothing has: what it may have been, and how to get the
  // digest the registry knows.
  await field.fill('000000000000');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.locator('.find-summary')).toContainText('Not found in the', { timeout: 60_000 });
  await expect(page.locator('.find-by-start')).toContainText("If it is an IMAGE ID from docker images: Docker's classic image store shows the configuration's digest there.");
  await expect(page.locator('.find-by-start')).toContainText("docker inspect --format '{{index .RepoDigests 0}}' IMAGE");
  // Then a bad one: the last search's results are not left under its error as if
  // they answered it.
  await field.fill('hello');
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.getByRole('alert')).toContainText('That is not a digest');
  await expect(page.locator('.find-summary')).toBeHidden();
  await expect(field).toHaveValue('hello');
  await expect(field).toBeFocused();
  // Nor does the address go on naming that search: a reload does not run it again,
  // and Back shows it.
  expect(new URL(page.url()).searchParams.get('digest')).toBeNull();
  await page.reload();
  await expect(field).toHaveValue('');
  await expect(page.locator('.find-summary')).toHaveCount(0);
  await page.goBack();
  await expect(field).toHaveValue(/000000000000$/);
  await expect(page.locator('.find-summary')).toBeVisible({ timeout: 60_000 });
  await field.fill(nowhere);
  await page.getByRole('button', { name: 'Find' }).click();
  await expect(page.locator('.find-summary')).toBeVisible();
});

test('the header lists the registries connected in this browser and switches between them', async ({ page, mutable }) => {
  const second = await startRegistry({ corsOrigin: mutable.site.url });
  try {
    await pushImage(writerFor(second.url), 'only-on-second', 'v1', 'second');
    await page.goto(`${mutable.console}/`);
    await expect(page.getByRole('list', { name: 'Repositories' })).toBeVisible({ timeout: 20_000 });
    await page.goto(`${mutable.console}/?registry=${encodeURIComponent(second.url)}`);
    const repositories = page.getByRole('list', { name: 'Repositories' }).getByRole('listitem');
    await expect(repositories).toHaveText(['only-on-second']);

    await page.getByText('Registries', { exact: true }).click();
    const remembered = page.getByRole('list', { name: 'Remembered registries' });
    await expect(remembered.getByRole('link')).toHaveText([second.url, mutable.registry.url]);
    await expect(remembered.getByRole('link', { name: second.url })).toHaveAttribute('aria-current', 'true');
    // Addresses only: nothing else is stored.
    const stored = await page.evaluate(() => localStorage.getItem('tagdeck.recentRegistries'));
    expect(JSON.parse(stored)).toEqual([second.url, mutable.registry.url]);

    await remembered.getByRole('link', { name: mutable.registry.url }).click();
    expect(new URL(page.url()).searchParams.get('registry')).toBe(mutable.registry.url);
    await expect(repositories.filter({ hasText: 'demo/web' })).toHaveCount(1, { timeout: 20_000 });
    await expect(repositories.filter({ hasText: 'only-on-second' })).toHaveCount(0);

    await page.getByText('Registries', { exact: true }).click();
    await expect(remembered.getByRole('link', { name: mutable.registry.url })).toHaveAttribute('aria-current', 'true');
    await remembered.getByRole('button', { name: `Forget ${second.url}` }).click();
    await expect(remembered.getByRole('link')).toHaveText([mutable.registry.url]);
    const after = await page.evaluate(() => localStorage.getItem('tagdeck.recentRegistries'));
    expect(JSON.parse(after)).toEqual([mutable.registry.url]);
  } finally {
    await second.stop();
  }
});

test('a registry that sends blobs from its storage: found and copied by the redirect alone, and a configuration it cannot give is explained', async ({ page, mutable, cspViolations }) => {
  // The console's own policy refuses the storage too (only the registry is in its
  // connect-src): reading a configuration there is meant to fail.
  cspViolations.allow(/127\.0\.0\.1:9\/|\/blobs\/sha256:/);
  // Storage nothing answers at: as unreadable to the page as a bucket whose CORS rules
  // leave this page out.
  const storage = 'http://127.0.0.1:9/storage';
  const second = await startRegistry({ corsOrigin: mutable.site.url, storageRedirect: storage });
  try {
    const writer = writerFor(second.url);
    const image = await pushImage(writer, 'cloud/app', 'v1', 'cloud');
    await pushImage(writer, 'cloud/other', 'base', 'cloud');
    const manifest = await (await fetch(`${second.url}/v2/cloud/app/manifests/v1`, { headers: { Accept: MEDIA.ociManifest } })).json();
    const layer = manifest.layers[0].digest;
    // The registry itself redirects a blob it has, and only then.
    const head = await fetch(`${second.url}/v2/cloud/app/blobs/${layer}`, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(307);
    expect(head.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\//);
    const registry = `registry=${encodeURIComponent(second.url)}`;

    // Find a digest: the layer is where the redirect says, with no gap.
    await page.goto(`${mutable.console}/?${registry}&view=find&digest=${layer}`);
    await expect(page.locator('.find-progress')).toContainText('Searched: 2 of 2 repositories,', { timeout: 30_000 });
    const rows = page.getByRole('table', { name: 'Where the digest is used' }).locator('tbody tr');
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.repository, tr.dataset.tag, tr.dataset.kind]));
    expect(shown).toEqual([['cloud/app', 'v1', 'layer'], ['cloud/other', 'base', 'layer']]);
    await expect(page.locator('.may-have-missed')).toHaveCount(0);

    // The tag table: each row keeps what its manifest says; the storage is explained
    // once above the table, and asked only until it is known to fail: the first
    // configuration read finds it out (a GET, its retry, a HEAD) while the others
    // wait for it, not 3 requests for every image.
    const extra = 19;
    for (let i = 2; i <= extra + 1; i += 1) await pushImage(writer, 'cloud/app', `v${i}`, `cloud ${i}`);
    const blobRequests = [];
    const manifestReads = new Set();
    const inFlight = new Set();
    // The registry's own requests. A blob GET is left out of those in flight: the
    // page's policy refuses the redirect it gets, and no event ends it here; the HEAD
    // that follows it does end.
    const watch = (request) => {
      const url = request.url();
      if (!url.startsWith(`${second.url}/v2/`)) return;
      const blobGet = url.includes('/blobs/') && request.method() === 'GET';
      if (url.includes('/blobs/')) blobRequests.push(`${request.method()} ${url}`);
      if (url.includes('/manifests/sha256:') && request.method() === 'GET') manifestReads.add(url);
      if (!blobGet) inFlight.add(request);
    };
    const settle = (request) => inFlight.delete(request);
    page.on('request', watch);
    page.on('requestfinished', settle);
    page.on('requestfailed', settle);
    await page.goto(`${mutable.console}/?${registry}&repo=cloud/app`);
    const note = page.locator('.storage-unreadable').getByRole('alert');
    await expect(note).toContainText("Platforms and creation dates are not shown: the registry's storage could not be read", { timeout: 20_000 });
    await expect(note).toContainText('redirect: disable: true');
    await expect(page.locator('.count')).toHaveText(`${extra + 1} tags`, { timeout: 20_000 });
    const row = page.locator('.tag-row[data-tag="v1"]');
    await expect(row.locator('.tag-size')).toHaveText(/\d+ B/);
    await expect(row.locator('.tag-kind')).toHaveText('image');
    await expect(row.locator('.tag-kind')).toHaveAttribute('title', /in the registry's storage, which could not be read/);
    // Every image's summary read (rows off screen too: one manifest each), and
    // nothing left in flight.
    await expect.poll(() => manifestReads.size, { timeout: 20_000 }).toBe(extra + 1);
    await expect.poll(() => [...inFlight].map((r) => `${r.method()} ${r.url()}`), { timeout: 20_000 }).toEqual([]);
    await page.waitForTimeout(500);
    expect(inFlight.size).toBe(0);
    page.off('request', watch);
    console.log(`tag table on unreadable storage: ${blobRequests.length} blob requests for ${extra + 1} images`);
    expect(blobRequests).toHaveLength(3);

    // The image page: the configuration needs the storage; the failure says so and how to fix it.
    await page.goto(`${mutable.console}/?${registry}&repo=cloud/app&ref=v1`);
    await expect(page.locator('.full-digest')).toHaveText(image.digest);
    const failure = page.getByRole('alert').filter({ hasText: "The registry's storage could not be read" });
    await expect(failure).toBeVisible({ timeout: 20_000 });
    await expect(failure).toContainText('redirect: disable: true');
    // Its digest comes from the manifest: shown all the same, with its search.
    await expect(page.locator('.config-digest')).toHaveText(manifest.config.digest.slice(0, 19));
    await page.screenshot({ path: screenshotPath('storage-redirect-config') });

    // A copy to a repository that has the blobs: known by the redirect, nothing read from storage.
    await page.getByRole('button', { name: 'Copy to repository' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Target repository' }).fill('cloud/other');
    await dialog.getByRole('button', { name: 'Copy to repository' }).click();
    await expect(dialog.getByRole('status')).toContainText(`to cloud/other:v1, digest ${image.digest}`, { timeout: 20_000 });
    const copied = await fetch(`${second.url}/v2/cloud/other/manifests/v1`, { method: 'HEAD', headers: { Accept: MEDIA.ociManifest } });
    expect(copied.headers.get('docker-content-digest')).toBe(image.digest);
  } finally {
    await second.stop();
  }
});

test('a 128-character tag wraps on a phone: the image page stays in the window, and Find keeps its How column readable', async ({ page, mutable }) => {
  const long = `release-${'x'.repeat(120)}`;
  await retagBehindTheBack(mutable.registry.url, 'demo/web', '0.9', long);
  await page.setViewportSize({ width: 420, height: 800 });
  await page.goto(`${mutable.console}/?repo=demo/web&ref=${long}`);
  await expect(page.locator('.full-digest')).toHaveText(mutable.report.repositories['demo/web']['0.9'].digest, { timeout: 20_000 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
  // Where a layer of that image is used: every tag of both images, the long one too.
  const layer = mutable.report.repositories['demo/web']['0.9'].layers[1].digest;
  await page.goto(`${mutable.console}/?view=find&digest=${layer}`);
  const row = page.locator(`tr[data-repository="demo/web"][data-tag="${long}"]`);
  await expect(row).toBeVisible({ timeout: 60_000 });
  const how = await row.locator('td').last().boundingBox();
  expect(how.width, 'the How column').toBeGreaterThan(120);
  expect((await row.locator('code').boundingBox()).width, 'the long tag').toBeLessThan(160);
  await page.screenshot({ path: screenshotPath('phone-find-long-tag'), fullPage: true });
});
