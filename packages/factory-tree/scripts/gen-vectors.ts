// Writes the package's own factory-tree vectors (vectors/*.json): for fixed inputs (bench/_fixture.ts)
// the full proposal, the shape, the funding output and every transaction's fields, txid and sighash.
//
//   cd packages/factory-tree && npx tsx --conditions=source scripts/gen-vectors.ts
//
// Rerun it whenever the tree builder changes on purpose; test/vectors.test.ts fails loudly until then.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  C_SHAPE,
  DEFAULT_SHAPE,
  FUNDING_TXID,
  fixtureInput,
  fixtureSecretKeys,
  LSTOCK_SEED,
  type Shape,
} from '../bench/_fixture.js';
import { buildTree, createProposal, type FactoryTree, type Proposal, unsignedTxBytes } from '../src/index.js';

/** One vector file. */
export interface VectorSpec {
  readonly file: string;
  readonly N: number;
  readonly shape: Shape;
  readonly comment: string;
}

/** The published vectors. */
export const VECTOR_SPECS: readonly VectorSpec[] = [
  { file: 'regtest-n1.json', N: 1, shape: DEFAULT_SHAPE, comment: 'one client: a single leaf, root = leaf' },
  { file: 'regtest-n2.json', N: 2, shape: DEFAULT_SHAPE, comment: 'two clients in one leaf' },
  {
    file: 'regtest-n4.json',
    N: 4,
    shape: DEFAULT_SHAPE,
    comment: 'brief §3.1: N = 4, leaf arity 2 → 6 transactions',
  },
  {
    file: 'regtest-n5.json',
    N: 5,
    shape: DEFAULT_SHAPE,
    comment: 'odd N: the last leaf holds one client; uneven tree',
  },
  {
    file: 'regtest-n64.json',
    N: 64,
    shape: DEFAULT_SHAPE,
    comment: 'brief §3.1: N = 64, leaf arity 2 → 126 transactions',
  },
  {
    file: 'regtest-n16-static.json',
    N: 16,
    shape: { leafArity: 2, levelArity: [2, 4, 8], staticLevels: 1 },
    comment: 'levelArity [2,4,8] with one static level (kickoff-only root), as §3.4 suggests for large N',
  },
  {
    file: 'regtest-n4-c-shape.json',
    N: 4,
    shape: C_SHAPE,
    comment: "the C implementation's shape: leaf arity 1, binary",
  },
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The JSON form of the proposal (every §2 field; bigints as decimal strings, bytes as hex). */
export function proposalJson(p: Proposal) {
  return {
    network: p.network,
    proposalHeight: p.proposalHeight,
    lsp: { key: hex(p.lsp.key), closeScript: hex(p.lsp.closeScript) },
    clients: p.clients.map((c) => ({
      key: hex(c.key),
      closeScript: hex(c.closeScript),
      capacity: c.capacity.toString(),
      balance: c.balance.toString(),
    })),
    placement: p.placement,
    leafArity: p.leafArity,
    levelArity: [...p.levelArity],
    staticLevels: p.staticLevels,
    dw: { K: p.dw.K, S: p.dw.S },
    lStock: p.lStock === undefined ? null : p.lStock.map(String),
    treeFeeRate: p.treeFeeRate,
    timeoutStep: p.timeoutStep,
    activeBlocks: p.activeBlocks,
    dyingBlocks: p.dyingBlocks,
    exitMargin: p.exitMargin,
    fundingTimeout: p.fundingTimeout,
    minimumDepth: p.minimumDepth,
    commitFeeRate: p.commitFeeRate,
    lStockCsv: p.lStockCsv,
    toSelfDelay: p.toSelfDelay,
    htlcBudget: p.htlcBudget,
    T: p.T,
    funding: { txid: p.funding.txid, vout: p.funding.vout, amount: p.funding.amount.toString() },
    poisonHashes: p.poisonHashes.map(hex),
  };
}

/** The JSON form of a built tree. */
export function treeJson(t: FactoryTree) {
  const { shape } = t.layout;
  return {
    shape: {
      leaves: shape.leaves.length,
      nodes: shape.nodes.length,
      levels: Math.max(...shape.nodes.map((n) => n.depth)) + 1,
      layers: shape.layerCount,
      staticNodes: shape.staticCount,
      exitDelay: t.layout.exitDelay,
      placementOrder: [...t.layout.order],
      leafClients: t.layout.leafClients.map((l) => [...l]),
      lStock: t.layout.lStock.map(String),
      nodeList: shape.nodes.map((n) => ({
        id: n.id,
        parent: n.parent,
        depth: n.depth,
        static: n.static,
        leaf: n.leaf,
        layer: n.layer,
        children: [...n.children],
      })),
      leafPaths: t.layout.leafPaths.map((p) => [...p]),
    },
    funding: {
      internalKey: hex(t.funding.internalKey),
      outputKey: hex(t.funding.outputKey),
      script: hex(t.funding.script),
    },
    totalFees: t.layout.totalFees.toString(),
    transactions: t.txs.map((tx) => ({
      index: tx.index,
      node: tx.node,
      kind: tx.kind,
      k: tx.k,
      parent: tx.parent,
      parentVout: tx.parentVout,
      signers: [...tx.signers],
      txid: tx.txid,
      sighash: hex(tx.sighash),
      version: tx.tx.version,
      locktime: tx.tx.locktime,
      nSequence: tx.tx.inputs[0]?.sequence,
      inputAmount: tx.inputAmount.toString(),
      spentScript: hex(tx.spent.script),
      spentInternalKey: hex(tx.spentTaproot.internalKey),
      spentOutputKey: hex(tx.spentTaproot.outputKey),
      fee: tx.fee.toString(),
      vsize: tx.vsize,
      outputs: tx.tx.outputs.map((o, i) => ({
        value: o.value.toString(),
        script: hex(o.script),
        role: tx.outputRoles[i]?.kind,
      })),
      unsignedHex: hex(unsignedTxBytes(tx)),
    })),
  };
}

/** The whole file for one spec. */
export function vectorFile(spec: VectorSpec) {
  const p = createProposal(fixtureInput(spec.N, spec.shape));
  const t = buildTree(p);
  return {
    description: `SuperScalar-TS factory tree, N = ${spec.N}: ${spec.comment}. Network regtest with brief §2's regtest defaults for every field not listed as chosen below.`,
    generator:
      'packages/factory-tree/scripts/gen-vectors.ts (npx tsx --conditions=source scripts/gen-vectors.ts)',
    chosen: {
      secretKeys: 'participant p (0 = LSP, i + 1 = clients[i]) has secret key p + 1 as 32 bytes big-endian',
      closeScripts: 'P2TR of the x-only public key of secret key 2^32 + p + 1 (untweaked; test data only)',
      funding: `txid ${FUNDING_TXID} (SHA256 of "superscalar-ts/factory-tree/vectors/funding"), vout 0, amount N × 150,000 sats`,
      clients: 'capacity 100,000 and balance 50,000 sats each; placement sequential',
      lStockSeed: `${hex(LSTOCK_SEED)} (poison hashes: sha256 of the shachain secret at index 2^48 − 1 − j for leaf j)`,
      shape: spec.shape,
    },
    secretKeys: fixtureSecretKeys(spec.N).map(hex),
    proposal: proposalJson(p),
    ...treeJson(t),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
  const files = VECTOR_SPECS.map((spec) => {
    const file = join(dir, spec.file);
    writeFileSync(file, `${JSON.stringify(vectorFile(spec), null, 2)}\n`);
    return file;
  });
  // The repository's formatter owns the layout of JSON files: apply it so a fresh run is lint-clean.
  execFileSync('npx', ['biome', 'format', '--write', ...files], { stdio: 'inherit' });
  for (const spec of VECTOR_SPECS) console.log(`wrote vectors/${spec.file}`);
}
