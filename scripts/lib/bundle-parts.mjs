// What a built dist/ sends as wasm: the main module every page loads, and each
// on-demand part (src/ui/on_demand.rs) with the shared chunks its loader fetches
// with it, read from the loader `__wasm_split-*.js` that the split wrote.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const sizes = (bytes) => ({ raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });

/** The loader's file name in `files` (a dist's listing), or undefined. */
const loaderFileIn = (files) => files.find((f) => /^__wasm_split-[0-9a-f]+\.js$/.test(f));

/**
 * The parts of the build in `dir` ({@link loaderParts}, read from its loader), or
 * null when it has no loader (a build that was not split).
 */
export async function partsIn(dir, files = null) {
  const loaderFile = loaderFileIn(files ?? await readdir(dir));
  if (!loaderFile) return null;
  return loaderParts(await readFile(path.join(dir, loaderFile), 'utf8'), loaderFile);
}

/**
 * Each part the loader can fetch, with every file it fetches for it: the part's own
 * chunk first, then the chunks of code it shares with other parts. Throws on a loader
 * in which no part is recognised (its format changed), rather than reporting none.
 */
export function loaderParts(loader, loaderName = 'the loader') {
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
    const deps = depList.split(',').map((d) => d.trim()).filter(Boolean).map((d) => {
      if (!chunkFiles.has(d)) throw new Error(`${loaderName}: part ${name} needs ${d}, which it never defines`);
      return chunkFiles.get(d);
    });
    parts.push({ name, files: [ownFile, ...deps] });
  }
  if (parts.length === 0) throw new Error(`${loaderName}: no parts recognised (did the loader's format change?)`);
  return parts;
}

export async function bundleParts(dist) {
  const files = await readdir(dist);
  const mainFile = files.find((f) => f.endsWith('_bg.wasm'));
  if (!mainFile) throw new Error(`no *_bg.wasm in ${dist}`);
  const main = { file: mainFile, ...sizes(await readFile(path.join(dist, mainFile))) };
  const loaded = await partsIn(dist, files);
  if (!loaded) return { main, parts: [], all: { raw: main.raw, gzip: main.gzip }, chunkCount: 0 };
  const fileSizes = new Map();
  const sizeOf = async (file) => {
    if (!fileSizes.has(file)) fileSizes.set(file, sizes(await readFile(path.join(dist, file))));
    return fileSizes.get(file);
  };
  const parts = [];
  for (const { name, files: partFiles } of loaded) {
    let gzip = 0;
    let raw = 0;
    for (const file of partFiles) {
      const s = await sizeOf(file);
      gzip += s.gzip;
      raw += s.raw;
    }
    parts.push({ name, files: partFiles.length, raw, gzip });
  }
  const all = { raw: main.raw, gzip: main.gzip };
  for (const s of fileSizes.values()) {
    all.raw += s.raw;
    all.gzip += s.gzip;
  }
  return { main, parts, all, chunkCount: fileSizes.size };
}
