// A client of a distribution tree (brief §6: above 10,000 vB, 231 clients or more) signs the top and
// its own sub-distribution g, at positions 0 and 1 + g of the distribution. Its factory record must
// key the two signatures by those positions: `replayClientFactory` (what `Client.restore` runs)
// refuses any other, so a record keyed by its own list's index (0, 1) does not rebuild for g ≥ 1.
import { buildClientPath, clientDistribution } from '@superscalar/factory-tree';
import type { BlobRecord, Op } from '@superscalar/persist';
import { describe, expect, test } from 'vitest';
import type { ClientCore, ClientFactory } from '../src/_core.js';
import { readRecord } from '../src/codec.js';
import { saveRecord } from '../src/proposal.js';
import { testFactory } from './_factory.js';

describe('the factory record of a distribution tree’s client', () => {
  test('stores its distribution signatures by position (the top 0, its sub-distribution 1 + g)', () => {
    const f = testFactory(231, 'dist-tree');
    const client = 230; // the last run: sub-distribution 1
    const path = buildClientPath(f.tree.proposal, client);
    const dist = clientDistribution(path);
    expect(dist.distribution.isTree).toBe(true);
    expect(dist.positions).toEqual([0, 2]);
    const ops: Op[] = [];
    const core = { persist: (o: readonly Op[]) => ops.push(...o) } as unknown as ClientCore;
    const sig = (b: number) => new Uint8Array(64).fill(b);
    const factory = {
      idHex: 'ab'.repeat(32),
      factoryIndex: 0,
      clientIndex: client,
      fundingTx: new Uint8Array([2, 0, 0, 0]),
      path,
      dist,
      signatures: { path: path.txs.map(() => sig(1)), dist: [sig(2), sig(3)] },
    } as unknown as ClientFactory;
    saveRecord(core, factory);
    const put = ops[0] as Extract<Op, { op: 'put' }>;
    const stored = readRecord(put.row as BlobRecord);
    expect(stored.record.distributionSignatures.map((e) => [e.index, e.signature[0]])).toEqual([
      [0, 2],
      [2, 3],
    ]);
  });
});
