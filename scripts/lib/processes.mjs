// Child processes that must never outlive the harness: every spawn is recorded and
// killed on normal exit, on SIGINT/SIGTERM and on an uncaught error.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';

const running = new Set();
const tempDirs = new Set();
const stoppers = new Set();

function killAll() {
  for (const child of running) {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  running.clear();
}

function removeTempDirs() {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Last resort on any exit: nothing we started may survive us, even after a crash.
process.on('exit', () => { killAll(); removeTempDirs(); });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, async () => {
    await Promise.allSettled([...stoppers].map((stop) => stop()));
    process.exit(0);
  });
}

/** Removes `dir` when the process exits, whatever the reason. */
export function trackTempDir(dir) {
  tempDirs.add(dir);
  return dir;
}

/** Runs `stop` on SIGINT/SIGTERM/SIGHUP; returns a wrapper that also unregisters it. */
export function stopOnSignal(stop) {
  const once = async () => { stoppers.delete(once); await stop(); };
  stoppers.add(once);
  return once;
}

/**
 * Spawns a command in its own process group; `stop()` ends it (and its children).
 * `env`, when given, is the child's whole environment (default: this process's).
 */
export function spawnManaged(command, args, { logFile, cwd, env } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: env ?? process.env,
    detached: true, // own process group, so stop() also reaches grandchildren (nginx workers)
    stdio: ['ignore', logFile ?? 'ignore', logFile ?? 'ignore'],
  });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  return {
    child,
    exited,
    async stop() {
      if (!running.has(child)) return;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timeout = new Promise((r) => setTimeout(r, 3000, 'timeout'));
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
        await exited;
      }
    },
  };
}

/** A loopback TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether something listens on the loopback port `port` now. */
export function portInUse(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(error.code === 'EADDRINUSE'));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * Runs `start(port)` on a free port, again on another one (up to `tries` in all) when
 * it fails because the port was taken between freePort() and the server's own bind:
 * another user's tests on the same machine pick ports the same way. A start that
 * fails for any other reason fails at once. `start` must clean up after a failure.
 */
export async function onFreePort(start, { tries = 3 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= tries || !(await portInUse(port))) throw error;
    }
  }
}

/** Polls `probe` until it returns true, or fails with `what` after `timeoutMs`. */
export async function waitFor(what, probe, { timeoutMs = 15000, exited } = {}) {
  const deadline = Date.now() + timeoutMs;
  let died = null;
  exited?.then((e) => { died = e; });
  while (Date.now() < deadline) {
    if (died) throw new Error(`${what}: process exited early (${JSON.stringify(died)})`);
    try { if (await probe()) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`);
}
