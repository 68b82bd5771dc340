// Test harness: a wallet on SimChain with a block follower and an in-memory "store" that applies the
// wallet's operations the way persist does (put replaces by key, delete removes), in one sequence.
import { schnorr } from '@noble/curves/secp256k1.js';
import { BlockFollower, SimChain } from '@superscalar/chain';
import { Bip86Account } from '@superscalar/keys';
import type { BlobRecord, Op } from '@superscalar/persist';
import { encodeTx, P2A_SCRIPT, TaprootSighasher, type Tx, txidBytes } from '@superscalar/tx';
import { type Commit, followWallet, Wallet } from '../src/index.js';

export const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

/** A map of blobs that applies ops like persist's `blobs` table, with an update counter. */
export class MemoryBlobs {
  readonly rows = new Map<string, BlobRecord>();
  updates = 0;
  readonly commit: Commit = async (ops) => {
    this.apply(ops);
  };
  apply(ops: readonly Op[]): void {
    this.updates++;
    for (const op of ops) {
      if (op.op === 'put' && op.table === 'blobs') this.rows.set(op.row.key, op.row);
      else if (op.op === 'delete' && op.table === 'blobs') this.rows.delete((op.key as { key: string }).key);
      else throw new Error(`unexpected op ${op.op}`);
    }
  }
  list(): BlobRecord[] {
    return [...this.rows.values()];
  }
}

export function account(n = 0): Bip86Account {
  return Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest', account: n });
}

export interface Rig {
  chain: SimChain;
  follower: BlockFollower;
  store: MemoryBlobs;
  wallet: Wallet;
  poll(): Promise<void>;
  /** Mines `n` blocks (to the faucet) and polls. */
  mine(n?: number): Promise<string[]>;
  /** Pays `amount` to a fresh wallet address, confirmed once, and polls. */
  receive(amount: bigint): Promise<{ txid: string; vout: number; height: number }>;
}

export async function rig(
  options: { chain?: SimChain; birthHeight?: number; accountIndex?: number; rng?: () => Uint8Array } = {},
): Promise<Rig> {
  const chain = options.chain ?? new SimChain();
  const store = new MemoryBlobs();
  const { wallet, ops } = Wallet.create({
    account: account(options.accountIndex ?? 0),
    birthHeight: options.birthHeight ?? chain.height + 1,
    ...(options.rng === undefined ? {} : { rng: options.rng }),
  });
  store.apply(ops);
  return attach(chain, store, wallet);
}

export function attach(chain: SimChain, store: MemoryBlobs, wallet: Wallet): Rig {
  const follower = new BlockFollower(chain);
  followWallet({ wallet, follower, commit: store.commit });
  const poll = async () => {
    const r = await follower.poll();
    if (r.failures.length > 0) throw r.failures[0];
  };
  const r: Rig = {
    chain,
    follower,
    store,
    wallet,
    poll,
    async mine(n = 1) {
      const h = await chain.mine(n);
      await poll();
      return h;
    },
    async receive(amount) {
      const a = wallet.newAddress();
      store.apply(a.ops);
      const f = await chain.fund(a.script, amount);
      await poll();
      return { txid: f.txid, vout: f.vout, height: f.height };
    },
  };
  return r;
}

/** A P2TR script paying a fixed test key (not the wallet's). */
export function foreignScript(): Uint8Array {
  const s = new Uint8Array(34);
  s[0] = 0x51;
  s[1] = 0x20;
  s.set(account(7).deriveKey(0, 0).outputKey, 2);
  return s;
}

/**
 * A zero-fee v3 parent with a 240-sat P2A anchor last, spending a 50,000-sat coin of another key
 * (account 7's first) that `fund` pays: what a CPFP child must pay for. `sig` is its one witness item.
 */
export async function zeroFeeParent(
  fund: (script: Uint8Array, amount: bigint) => Promise<{ txid: string; vout: number }>,
): Promise<{ parent: Tx; sig: Uint8Array; parentRaw: Uint8Array }> {
  const k = account(7).deriveSecret(0, 0);
  const funded = await fund(k.scriptPubKey, 50_000n);
  const parent: Tx = {
    version: 3,
    locktime: 0,
    inputs: [{ txidBytes: txidBytes(funded.txid), vout: funded.vout, sequence: 0xfffffffd }],
    outputs: [
      { value: 49_760n, script: k.scriptPubKey },
      { value: 240n, script: P2A_SCRIPT },
    ],
  };
  const sig = schnorr.sign(
    new TaprootSighasher(parent, [{ value: 50_000n, script: k.scriptPubKey }]).sighash(0),
    k.tweakedSecretKey,
    new Uint8Array(32),
  );
  return { parent, sig, parentRaw: encodeTx(parent, [[sig]]) };
}
