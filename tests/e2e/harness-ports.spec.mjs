// The harness's servers on a machine shared with other users' tests: a port picked
// free may be taken before the server binds it. The server must then start on another
// port, and never take the other process's answers for its own.
import { test, expect } from '@playwright/test';
import http from 'node:http';
import { onFreePort, freePort, portInUse } from '../../scripts/lib/processes.mjs';
import { startRegistry } from '../../scripts/lib/registry.mjs';
import { startSameOrigin } from '../../scripts/lib/deploy.mjs';

/** A stranger's server on `port`, answering everything 200 as a registry's /v2/ would. */
async function stranger(port) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end('{}');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { close: () => new Promise((resolve) => server.close(resolve)) };
}

test('a start whose port was taken meanwhile runs again on another port; any other failure fails at once', async () => {
  const tried = [];
  let taken;
  const port = await onFreePort(async (candidate) => {
    tried.push(candidate);
    if (tried.length === 1) {
      taken = await stranger(candidate);
      throw new Error('address in use');
    }
    return candidate;
  });
  try {
    expect(tried).toHaveLength(2);
    expect(port).not.toBe(tried[0]);
    expect(await portInUse(tried[0])).toBe(true);
  } finally {
    await taken.close();
  }
  let calls = 0;
  await expect(onFreePort(async () => { calls += 1; throw new Error('bad config'); })).rejects.toThrow('bad config');
  expect(calls).toBe(1);
});

test('a registry or nginx whose port answers for someone else does not start there', async () => {
  test.setTimeout(60_000);
  const port = await freePort();
  const taken = await stranger(port);
  try {
    await expect(startRegistry({ port })).rejects.toThrow(/exited early|not ready/);
    await expect(startSameOrigin({ consoleDir: '.', registryUpstream: 'http://127.0.0.1:9', port }))
      .rejects.toThrow(/exited early|not ready/);
    // Picking its own port, each starts, and answers as itself.
    const registry = await startRegistry();
    try {
      expect(registry.port).not.toBe(port);
      expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    } finally {
      await registry.stop();
    }
  } finally {
    await taken.close();
  }
});
