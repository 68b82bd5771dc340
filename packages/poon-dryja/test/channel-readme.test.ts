// Executes the README's state machine example as written (the block after "State machine example").
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the README state machine example runs: an HTLC paid, both sides at commitment 2', async () => {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const at = readme.indexOf('### State machine example');
  expect(at).toBeGreaterThan(0);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  expect(block).toBeDefined();
  const out = join(dir, 'test', '.readme');
  mkdirSync(out, { recursive: true });
  const file = join(out, `state-machine-${process.pid}-${Date.now()}.ts`);
  writeFileSync(file, block as string);
  try {
    const mod = (await import(file)) as { clientMsat: bigint; numbers: number[] };
    expect(mod.clientMsat).toBe(350_000_000n);
    expect(mod.numbers).toEqual([2, 2]);
  } finally {
    rmSync(file, { force: true });
  }
}, 120_000);
