#!/usr/bin/env node
// Benchmarks of the browse views on a repository with many tags, each against a
// baseline measured in the same run on the same machine:
// - time until every row has its digest, vs. the bare minimum: HEAD requests sent
//   by a plain fetch loop in the same browser with the same concurrency (with the
//   full four-type Accept, which costs a CORS preflight per tag, and with the
//   safelisted first-pass Accept, which does not);
// - digests of a smaller repository (default 1,000 tags), cross-origin, before and
//   after issue #11: the tag view with `?fullAccept=1` (every HEAD with the full
//   Accept, as before) and without (safelisted first pass, full Accept only when
//   needed), alternating, each in a fresh browser context; with the OPTIONS
//   preflights and HEADs the browser sent, counted through the devtools protocol
//   (Network.requestWillBeSent reports preflights; Playwright's page.on('request')
//   does not);
// - time to first row, filter latency and frame times while scrolling;
// - bundle size of dist/ (raw and gzip).
// Prints the figures and writes them to bench/results.md.
//
//   node scripts/bench.mjs [--tags N] [--digest-tags N] [--rounds N]
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startRegistry } from './lib/registry.mjs';
import { RegistryWriter, pushDemoFixtures } from './lib/fixtures.mjs';
import { serveStatic } from './lib/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    tags: { type: 'string', default: '10000' },
    'digest-tags': { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
  },
});
const TAGS = Number(args.tags);
const DIGEST_TAGS = Number(args['digest-tags']);
const ROUNDS = Number(args.rounds);
const REPO = 'scale/many-tags';
// The console's bound over HTTP/1.1, and whenever the browser hides the protocol,
// as it does for a cross-origin registry without Timing-Allow-Origin
// (src/oci/client.rs head_concurrency).
const CONCURRENCY = 6;
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
// The first pass the console settles on for a repository of OCI manifests
// (src/oci/media.rs FIRST_PASS_OCI_MANIFEST): CORS-safelisted, so no preflight.
const FIRST_PASS_ACCEPT = [
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.manifest.v1+json',
].join(', ');
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const config = {};
const site = await serveStatic(path.join(root, 'dist'), { config });
const registry = await startRegistry({ corsOrigin: site.url });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_ARGS });
const figures = [];
const record = (name, value, unit, note = '') => {
  figures.push({ name, value, unit, note });
  console.log(`${name}: ${value} ${unit}${note ? ` (${note})` : ''}`);
};

try {
  console.log(`pushing ${TAGS} tags to ${REPO}…`);
  const t0 = Date.now();
  const report = await pushDemoFixtures(registry.url, { scaleTags: TAGS });
  console.log(`pushed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  config.registry = registry.url;
  const tags = Object.keys(report.repositories[REPO]);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${site.url}/`);

  // Baselines: the HEAD requests alone, no rendering, same browser and concurrency.
  const bareHeads = (accept) => page.evaluate(async ({ registry, repo, tags, accept, concurrency }) => {
    const queue = [...tags];
    const start = performance.now();
    const worker = async () => {
      while (queue.length) {
        const tag = queue.shift();
        await fetch(`${registry}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept }, cache: 'no-store', credentials: 'omit' });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - start;
  }, { registry: registry.url, repo: REPO, tags, accept, concurrency: CONCURRENCY });
  const baselineMs = await bareHeads(ACCEPT);
  const safelistedBaselineMs = await bareHeads(FIRST_PASS_ACCEPT);

  const start = Date.now();
  await page.goto(`${site.url}/?repo=${REPO}`);
  await page.locator('[role="row"][data-tag] code.digest').first().waitFor({ timeout: 60_000 });
  const firstRowMs = Date.now() - start;
  await page.getByText(`${TAGS} tags`, { exact: true }).waitFor({ timeout: 600_000 });
  const allDigestsMs = Date.now() - start;

  record('tags in repository', TAGS, 'tags');
  record('first row with digest', firstRowMs, 'ms', 'page load to first digest on screen');
  record('all digests shown (Tagdeck)', allDigestsMs, 'ms', 'page load, tag list, HEAD per tag, rendering');
  record('all digests fetched (baseline, full Accept)', Math.round(baselineMs), 'ms', `bare fetch loop, ${CONCURRENCY} concurrent HEADs, a preflight each, same browser`);
  record('all digests fetched (baseline, safelisted Accept)', Math.round(safelistedBaselineMs), 'ms', `bare fetch loop, ${CONCURRENCY} concurrent HEADs with the first-pass Accept, no preflight`);
  record('Tagdeck / baseline (full Accept)', (allDigestsMs / baselineMs).toFixed(2), 'x');
  record('Tagdeck / baseline (safelisted Accept)', (allDigestsMs / safelistedBaselineMs).toFixed(2), 'x');

  // Filter latency: type, then wait for the count to change.
  const filter = page.getByRole('searchbox', { name: 'Filter tags' });
  const filterTimes = [];
  for (const text of ['build-01', 'build-012', 'build-0123', '']) {
    const matching = tags.filter((t) => t.includes(text)).length;
    const t = Date.now();
    await filter.fill(text);
    const expected = matching === TAGS ? `${TAGS} tags` : `${matching} of ${TAGS} tags match`;
    await page.getByText(expected, { exact: true }).waitFor();
    filterTimes.push(Date.now() - t);
  }
  record('filter latency (median of 4)', filterTimes.sort((a, b) => a - b)[2], 'ms', 'keystroke to updated table');

  // Scrolling: jump through the list and measure frame times while rows render.
  const frames = await page.evaluate(async () => {
    const scroller = document.querySelector('.tag-scroller');
    const times = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      scroller.scrollTop = (scroller.scrollHeight - scroller.clientHeight) * (i / 119);
      await new Promise(requestAnimationFrame);
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    return { median: times[60], p95: times[114], rows: document.querySelectorAll('[role="row"][data-tag]').length };
  });
  record('scroll frame time, median', frames.median.toFixed(1), 'ms', '120 jumps across the whole list');
  record('scroll frame time, p95', frames.p95.toFixed(1), 'ms');
  record('rows in the page while scrolling', frames.rows, 'rows', `of ${TAGS}`);

  // Before and after issue #11 on a smaller repository, alternating the two ways so
  // that drift on a busy machine hits both alike.
  const small = await startRegistry({ corsOrigin: site.url });
  const digestRuns = { full: [], fast: [] };
  let protocolSeen = '';
  try {
    console.log(`pushing ${DIGEST_TAGS} tags to ${REPO} on a second registry…`);
    await pushDemoFixtures(small.url, { scaleTags: DIGEST_TAGS });
    config.registry = small.url;
    const run = async (way) => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      try {
        const tab = await context.newPage();
        const cdp = await context.newCDPSession(tab);
        await cdp.send('Network.enable');
        const sent = { OPTIONS: 0, HEAD: 0, manifestOptions: 0 };
        cdp.on('Network.requestWillBeSent', ({ request }) => {
          if (!request.url.startsWith(`${small.url}/v2/`)) return;
          sent[request.method] = (sent[request.method] ?? 0) + 1;
          if (request.method === 'OPTIONS' && request.url.includes('/manifests/')) sent.manifestOptions += 1;
        });
        const query = way === 'full' ? '&fullAccept=1' : '';
        const t = Date.now();
        await tab.goto(`${site.url}/?repo=${REPO}${query}`);
        await tab.locator('[role="row"][data-tag] code.digest').first().waitFor({ timeout: 60_000 });
        const firstMs = Date.now() - t;
        await tab.getByText(`${DIGEST_TAGS} tags`, { exact: true }).waitFor({ timeout: 600_000 });
        const ms = Date.now() - t;
        protocolSeen = await tab.evaluate((registry) => performance.getEntriesByType('resource')
          .filter((e) => e.name.startsWith(`${registry}/v2/`)).map((e) => JSON.stringify(e.nextHopProtocol))
          .filter((p, i, all) => all.indexOf(p) === i).join(', '), small.url);
        digestRuns[way].push({ ms, restMs: ms - firstMs, ...sent });
        console.log(`${DIGEST_TAGS} tags, ${way === 'full' ? 'full Accept (?fullAccept=1)' : 'first pass'}: ${ms} ms (${ms - firstMs} after the first digest), ` +
          `${sent.OPTIONS} OPTIONS (${sent.manifestOptions} on manifests), ${sent.HEAD} HEAD`);
      } finally {
        await context.close();
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      await run('full');
      await run('fast');
    }
  } finally {
    config.registry = registry.url;
    await small.stop();
  }
  const summary = (way) => {
    const runs = digestRuns[way];
    return { ms: median(runs.map((r) => r.ms)), all: runs.map((r) => r.ms).join(', '),
      restMs: median(runs.map((r) => r.restMs)), allRest: runs.map((r) => r.restMs).join(', '),
      OPTIONS: median(runs.map((r) => r.OPTIONS)),
      manifestOptions: median(runs.map((r) => r.manifestOptions)), HEAD: median(runs.map((r) => r.HEAD)) };
  };
  const before = summary('full');
  const after = summary('fast');
  record(`${DIGEST_TAGS} tags: all digests, before (full Accept)`, before.ms, 'ms', `median of ${ROUNDS} (${before.all}); page load with \`?fullAccept=1\`, cross-origin`);
  record(`${DIGEST_TAGS} tags: all digests, after (first pass)`, after.ms, 'ms', `median of ${ROUNDS} (${after.all}); same page, same registry, alternating runs`);
  record(`${DIGEST_TAGS} tags: after / before`, (after.ms / before.ms).toFixed(2), 'x');
  record(`${DIGEST_TAGS} tags: first digest to all digests, before`, before.restMs, 'ms', `median of ${ROUNDS} (${before.allRest}); the part HEADs bound, without the page load`);
  record(`${DIGEST_TAGS} tags: first digest to all digests, after`, after.restMs, 'ms', `median of ${ROUNDS} (${after.allRest})`);
  record(`${DIGEST_TAGS} tags: after / before, without the page load`, (after.restMs / before.restMs).toFixed(2), 'x');
  record(`${DIGEST_TAGS} tags: OPTIONS preflights, before`, before.OPTIONS, 'requests', `${before.manifestOptions} of them for manifests; counted with the devtools protocol`);
  record(`${DIGEST_TAGS} tags: OPTIONS preflights, after`, after.OPTIONS, 'requests', `${after.manifestOptions} of them for manifests`);
  record(`${DIGEST_TAGS} tags: HEAD requests, before`, before.HEAD, 'requests');
  record(`${DIGEST_TAGS} tags: HEAD requests, after`, after.HEAD, 'requests',
    `first passes plus ${after.HEAD - before.HEAD} full-Accept fall-backs (the first wave, before the view learnt what the repository holds)`);
  record('nextHopProtocol the page sees for the registry', protocolSeen || 'no entry', '',
    `"" means hidden (cross-origin without Timing-Allow-Origin): ${CONCURRENCY} HEADs at once`);

  const dist = path.join(root, 'dist');
  for (const file of await readdir(dist)) {
    if (!/\.(wasm|js|css)$/.test(file)) continue;
    const bytes = await readFile(path.join(dist, file));
    const kind = path.extname(file).slice(1);
    record(`bundle ${kind}`, (bytes.length / 1024).toFixed(0), 'KiB', `${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(0)} KiB gzip`);
  }

  const lines = [
    '# Benchmark results',
    '',
    `Measured by \`scripts/bench.sh\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
      `${os.cpus().length} cores, Chromium headless, distribution 2.8 on loopback.`,
    'The baselines run in the same browser in the same run: HEAD requests for the same',
    'tags sent by a bare fetch loop, with nothing rendered; "full Accept" is the',
    'four-type Accept (a CORS preflight per tag), "safelisted Accept" the first pass the',
    'console settles on for this repository of OCI manifests (no preflight).',
    `The ${DIGEST_TAGS}-tag rows compare the tag view before and after issue #11 in the same run,`,
    'on a second registry on another origin than the console: `?fullAccept=1` in the page',
    'address makes the view send every HEAD with the full Accept, as before; without it',
    'the view sends a safelisted first pass and the full Accept only when the first',
    'answer may differ (src/oci/client.rs, first_pass_verdict). Each run opens a fresh',
    'browser context (no preflight cache, no open connections) and counts what it',
    'sent to the registry through the devtools protocol, which is on in every run.',
    '',
    '| figure | value | note |',
    '| --- | --- | --- |',
    ...figures.map((f) => `| ${f.name} | ${`${f.value} ${f.unit}`.trim()} | ${f.note} |`),
    '',
  ];
  await mkdir(path.join(root, 'bench'), { recursive: true });
  await writeFile(path.join(root, 'bench', 'results.md'), lines.join('\n'));
  console.log('written to bench/results.md');
} finally {
  await browser.close();
  await site.stop();
  await registry.stop();
}
