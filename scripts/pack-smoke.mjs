#!/usr/bin/env node
// The packages as an outside developer installs them (issue 17.6): builds every package, packs it with
// pnpm (workspace:^ replaced, publishConfig applied), installs the tarballs into a scratch project
// with pnpm, then for each package checks its published manifest (no `source` condition, no
// workspace: ranges, LICENSE and README links inside the tarball) and runs its README quickstart there
// with only what its install line names, after `tsc --strict` typechecks it.
// Usage: node scripts/pack-smoke.mjs [--keep] [package ...]
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const only = args.filter((a) => !a.startsWith('--'));
const pnpm = ['-y', 'pnpm@10'];
const problems = [];

const all = readdirSync(join(root, 'packages')).filter((d) =>
  existsSync(join(root, 'packages', d, 'package.json')),
);
const names = only.length > 0 ? only : all;
const work = mkdtempSync(join(tmpdir(), 'superscalar-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

function run(cmd, argv, cwd, quiet = true) {
  return execFileSync(cmd, argv, {
    cwd,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
}

// 1. Build and pack every package (dependencies are packed too, so the scratch install resolves them).
console.log(`building ${all.length} packages…`);
run('npx', [...pnpm, '-r', '--filter', './packages/*', 'run', 'build'], root);
const tgz = {};
for (const name of all) {
  const dir = join(root, 'packages', name);
  const out = run('npx', [...pnpm, 'pack', '--pack-destination', tarballs], dir)
    .trim()
    .split('\n')
    .pop();
  tgz[`@superscalar/${name}`] = out.startsWith('/') ? out : join(tarballs, out);
}

// 2. Check each published manifest and the files the tarball holds.
for (const name of names) {
  const file = tgz[`@superscalar/${name}`];
  const listing = run('tar', ['-tzf', file], work)
    .split('\n')
    .map((l) => l.replace(/^package\//, ''));
  const manifest = JSON.parse(run('tar', ['-xzOf', file, 'package/package.json'], work));
  const json = JSON.stringify(manifest);
  if (json.includes('"source"')) problems.push(`${name}: the published exports keep the "source" condition`);
  if (json.includes('workspace:')) problems.push(`${name}: the published manifest keeps a workspace: range`);
  if (!listing.includes('LICENSE')) problems.push(`${name}: LICENSE is not in the tarball`);
  if (!listing.includes('README.md')) problems.push(`${name}: README.md is not in the tarball`);
  const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
  for (const m of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s#]+)(#[^)]*)?\)/g)) {
    const target = m[1].replace(/^\.\//, '');
    if (!listing.some((l) => l === target || l.startsWith(`${target.replace(/\/$/, '')}/`)))
      problems.push(`${name}: README links to ${m[1]}, which is not in the tarball`);
  }
  if (!/ESM only/i.test(readme)) problems.push(`${name}: README does not say "ESM only"`);
}

// 3. A scratch project that installs the tarballs (every @superscalar/* resolved to its tarball).
const scratch = join(work, 'app');
mkdirSync(scratch);
const quickstarts = [];
const extraDeps = new Set();
for (const name of names) {
  const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
  const at = readme.search(/^#+ .*Quickstart/im);
  if (at < 0) {
    problems.push(`${name}: README has no Quickstart heading`);
    continue;
  }
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  const install = /```(?:sh|bash)\n[^`]*?pnpm add ([^\n`]+)/.exec(readme)?.[1];
  if (code === undefined || install === undefined) {
    problems.push(`${name}: README lacks a \`pnpm add\` line or a ts quickstart`);
    continue;
  }
  const named = new Set(
    install
      .split('#')[0]
      .split('&&')[0]
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('-'))
      .map((w) => w.replace(/(.)@[^/@]+$/, '$1')),
  );
  for (const m of code.matchAll(/from '([^'.][^']*)'/g)) {
    const spec = m[1];
    if (spec.startsWith('node:')) continue;
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (!named.has(pkg))
      problems.push(`${name}: the quickstart imports ${pkg}, which its install line does not name`);
  }
  // The scratch project installs what the install line names, as a user following the README would.
  for (const pkg of named) if (!pkg.startsWith('@superscalar/')) extraDeps.add(pkg);
  quickstarts.push({ name, code });
}
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versionOf = (dep) => {
  for (const d of all) {
    const p = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'));
    const v = p.dependencies?.[dep] ?? p.peerDependencies?.[dep] ?? p.devDependencies?.[dep];
    if (v && !v.startsWith('workspace:')) return v;
  }
  return rootPkg.devDependencies?.[dep] ?? 'latest';
};
const dependencies = Object.fromEntries(
  names.map((n) => [`@superscalar/${n}`, `file:${tgz[`@superscalar/${n}`]}`]),
);
for (const d of extraDeps) dependencies[d] = versionOf(d);
writeFileSync(
  join(scratch, 'package.json'),
  `${JSON.stringify(
    {
      name: 'superscalar-pack-smoke',
      private: true,
      type: 'module',
      dependencies,
      pnpm: {
        overrides: Object.fromEntries(Object.entries(tgz).map(([k, v]) => [k, `file:${v}`])),
        onlyBuiltDependencies: ['better-sqlite3', 'esbuild'],
      },
    },
    null,
    2,
  )}\n`,
);
writeFileSync(join(scratch, '.npmrc'), 'manage-package-manager-versions=false\n');
console.log(`installing ${names.length} tarballs into ${scratch}…`);
run('npx', [...pnpm, 'install', '--prefer-offline', '--no-frozen-lockfile'], scratch);

// 4. Typecheck and run each quickstart against the installed packages, under plain node (after tsc
// strips the types: what a consumer's build would do).
writeFileSync(
  join(scratch, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      target: 'ES2022',
      lib: ['ES2023', 'DOM'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      skipLibCheck: false,
      types: ['node'],
      outDir: 'out',
      noEmitOnError: true,
    },
    include: ['qs/*.ts'],
  }),
);
mkdirSync(join(scratch, 'qs'));
for (const q of quickstarts) writeFileSync(join(scratch, 'qs', `${q.name}.ts`), q.code);
if (!existsSync(join(scratch, 'node_modules', '@types', 'node'))) {
  run(
    'npx',
    [...pnpm, 'add', '--prefer-offline', `@types/node@${rootPkg.devDependencies['@types/node']}`],
    scratch,
  );
}
try {
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], scratch);
} catch (e) {
  problems.push(`quickstarts fail tsc --strict:\n${e.stdout}${e.stderr}`);
}
for (const q of quickstarts) {
  const js = join(scratch, 'out', `${q.name}.js`);
  if (!existsSync(js)) continue;
  try {
    run(process.execPath, [js], scratch);
    console.log(`  ${q.name}: quickstart ran`);
  } catch (e) {
    problems.push(
      `${q.name}: the quickstart failed under node:\n${(e.stderr || e.stdout || String(e)).slice(0, 2000)}`,
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`pack smoke: ${names.length} packages packed, installed, typechecked and run`);
