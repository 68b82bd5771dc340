import { describe, expect, it } from 'vitest';
import {
  checkProposal,
  createProposal,
  deriveT,
  InvalidArgumentError,
  InvalidProposalError,
  layoutTree,
  MAX_EXIT_BUDGET,
  type Proposal,
  proposalDefaults,
  suggestShape,
  tDist,
  treeTxVsize,
} from '../src/index.js';
import { makeProposal, participants, thrown } from './_fixtures.js';

/** Expects an InvalidProposalError naming `field` with `figure`. */
function rejects(f: () => unknown, field: string | RegExp, figure?: number | bigint | string) {
  const e = thrown(f);
  expect(InvalidProposalError.isInstance(e) && e instanceof InvalidProposalError).toBe(true);
  const err = e as InvalidProposalError;
  if (typeof field === 'string') expect(err.field).toBe(field);
  else expect(err.field).toMatch(field);
  if (figure !== undefined) expect(err.figure).toBe(figure);
  expect(err.code).toBe('TREE_INVALID_PROPOSAL');
  expect(err.message).toContain(String(err.figure));
  return err;
}

const base = () => makeProposal({ N: 4 }).proposal;
const withFields = (p: Proposal, o: Partial<Proposal>): Proposal => ({ ...p, ...o });

describe('§2 defaults', () => {
  it('regtest and mainnet defaults follow the table', () => {
    expect(proposalDefaults('regtest')).toMatchObject({
      dw: { K: 4, S: 10 },
      activeBlocks: 20,
      dyingBlocks: 10,
      exitMargin: 10,
      fundingTimeout: 10,
      minimumDepth: 1,
      lStockCsv: 10,
      toSelfDelay: 6,
      leafArity: 2,
      levelArity: [2],
      staticLevels: 0,
      timeoutStep: 5,
      treeFeeRate: 1000,
      htlcBudget: 72,
    });
    expect(proposalDefaults('mainnet')).toMatchObject({
      dw: { K: 4, S: 144 },
      activeBlocks: 4320,
      dyingBlocks: 432,
      exitMargin: 144,
      fundingTimeout: 144,
      minimumDepth: 3,
      lStockCsv: 144,
      toSelfDelay: 144,
    });
  });

  it('§6: T = T_dist + exitDelay + exitMargin + m_max·timeoutStep', () => {
    const p = base();
    // N = 4: 2 leaves under a state root: 2 DW layers of 10·3; the longest path has 4 transactions.
    expect(tDist(p)).toBe(p.proposalHeight + 20 + 10 + 10);
    expect(p.T).toBe(tDist(p) + 60 + 10 + 3 * 5);
    expect(deriveT(p)).toBe(p.T);
  });
});

describe('§2 rejections: a typed error naming the field and the figure', () => {
  it('N = 0', () => {
    rejects(() => makeProposal({ N: 0 }), 'clients.length', 0);
  });

  it('duplicate keys (client/client and client/LSP)', () => {
    const p = base();
    const clients = [...p.clients];
    clients[2] = {
      ...(clients[2] as Proposal['clients'][number]),
      key: (clients[0] as Proposal['clients'][number]).key,
    };
    const e = rejects(() => checkProposal(withFields(p, { clients })), 'clients[2].key');
    expect(e.message).toContain('clients[0].key');
    const c2 = [...p.clients];
    c2[1] = { ...(c2[1] as Proposal['clients'][number]), key: p.lsp.key };
    rejects(() => checkProposal(withFields(p, { clients: c2 })), 'clients[1].key');
  });

  it('a channel output below dust', () => {
    rejects(
      () => makeProposal({ N: 4, capacity: (i) => (i === 3 ? 329n : 10_000n) }),
      'clients[3].capacity',
      329n,
    );
  });

  it('an L-stock below dust after fees (default split), and an explicit one', () => {
    const p = base();
    const need = p.funding.amount - layoutTree(p).lStock.reduce((a, b) => a + b, 0n);
    rejects(
      () => checkProposal(withFields(p, { funding: { ...p.funding, amount: need + 2n * 329n } })),
      'lStock[0]',
      329n,
    );
    rejects(
      () =>
        checkProposal(withFields(p, { lStock: [100n, p.funding.amount - need - 100n], funding: p.funding })),
      'lStock[0]',
      100n,
    );
  });

  it('a funding amount below the requirement, or different from the explicit L-stocks’ requirement', () => {
    const p = base();
    const ls = layoutTree(p).lStock;
    rejects(
      () => checkProposal(withFields(p, { funding: { ...p.funding, amount: 1_000n } })),
      'funding.amount',
      1_000n,
    );
    const e = rejects(
      () =>
        checkProposal(
          withFields(p, { lStock: [...ls], funding: { ...p.funding, amount: p.funding.amount + 1n } }),
        ),
      'funding.amount',
      p.funding.amount + 1n,
    );
    expect(e.limit).toBe(p.funding.amount);
    // Exactly the requirement is accepted.
    expect(() => checkProposal(withFields(p, { lStock: [...ls] }))).not.toThrow();
  });

  it('S·(K−1) above 65,535 (BIP68 holds 16 bits)', () => {
    rejects(() => makeProposal({ N: 2, overrides: { dw: { K: 256, S: 258 } } }), 'dw.S·(dw.K−1)', 65_790);
  });

  it('K outside 2..256', () => {
    rejects(() => makeProposal({ N: 2, overrides: { dw: { K: 1, S: 10 } } }), 'dw.K', 1);
    rejects(() => makeProposal({ N: 2, overrides: { dw: { K: 257, S: 1 } } }), 'dw.K', 257);
  });

  it('a fan-out above 200; 200 itself stays under the TRUC limit', () => {
    rejects(() => makeProposal({ N: 4, levelArity: [2, 201] }), 'levelArity[1]', 201);
    rejects(() => makeProposal({ N: 4, levelArity: [1] }), 'levelArity[0]', 1);
    // The widest legal node: 200 child outputs + anchor.
    expect(treeTxVsize(200)).toBeLessThan(10_000);
    expect(treeTxVsize(230)).toBeLessThan(10_000);
    expect(treeTxVsize(231)).toBeGreaterThan(10_000);
  });

  it('exitDelay + toSelfDelay + htlcBudget above 1,584 (mainnet, 64 clients in leaves of 1, binary)', () => {
    const e = rejects(
      () => makeProposal({ N: 64, leafArity: 1, network: 'mainnet', capacity: 1_000n }),
      'exitDelay + toSelfDelay + htlcBudget',
      7 * 432 + 144 + 72, // 64 leaves under a binary root: 7 state levels
    );
    expect(e.limit).toBe(MAX_EXIT_BUDGET);
    expect(e.message).toContain('suggestShape');
  });

  it('a T that is not exactly the derived value; a T at or above 500,000,000', () => {
    const p = base();
    rejects(() => checkProposal(withFields(p, { T: p.T + 1 })), 'T', p.T + 1);
    rejects(() => makeProposal({ N: 2, proposalHeight: 499_999_950 }), 'T');
  });

  it('fundingTimeout ≥ activeBlocks', () => {
    rejects(
      () => makeProposal({ N: 2, overrides: { fundingTimeout: 20, activeBlocks: 20 } }),
      'fundingTimeout',
      20,
    );
  });

  it('a path whose smallest T_k is below proposalHeight + exitDelay + pathTxs + exitMargin', () => {
    // 64 leaves of 1 client: 14 transactions per path, more than activeBlocks + dyingBlocks + 10 = 12.
    const e = rejects(
      () =>
        makeProposal({
          N: 64,
          leafArity: 1,
          capacity: 1_000n,
          overrides: { activeBlocks: 2, fundingTimeout: 1, dyingBlocks: 0 },
        }),
      /^T_k \(leaf \d+\)$/,
    );
    expect(Number(e.figure)).toBeLessThan(Number(e.limit));
  });

  it('malformed fields are InvalidArgumentError naming the path', () => {
    const p = base();
    const bad = [...p.clients];
    bad[1] = { ...(bad[1] as Proposal['clients'][number]), closeScript: new Uint8Array(34) };
    const e = thrown(() => checkProposal(withFields(p, { clients: bad })));
    expect(InvalidArgumentError.isInstance(e) && (e as InvalidArgumentError).argument).toBe(
      'clients[1].closeScript',
    );
    const e2 = thrown(() => checkProposal(withFields(p, { poisonHashes: p.poisonHashes.slice(1) })));
    expect((e2 as InvalidArgumentError).argument).toBe('poisonHashes');
    const badKey = [...p.clients];
    badKey[0] = {
      ...(badKey[0] as Proposal['clients'][number]),
      key: Uint8Array.of(5, ...new Uint8Array(32).fill(2)),
    };
    const e3 = thrown(() => checkProposal(withFields(p, { clients: badKey })));
    expect((e3 as InvalidArgumentError).argument).toBe('clients[0].key');
  });

  it('placement rules are stable sorts (ties keep clients[] order)', () => {
    const { pks } = participants(4, 'place');
    const profiles = [
      { contribution: 5n, uptime: 3, timezone: 1 },
      { contribution: 1n, uptime: 1, timezone: 1 },
      { contribution: 5n, uptime: 2, timezone: 0 },
      { contribution: 2n, uptime: 1, timezone: 2 },
    ];
    const order = (placement: Proposal['placement']) => {
      const { proposal } = makeProposal({ N: 4, tag: 'place' });
      const clients = proposal.clients.map((c, i) => ({ ...c, profile: profiles[i] }));
      const p = createProposal({ ...proposal, clients, placement, T: undefined } as never);
      return layoutTree(p).order;
    };
    expect(pks.length).toBe(5);
    expect(order('sequential')).toEqual([0, 1, 2, 3]);
    expect(order('inward')).toEqual([1, 3, 0, 2]);
    expect(order('outward')).toEqual([1, 3, 2, 0]);
    expect(order('timezone')).toEqual([2, 0, 1, 3]);
  });
});

describe('§3.4 suggestShape', () => {
  it('N = 1,024 at S = 144, K = 4, toSelfDelay 144: the shallowest shape inside 1,584 blocks', () => {
    const s = suggestShape(1024, { K: 4, S: 144 }, 144);
    expect(s).toBeDefined();
    const shape = s as NonNullable<typeof s>;
    expect(shape.exitDelay + 144 + 72).toBeLessThanOrEqual(MAX_EXIT_BUDGET);
    expect(shape.exitDelay).toBe(shape.layerCount * 432);
    // The binary tree (10 layers, 4,320 blocks) is impossible; whatever is suggested is shallower than
    // the brief's [2,4,8] with two static levels (3 layers, 8 path transactions).
    expect(shape.maxPathTxs).toBeLessThanOrEqual(8);
    expect(Math.max(...shape.levelArity)).toBeLessThanOrEqual(200);
  });

  it('N = 4: one static root over two leaves (3 transactions per path)', () => {
    expect(suggestShape(4, { K: 4, S: 144 }, 144)).toMatchObject({
      levelArity: [2],
      staticLevels: 1,
      maxPathTxs: 3,
      layerCount: 1,
    });
  });

  it('undefined when no shape fits (one layer alone is above the budget)', () => {
    expect(suggestShape(16, { K: 256, S: 255 }, 144)).toBeUndefined();
  });

  it('a suggested shape builds a valid mainnet proposal', () => {
    const s = suggestShape(8, { K: 4, S: 144 }, 144) as NonNullable<ReturnType<typeof suggestShape>>;
    const { proposal } = makeProposal({
      N: 8,
      network: 'mainnet',
      levelArity: s.levelArity,
      staticLevels: s.staticLevels,
    });
    expect(layoutTree(proposal).exitDelay).toBe(s.exitDelay);
  });
});
