#!/usr/bin/env node
// Enforces DESIGN.md §3 on every package's src/: a package imports only @superscalar/* packages of its
// own layer or below, never a test-only independent implementation, and browser-safe packages import no
// `node:` built-in. Tests and benchmarks are exempt. Exits 1 and lists every violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const LAYER = {
  core: 1,
  secp: 1,
  tx: 1,
  musig2: 1,
  adaptor: 1,
  shachain: 1,
  'dw-counter': 1,
  keys: 1,
  bolt11: 1,
  'factory-tree': 2,
  'poon-dryja': 2,
  'noise-nk': 3,
  wire: 3,
  persist: 4,
  chain: 4,
  wallet: 4,
  watchtower: 4,
  lsp: 5,
  client: 5,
};
// Packages that must run in a browser: no node: built-ins in src/ (the Node-only parts of noise-nk,
// chain and persist live behind their own subpaths and are listed in NODE_ONLY_FILES).
const BROWSER_SAFE = new Set([
  'core',
  'secp',
  'tx',
  'wallet',
  'musig2',
  'adaptor',
  'shachain',
  'dw-counter',
  'keys',
  'bolt11',
  'factory-tree',
  'poon-dryja',
  'wire',
  'watchtower',
  'client',
]);
// Files of browser-safe packages that only a `node` export condition selects (their browser twin is
// chosen otherwise): they may import Node built-ins.
const NODE_ONLY_FILES = new Set(['packages/secp/src/_backend-node.ts']);
// Folders of browser-safe packages behind a Node-only subpath export (`@superscalar/client/node`).
const NODE_ONLY_DIRS = ['packages/client/src/node/'];
// Independent implementations used only for differential tests: never imported from src/.
const TEST_ONLY = ['@scure/btc-signer/musig2', 'light-bolt11-decoder'];

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield p;
  }
}

for (const pkg of readdirSync(join(root, 'packages'))) {
  const layer = LAYER[pkg];
  const srcDir = join(root, 'packages', pkg, 'src');
  if (layer === undefined) {
    problems.push(`packages/${pkg}: not in the layer table of scripts/check-layers.mjs (DESIGN.md §3)`);
    continue;
  }
  let srcFiles;
  try {
    srcFiles = [...files(srcDir)];
  } catch {
    continue;
  }
  for (const file of srcFiles) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const where = relative(root, file);
      const dep = /^@superscalar\/([^/]+)/.exec(spec)?.[1];
      if (dep !== undefined) {
        const depLayer = LAYER[dep];
        if (depLayer === undefined) problems.push(`${where}: imports unknown package ${spec}`);
        else if (depLayer > layer)
          problems.push(`${where}: layer ${layer} package imports ${spec} (layer ${depLayer})`);
        if (dep === pkg) problems.push(`${where}: imports its own package by name (${spec})`);
      }
      if (TEST_ONLY.some((t) => spec.startsWith(t)))
        problems.push(`${where}: imports ${spec}, a test-only independent implementation`);
      if (
        BROWSER_SAFE.has(pkg) &&
        !NODE_ONLY_FILES.has(where) &&
        !NODE_ONLY_DIRS.some((d) => where.startsWith(d)) &&
        (spec.startsWith('node:') || /^(fs|path|crypto|net|os|child_process)$/.test(spec))
      )
        problems.push(`${where}: browser-safe package imports the Node built-in ${spec}`);
    }
  }
}

if (problems.length > 0) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer check: every src/ import respects DESIGN.md §3');
