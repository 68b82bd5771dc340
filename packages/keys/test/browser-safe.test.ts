import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');
const NODE_BUILTINS =
  /^(node:|fs$|path$|crypto$|os$|net$|tls$|http$|https$|child_process$|worker_threads$|stream$|buffer$|util$)/;

describe('browser safety', () => {
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
