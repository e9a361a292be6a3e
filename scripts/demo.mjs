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
// Checked before anything starts: Number('') is 0 (a random port, and a CORS origin
// of :0 that no page has), Number('80.5') is not a port.
const portText = process.env.TAGDECK_PORT ?? '8080';
if (!/^[0-9]+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
  console.error(`TAGDECK_PORT must be a whole number from 1 to 65535 (it is "${portText}"); leave it unset for 8080.`);
  process.exit(1);
}
const consolePort = Number(portText);
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
