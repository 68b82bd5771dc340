// The tower's block scan with 100,000 entries, and its memory.
//   NODE_OPTIONS=--expose-gc npx tsx --conditions=source bench/index.ts [--no-sqlite]
// 1. Embedded (indexed): the index of 100,000 entries (heap after a forced GC, against the heap before),
//    then blocks of 2,000 transactions (none a trigger) through `triggersIn` alone and through the whole
//    `handle` (the fee wallet applies every block too), blocks/s.
// 2. Standalone (no index): the same blocks looked up, one query per transaction, in a SQLite store
//    holding the 100,000 entries (`storeEntrySource(store).rows(block txids)`), blocks/s.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainBlock } from '@superscalar/chain';
import { toHex } from '@superscalar/core';
import { Bip86Account, Keychain } from '@superscalar/keys';
import type { Op } from '@superscalar/persist';
import { openSqliteStore } from '@superscalar/persist/sqlite';
import { decodeTx, displayHex, encodeTx, P2A_SCRIPT, type Tx, txidBytes, txidOf } from '@superscalar/tx';
import { Wallet } from '@superscalar/wallet';
import { penaltyEntries, storeEntrySource, Watchtower } from '../src/index.js';
import { storeCommit } from '../src/node/index.js';

const ENTRIES = 100_000;
const TXS_PER_BLOCK = 2_000;
const BLOCKS = 200;
const LOOKUP_BLOCKS = 5;
const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

function p2tr(): Uint8Array {
  return Uint8Array.of(0x51, 0x20, ...randomBytes(32));
}

/** A signed-looking 1-input 2-output P2TR transaction (~154 vB). */
function someTx(): Uint8Array {
  const tx: Tx = {
    version: 2,
    locktime: 0,
    inputs: [{ txidBytes: randomBytes(32), vout: 0, sequence: 0xfffffffd }],
    outputs: [
      { value: 50_000n, script: p2tr() },
      { value: 20_000n, script: p2tr() },
    ],
  };
  return encodeTx(tx, [[randomBytes(64)]]);
}

function entryOps(i: number): Op[] {
  const trigger = displayHex(randomBytes(32));
  const response: Tx = {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: txidBytes(trigger), vout: 0, sequence: 0xfffffffd }],
    outputs: [
      { value: 10_000n, script: p2tr() },
      { value: 240n, script: P2A_SCRIPT },
    ],
  };
  return [
    ...penaltyEntries({
      factoryId: Uint8Array.of(0xfa, i % 256),
      copies: [
        {
          funding: { txid: trigger, vout: 0 },
          commitmentTxid: trigger,
          penalties: [encodeTx(response, [[randomBytes(64)]])],
        },
      ],
    }).ops,
  ];
}

function newTower(index: boolean): Watchtower {
  const account = Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest', account: 9 });
  const { wallet } = Wallet.create({ account, birthHeight: 1, walletId: 'tower-main' });
  return Watchtower.create({ wallet, birthHeight: 1, index }).tower;
}

function blocks(count: number): ChainBlock[] {
  const txs = Array.from({ length: TXS_PER_BLOCK }, someTx);
  const txids = txs.map((t) => txidOf(decodeTx(t)));
  const out: ChainBlock[] = [];
  let prev = '00'.repeat(32);
  for (let h = 1; h <= count; h++) {
    const hash = toHex(randomBytes(32));
    out.push({ height: h, hash, prevHash: prev, time: h, mediantime: h, txs, txids });
    prev = hash;
  }
  return out;
}

const feeRates = { cpfp: 2_000, urgent: 10_000 };
const empty = { entries: [], secrets: [], factories: [] };
const rows: string[] = [];
const line = (what: string, value: string) => {
  rows.push(`| ${what} | ${value} |`);
  console.log(`${what}: ${value}`);
};

const t0 = performance.now();
const chainBlocks = blocks(BLOCKS);

// 1. embedded
const before = heapMB();
const tower = newTower(true);
for (let i = 0; i < ENTRIES; i++) tower.ingest(entryOps(i));
const withIndex = heapMB();
line('entries in the index', `${tower.indexedEntries?.toLocaleString('en')}`);
line(
  'index memory (heap after GC)',
  `${(withIndex - before).toFixed(1)} MB, ${Math.round(((withIndex - before) * 2 ** 20) / ENTRIES)} bytes/entry${gc ? '' : ' (no --expose-gc: includes garbage)'}`,
);

let s = performance.now();
let hits = 0;
for (const b of chainBlocks) hits += tower.triggersIn(b).length;
let dt = (performance.now() - s) / 1000;
line(
  `triggersIn, blocks of ${TXS_PER_BLOCK} txs`,
  `${Math.round(BLOCKS / dt).toLocaleString('en')} blocks/s (${hits} hits)`,
);

s = performance.now();
for (const b of chainBlocks) tower.handle({ type: 'connected', block: b, rows: empty, feeRates });
dt = (performance.now() - s) / 1000;
line(
  `handle(connected), blocks of ${TXS_PER_BLOCK} txs (fee wallet included)`,
  `${(BLOCKS / dt).toFixed(0)} blocks/s (${((dt / BLOCKS) * 1000).toFixed(1)} ms/block)`,
);
line(
  'heap after the scan',
  `${heapMB().toFixed(1)} MB (process RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB)`,
);

// 2. standalone over SQLite
if (!process.argv.includes('--no-sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'tower-bench-'));
  const keys = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
  const store = await openSqliteStore({ path: join(dir, 'role.db'), sealingKey: keys.storeSealingKey() });
  const commit = await storeCommit(store);
  s = performance.now();
  for (let i = 0; i < ENTRIES; i += 5_000) {
    const ops: Op[] = [];
    for (let k = i; k < i + 5_000; k++) ops.push(...entryOps(k));
    await commit(ops);
  }
  line(
    `writing ${ENTRIES.toLocaleString('en')} entries to SQLite (${ENTRIES / 5_000} updates)`,
    `${((performance.now() - s) / 1000).toFixed(1)} s`,
  );
  const source = storeEntrySource(store);
  const lookup = newTower(false);
  s = performance.now();
  for (const b of chainBlocks.slice(0, LOOKUP_BLOCKS)) await source.rows(lookup.triggersIn(b));
  dt = (performance.now() - s) / 1000;
  line(
    `standalone lookups in SQLite, blocks of ${TXS_PER_BLOCK} txs`,
    `${(LOOKUP_BLOCKS / dt).toFixed(1)} blocks/s (${((dt / LOOKUP_BLOCKS / TXS_PER_BLOCK) * 1e6).toFixed(0)} µs per transaction)`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\n| measure | figure |\n| --- | --- |\n${rows.join('\n')}`);
console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s, Node ${process.version}`);
