import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');
const NODE_BUILTINS =
  /^(node:|fs$|path$|crypto$|os$|net$|tls$|http$|https$|child_process$|worker_threads$|stream$|buffer$|util$)/;

const pkgDir = join(import.meta.dirname, '..');

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'src' || e.name === 'test') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...jsFiles(p));
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

describe('browser safety', () => {
  it('no runtime dependency ships a Node built-in import either', () => {
    const deps = Object.keys(
      (
        JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
          dependencies: Record<string, string>;
        }
      ).dependencies,
    );
    expect(deps.length).toBeGreaterThan(0);
    let scanned = 0;
    for (const dep of deps) {
      for (const file of jsFiles(join(pkgDir, 'node_modules', dep))) {
        const text = readFileSync(file, 'utf8');
        expect(/from\s*['"]node:|require\(\s*['"]node:|import\(\s*['"]node:/.test(text), file).toBe(false);
        scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(10);
  });

  it('no file in src/ imports a Node built-in or uses Buffer/process', () => {
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    const importRe = /(?:from\s*|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g;
    for (const f of files) {
      const text = readFileSync(join(srcDir, f), 'utf8');
      for (const m of text.matchAll(importRe))
        expect(NODE_BUILTINS.test(m[1] as string), `${f}: ${m[1]}`).toBe(false);
      expect(/\bBuffer\.|\bprocess\./.test(text), `${f} uses Buffer or process`).toBe(false);
    }
  });
});
