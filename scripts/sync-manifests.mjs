#!/usr/bin/env node
// Keeps every package's published manifest what an outside developer needs (issue 17.6):
// - `publishConfig.exports` (and `.imports`) mirror `exports` (`imports`) without the `source`
//   condition (pnpm applies publishConfig when it packs), so a consumer whose tools set `source` never resolves shipped TypeScript;
// - `files` ships dist/, README.md, CHANGELOG.md, LICENSE and any data the package lists (vectors/),
//   no src/ (the source maps embed their sources), and a LICENSE copy of the root's sits beside each package.json;
// - `prepublishOnly` refuses a publish that does not go through pnpm (npm would keep `workspace:^`).
// `--check` reports drift and exits 1 instead of writing (run by `lint`).
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const license = readFileSync(join(root, 'LICENSE'), 'utf8');
const drift = [];

function withoutSource(exportsField) {
  if (typeof exportsField === 'string') return exportsField;
  const out = {};
  for (const [k, v] of Object.entries(exportsField)) {
    if (k === 'source') continue;
    out[k] = typeof v === 'object' && v !== null ? withoutSource(v) : v;
  }
  return out;
}

for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name);
  const file = join(dir, 'package.json');
  if (!existsSync(file)) continue;
  const before = readFileSync(file, 'utf8');
  const pkg = JSON.parse(before);
  if (pkg.private) continue;
  const extra = (pkg.files ?? []).filter(
    (f) => !['dist', 'src', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f),
  );
  pkg.files = ['dist', ...extra, 'README.md', 'CHANGELOG.md', 'LICENSE'];
  pkg.scripts = { ...pkg.scripts, prepublishOnly: 'node ../../scripts/publish-guard.mjs' };
  pkg.publishConfig = {
    access: 'public',
    exports: withoutSource(pkg.exports),
    ...(pkg.imports === undefined ? {} : { imports: withoutSource(pkg.imports) }),
  };
  const after = `${JSON.stringify(pkg, null, 2)}\n`;
  const licensePath = join(dir, 'LICENSE');
  const licenseOk = existsSync(licensePath) && readFileSync(licensePath, 'utf8') === license;
  if (check) {
    if (after !== before) drift.push(`packages/${name}/package.json (run node scripts/sync-manifests.mjs)`);
    if (!licenseOk) drift.push(`packages/${name}/LICENSE missing or different from the root's`);
  } else {
    if (after !== before) writeFileSync(file, after);
    if (!licenseOk) copyFileSync(join(root, 'LICENSE'), licensePath);
  }
}
if (drift.length > 0) {
  console.error(`manifests out of step:\n- ${drift.join('\n- ')}`);
  process.exit(1);
}
