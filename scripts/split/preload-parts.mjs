#!/usr/bin/env node
// Run by scripts/trunk-post-build.sh on the staged index.html: a page opened at a
// view that lives in an on-demand part (src/ui/on_demand.rs), such as a shared link
// to a repository's tags, fetches that part's chunks beside the main module instead
// of after it. Without this, the chunks' download starts only once the main module
// has arrived and run, and a first visit waits for both downloads one after the other.
//
// The inline script reads the address as model::route::Route::from_query does (the
// first view that matches wins) and adds a low-priority preload for each file the
// loader would fetch for the part; the loader's own fetch then takes the preloaded
// answer (same URL, mode and credentials). A wrong guess costs a download, never a
// wrong view. deploy/csp.sh allows the script by its hash like Trunk's own.
//
//   node scripts/split/preload-parts.mjs STAGE_DIR
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { partsIn } from '../lib/bundle-parts.mjs';

// The parts a page address can open, as named in src/ui/on_demand.rs.
const VIEW_PARTS = ['tags', 'image', 'cleanup', 'find_digest'];
const MARK = 'data-tagdeck-preload';

const stage = process.argv[2];
if (!stage) throw new Error('usage: preload-parts.mjs STAGE_DIR');
const indexFile = path.join(stage, 'index.html');
const html = await readFile(indexFile, 'utf8');
const loaded = await partsIn(stage);
if (!loaded) throw new Error(`preload-parts: no __wasm_split-*.js in ${stage}`);
const parts = Object.fromEntries(loaded.map(({ name, files }) => [name, files]));
const missing = VIEW_PARTS.filter((name) => !parts[name]);
if (missing.length) {
  throw new Error(`preload-parts: the loader has no part ${missing.join(', ')} (renamed in src/ui/on_demand.rs?)`);
}
const files = Object.fromEntries(VIEW_PARTS.map((name) => [name, parts[name].map((file) => `./${file}`)]));
if (html.includes(MARK)) throw new Error(`preload-parts: ${indexFile} already has the preload script`);
if (!html.includes('</head>')) throw new Error(`preload-parts: no </head> in ${indexFile}`);

const script = `<script ${MARK}>
(() => {
  const files = ${JSON.stringify(files)};
  const address = new URLSearchParams(location.search);
  const has = (key) => Boolean(address.get(key));
  const part = has("cleanup") || has("cleanupNamespace") ? "cleanup"
    : address.get("view") === "find" ? "find_digest"
    : has("repo") ? (has("ref") ? "image" : "tags")
    : null;
  for (const href of files[part] || []) {
    const link = document.createElement("link");
    Object.assign(link, { rel: "preload", as: "fetch", crossOrigin: "anonymous", fetchPriority: "low", href });
    document.head.append(link);
  }
})();
</script>
`;
// After Trunk's preloads of the main script and module, which must go first.
await writeFile(indexFile, html.replace('</head>', `${script}</head>`));
