#!/usr/bin/env node
// Creates the common skeleton of a @superscalar/* package: node scripts/new-package.mjs <name> "<description>"
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [name, description] = process.argv.slice(2);
if (!name || !description) {
  console.error('usage: node scripts/new-package.mjs <name> "<description>"');
  process.exit(2);
}
const dir = join('packages', name);
if (existsSync(dir)) {
  console.error(`${dir} exists`);
  process.exit(1);
}
for (const sub of ['src', 'test', 'bench']) mkdirSync(join(dir, sub), { recursive: true });
const pkg = {
  name: `@superscalar/${name}`,
  version: '0.0.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  engines: { node: '>=20.19' },
  exports: {
    '.': { source: './src/index.ts', types: './dist/index.d.ts', import: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', 'README.md', 'CHANGELOG.md'],
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    typecheck: 'tsc --noEmit -p .',
    bench: 'tsx --conditions=source bench/index.ts',
  },
  dependencies: {},
  devDependencies: {},
  publishConfig: { access: 'public' },
};
const files = {
  'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
  'tsconfig.json': `${JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test', 'bench', '*.ts'] }, null, 2)}\n`,
  'tsup.config.ts': `import { defineConfig } from 'tsup';\n\nexport default defineConfig({\n  entry: ['src/index.ts'],\n  format: ['esm'],\n  dts: true,\n  clean: true,\n  sourcemap: true,\n  target: 'es2022',\n});\n`,
  'vitest.config.ts': `import { project } from '../../vitest.shared.js';\n\nexport default project('${name}');\n`,
  'CHANGELOG.md': `# @superscalar/${name}\n`,
};
for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
console.log(`created ${dir}`);
