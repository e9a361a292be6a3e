// Sums twiggy's per-function sizes by crate (this crate by module) and writes a
// table beside the shipped bundle's size. Usage: node bundle-report.mjs CSV WASM OUT
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const [csvPath, shippedPath, out] = process.argv.slice(2);
const rows = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1);
const sums = new Map();
let total = 0;
for (const row of rows) {
  // Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent: the name
  // may hold commas (quoted), the four numbers never do.
  const parts = row.split(',');
  const size = Number(parts.at(-4));
  const name = parts.slice(0, -4).join(',').replace(/^"|"$/g, '');
  // Names, wasm-bindgen's metadata and its descriptor functions never ship.
  if (/function names|custom section|__wbindgen_describe/.test(name)) continue;
  total += size;
  let key = 'other';
  if (name.startsWith('data segment')) key = 'data (strings, tables)';
  else if (/^(export|import|elem|table|memory|global|type)/.test(name)) key = 'imports, exports, tables';
  else {
    // The first crate path in the name: `<T as tachys::view::Render>::build` is tachys's.
    for (const match of name.matchAll(/(?:^|[<\s&*(,])([a-z_][a-z_0-9]*)(?:\[[0-9a-f]+\])?::(?:([a-z_0-9]+)::)?/g)) {
      key = match[1] === 'tagdeck' && match[2] ? `tagdeck::${match[2]}` : match[1];
      break;
    }
  }
  sums.set(key, (sums.get(key) ?? 0) + size);
}
const shipped = readFileSync(shippedPath);
const kib = (n) => `${Math.round(n / 1024)} KiB`;
const lines = [
  '# Where the wasm bytes go',
  '',
  `Measured by \`scripts/bundle-report.sh\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  `The shipped bundle (${shippedPath.split('/').pop()}, after wasm-bindgen and wasm-opt -Oz) is`,
  `${kib(shipped.length)} (${kib(gzipSync(shipped, { level: 9 }).length)} gzip). The table splits the code and data of the`,
  `release build before wasm-bindgen (${kib(total)}, names and what wasm-bindgen drops left out) by crate, this`,
  'crate by module. wasm-opt shrinks every part afterwards, so the shares are what counts.',
  '',
  '| part | bytes | share |',
  '| --- | --- | --- |',
];
for (const [key, size] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  lines.push(`| ${key} | ${kib(size)} | ${(100 * size / total).toFixed(1)} % |`);
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
