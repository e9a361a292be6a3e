// Browsing: tags with digests, image details, deep links, and what happens when the
// registry refuses the page. Every expected value comes from the fixture report.
import { test, expect, screenshotPath, distDir } from './harness.mjs';
import { partsIn } from '../../scripts/lib/bundle-parts.mjs';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { tagDigest } from './registry-truth.mjs';
import { writerFor, pushImage, pushIndex } from './referrer-fixtures.mjs';

const tagRow = (page, tag) => page.locator(`[role="row"][data-tag="${tag}"]`);
const repoUrl = (deployment, repo) => `${deployment.console}/?repo=${encodeURIComponent(repo)}`;

test('each tag shows the digest the fixture pushed', async ({ page, deployment }) => {
  for (const repo of ['demo/web', 'demo/api', 'demo/multiarch', 'team/sub/app']) {
    await page.goto(repoUrl(deployment, repo));
    for (const [tag, image] of Object.entries(deployment.report.repositories[repo])) {
      const digest = tagRow(page, tag).locator('code.digest');
      await expect(digest).toHaveAttribute('title', image.digest);
      await expect(digest).toHaveText(`sha256:${image.digest.slice(7, 19)}`);
    }
  }
  await page.goto(repoUrl(deployment, 'demo/web'));
  await expect(tagRow(page, 'latest').locator('.tag-created')).toHaveText('2026-01-15 10:00 UTC');
  await page.screenshot({ path: screenshotPath('tags-demo-web') });
});

test('tags sharing a digest are marked as the same image', async ({ page, deployment }) => {
  await page.goto(repoUrl(deployment, 'demo/web'));
  await expect(tagRow(page, '1.0').locator('.shared-badge')).toHaveText('latest');
  await expect(tagRow(page, 'latest').locator('.shared-badge')).toHaveText('1.0');
  await expect(tagRow(page, '0.9').locator('.tag-kind')).toHaveText('image linux/amd64');
  await expect(tagRow(page, '0.9').locator('.shared-badge')).toHaveCount(0);
  // Colour marks only an image two tags share: both rows and the badge in one colour,
  // the lone image's digest in the neutral border colour.
  const colour = (tag, selector, property) => tagRow(page, tag).locator(selector)
    .evaluate((el, p) => getComputedStyle(el)[p], property);
  await expect(tagRow(page, '1.0').locator('code.digest')).toHaveClass(/same-image/);
  await expect(tagRow(page, '0.9').locator('code.digest')).not.toHaveClass(/same-image/);
  const shared = await colour('1.0', 'code.digest', 'borderLeftColor');
  expect(await colour('latest', 'code.digest', 'borderLeftColor')).toBe(shared);
  expect(await colour('latest', '.shared-badge', 'borderTopColor')).toBe(shared);
  const neutral = await colour('0.9', 'code.digest', 'borderLeftColor');
  expect(neutral).not.toBe(shared);
  expect(neutral).toBe(await page.evaluate(() => {
    const probe = document.createElement('div');
    probe.style.color = 'var(--border)';
    document.body.append(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
  }));
});

test('tags sort by version and by date, and filter as you type', async ({ page, deployment }) => {
  await page.goto(repoUrl(deployment, 'team/sub/app'));
  const names = page.locator('[role="row"][data-tag]');
  await expect(names).toHaveCount(3);
  const order = async () => page.locator('[role="row"][data-tag]').evaluateAll(
    (rows) => rows.sort((a, b) => a.offsetTop - b.offsetTop).map((r) => r.dataset.tag));
  expect(await order()).toEqual(['1.9.0', '1.10.0', 'current']);
  await expect(tagRow(page, 'current').locator('.tag-created')).not.toBeEmpty();
  await page.getByRole('combobox', { name: 'Sort by' }).selectOption('oldest');
  await expect.poll(order).toEqual(['1.9.0', '1.10.0', 'current']);
  await page.getByRole('combobox', { name: 'Sort by' }).selectOption('newest');
  await expect.poll(order).toEqual(['1.10.0', 'current', '1.9.0']);
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('1.1');
  await expect.poll(order).toEqual(['1.10.0']);
});

test('multi-arch images show each platform with its own digest', async ({ page, deployment }) => {
  for (const [repo, tag] of [['demo/multiarch', '2.0'], ['demo/legacy-multiarch', '3.1']]) {
    const truth = deployment.report.repositories[repo][tag];
    await page.goto(repoUrl(deployment, repo));
    await expect(tagRow(page, tag).locator('.tag-kind')).toHaveText('multi-arch: linux/amd64, linux/arm64/v8');
    // An index has no date of its own: its platforms' configs give it.
    await expect(tagRow(page, tag).locator('.tag-created')).toHaveText(`${truth.created.replace('T', ' ').slice(0, 16)} UTC`);
    await tagRow(page, tag).getByRole('link', { name: tag }).click();
    await expect(page.locator('.full-digest')).toHaveText(truth.digest);
    const platforms = page.getByRole('table', { name: 'Platforms' });
    for (const platform of truth.platforms) {
      const label = `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
      // The digest's start, as the tag table shows it; the whole in its title.
      await expect(platforms.locator(`tr[data-platform="${label}"] .child-digest`)).toHaveText(platform.digest.slice(0, 19));
      await expect(platforms.locator(`tr[data-platform="${label}"] .child-digest code`)).toHaveAttribute('title', platform.digest);
      // Each platform's own date (the fixture builds them minutes apart), from its config.
      await expect(platforms.locator(`tr[data-platform="${label}"] .platform-created`))
        .toHaveText(`${platform.created.replace('T', ' ').slice(0, 16)} UTC`);
    }
    expect(new Set(truth.platforms.map((p) => p.created)).size).toBe(truth.platforms.length);
    await page.screenshot({ path: screenshotPath(`image-${repo.replace('/', '-')}`), fullPage: true });
    // Each platform opens as an image of its own, by its name as by its digest.
    const arm = truth.platforms.find((p) => p.architecture === 'arm64');
    const armRow = platforms.locator('tr[data-platform="linux/arm64/v8"]');
    expect(await armRow.getByRole('link', { name: 'linux/arm64/v8', exact: true }).getAttribute('href'))
      .toBe(await armRow.locator('.child-digest').getAttribute('href'));
    await expect(armRow.getByRole('button', { name: 'Copy the digest of linux/arm64/v8' })).toBeVisible();
    await armRow.locator('.child-digest').click();
    await expect(page.locator('.full-digest')).toHaveText(arm.digest);
    await expect(page.getByRole('table', { name: 'Layers' })).toBeVisible();
    // ...with the way back to the multi-arch image, once read and found to list it.
    const partOf = page.locator('.part-of-text');
    await expect(partOf).toHaveText(`linux/arm64/v8 in the multi-arch image ${repo}:${tag}`);
    await page.screenshot({ path: screenshotPath(`image-platform-${repo.replace('/', '-')}`) });
    await partOf.locator('.part-of').click();
    await expect(page.locator('.full-digest')).toHaveText(truth.digest);
    // An address that claims a manifest lists it is checked: the amd64 image lists
    // nothing.
    const amd = truth.platforms.find((p) => p.architecture === 'amd64');
    await page.goto(`${deployment.console}/?repo=${repo}&ref=${arm.digest}&index=${amd.digest}`);
    await expect(partOf).toHaveText(`Opened from ${repo}@${amd.digest}, which is not a multi-arch image.`);
    await page.goto(`${deployment.console}/?repo=${repo}&ref=${arm.digest}&index=no-such-tag`);
    // The failure's headline, read as the rest of the sentence.
    await expect(partOf).toHaveText(new RegExp(`^Opened from ${repo}:no-such-tag, which could not be read: [a-z]`));
    await expect(partOf.locator('a')).toHaveCount(0);
    await page.goto(`${deployment.console}/?repo=${repo}&ref=${arm.digest}&index=${encodeURIComponent('<b>x</b>')}`);
    await expect(page.locator('.full-digest')).toHaveText(arm.digest);
    await expect(page.locator('.facts').first()).toContainText('The address names a multi-arch image that is neither a tag nor a digest; it was not read.');
  }
});

test('image detail shows config, layers and pull commands', async ({ page, deployment }) => {
  const truth = deployment.report.repositories['demo/web']['1.0'];
  const host = new URL(deployment.registry.url).host;
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  await expect(page.locator('.full-digest')).toHaveText(truth.digest);
  await expect(page.getByText(`docker pull ${host}/demo/web:1.0`)).toBeVisible();
  await expect(page.getByText(`docker pull ${host}/demo/web@${truth.digest}`)).toBeVisible();
  const layers = page.getByRole('table', { name: 'Layers' });
  await expect(layers.locator('tbody tr')).toHaveCount(truth.layers.length);
  await expect(page.getByRole('table', { name: 'Labels' })).toContainText('org.opencontainers.image.title');
  await expect(page.locator('.config')).toContainText('/bin/app');
  await expect(page.locator('.history li')).toHaveCount(truth.layers.length);
  await page.screenshot({ path: screenshotPath('image-demo-web'), fullPage: true });
});

test('a page opened at a view fetches the code of that view with the page, each file once', async ({ page, deployment }) => {
  // The parts as the build's loader names them, each with every file it fetches.
  const parts = Object.fromEntries((await partsIn(distDir)).map(({ name, files }) => [name, files]));
  const digest = deployment.report.repositories['demo/web']['1.0'].digest;
  const pages = [
    { address: '/', part: null, shown: page.getByRole('link', { name: 'demo/web' }) },
    { address: '/?repo=demo/web', part: 'tags', shown: page.locator('[role="row"][data-tag="1.0"] code.digest') },
    { address: '/?repo=demo/web&ref=1.0', part: 'image', shown: page.locator('.full-digest') },
    { address: `/?view=find&digest=${digest}`, part: 'find_digest', shown: page.locator('#find-heading') },
    { address: '/?cleanup=demo/web', part: 'cleanup', shown: page.locator('#cleanup-heading') },
  ];
  for (const { address, part, shown } of pages) {
    await page.goto(`${deployment.console}${address}`);
    await expect(shown).toBeVisible();
    const chunks = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => /\/(?:split|chunk)_\w+-[0-9a-f]+\.wasm$/.test(e.name))
      .map((e) => ({ file: e.name.split('/').pop(), by: e.initiatorType })));
    // Preloaded by the page's inline script (initiator "link"), and the loader's own
    // fetch took that answer: a second download would show as initiator "fetch".
    expect(chunks.map((c) => c.file).sort(), address).toEqual([...(parts[part] ?? [])].sort());
    expect(chunks.filter((c) => c.by !== 'link'), address).toEqual([]);
  }
});

test("a repository's tags are asked for while the code of the tag view is still on its way, once", async ({ page, deployment }) => {
  const lists = [];
  page.on('request', (request) => {
    if (request.url().includes('/v2/demo/web/tags/list')) lists.push(request.url());
  });
  // The tag view's own chunk is held back until the tag list has been asked for:
  // a console that asked only once the chunk arrived would never get it.
  await page.route(/\/split_tags-[0-9a-f]+\.wasm$/, async (route) => {
    await expect.poll(() => lists.length, { timeout: 15_000 }).toBeGreaterThan(0);
    await route.continue();
  });
  await page.goto(`${deployment.console}/?repo=demo/web`);
  const truth = deployment.report.repositories['demo/web']['1.0'];
  await expect(page.locator('[role="row"][data-tag="1.0"] code.digest')).toHaveAttribute('title', truth.digest);
  expect(lists.filter((url) => url.endsWith('/tags/list?n=1000'))).toHaveLength(1);
});

test('a tag view whose code came late reads the tags again rather than an old early answer', async ({ page, deployment }) => {
  await page.clock.install();
  const lists = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/v2/demo/web/tags/list?n=1000')) lists.push(request.url());
  });
  let hang = true;
  await page.route(/\/split_tags-[0-9a-f]+\.wasm$/, (route) => (hang ? undefined : route.continue()));
  await page.goto(`${deployment.console}/?repo=demo/web`);
  await expect.poll(() => lists.length).toBe(1); // asked early, beside the check
  // The views show once /v2/ answered: 31 s before that would time out the
  // connection check instead of the chunk.
  await expect(page.getByRole('status').filter({ hasText: 'Loading the tag list' })).toBeVisible();
  await page.clock.fastForward('00:31');
  const problem = page.getByRole('alert').filter({ hasText: 'Could not load the tag list' });
  await expect(problem).toBeVisible();
  hang = false;
  await problem.getByRole('button', { name: 'Try again' }).click();
  const truth = deployment.report.repositories['demo/web']['1.0'];
  await expect(page.locator('[role="row"][data-tag="1.0"] code.digest')).toHaveAttribute('title', truth.digest);
  // The early answer was 31 s old by then: the view asked for the page itself.
  expect(lists).toHaveLength(2);
});

test('a view whose code cannot be fetched says so, and Try again fetches it', async ({ page, deployment }) => {
  const chunks = [];
  page.on('request', (request) => {
    if (request.url().endsWith('.wasm') && !request.url().includes('_bg.wasm')) chunks.push(request.url());
  });
  // The image view's own chunk cannot be fetched: the view says so, and Try again
  // fetches it once the connection is back.
  let refuse = true;
  await page.route(/\/split_image-[0-9a-f]+\.wasm$/, (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  const problem = page.getByRole('alert').filter({ hasText: 'Could not load the image view' });
  await expect(problem).toContainText('Nothing was changed in the registry');
  await expect(page.locator('.full-digest')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('image-view-not-loaded') });
  refuse = false;
  await problem.getByRole('button', { name: 'Try again' }).click();
  const truth = deployment.report.repositories['demo/web']['1.0'];
  await expect(page.locator('.full-digest')).toHaveText(truth.digest);
  await expect(problem).toHaveCount(0);
  expect(chunks.some((url) => /\/split_image-[0-9a-f]+\.wasm$/.test(url))).toBe(true);
});

test('a view whose code never arrives stops waiting after 30 s and can be tried again', async ({ page, deployment }) => {
  // The fake clock lets the test jump over the loader's 30 s instead of waiting them;
  // real time still flows between jumps.
  await page.clock.install();
  let hang = true;
  let hung = 0;
  await page.route(/\/split_image-[0-9a-f]+\.wasm$/, (route) => {
    if (hang) hung += 1; // never answered: the request stays open
    else route.continue();
  });
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  await expect(page.getByRole('status').filter({ hasText: 'Loading the image view' })).toBeVisible();
  await expect.poll(() => hung).toBe(1);
  await page.clock.fastForward('00:29');
  await expect(page.getByRole('status').filter({ hasText: 'Loading the image view' })).toBeVisible();
  await page.clock.fastForward('00:02');
  const problem = page.getByRole('alert').filter({ hasText: 'Could not load the image view' });
  await expect(problem).toContainText('no complete answer within 30 seconds');
  await expect(problem).toContainText('Nothing was changed in the registry');
  hang = false;
  await problem.getByRole('button', { name: 'Try again' }).click();
  const truth = deployment.report.repositories['demo/web']['1.0'];
  await expect(page.locator('.full-digest')).toHaveText(truth.digest);
  await expect(problem).toHaveCount(0);
});

test('a label containing HTML is shown as text, never run', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?repo=demo/api&ref=v1`);
  const labels = page.getByRole('table', { name: 'Labels' });
  await expect(labels).toContainText('<b>bold</b><img src=x onerror="window.__xss=1">');
  expect(await labels.locator('b, img').count()).toBe(0);
  expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  // A right-to-left override is shown, not obeyed.
  const signedBy = labels.getByRole('row').filter({ hasText: 'org.example.signed-by' });
  await expect(signedBy).toContainText('alice⟨U+202E⟩ecila');
  expect(await signedBy.textContent()).not.toContain('\u202E');
});

test('deep links survive a reload and the back button', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/`);
  await page.getByRole('link', { name: 'team/sub/app' }).click();
  await expect(page.getByRole('heading', { name: 'Tags of team/sub/app' })).toBeVisible();
  await tagRow(page, '1.10.0').getByRole('link', { name: '1.10.0' }).click();
  const digest = deployment.report.repositories['team/sub/app']['1.10.0'].digest;
  await expect(page.locator('.full-digest')).toHaveText(digest);
  const address = page.url();
  expect(address).toContain('repo=team/sub/app');
  await page.reload();
  await expect(page.locator('.full-digest')).toHaveText(digest);
  expect(page.url()).toBe(address);
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Tags of team/sub/app' })).toBeVisible();
  // The same link opened fresh, through index.html as a plain static server has it.
  await page.goto(`${deployment.console}/index.html${new URL(address).search}`);
  await expect(page.locator('.full-digest')).toHaveText(digest);
});

test("a layer's digest opened as an image says what it is and leads to Find", async ({ page, deployment }) => {
  const layer = deployment.report.repositories['demo/web']['1.0'].layers[0];
  await page.goto(`${deployment.console}/?repo=demo/web&ref=${layer.digest}`);
  const notice = page.locator('.not-an-image');
  await expect(notice).toContainText('This digest names a layer or an image configuration, not an image.');
  await expect(notice).toContainText(`demo/web stores it as a blob (${layer.size} B)`);
  // distribution's 500 for it is not shown as a failure of the registry.
  await expect(page.getByText('The registry failed')).toHaveCount(0);
  await notice.getByRole('link', { name: 'Find the images that have it' }).click();
  await expect(page.getByRole('textbox', { name: 'Digest' })).toHaveValue(layer.digest);
  await expect(page.locator('[data-repository="demo/web"][data-tag="1.0"]').first()).toBeVisible({ timeout: 60_000 });
  // A digest the repository has neither as a manifest nor as a blob is not found.
  await page.goto(`${deployment.console}/?repo=demo/api&ref=${layer.digest}`);
  await expect(page.getByRole('alert')).toContainText('Not found');
  await expect(page.locator('.not-an-image')).toHaveCount(0);
});

test('an unknown tag says it was not found', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?repo=demo/web&ref=no-such-tag`);
  await expect(page.getByRole('alert')).toContainText('Not found');
  await expect(page.getByRole('alert')).toContainText('MANIFEST_UNKNOWN');
});

test('a registry without CORS headers gets the CORS explanation', async ({ page, deployment }) => {
  const closed = await startRegistry({ corsOrigin: null });
  try {
    await page.goto(`${deployment.console}/?registry=${encodeURIComponent(closed.url)}`);
    await expect(page.getByRole('alert')).toContainText('refused this page (CORS)');
    const snippet = page.getByLabel('CORS configuration for the registry');
    await expect(snippet).toContainText(`Access-Control-Allow-Origin: ['${deployment.console}']`);
    await expect(page.getByLabel('Reverse proxy configuration')).toContainText(`proxy_pass ${closed.url}`);
    await page.screenshot({ path: screenshotPath('cors-explanation'), fullPage: true });
  } finally {
    await closed.stop();
  }
});

test('a registry whose CORS setup lets simple requests in but refuses preflights is explained at connect', async ({ page, deployment }) => {
  // Allow-Origin without Allow-Headers: GET /v2/ alone would pass, every manifest
  // request (Accept header, so preflighted) would fail.
  const halfOpen = await startRegistry({ corsHeaders: [] });
  try {
    await page.goto(`${deployment.console}/?registry=${encodeURIComponent(halfOpen.url)}`);
    await expect(page.getByRole('alert')).toContainText('refused this page (CORS)');
    await expect(page.getByLabel('CORS configuration for the registry')).toContainText("Access-Control-Allow-Headers: ['Authorization', 'Accept', 'Content-Type']");
  } finally {
    await halfOpen.stop();
  }
});

test('a large repository lists every tag and stays filterable', async ({ page, deployment }) => {
  const total = Object.keys(deployment.report.repositories['scale/many-tags']).length;
  await page.goto(repoUrl(deployment, 'scale/many-tags'));
  await expect(page.getByText(`${total} tags`, { exact: true })).toBeVisible({ timeout: 30_000 });
  // Only the rows on screen are in the page.
  expect(await page.locator('[role="row"][data-tag]').count()).toBeLessThan(60);
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('build-0004');
  await expect(page.locator('[role="row"][data-tag]')).toHaveCount(Math.min(10, total - 40));
});

test('a change dialog can be used from the keyboard alone and gives the focus back', async ({ page, deployment }) => {
  await page.goto(repoUrl(deployment, 'demo/web'));
  const removeButton = tagRow(page, '0.9').getByRole('button', { name: 'Remove tag' });
  await removeButton.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('No other tag uses this image');
  const focusInDialog = () => dialog.evaluate((d) => d.contains(document.activeElement));
  expect(await focusInDialog()).toBe(true);
  // Tab cycles through the dialog's controls and never leaves it.
  for (let i = 0; i < 6; i += 1) {
    await page.keyboard.press('Tab');
    expect(await focusInDialog()).toBe(true);
  }
  await page.keyboard.press('Shift+Tab');
  expect(await focusInDialog()).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(removeButton).toBeFocused();
  expect(await tagDigest(deployment.registry.url, 'demo/web', '0.9')).toBe(deployment.report.repositories['demo/web']['0.9'].digest);
});

test('a narrow window: the image page wraps its long names, and the tag table scrolls sideways with its buttons in view', async ({ page, deployment }) => {
  await page.setViewportSize({ width: 700, height: 900 });
  const truth = deployment.report.repositories['demo/multiarch']['2.0'];
  await page.goto(`${deployment.console}/?repo=demo/multiarch&ref=2.0`);
  await expect(page.locator('.full-digest')).toHaveText(truth.digest);
  await expect(page.getByRole('table', { name: 'Platforms' })).toBeVisible();
  // Nothing runs off the page: the pull by digest and the platforms' digests wrap.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(700);
  await page.screenshot({ path: screenshotPath('narrow-image'), fullPage: true });

  await page.goto(`${deployment.console}/?repo=demo/multiarch`);
  const row = page.locator('[role="row"][data-tag="2.0"]');
  await expect(row.locator('code.digest')).toHaveAttribute('title', truth.digest);
  // One scroller for both ways, header included: the table is wider than the window,
  // and each row's buttons stay whole at its right edge, on top of the columns that
  // scroll beneath them, however far it is scrolled.
  const scroller = page.locator('.tag-scroller');
  expect(await scroller.evaluate((s) => s.scrollWidth - s.clientWidth)).toBeGreaterThan(0);
  const remove = row.getByRole('button', { name: 'Remove tag 2.0', exact: true });
  const shownWhole = async (element) => {
    const [box, inside] = [await element.boundingBox(), await scroller.boundingBox()];
    const onTop = await element.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    });
    return onTop && box.x >= inside.x && box.x + box.width <= inside.x + inside.width;
  };
  expect(await shownWhole(remove), 'before scrolling').toBe(true);
  expect(await shownWhole(row.getByRole('link', { name: '2.0', exact: true })), 'the tag, before scrolling').toBe(true);
  await scroller.evaluate((s) => { s.scrollLeft = s.scrollWidth; });
  expect(await shownWhole(remove), 'scrolled to the right').toBe(true);
  // The header scrolled with the rows: the last column before the buttons is whole.
  expect(await shownWhole(page.locator('.tag-header [role="columnheader"]', { hasText: 'Same image as' }))).toBe(true);
  expect(await shownWhole(row.locator('.shared-badge'))).toBe(true);
  await page.screenshot({ path: screenshotPath('narrow-tags-scrolled') });
  // Scrolled down, the header stays on top of the rows.
  await page.goto(`${deployment.console}/?repo=scale/many-tags`);
  await expect(page.locator('[role="row"][data-tag] code.digest').first()).toBeVisible();
  await scroller.evaluate((s) => { s.scrollTop = 4000; });
  expect(await shownWhole(page.locator('.tag-header [role="columnheader"]', { hasText: 'Actions' }))).toBe(true);
});

test('a filter that matches no tag says so, and how to show every tag again', async ({ page, deployment }) => {
  await page.goto(`${deployment.console}/?repo=demo/web`);
  await expect(page.getByText(/^3 tags$/)).toBeVisible({ timeout: 20_000 });
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('1.*');
  const none = page.locator('.no-match');
  await expect(none).toContainText('No tag of the 3 tags contains "1.*".');
  await expect(none).toContainText('* and ^ are plain characters to it');
  await none.getByRole('button', { name: 'Show every tag' }).click();
  await expect(page.getByRole('searchbox', { name: 'Filter tags' })).toHaveValue('');
  await expect(page.locator('[role="row"][data-tag]')).toHaveCount(3);
  await expect(none).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('q')).toBeNull();
});

test('on a phone-sized window the header wraps, a row shows its tag and whole digest, and an image page stays in the window', async ({ page, deployment }) => {
  await page.setViewportSize({ width: 420, height: 800 });
  await page.goto(`${deployment.console}/?repo=demo/web`);
  const digest = page.locator('[role="row"][data-tag="1.0"] code.digest');
  await expect(digest).toBeVisible({ timeout: 20_000 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
  const find = page.getByRole('link', { name: 'Find a digest' });
  const inWindow = async (locator) => {
    const box = await locator.boundingBox();
    return box.x >= 0 && box.x + box.width <= 420;
  };
  expect(await inWindow(find), 'Find a digest').toBe(true);
  const [code, scroller] = [await digest.boundingBox(), await page.locator('.tag-scroller').boundingBox()];
  expect(code.x + code.width).toBeLessThanOrEqual(scroller.x + scroller.width);
  // The buttons are a sideways scroll away, and a line over the table says so.
  await expect(page.locator('.scroll-hint')).toBeVisible();
  expect(await inWindow(page.locator('.scroll-hint')), 'the hint').toBe(true);
  const remove = page.getByRole('button', { name: 'Remove tag 1.0', exact: true });
  await remove.scrollIntoViewIfNeeded();
  expect(await inWindow(remove), 'Remove tag, scrolled to').toBe(true);
  await page.screenshot({ path: screenshotPath('phone-tags') });

  // A multi-arch image's page: its platforms table scrolls in its box, the page does
  // not, and each platform's digest stays on one line.
  await page.goto(`${deployment.console}/?repo=demo/multiarch&ref=2.0`);
  const armDigest = page.locator('tr[data-platform="linux/arm64/v8"] .child-digest');
  await expect(armDigest).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('tr[data-platform="linux/arm64/v8"] .platform-created')).toHaveText(/UTC$/);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
  const lineHeight = await armDigest.evaluate((link) => parseFloat(getComputedStyle(link).lineHeight) || 20);
  expect((await armDigest.boundingBox()).height).toBeLessThan(1.5 * lineHeight);
  await page.screenshot({ path: screenshotPath('phone-image'), fullPage: true });
  // An image's layers table likewise.
  await page.goto(`${deployment.console}/?repo=demo/web&ref=1.0`);
  await expect(page.getByRole('table', { name: 'Layers' })).toBeVisible({ timeout: 20_000 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
  // A dialog's question with two whole digests stays inside the dialog (nothing is
  // written: the question is where it stops), and its title breaks between words.
  await page.getByRole('button', { name: 'Copy to repository' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: 'Target repository' }).fill('demo/api');
  await dialog.getByRole('textbox', { name: 'Target tag' }).fill('v1');
  await dialog.getByRole('button', { name: 'Copy to repository' }).click();
  const question = dialog.locator('.confirm');
  await expect(question).toContainText('already exists and points at another image');
  const [box, inner] = [await dialog.boundingBox(), await question.evaluate((q) => [q.scrollWidth, q.clientWidth])];
  expect(box.x + box.width).toBeLessThanOrEqual(420);
  expect(inner[0]).toBeLessThanOrEqual(inner[1]);
  const title = dialog.getByRole('heading');
  expect(await title.evaluate((h) => getComputedStyle(h).wordBreak)).not.toBe('break-all');
  await page.screenshot({ path: screenshotPath('phone-copy-question') });
  await page.keyboard.press('Escape');
  // A clean-up plan: its table scrolls in its box.
  await page.goto(`${deployment.console}/?cleanup=demo/web&remove=0.9`);
  await expect(page.getByRole('table', { name: 'Plan for demo/web' })).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
});

test('a long tag table ends inside the window on every load, its sideways scrollbar in sight', async ({ page, deployment }) => {
  // Fitted while it was not yet in the page, it once took the whole window's height
  // below its top (about one load in two).
  for (const [width, height] of [[1000, 600], [700, 900], [1000, 600], [700, 900]]) {
    await page.setViewportSize({ width, height });
    await page.goto(`${deployment.console}/?repo=scale/many-tags`);
    await expect(page.locator('[role="row"][data-tag] code.digest').first()).toBeVisible();
    await expect.poll(() => page.locator('.tag-scroller').evaluate((s) => {
      const box = s.getBoundingClientRect();
      return box.bottom <= innerHeight && box.height >= 280;
    }), `${width}x${height}`).toBe(true);
  }
});

test('the keyboard focus in the tag table is never left under its header, nor lost when the rows move', async ({ page, deployment }) => {
  await page.setViewportSize({ width: 900, height: 700 });
  await page.goto(`${deployment.console}/?repo=scale/many-tags`);
  const scroller = page.locator('.tag-scroller');
  await expect(page.locator('[role="row"][data-tag] code.digest').first()).toBeVisible();
  // The whole list, and every row in the page with its buttons (they come with the
  // digest): Shift+Tab is to land on the buttons of the row above, not its link.
  await expect(page.getByText(/^\d+ tags$/)).toBeVisible({ timeout: 30_000 });
  await scroller.evaluate((s) => { s.scrollTop = 2000; });
  await expect.poll(() => page.evaluate(() => [...document.querySelectorAll('.tag-spacer [role="row"]')]
    .every((row) => row.querySelector('.tag-actions button')))).toBe(true);
  // The first row wholly below the header; its select box gets the focus.
  const first = await page.evaluate(() => {
    const header = document.querySelector('.tag-header').getBoundingClientRect();
    const rows = [...document.querySelectorAll('.tag-spacer [role="row"]')]
      .filter((r) => r.getBoundingClientRect().top >= header.bottom - 1)
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
    return rows[0].dataset.tag;
  });
  await page.getByRole('checkbox', { name: `Select ${first}`, exact: true }).focus();
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    const r = el.getBoundingClientRect();
    const header = document.querySelector('.tag-header').getBoundingClientRect();
    const onTop = el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2));
    return { name: el.getAttribute('aria-label') ?? el.tagName, visible: onTop && r.top >= header.bottom - 1 };
  });
  // Back into the row above, which the header covers: it is scrolled out from under it.
  await page.keyboard.press('Shift+Tab');
  await expect.poll(focused).toEqual({ name: expect.stringMatching(/^Remove tag /), visible: true });
  const name = (await focused()).name;
  expect(name).not.toBe(`Remove tag ${first}`);
  // Scrolling ten rows up moves rows in the page; the focus stays where it was.
  await scroller.evaluate((s) => { s.scrollTop -= 400; });
  await expect.poll(async () => (await focused()).name).toBe(name);
  await scroller.evaluate((s) => { s.scrollTop += 400; });
  await expect.poll(async () => (await focused()).name).toBe(name);
});

test('every column header of the tag table is whole, at 1280 px and at the table\'s least width', async ({ page, deployment }) => {
  const cut = () => page.locator('.tag-header [role="columnheader"]').evaluateAll(
    (headers) => headers.filter((h) => h.scrollWidth > h.clientWidth || h.scrollHeight > h.clientHeight).map((h) => h.textContent));
  for (const width of [1280, 700]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${deployment.console}/?repo=demo/web`);
    await expect(page.locator('[role="row"][data-tag="1.0"] code.digest')).toBeVisible();
    expect(await cut(), `at ${width} px`).toEqual([]);
    // Each row's buttons are named for their tag (a screen reader lists them all).
    const row = page.locator('[role="row"][data-tag="1.0"]');
    await expect(row.getByRole('button', { name: 'Add tag to the image of 1.0', exact: true })).toBeVisible();
    await expect(row.getByRole('button', { name: 'Remove tag 1.0', exact: true })).toBeAttached();
    if (width === 1280) {
      // A common laptop width: the whole table fits, with no sideways scroll, and
      // no line says to scroll.
      await expect(page.locator('.scroll-hint')).toBeHidden();
      expect(await page.locator('.tag-scroller').evaluate((t) => t.scrollWidth - t.clientWidth)).toBeLessThanOrEqual(0);
      await page.screenshot({ path: screenshotPath('tags-1280') });
    }
  }
});

test('connecting to a registry from any view leaves the view, shows its repositories, and the console keeps working', async ({ page, deployment }) => {
  // The views of the registry left are dropped while the sign-in changes: nothing
  // of theirs may still be read (that stopped the whole console).
  const crashes = [];
  page.on('pageerror', (error) => crashes.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error' && message.text().includes('panicked')) crashes.push(message.text()); });
  const views = [
    { at: '?repo=demo/web', shown: page.locator('[role="row"][data-tag="1.0"] code.digest') },
    // While hundreds of digests are still on their way: answers that arrive, and
    // batches waiting to be shown, after the view is gone are dropped.
    { at: '?repo=scale/many-tags', shown: page.locator('[role="row"] code.digest').first() },
    { at: '?repo=scale/many-tags', shown: page.locator('[role="row"] code.digest').first() },
    // With the bulk bar up.
    { at: '?repo=demo/web', shown: page.locator('[role="row"][data-tag="1.0"] code.digest'), select: true },
    { at: '?repo=demo/web&ref=1.0', shown: page.locator('.full-digest') },
    { at: '?cleanup=demo%2Fweb&remove=*', shown: page.getByRole('button', { name: 'Apply…' }) },
    { at: '?view=find&digest=' + encodeURIComponent(deployment.report.repositories['demo/web']['1.0'].digest), shown: page.locator('.find-summary') },
  ];
  for (const [i, { at, shown, select }] of views.entries()) {
    await page.goto(`${deployment.console}/${at}`);
    await expect(shown).toBeVisible({ timeout: 20_000 });
    if (select) {
      await page.getByRole('checkbox', { name: 'Select 1.0', exact: true }).click();
      await expect(page.getByRole('group', { name: 'Bulk changes' })).toBeVisible();
    }
    const address = page.getByRole('search', { name: 'Registry' }).getByRole('combobox');
    // The same registry (now named by the page address), or another address: the
    // console's own server, which is no registry (and which the page may connect to).
    await address.fill(i % 2 ? deployment.console : deployment.registry.url);
    await address.press('Enter');
    if (i % 2) await expect(page.getByRole('alert').first()).toBeVisible({ timeout: 20_000 });
    else await expect(page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/web', exact: true })).toBeVisible({ timeout: 20_000 });
    expect(crashes, at).toEqual([]);
    // Still alive: back on the registry, a repository opens.
    await address.fill(deployment.registry.url);
    await address.press('Enter');
    await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/web', exact: true }).click();
    await expect(page.locator('[role="row"][data-tag="1.0"] code.digest')).toBeVisible({ timeout: 20_000 });
  }
  expect(crashes).toEqual([]);
  await expect(page.getByText('Tagdeck stopped')).toHaveCount(0);
});

test('an index listing hundreds of entries shows the first 256, reads only those, and says where the rest are', async ({ page, mutable }) => {
  const writer = writerFor(mutable.registry.url);
  const child = await pushImage(writer, 'wide/index', 'one', 'wide');
  const children = Array.from({ length: 300 }, (_, i) => ({ ...child, platform: { os: 'linux', architecture: `arch${i}` } }));
  await pushIndex(writer, 'wide/index', 'many', children);
  const reads = [];
  page.on('request', (request) => { if (request.url().includes('/v2/wide/index/manifests/sha256:')) reads.push(request.url()); });
  await page.goto(`${mutable.console}/?repo=wide/index&ref=many`);
  const platforms = page.getByRole('table', { name: 'Platforms' });
  await expect(platforms.locator('tbody tr')).toHaveCount(256);
  await expect(page.getByRole('status').filter({ hasText: 'The first 256 of 300 entries' })).toContainText('the manifest JSON below lists them all');
  await expect(platforms.locator('tr[data-platform="linux/arch255"] .image-size')).not.toHaveText('…');
  expect(reads.length).toBeLessThanOrEqual(256);
});

test('a repository left while its tags were being listed shows no failure of that listing when opened again', async ({ page, deployment }) => {
  let hold = true;
  const held = [];
  await page.route((url) => url.pathname === '/v2/demo/web/tags/list', (route) => {
    if (hold) held.push(route);
    else route.continue();
  });
  await page.goto(repoUrl(deployment, 'demo/web'));
  await expect.poll(() => held.length).toBeGreaterThan(0);
  const asked = held.length;
  // Left while its listing waits: the view cancels it.
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Repositories' }).click();
  await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'demo/web', exact: true }).click();
  await expect.poll(() => held.length).toBeGreaterThan(asked);
  // The new listing is under way: nothing says the last one was cancelled.
  await expect(page.getByRole('region', { name: 'Tags of demo/web' })).toBeVisible();
  await page.waitForTimeout(300);
  await expect(page.getByText('Cancelled')).toHaveCount(0);
  await expect(page.getByText(/listed before the failure/)).toHaveCount(0);
  hold = false;
  for (const route of held.splice(asked)) await route.continue();
  await expect(page.getByText('3 tags', { exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText('Cancelled')).toHaveCount(0);
});

test("a link to the view already shown leaves it as it is: its filter, order and selection stay", async ({ page, deployment }) => {
  await page.goto(repoUrl(deployment, 'demo/web'));
  await expect(page.getByText('3 tags', { exact: true })).toBeVisible({ timeout: 20_000 });
  await page.getByRole('searchbox', { name: 'Filter tags' }).fill('0.9');
  await page.getByRole('checkbox', { name: 'Select 0.9', exact: true }).click();
  const bulk = page.getByRole('group', { name: 'Bulk changes' });
  await expect(bulk.getByRole('status')).toHaveText('1 selected');
  const address = page.url();
  await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'demo/web' }).click();
  await expect(page.getByRole('searchbox', { name: 'Filter tags' })).toHaveValue('0.9');
  await expect(bulk.getByRole('status')).toHaveText('1 selected');
  expect(page.url()).toBe(address);
});

test('a name the catalog lists that is not a valid repository name is shown as text, not a link', async ({ page, deployment }) => {
  await page.route((url) => url.pathname === '/v2/_catalog', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.repositories = [...(body.repositories ?? []), 'demo/'];
    await route.fulfill({ response, json: body });
  });
  await page.goto(`${deployment.console}/`);
  const list = page.getByRole('list', { name: 'Repositories' });
  const invalid = list.locator('li.invalid-name');
  await expect(invalid).toHaveCount(1);
  await expect(invalid).toContainText('demo/');
  await expect(invalid).toContainText('not a valid repository name');
  await expect(invalid.getByRole('link')).toHaveCount(0);
  // The heading demo/ is still there once, beside the invalid repository of that name.
  await expect(list.locator('li.namespace-heading', { hasText: 'demo/' })).toHaveCount(1);
});
