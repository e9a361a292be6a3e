#!/usr/bin/env node
// Benchmarks of the browse views on a repository with many tags, each against a
// baseline measured in the same run on the same machine:
// - time until every row has its digest, vs. the bare minimum: the same HEAD
//   requests sent by a plain fetch loop in the same browser with the same concurrency;
// - time to first row, filter latency and frame times while scrolling;
// - bundle size of dist/ (raw and gzip).
// Prints the figures and writes them to bench/results.md.
//
//   node scripts/bench.mjs [--tags N]
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
const { values: args } = parseArgs({ options: { tags: { type: 'string', default: '10000' } } });
const TAGS = Number(args.tags);
const REPO = 'scale/many-tags';
const CONCURRENCY = 6; // the console's bound (src/ui/tags.rs CONCURRENT_REQUESTS)
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const config = {};
const site = await serveStatic(path.join(root, 'dist'), { config });
const registry = await startRegistry({ corsOrigin: site.url });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
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

  // Baseline: the HEAD requests alone, no rendering, same browser and concurrency.
  const baselineMs = await page.evaluate(async ({ registry, repo, tags, accept, concurrency }) => {
    const queue = [...tags];
    const start = performance.now();
    const worker = async () => {
      while (queue.length) {
        const tag = queue.shift();
        await fetch(`${registry}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept }, cache: 'no-store' });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - start;
  }, { registry: registry.url, repo: REPO, tags, accept: ACCEPT, concurrency: CONCURRENCY });

  const start = Date.now();
  await page.goto(`${site.url}/?repo=${REPO}`);
  await page.locator('[role="row"][data-tag] code.digest').first().waitFor({ timeout: 60_000 });
  const firstRowMs = Date.now() - start;
  await page.getByText(`${TAGS} tags`, { exact: true }).waitFor({ timeout: 600_000 });
  const allDigestsMs = Date.now() - start;

  record('tags in repository', TAGS, 'tags');
  record('first row with digest', firstRowMs, 'ms', 'page load to first digest on screen');
  record('all digests shown (Tagdeck)', allDigestsMs, 'ms', 'page load, tag list, HEAD per tag, rendering');
  record('all digests fetched (baseline)', Math.round(baselineMs), 'ms', `bare fetch loop, ${CONCURRENCY} concurrent HEADs, same browser`);
  record('Tagdeck / baseline', (allDigestsMs / baselineMs).toFixed(2), 'x');

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
    'The baseline runs in the same browser in the same run: the same HEAD requests',
    'sent by a bare fetch loop, with nothing rendered.',
    '',
    '| figure | value | note |',
    '| --- | --- | --- |',
    ...figures.map((f) => `| ${f.name} | ${f.value} ${f.unit} | ${f.note} |`),
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
