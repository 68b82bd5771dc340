// Bytes per client (brief §8): a client's signing messages are bounded by its path (O(depth)), the
// proposal is O(N) plus the funding transaction. Measured on factory-tree's shapes for N = 16 and
// N = 256 (mainnet defaults, `suggestShape`), for the client with the deepest path; the figures are
// printed and quoted in the README.
import { buildDistribution, buildTree } from '@superscalar/factory-tree';
import { describe, expect, it } from 'vitest';
import { point, sampleFactoryPropose } from '../scripts/_samples.js';
import { clientLimits, decodeMessage, encodeMessage, lspLimits, type Message } from '../src/index.js';

const pn = Uint8Array.from([...point('n1'), ...point('n2')]);
const psig = new Uint8Array(32).fill(0x11);
const sig = new Uint8Array(64).fill(0x22);
const factoryId = new Uint8Array(32).fill(7);

function figures(N: number) {
  const propose = sampleFactoryPropose(N, 'mainnet');
  const tree = buildTree(propose.proposal);
  const { leafPaths, txs } = tree.layout;
  let leaf = 0;
  leafPaths.forEach((p, i) => {
    if (p.length > (leafPaths[leaf] as readonly number[]).length) leaf = i;
  });
  const path = leafPaths[leaf] as readonly number[];
  const client = (tree.layout.leafClients[leaf] as readonly number[])[0] as number;
  const depth = new Set(path.map((t) => txs[t]?.node)).size;
  const dist = buildDistribution(tree)
    .txs.map((t, i) => ({ i, t }))
    .filter(({ t }) => t.signers.includes(client + 1))
    .map(({ i }) => i);
  const kinds = path.map((t) => ({ tx: t, kind: (txs[t] as { kind: 'kickoff' | 'state' }).kind }));
  const messages: Record<string, Message> = {
    factory_nonces: {
      type: 'factory_nonces',
      factoryId,
      attempt: 0,
      nonces: kinds.map((k) => ({ ...k, pubnonce: pn })),
      distributionNonces: dist.map((index) => ({ index, pubnonce: pn })),
    },
    factory_agg_nonces: {
      type: 'factory_agg_nonces',
      factoryId,
      attempt: 0,
      aggNonces: kinds.map((k) => ({ ...k, aggnonce: pn })),
      distributionAggNonces: dist.map((index) => ({ index, aggnonce: pn })),
    },
    factory_psigs: {
      type: 'factory_psigs',
      factoryId,
      attempt: 0,
      psigs: path.map((tx) => ({ tx, psig })),
      distributionPsigs: dist.map((index) => ({ index, psig })),
    },
    factory_signed: {
      type: 'factory_signed',
      factoryId,
      signatures: path.map((tx) => ({ tx, signature: sig })),
      distributionSignatures: dist.map((index) => ({ index, signature: sig })),
    },
  };
  const sizes = Object.fromEntries(Object.entries(messages).map(([k, m]) => [k, encodeMessage(m).length]));
  const proposeBytes = encodeMessage(propose, { maxSize: 1 << 22 }).length;
  return { N, depth, pathTxs: path.length, dist: dist.length, sizes, messages, propose, proposeBytes, tree };
}

describe('bytes per client', () => {
  const small = figures(16);
  const large = figures(256);
  for (const f of [small, large]) {
    const leaves = f.tree.layout.leafClients.length;
    console.log(
      `N = ${f.N}: depth ${f.depth} (${f.pathTxs} path txs, ${f.dist} distribution txs); ` +
        Object.entries(f.sizes)
          .map(([k, v]) => `${k} ${v} B`)
          .join(', ') +
        `; factory_propose ${f.proposeBytes} B = ${((f.proposeBytes - f.propose.fundingTx.length) / f.N).toFixed(1)} B/client + funding tx ${f.propose.fundingTx.length} B (${leaves} leaves)`,
    );
  }

  it("on the brief's default binary shape (leaf arity 2, fan-out 2) they grow by 71 bytes per transaction of the deeper path", () => {
    const sizeAt = (N: number) => {
      const depth = Math.ceil(Math.log2(Math.ceil(N / 2))) + 1;
      const m: Message = {
        type: 'factory_nonces',
        factoryId,
        attempt: 0,
        nonces: Array.from({ length: 2 * depth }, (_, i) => ({
          tx: i,
          kind: i % 2 ? 'state' : 'kickoff',
          pubnonce: pn,
        })),
        distributionNonces: [0, 1].map((index) => ({ index, pubnonce: pn })),
      };
      const psigs: Message = {
        type: 'factory_psigs',
        factoryId,
        attempt: 0,
        psigs: Array.from({ length: 2 * depth }, (_, tx) => ({ tx, psig })),
        distributionPsigs: [0, 1].map((index) => ({ index, psig })),
      };
      return { depth, nonces: encodeMessage(m).length, psigs: encodeMessage(psigs).length };
    };
    const a = sizeAt(16);
    const b = sizeAt(256);
    console.log(
      `binary shape: N = 16 depth ${a.depth}: factory_nonces ${a.nonces} B, factory_psigs ${a.psigs} B; N = 256 depth ${b.depth}: factory_nonces ${b.nonces} B, factory_psigs ${b.psigs} B`,
    );
    expect(b.nonces - a.nonces).toBe(2 * (b.depth - a.depth) * 71);
    expect(b.nonces).toBeLessThanOrEqual(clientLimits({ depth: b.depth }).factory_nonces as number);
  });

  it('the signing messages are O(depth): entries = path transactions + distribution transactions, not N', () => {
    for (const f of [small, large]) {
      expect(f.pathTxs).toBeLessThanOrEqual(2 * f.depth);
      expect(f.dist).toBeLessThanOrEqual(2);
      // 71 bytes per nonce entry, 36 per partial signature, 68 per signature, plus a fixed frame.
      expect(f.sizes.factory_nonces).toBe(2 + 34 + 3 + 4 + f.pathTxs * 71 + 4 + f.dist * 68);
      expect(f.sizes.factory_psigs).toBe(2 + 34 + 3 + 4 + f.pathTxs * 36 + 4 + f.dist * 34);
    }
    // 16× the clients: the messages grow by the extra levels only.
    const ratio = (large.sizes.factory_nonces as number) / (small.sizes.factory_nonces as number);
    expect(ratio).toBeLessThan((large.pathTxs + 2) / small.pathTxs);
    expect(ratio).toBeLessThan(3);
  });

  it("each message fits the shape's bounds (clientLimits for what a client sends, lspLimits for what it receives)", () => {
    for (const f of [small, large]) {
      const c = clientLimits({ depth: f.depth, pathTxs: f.pathTxs, extensionBytes: 0 });
      const l = lspLimits({ depth: f.depth, pathTxs: f.pathTxs, clients: f.N, extensionBytes: 0 });
      expect(f.sizes.factory_nonces).toBeLessThanOrEqual(c.factory_nonces as number);
      expect(f.sizes.factory_psigs).toBeLessThanOrEqual(c.factory_psigs as number);
      expect(f.sizes.factory_agg_nonces).toBeLessThanOrEqual(l.factory_agg_nonces as number);
      expect(f.sizes.factory_signed).toBeLessThanOrEqual(l.factory_signed as number);
      expect(f.proposeBytes).toBeLessThanOrEqual(l.factory_propose as number);
      const bytes = encodeMessage(f.messages.factory_nonces as Message);
      expect(decodeMessage(bytes, { maxSizeByType: c }).type).toBe('factory_nonces');
    }
  });

  it('the proposal is O(N): at most 106 bytes per client (82 without a profile) and 40 per leaf, plus the funding transaction', () => {
    for (const f of [small, large]) {
      const leaves = f.tree.layout.leafClients.length;
      const fixedPart = 250;
      expect(f.proposeBytes).toBeLessThanOrEqual(
        f.N * 106 + leaves * 40 + f.propose.fundingTx.length + fixedPart,
      );
      expect(f.proposeBytes).toBeGreaterThan(f.N * 82 + f.propose.fundingTx.length);
    }
  });
});
