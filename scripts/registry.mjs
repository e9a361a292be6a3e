#!/usr/bin/env node
// Starts test registries filled with the demo fixtures and keeps them up until
// SIGINT/SIGTERM. Used by scripts/run.sh (the demo) and scripts/test.sh (browser tests).
//
//   node scripts/registry.mjs [--origin URL] [--scale N] [--report FILE] [--env-out FILE]
//
// --origin    the console's origin for CORS (default '*')
// --scale     tags in scale/many-tags (default 2000, 0 to skip)
// --report    where to write the fixture report (JSON)
// --env-out  also start a deletes-disabled registry, and write shell variables for
//             the browser tests (TAGDECK_TEST_REGISTRY, ..._NODELETE, ..._FIXTURES)
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startRegistry } from './lib/registry.mjs';
import { pushDemoFixtures } from './lib/fixtures.mjs';

const { values: args } = parseArgs({
  options: {
    origin: { type: 'string', default: '*' },
    scale: { type: 'string', default: '2000' },
    report: { type: 'string' },
    'env-out': { type: 'string' },
  },
});

const started = [];
async function shutdown(code) {
  for (const registry of started.reverse()) await registry.stop();
  process.exit(code);
}

try {
  const main = await startRegistry({ corsOrigin: args.origin });
  started.push(main);
  const t0 = Date.now();
  const report = await pushDemoFixtures(main.url, { scaleTags: Number(args.scale) });
  const pushed = Object.entries(report.repositories)
    .map(([repo, tags]) => `${repo} (${Object.keys(tags).length} tags)`);
  console.log(`registry ${main.url} (deletes enabled, CORS origin ${args.origin}, storage ${main.dir})`);
  console.log(`pushed in ${Date.now() - t0} ms: ${pushed.join(', ')}`);
  if (args.report) await writeFile(args.report, JSON.stringify(report, null, 2));

  if (args['env-out']) {
    const noDelete = await startRegistry({ corsOrigin: args.origin, deletes: false });
    started.push(noDelete);
    const small = await pushDemoFixtures(noDelete.url, { scaleTags: 0 });
    console.log(`registry ${noDelete.url} (deletes disabled)`);
    const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;
    await writeFile(args['env-out'], [
      `export TAGDECK_TEST_REGISTRY=${quote(main.url)}`,
      `export TAGDECK_TEST_REGISTRY_NODELETE=${quote(noDelete.url)}`,
      `export TAGDECK_TEST_FIXTURES=${quote(JSON.stringify(compact(report)))}`,
      `export TAGDECK_TEST_FIXTURES_NODELETE=${quote(JSON.stringify(compact(small)))}`,
      '',
    ].join('\n'));
  }
  console.log('ready');
} catch (error) {
  console.error(`registry harness failed: ${error.stack ?? error}`);
  await shutdown(1);
}

// Browser tests get the report through a compile-time variable: keep it small by
// listing a scale repository's tag count instead of every tag.
function compact(report) {
  const repositories = {};
  for (const [repo, tags] of Object.entries(report.repositories)) {
    const names = Object.keys(tags);
    repositories[repo] = names.length > 50
      ? { [names[0]]: tags[names[0]], __count: names.length }
      : tags;
  }
  return { registry: report.registry, repositories };
}
