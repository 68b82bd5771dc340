// Benchmarks of @superscalar/wallet: coin selection over 10,000 UTXOs and a rescan of 1,000 SimChain
// blocks. `npx tsx --conditions=source bench/index.ts` (under a minute). Prints a Markdown table.
import { BlockFollower, SimChain } from '@superscalar/chain';
import { Bip86Account } from '@superscalar/keys';
import { followWallet, P2TR_OUTPUT_WEIGHT, selectCoins, Wallet } from '../src/index.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const rows: string[] = [];
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function time(name: string, runs: number, f: () => unknown): void {
  f(); // warm up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  rows.push(`| ${name} | ${runs} | ${median(ms).toFixed(2)} ms | ${Math.max(...ms).toFixed(2)} ms |`);
}

// --- coin selection over 10,000 UTXOs
let x = 12345;
const rand = () => {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  return x;
};
const coins = Array.from({ length: 10_000 }, (_, id) => ({
  id,
  value: BigInt(1_000 + (rand() % 5_000_000)),
}));
const FIXED = 42 + P2TR_OUTPUT_WEIGHT;
const feeRate = 5_000;
// a target some pair matches exactly (BnB succeeds), and one no subset matches cheaply (BnB exhausts its tries)
const a = coins[11]!;
const b = coins[7777]!;
const inputFee = BigInt(Math.ceil((58 * feeRate) / 1000));
const fixedFee = BigInt(Math.ceil((Math.ceil(FIXED / 4) * feeRate) / 1000));
const matchTarget = a.value + b.value - 2n * inputFee - fixedFee;
let algo = '';
time('select 10,000 UTXOs: BnB finds a changeless match', 20, () => {
  algo = selectCoins({ candidates: coins, target: matchTarget, fixedWeight: FIXED, feeRate }).algorithm;
});
rows.push(`|   (algorithm: ${algo}) | | | |`);
// round amounts (multiples of 0.001 BTC): no subset lands within the cost of change of this target
const round = Array.from({ length: 10_000 }, (_, id) => ({
  id,
  value: 100_000n * BigInt(1 + (rand() % 50)),
}));
time('select 10,000 UTXOs: BnB exhausts 100,000 tries, then largest-first', 10, () => {
  algo = selectCoins({ candidates: round, target: 5_050_000n, fixedWeight: FIXED, feeRate }).algorithm;
});
rows.push(`|   (algorithm: ${algo}) | | | |`);
time('select 10,000 UTXOs: funding (change required, largest-first)', 20, () =>
  selectCoins({ candidates: coins, target: 250_000_000n, fixedWeight: FIXED, feeRate, requireChange: true }),
);

// --- rescan of 1,000 blocks
const account = Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest' });
const chain = new SimChain();
chain.mineSync(101);
const birth = chain.height + 1;
let paid = 0;
for (let i = 0; i < 1_000; i++) {
  if (i % 10 === 0) {
    chain.fundSync(
      account.deriveKey(i % 20 === 0 ? 0 : 1, Math.floor(i / 20)).scriptPubKey,
      10_000n + BigInt(i),
    ); // mines 1 block
    paid++;
  } else chain.mineSync(1);
}
const blocks = chain.height - birth + 1;
const rescan = async (): Promise<{ ms: number; ops: number; coins: number }> => {
  const created = Wallet.create({ account, birthHeight: birth });
  let ops = 0;
  const follower = new BlockFollower(chain, { batchSize: 100 });
  followWallet({
    wallet: created.wallet,
    follower,
    commit: async (o) => {
      ops += o.length;
    },
  });
  const t = performance.now();
  await follower.poll();
  return { ms: performance.now() - t, ops, coins: created.wallet.coins().length };
};
const scans: number[] = [];
let last = { ms: 0, ops: 0, coins: 0 };
for (let i = 0; i < 5; i++) {
  last = await rescan();
  scans.push(last.ms);
}
rows.push(
  `| rescan ${blocks} SimChain blocks from the birth height (${paid} payments, found ${last.coins}) | 5 | ${median(scans).toFixed(0)} ms | ${Math.max(...scans).toFixed(0)} ms |`,
);
rows.push(
  `|   (${last.ops} persist ops returned, ${(blocks / (median(scans) / 1000)).toFixed(0)} blocks/s) | | | |`,
);

console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
console.log('| benchmark | runs | median | max |\n|---|---|---|---|');
for (const r of rows) console.log(r);
