// Sums twiggy's per-function sizes by crate (this crate by module) and writes a
// table beside the shipped bundle's sizes: the main module and each on-demand part.
// Usage: node bundle-report.mjs CSV DIST OUT
import { readFileSync, writeFileSync } from 'node:fs';
import { bundleParts } from './lib/bundle-parts.mjs';

const [csvPath, dist, out] = process.argv.slice(2);
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
const wasm = await bundleParts(dist);
const kib = (n) => `${Math.round(n / 1024)} KiB`;
const lines = [
  '# Where the wasm bytes go',
  '',
  `Measured by \`scripts/bundle-report.sh\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  '',
  'What dist/ sends (after wasm-bindgen and wasm-opt -Oz; gzip -9). Every page loads the main',
  'module; a part is fetched, with the chunks of code it shares with other parts, the first',
  'time it is opened (src/ui/on_demand.rs).',
  '',
  '| wasm | bytes | gzip | files |',
  '| --- | --- | --- | --- |',
  `| main module (${wasm.main.file}) | ${kib(wasm.main.raw)} | ${kib(wasm.main.gzip)} | 1 |`,
  ...wasm.parts.map((p) => `| on demand: ${p.name.replace(/_/g, ' ')} | ${kib(p.raw)} | ${kib(p.gzip)} | ${p.files} |`),
  `| all of it | ${kib(wasm.all.raw)} | ${kib(wasm.all.gzip)} | ${1 + wasm.chunkCount} |`,
  '',
  `The table below splits the code and data of the whole release build before the split and`,
  `wasm-bindgen (${kib(total)}, names and what wasm-bindgen drops left out) by crate, this crate by`,
  'module. wasm-opt shrinks every part afterwards, so the shares are what counts.',
  '',
  '| part | bytes | share |',
  '| --- | --- | --- |',
];
for (const [key, size] of [...sums].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  lines.push(`| ${key} | ${kib(size)} | ${(100 * size / total).toFixed(1)} % |`);
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
