// What a built dist/ sends as wasm: the main module every page loads, and each
// on-demand part (src/ui/on_demand.rs) with the shared chunks its loader fetches
// with it, read from the loader `__wasm_split-*.js` that the split wrote.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const sizes = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });

export async function bundleParts(dist) {
  const files = await readdir(dist);
  const mainFile = files.find((f) => f.endsWith('_bg.wasm'));
  if (!mainFile) throw new Error(`no *_bg.wasm in ${dist}`);
  const main = { file: mainFile, ...sizes(await readFile(path.join(dist, mainFile))) };
  const loaderFile = files.find((f) => /^__wasm_split-[0-9a-f]+\.js$/.test(f));
  if (!loaderFile) return { main, parts: [], all: { raw: main.raw, gzip: main.gzip }, chunkCount: 0 };
  const loader = await readFile(path.join(dist, loaderFile), 'utf8');
  const fileSizes = new Map();
  const sizeOf = async (file) => {
    if (!fileSizes.has(file)) fileSizes.set(file, sizes(await readFile(path.join(dist, file))));
    return fileSizes.get(file);
  };
  // const __chunk_7 = makeLoad(() => { const src = fetchChunk(new URL("./chunk_7-H.wasm", ...
  // (fetchChunk: the timeout scripts/split/wasm-bindgen adds; plain fetch before it)
  const chunkFiles = new Map();
  for (const m of loader.matchAll(/const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch(?:Chunk)?\(new URL\("\.\/([^"]+)"/g)) {
    chunkFiles.set(m[1], m[2]);
  }
  // export const __wasm_split_load_NAME = wrapAsyncCb(makeLoad(() => { ... "./split_NAME-H.wasm" ... }, [deps]));
  const parts = [];
  for (const m of loader.matchAll(/export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\(\(\) => \{\s*const src = fetch(?:Chunk)?\(new URL\("\.\/([^"]+)"[\s\S]*?\n, \[([^\]]*)\]\)\);/g)) {
    const [, name, ownFile, depList] = m;
    const deps = depList.split(',').map((d) => d.trim()).filter(Boolean).map((d) => chunkFiles.get(d));
    const own = await sizeOf(ownFile);
    let gzip = own.gzip;
    let raw = own.raw;
    for (const dep of deps) {
      const s = await sizeOf(dep);
      gzip += s.gzip;
      raw += s.raw;
    }
    parts.push({ name, files: 1 + deps.length, raw, gzip });
  }
  // A loader this file cannot read must not report a bundle without parts.
  if (parts.length === 0) throw new Error(`${loaderFile}: no parts recognised (did the loader's format change?)`);
  const all = { raw: main.raw, gzip: main.gzip };
  for (const s of fileSizes.values()) {
    all.raw += s.raw;
    all.gzip += s.gzip;
  }
  return { main, parts, all, chunkCount: fileSizes.size };
}
