#!/usr/bin/env node
// Independent check of what tests/browser.rs wrote: skopeo (not our code) fetches
// each `browser-retag-<tag>` and its sha256 must equal the digest the fixture
// generator pushed for the source tag. Run by scripts/test.sh after the browser tests.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const FOUR_KINDS = [['demo/web', '1.0'], ['demo/api', 'v1'], ['demo/legacy-multiarch', '3.1'], ['demo/multiarch', '2.0']];
const report = JSON.parse(process.env.TAGDECK_TEST_FIXTURES);
const host = new URL(report.registry).host;
let failures = 0;
for (const [repository, tag] of FOUR_KINDS) {
  const expected = report.repositories[repository][tag].digest;
  const raw = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${host}/${repository}:browser-retag-${tag}`]);
  const actual = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const ok = actual === expected;
  failures += ok ? 0 : 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} skopeo ${repository}:browser-retag-${tag} ${actual}${ok ? '' : ` (expected ${expected})`}`);
}
if (failures) process.exit(1);
console.log(`skopeo agrees on ${FOUR_KINDS.length} retags`);
