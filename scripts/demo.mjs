#!/usr/bin/env node
// The demo behind the README's run command: a local registry filled with the demo
// fixtures, and the built console (dist/) on http://127.0.0.1:8080 pointed at it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from './lib/registry.mjs';
import { pushDemoFixtures } from './lib/fixtures.mjs';
import { serveStatic } from './lib/static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const consolePort = Number(process.env.TAGDECK_PORT ?? 8080);
const consoleOrigin = `http://127.0.0.1:${consolePort}`;

const registry = await startRegistry({ corsOrigin: consoleOrigin });
try {
  const report = await pushDemoFixtures(registry.url, { scaleTags: 2000 });
  await writeFile(path.join(root, '.tagdeck', 'demo-fixtures.json'), JSON.stringify(report, null, 2));
  const site = await serveStatic(path.join(root, 'dist'), {
    port: consolePort, config: { registry: registry.url },
  });
  console.log(`
Tagdeck is running.
  console   ${site.url}/
  registry  ${registry.url}  (distribution 2.8, deletes enabled, CORS for ${consoleOrigin})
  storage   ${registry.dir}  (removed on exit)
  pushed    ${Object.entries(report.repositories).map(([r, t]) => `${r} (${Object.keys(t).length} tags)`).join(', ')}
  report    .tagdeck/demo-fixtures.json (every repository, tag and digest pushed)

Press Ctrl-C to stop the console and the registry (pid ${process.pid}).`);
} catch (error) {
  const inUse = error.code === 'EADDRINUSE';
  console.error(inUse
    ? `Port ${consolePort} is in use. Stop what runs there, or set TAGDECK_PORT to another port.`
    : `demo failed: ${error.stack ?? error}`);
  await registry.stop();
  process.exit(1);
}
