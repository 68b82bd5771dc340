// `--breach` end to end, as `pnpm demo --breach --json` runs it: a child process (an LSP and 4 clients
// over loopback Noise, SimChain in process, one world per scene); its JSON document checked against
// the raw transactions it carries. Scene 1: the penalty spends the revoked commitment's to_local,
// confirmed in the block after it, and pays the rest to the LSP's close address. Scene 2: the newest
// leaf state spends the published kickoff, confirmed the moment its lock allowed, S blocks before the
// superseded one could. Scene 3: the poison spends the superseded state's L-stock with s_c and pays
// the clients lost_i plus equal shares (brief §5.3); each settlement pays its client's old channel
// output less the anchor and the pre-signed fee (§5.4).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTx, toDisplayHex, txidHex, vsize } from '@superscalar/chain';
import { fromHex, toHex } from '@superscalar/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BreachReport } from '../src/breach.js';
import type { Scene2Report, Scene3Report } from '../src/breachAdvance.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..');

type Doc = { ok: true; scenes: [BreachReport, Scene2Report, Scene3Report] };

function run(): Doc {
  const out = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'index.ts', '--breach', '--json'],
    { cwd: dir, encoding: 'utf8', timeout: 240_000 },
  );
  expect(out.status, `exit ${out.status}\nstderr: ${out.stderr}\nstdout: ${out.stdout.slice(0, 4000)}`).toBe(
    0,
  );
  const doc = JSON.parse(out.stdout) as Doc;
  expect(doc.ok).toBe(true);
  expect(doc.scenes.map((s) => s.scene)).toEqual([1, 2, 3]);
  return doc;
}

const outpoint = (i: { prevTxid: Uint8Array; vout: number }) => `${toDisplayHex(i.prevTxid)}:${i.vout}`;
const preSignedFee = (rate: number, tx: ReturnType<typeof decodeTx>) => Math.ceil((rate * vsize(tx)) / 1000);

describe('demo --breach', () => {
  let doc: Doc;
  beforeAll(() => {
    doc = run();
  }, 250_000);

  it('scene 1: the revoked commitment confirms, the LSP’s tower penalises it in the next block', () => {
    const s = doc.scenes[0];
    // The revoked commitment: its own txid, confirmed after the cheater's path.
    const revoked = decodeTx(fromHex(s.revoked.raw));
    expect(txidHex(revoked)).toBe(s.revoked.txid);
    expect(s.revoked.height).toBeGreaterThan(Math.max(...s.path.map((p) => p.height)));
    expect(s.revoked.toLocal).toBe(10_000);
    // The penalty: spends only the revoked to_local, one block later, with a CPFP child.
    const penalty = decodeTx(fromHex(s.penalty.raw));
    expect(txidHex(penalty)).toBe(s.penalty.txid);
    const vout = revoked.outputs.findIndex((o) => o.value === 10_000n);
    expect(penalty.inputs.map(outpoint)).toEqual([`${s.revoked.txid}:${vout}`]);
    expect(s.penalty.height).toBe(s.revoked.height + 1);
    expect(s.penalty.broadcastAtTip).toBe(s.revoked.height);
    expect(s.penalty.childTxid).toMatch(/^[0-9a-f]{64}$/);
    expect(penalty.outputs[0]?.value).toBe(BigInt(s.penalty.paid));
    expect(penalty.outputs.at(-1)?.value).toBe(240n);
    expect(s.penalty.paid + s.penalty.fee + s.penalty.anchor).toBe(s.penalty.swept);
    expect(s.penalty.swept).toBe(10_000);
    expect(s.penalty.fee).toBeGreaterThan(0);
    expect(s.penalty.address).toMatch(/^bcrt1p/);
  });

  it('scene 2: the clients’ towers publish the newest state on the LSP’s kickoff; it wins', () => {
    const s = doc.scenes[1];
    const kickoff = s.path.at(-1) as { txid: string; height: number; raw: string };
    expect(txidHex(decodeTx(fromHex(kickoff.raw)))).toBe(kickoff.txid);
    const newest = decodeTx(fromHex(s.newest.raw));
    const stale = decodeTx(fromHex(s.stale.raw));
    expect(txidHex(newest)).toBe(s.newest.txid);
    expect(txidHex(stale)).toBe(s.stale.txid);
    // Both spend the same kickoff output; the newer waits S blocks less (brief §5.2).
    expect(newest.inputs.map(outpoint)).toEqual([`${kickoff.txid}:0`]);
    expect(stale.inputs.map(outpoint)).toEqual(newest.inputs.map(outpoint));
    const lock = (newest.inputs[0]?.sequence as number) & 0xffff;
    expect(((stale.inputs[0]?.sequence as number) & 0xffff) - lock).toBe(s.dwStep);
    // The newest state confirmed the moment its lock allowed, sent by the clients' towers with a child.
    expect(s.newest.lock).toBe(lock);
    expect(s.newest.height).toBe(kickoff.height + lock);
    expect(s.newest.broadcastBy.length).toBeGreaterThan(0);
    expect(s.newest.childTxid).toMatch(/^[0-9a-f]{64}$/);
    // The superseded state was never final before, and is invalid after (its input spent).
    expect(s.stale.refusals.length).toBe(lock);
    expect(new Set(s.stale.refusals)).toEqual(new Set(['non-BIP68-final']));
    expect(s.staleAfter).toBe('missing-inputs');
  });

  it('scene 3: back online, the towers publish the poison (with s_c) and the settlements; amounts per §5.3/§5.4', () => {
    const s = doc.scenes[2];
    const staleTx = decodeTx(fromHex(s.stale.raw));
    expect(txidHex(staleTx)).toBe(s.stale.txid);
    const kickoff = s.path.at(-2) as { txid: string; height: number };
    expect(staleTx.inputs.map(outpoint)).toEqual([`${kickoff.txid}:0`]);
    expect(s.stale.height).toBeGreaterThan(kickoff.height);
    expect(staleTx.outputs[s.stale.lstockVout]?.value).toBe(BigInt(s.stale.lstock));
    // The poison: the L-stock, opened with s_c (sha256(s_c) is the hash in its leaf script).
    const poison = decodeTx(fromHex(s.poison.raw));
    expect(txidHex(poison)).toBe(s.poison.txid);
    expect(poison.inputs.map(outpoint)).toEqual([`${s.stale.txid}:${s.stale.lstockVout}`]);
    const w = poison.inputs[0]?.witness as readonly Uint8Array[];
    expect(w.map((x) => x.length)).toEqual([64, 32, 73, 65]);
    const hash = createHash('sha256')
      .update(w[1] as Uint8Array)
      .digest();
    expect(Buffer.from((w[2] as Uint8Array).subarray(6, 38)).equals(hash)).toBe(true);
    expect(s.poison.height).toBeGreaterThan(s.stale.height);
    // Outputs in placement order: lost_i = max(0, c_i(new) − c_i(old)) + an equal share of
    // R = L-stock − Σ lost − 240 − fee (the remainder to the last), then the anchor.
    const fee = preSignedFee(s.treeFeeRate, poison);
    const lost = s.clients.map((c) => Math.max(0, c.newCapacity - c.oldCapacity));
    // The buyer of the liquidity loses the 4,000 sats it bought; placement order depends on the keys.
    expect([...lost].sort((a, b) => a - b)).toEqual([0, 4_000]);
    const R = s.stale.lstock - lost.reduce((x, y) => x + y, 0) - 240 - fee;
    const share = Math.floor(R / s.clients.length);
    const want = lost.map((l, k) => l + share + (k === lost.length - 1 ? R - share * lost.length : 0));
    expect(poison.outputs.map((o) => [toHex(o.script), Number(o.value)])).toEqual([
      ...s.clients.map((c, k) => [c.closeScript, want[k]]),
      ['51024e73', 240],
    ]);
    expect(s.poison.fee).toBe(fee);
    // Each client's settlement: its old channel output − 240 − fee, to its close address.
    expect(s.settlements.map((x) => x.client).sort()).toEqual(s.clients.map((c) => c.client).sort());
    for (const x of s.settlements) {
      const tx = decodeTx(fromHex(x.raw));
      expect(txidHex(tx)).toBe(x.txid);
      const c = s.clients.find((y) => y.client === x.client) as (typeof s.clients)[number];
      expect(tx.inputs).toHaveLength(1);
      const input = tx.inputs[0] as { prevTxid: Uint8Array; vout: number };
      expect(toDisplayHex(input.prevTxid)).toBe(s.stale.txid);
      expect(staleTx.outputs[input.vout]?.value).toBe(BigInt(c.oldCapacity));
      const sfee = preSignedFee(s.treeFeeRate, tx);
      expect(tx.outputs.map((o) => [toHex(o.script), Number(o.value)])).toEqual([
        [c.closeScript, c.oldCapacity - 240 - sfee],
        ['51024e73', 240],
      ]);
      expect(x.height).toBeGreaterThan(s.stale.height);
    }
    // The two settlements spend different channel outputs.
    expect(new Set(s.settlements.map((x) => decodeTx(fromHex(x.raw)).inputs[0]?.vout)).size).toBe(2);
  });
});
