// Benchmarks: `npx tsx --conditions=source bench/index.ts`
// What a test suite or the embedded demo feels. Each measured transaction is distinct (the script
// interpreter caches verified signatures, as Core does), so these are cold-signature figures:
// accepting a signed P2TR key-path spend (all mempool checks + schnorr verification), a zero-fee TRUC
// parent + P2A CPFP child package, mining a block holding those transactions, mining an empty block.
import { schnorr } from '@noble/curves/secp256k1.js';
import { SimChain, txidHex } from '../src/index.js';
import { key, P2A, p2trKeyPath, type Spendable, spend } from '../src/testing/_txkit.js';

const N = Number(process.env.BENCH_N ?? 300);
const kp = p2trKeyPath(key(1));
const signer = { kind: 'key', priv: kp.priv } as const;
let t = 1_700_000_000;
const chain = new SimChain({ clock: () => (t += 600) });
const fundMany = (n: number): Spendable[] =>
  Array.from({ length: n }, () => {
    const f = chain.fundSync(kp.script, 100_000n);
    return { txid: f.txid, vout: f.vout, value: f.amount, script: kp.script };
  });
const warm = fundMany(20);
const singles = fundMany(N).map(
  (from) => spend({ inputs: [{ from, signer }], outputs: [{ value: 99_000n, script: kp.script }] }).raw,
);
const parents = fundMany(N);
const feeCoins = fundMany(N);
const pkgs = parents.map((from, i) => {
  const parent = spend({
    version: 3,
    inputs: [{ from, signer }],
    outputs: [
      { value: 99_760n, script: kp.script },
      { value: 240n, script: P2A },
    ],
  });
  const child = spend({
    version: 3,
    inputs: [
      { from: { txid: txidHex(parent.tx), vout: 1, value: 240n, script: P2A }, signer: { kind: 'anchor' } },
      { from: feeCoins[i]!, signer },
    ],
    outputs: [{ value: 95_240n, script: kp.script }],
  });
  return [parent.raw, child.raw] as const;
});
for (const from of warm)
  chain.broadcastSync(
    spend({ inputs: [{ from, signer }], outputs: [{ value: 99_000n, script: kp.script }] }).raw,
  );
chain.mineSync(1);

function measure(name: string, n: number, f: (i: number) => void): void {
  const start = performance.now();
  for (let i = 0; i < n; i++) f(i);
  const ms = performance.now() - start;
  console.log(
    `${name.padEnd(66)} ${(ms / n).toFixed(3).padStart(8)} ms/op  ${Math.round((n * 1000) / ms)
      .toString()
      .padStart(6)} op/s  (n=${n})`,
  );
}

const msgs = Array.from({ length: N }, (_, i) =>
  Uint8Array.from({ length: 32 }, (_, j) => (i * 7 + j) & 0xff),
);
const sigs = msgs.map((m) => schnorr.sign(m, kp.priv));
const pub = schnorr.getPublicKey(kp.priv);
measure('baseline: one noble schnorr.verify', N, (i) => schnorr.verify(sigs[i]!, msgs[i]!, pub));
measure('broadcast: P2TR key-path spend (policy + schnorr verify)', N, (i) =>
  chain.broadcastSync(singles[i]!),
);
measure('broadcastPackage: zero-fee v3 parent + P2A CPFP child', N, (i) =>
  chain.broadcastPackageSync(...pkgs[i]!),
);
measure(`mineSync(1) with ${chain.mempool().length} mempool transactions`, 1, () => chain.mineSync(1));
measure('mineSync(1), empty block', 1000, () => chain.mineSync(1, { empty: true }));
