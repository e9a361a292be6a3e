#!/usr/bin/env node
// First visits of two (or more) builds over a slow link, alternating so that drift on
// a busy machine hits each alike: what a change to the bundle costs or saves a user
// on a fresh browser, which loopback hides. Each build is served by deploy/'s nginx
// (gzipped files, same origin) in front of one registry holding the demo images and a
// 1,000-tag repository; Chromium throttles every request of the tab. Timed inside the
// page with polling per frame, from navigation start:
//   - the repositories (the console's own address): the first repository on screen;
//   - a repository's tags: the first digest on screen;
//   - an image: its full digest on screen.
// Prints the medians, the runs, and the wasm transferred for each page.
//
//   node scripts/compare-first-visit.mjs [--rounds N] [--latency MS] [--mbits N (0: unlimited)] DIST...
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startRegistry } from './lib/registry.mjs';
import { pushDemoFixtures } from './lib/fixtures.mjs';
import { startSameOrigin } from './lib/deploy.mjs';

const { values: args, positionals: dists } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    latency: { type: 'string', default: '40' },
    mbits: { type: 'string', default: '10' },
  },
});
if (dists.length === 0) throw new Error('usage: compare-first-visit.mjs [--rounds N] [--latency MS] [--mbits N] DIST...');
// --mbits 0: no throughput limit (-1 to Chromium), for first visits on loopback.
const bytesPerSecond = Number(args.mbits) > 0 ? (Number(args.mbits) * 1_000_000) / 8 : -1;
const link = { offline: false, latency: Number(args.latency), downloadThroughput: bytesPerSecond, uploadThroughput: bytesPerSecond };
const PAGES = [
  { name: 'repositories', address: '/', shown: '.repository-list li.repository a' },
  { name: 'tags (first digest)', address: '/?repo=scale/many-tags', shown: '[role="row"][data-tag] code.digest' },
  { name: 'image', address: '/?repo=demo/web&ref=1.0', shown: '.full-digest' },
];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const registry = await startRegistry({});
const servers = [];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic'] });
try {
  await pushDemoFixtures(registry.url, { scaleTags: 1000 });
  for (const dist of dists) {
    servers.push(await startSameOrigin({ consoleDir: path.resolve(dist), registryUpstream: registry.url, server: 'nginx' }));
  }
  const times = dists.map(() => PAGES.map(() => ({ ms: [], wasmKiB: 0 })));
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const [d, server] of servers.entries()) {
      for (const [p, { address, shown }] of PAGES.entries()) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        try {
          const tab = await context.newPage();
          const cdp = await context.newCDPSession(tab);
          await cdp.send('Network.enable');
          await cdp.send('Network.emulateNetworkConditions', link);
          await tab.goto(`${server.url}${address}`);
          await tab.waitForFunction((selector) => document.querySelector(selector), shown, { polling: 'raf', timeout: 60_000 });
          const { now, wasm } = await tab.evaluate(() => ({
            now: performance.now(),
            wasm: performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm'))
              .reduce((sum, e) => sum + e.encodedBodySize, 0),
          }));
          times[d][p].ms.push(Math.round(now));
          times[d][p].wasmKiB = Math.round(wasm / 1024);
        } finally {
          await context.close();
        }
      }
    }
  }
  console.log(`first visits over ${Number(args.mbits) > 0 ? `${args.mbits} Mbit/s` : 'an unlimited link'} with ${args.latency} ms latency, ${args.rounds} rounds alternating`);
  for (const [d, dist] of dists.entries()) {
    for (const [p, { name }] of PAGES.entries()) {
      const { ms, wasmKiB } = times[d][p];
      console.log(`${dist}: ${name}: ${median(ms)} ms (${ms.join(', ')}); ${wasmKiB} KiB of wasm`);
    }
  }
} finally {
  await browser.close();
  for (const server of servers) await server.stop();
  await registry.stop();
}
