// The client record's size beyond the proposal grows with the depth only: equal for two factories of
// equal depth whatever N, and the figures at N = 16, 256 and 1,024 (printed).
import { describe, expect, it } from 'vitest';
import { clientDistribution } from '../src/clientDistribution.js';
import { buildClientPath } from '../src/clientPath.js';
import { type ClientFactoryRecord, clientFactoryRecord } from '../src/clientRecord.js';
import { clientRecordSizes } from '../src/clientRecordCodec.js';
import { makeProposal } from './_fixtures.js';

interface Sized {
  readonly N: number;
  readonly shape: string;
  readonly stateNodes: number;
  readonly pathTxs: number;
  readonly distTxs: number;
  readonly channels: number;
  readonly total: number;
  readonly proposal: number;
  readonly path: number;
  readonly unsignedPath: number;
}

/** The record of the client in the middle of the placement order, with every signature it ever holds. */
function sized(N: number, levelArity: readonly number[]): Sized {
  const { proposal } = makeProposal({ N, levelArity, tag: 'size' });
  const client = Math.floor(N / 2);
  const path = buildClientPath(proposal, client);
  const cd = clientDistribution(path);
  const sig = new Uint8Array(64).fill(7);
  const signed: ClientFactoryRecord = clientFactoryRecord(path, {
    path: path.txs.map(() => sig),
    distribution: cd.positions.map((index) => ({ index, signature: sig })),
  });
  const s = clientRecordSizes(signed);
  return {
    N,
    shape: `[${levelArity.join(',')}]`,
    stateNodes: path.state.states.length,
    pathTxs: path.txs.length,
    distTxs: cd.positions.length,
    channels: path.state.allocation.capacities.length,
    ...s,
    unsignedPath: clientRecordSizes(clientFactoryRecord(path)).path,
  };
}

function print(rows: readonly Sized[]): void {
  console.log(
    '| N | levelArity | state nodes | path txs | dist txs | proposal B | beyond the proposal B (unsigned) | total B |',
  );
  for (const r of rows)
    console.log(
      `| ${r.N} | ${r.shape} | ${r.stateNodes} | ${r.pathTxs} | ${r.distTxs} | ${r.proposal} | ${r.path} (${r.unsignedPath}) | ${r.total} |`,
    );
}

describe('client record size', () => {
  it('beyond the proposal: identical for equal depths (N = 64 vs 256, 256 vs 1,024), growing with depth only', {
    timeout: 300_000,
  }, () => {
    const rows = [
      sized(64, [32]), // 32 leaves under the root: 2 state nodes on every path
      sized(256, [128]), // 128 leaves under the root: same depth, 4× the clients
      sized(256, [8, 16]), // 3 state nodes
      sized(1024, [8, 64]), // 3 state nodes, 4× the clients
    ];
    print(rows);
    const [a, b, c, d] = rows as [Sized, Sized, Sized, Sized];
    expect([a.stateNodes, a.pathTxs]).toEqual([b.stateNodes, b.pathTxs]);
    expect([c.stateNodes, c.pathTxs]).toEqual([d.stateNodes, d.pathTxs]);
    // The path state and path signatures: the same bytes whatever N.
    expect(a.unsignedPath).toBe(b.unsignedPath);
    expect(c.unsignedPath).toBe(d.unsignedPath);
    // With the distribution's signatures: N ≤ 230 fits one distribution transaction, beyond it each
    // client signs the top one and its own sub-distribution (one more 66-byte entry), then no more.
    expect(b.path - a.path).toBe(66 * (b.distTxs - a.distTxs));
    expect([a.distTxs, b.distTxs]).toEqual([1, 2]);
    expect(c.path).toBe(d.path);
    // The proposal is what grows with N: about 101 bytes per client in this format (key, close
    // address, capacity, balance, profile flag, and half a leaf's poison hash).
    expect(d.proposal).toBeGreaterThan(3.9 * c.proposal);
  });

  it('figures at N = 16, 256, 1,024 (binary shapes: the depth grows with log N)', {
    timeout: 300_000,
  }, () => {
    const rows = [sized(16, [2]), sized(256, [2]), sized(1024, [2])];
    print(rows);
    const [a, b, c] = rows as [Sized, Sized, Sized];
    // per extra state node: 5 bytes of state and two transactions' signatures (64 each)
    expect(c.unsignedPath - b.unsignedPath).toBe(5 * (c.stateNodes - b.stateNodes));
    expect(b.unsignedPath - a.unsignedPath).toBe(5 * (b.stateNodes - a.stateNodes));
    // the module comment's formula, byte for byte
    for (const r of rows) {
      expect(r.unsignedPath).toBe(9 + 56 + 5 * r.stateNodes + 8 * r.channels);
      const sigs = 1 + 64 * r.pathTxs;
      expect(r.path).toBe(r.unsignedPath + 1 + (sigs < 0xfd ? 1 : 3) + sigs + 3 + 66 * r.distTxs);
    }
  });
});
