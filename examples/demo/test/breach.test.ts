// `--breach` (scene 1) end to end, as `pnpm demo --breach --json` runs it: a child process (an LSP and
// 4 clients over loopback Noise, SimChain in process); its JSON document checked against the raw
// transactions it carries: the penalty spends the revoked commitment's to_local, confirmed in the
// block after it, and pays the rest to the LSP's close address.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTx, toDisplayHex, txidHex } from '@superscalar/chain';
import { fromHex } from '@superscalar/core';
import { describe, expect, it } from 'vitest';
import type { BreachReport } from '../src/breach.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('demo --breach', () => {
  it('scene 1: the revoked commitment confirms, the LSP’s tower penalises it in the next block', () => {
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'index.ts', '--breach', '--json'],
      { cwd: dir, encoding: 'utf8', timeout: 180_000 },
    );
    expect(
      out.status,
      `exit ${out.status}\nstderr: ${out.stderr}\nstdout: ${out.stdout.slice(0, 4000)}`,
    ).toBe(0);
    const doc = JSON.parse(out.stdout) as BreachReport;
    expect(doc.ok).toBe(true);
    expect(doc.scene).toBe(1);
    // The revoked commitment: its own txid, confirmed after the cheater's path.
    const revoked = decodeTx(fromHex(doc.revoked.raw));
    expect(txidHex(revoked)).toBe(doc.revoked.txid);
    expect(doc.revoked.height).toBeGreaterThan(Math.max(...doc.path.map((p) => p.height)));
    expect(doc.revoked.toLocal).toBe(10_000);
    // The penalty: spends only the revoked to_local, one block later, with a CPFP child.
    const penalty = decodeTx(fromHex(doc.penalty.raw));
    expect(txidHex(penalty)).toBe(doc.penalty.txid);
    const vout = revoked.outputs.findIndex((o) => o.value === 10_000n);
    expect(penalty.inputs.map((i) => `${toDisplayHex(i.prevTxid)}:${i.vout}`)).toEqual([
      `${doc.revoked.txid}:${vout}`,
    ]);
    expect(doc.penalty.height).toBe(doc.revoked.height + 1);
    expect(doc.penalty.broadcastAtTip).toBe(doc.revoked.height);
    expect(doc.penalty.childTxid).toMatch(/^[0-9a-f]{64}$/);
    expect(penalty.outputs[0]?.value).toBe(BigInt(doc.penalty.paid));
    expect(penalty.outputs.at(-1)?.value).toBe(240n);
    expect(doc.penalty.paid + doc.penalty.fee + doc.penalty.anchor).toBe(doc.penalty.swept);
    expect(doc.penalty.swept).toBe(10_000);
    expect(doc.penalty.fee).toBeGreaterThan(0);
    expect(doc.penalty.address).toMatch(/^bcrt1p/);
  }, 200_000);
});
