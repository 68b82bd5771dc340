/**
 * An adapter that delegates the wallet's jobs to Bitcoin Core's own wallet, for an operator who keeps
 * the role's on-chain coins there: funding with `fundrawtransaction` (only confirmed segwit inputs:
 * the `minconf` option, and any non-segwit input Core picks is locked and the call repeated),
 * reservations with `lockunspent` (persistent locks), signing with `signrawtransactionwithwallet`
 * (including a v3 CPFP child that also spends a keyless P2A anchor, whose empty witness Core leaves
 * as it is), and abandon as a double-spend of the funding's inputs to a new address of the wallet.
 *
 * It talks through any `rpc(method, params, { wallet: true })` client — `BitcoindRpc`'s escape hatch
 * — so this module imports nothing from Node. Core holds the state (locks, transactions); the adapter
 * keeps none and returns no persist operations. Needs Core ≥ 25 (`minconf` in `fundrawtransaction`).
 *
 * **P2SH-wrapped segwit** inputs arise here: a Core wallet with a `sh(wpkh(…))` descriptor (its
 * `p2sh-segwit` addresses) holds them; they are segwit (their txid cannot be malleated), so §8 allows
 * them. The BIP86 wallet of this package never has any (all its coins are P2TR).
 *
 * @module
 */
import type { Network } from '@superscalar/core';
import { decodeTx, displayHex, type OutPoint, type Tx, txidOf, txVsize } from '@superscalar/tx';
import { addressToScript, scriptToAddress } from './address.js';
import { feeForVsize } from './coinSelection.js';
import { CoreRpcError, FeeRateTooLowError, InsufficientFundsError, InvalidArgumentError } from './errors.js';
import type { Payment } from './wallet.js';

/** What the adapter needs of a JSON-RPC client (`BitcoindRpc` has it). */
export interface CoreRpcClient {
  rpc(method: string, params?: unknown[], options?: { wallet?: boolean }): Promise<unknown>;
}

/** An unsigned funding transaction built by Core's wallet. */
export interface CoreFundingTx {
  readonly txid: string;
  /** Unsigned transaction hex, as Core returns it. */
  readonly hex: string;
  readonly tx: Tx;
  readonly fundingVout: number;
  readonly changeVout: number;
  readonly fee: bigint;
  readonly inputs: readonly OutPoint[];
}

interface Unspent {
  txid: string;
  vout: number;
  desc?: string;
  scriptPubKey: string;
  confirmations: number;
  amount: number;
}

const SEGWIT_DESC = /^(wpkh|tr|sh\(wpkh|wsh|sh\(wsh)\(/;

function btcToSats(btc: unknown, what: string): bigint {
  if (typeof btc !== 'number' || !Number.isFinite(btc))
    throw new CoreRpcError(what, 'expected an amount in BTC');
  return BigInt(Math.round(btc * 1e8));
}

function satsToBtc(sats: bigint): string {
  const s = sats.toString().padStart(9, '0');
  return `${s.slice(0, -8)}.${s.slice(-8)}`;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function isSegwitScriptHex(spk: string, desc: string | undefined): boolean {
  if (desc !== undefined) return SEGWIT_DESC.test(desc);
  // without a descriptor only native programs are recognisable (P2SH could be anything)
  return /^(0014[0-9a-f]{40}|0020[0-9a-f]{64}|5120[0-9a-f]{64})$/.test(spk);
}

/** Bitcoin Core's wallet behind the wallet's jobs (see the module doc). */
export class CoreWallet {
  readonly network: Network;
  readonly minRelayFeeRate: number;
  readonly incrementalRelayFeeRate: number;
  #rpc: CoreRpcClient;

  constructor(options: {
    rpc: CoreRpcClient;
    network: Network;
    minRelayFeeRate?: number;
    incrementalRelayFeeRate?: number;
  }) {
    if (typeof options?.rpc?.rpc !== 'function')
      throw new InvalidArgumentError('options.rpc', 'expected a client with rpc(method, params)');
    this.#rpc = options.rpc;
    this.network = options.network;
    this.minRelayFeeRate = options.minRelayFeeRate ?? 1000;
    this.incrementalRelayFeeRate = options.incrementalRelayFeeRate ?? 1000;
  }

  async #call<T>(method: string, params: unknown[]): Promise<T> {
    try {
      return (await this.#rpc.rpc(method, params, { wallet: true })) as T;
    } catch (cause) {
      throw new CoreRpcError(method, cause instanceof Error ? cause.message : String(cause), { cause });
    }
  }

  /** A new bech32m (P2TR) address of Core's wallet. */
  async newAddress(): Promise<{ address: string; script: Uint8Array }> {
    const address = await this.#call<string>('getnewaddress', ['', 'bech32m']);
    return { address, script: addressToScript(address, this.network) };
  }

  /** Confirmed and unconfirmed balance of Core's wallet (`getbalances`). */
  async balance(): Promise<{ confirmed: bigint; unconfirmed: bigint }> {
    const b = await this.#call<{ mine: { trusted: number; untrusted_pending: number } }>('getbalances', []);
    return {
      confirmed: btcToSats(b.mine.trusted, 'getbalances'),
      unconfirmed: btcToSats(b.mine.untrusted_pending, 'getbalances'),
    };
  }

  /**
   * Builds an unsigned funding transaction: Core picks confirmed (`minConfirmations`) inputs and adds
   * change at the end; a non-segwit input is locked away and the call repeated; the chosen inputs stay
   * locked (persistently) as the reservation. Fee rate in sat/kvB.
   */
  async buildFunding(options: {
    outputs: readonly Payment[];
    feeRate: number;
    minConfirmations?: number;
  }): Promise<CoreFundingTx> {
    const feeRate = options?.feeRate;
    if (!Number.isInteger(feeRate) || feeRate < 0)
      throw new InvalidArgumentError('options.feeRate', 'expected an integer sat/kvB rate');
    if (feeRate < this.minRelayFeeRate) throw new FeeRateTooLowError(feeRate, this.minRelayFeeRate);
    const minconf = options.minConfirmations ?? 1;
    const outs = options.outputs.map((p, i) => {
      const script = 'address' in p ? addressToScript(p.address, this.network) : p.script;
      const address = scriptToAddress(script, this.network);
      if (address === undefined)
        throw new InvalidArgumentError(`options.outputs[${i}]`, 'expected a segwit output');
      return { [address]: satsToBtc(p.value) };
    });
    const raw = await this.#call<string>('createrawtransaction', [[], outs, 0, true]);
    const unspent = await this.#call<Unspent[]>('listunspent', [minconf]);
    const byKey = new Map(unspent.map((u) => [`${u.txid}:${u.vout}`, u]));
    const tempLocks: OutPoint[] = [];
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        let funded: { hex: string; fee: number; changepos: number };
        try {
          funded = await this.#call('fundrawtransaction', [
            raw,
            {
              add_inputs: true,
              include_unsafe: false,
              minconf,
              fee_rate: feeRate / 1000,
              changePosition: outs.length,
              change_type: 'bech32m',
              lockUnspents: false,
              replaceable: true,
            },
          ]);
        } catch (e) {
          if (CoreRpcError.isInstance(e) && /insufficient funds/i.test(e.message))
            throw new InsufficientFundsError(
              options.outputs.reduce((s, p) => s + p.value, 0n),
              0n,
            );
          throw e;
        }
        const tx = decodeTx(hexToBytes(funded.hex));
        const inputs = tx.inputs.map((i) => ({ txid: displayHex(i.txidBytes), vout: i.vout }));
        const bad = inputs.filter((o) => {
          const u = byKey.get(`${o.txid}:${o.vout}`);
          return u === undefined || !isSegwitScriptHex(u.scriptPubKey, u.desc);
        });
        if (bad.length > 0) {
          await this.#call('lockunspent', [false, bad]);
          tempLocks.push(...bad);
          continue;
        }
        if (funded.changepos < 0)
          throw new CoreRpcError('fundrawtransaction', 'no change output (brief §8 needs one)');
        await this.#call('lockunspent', [false, inputs, true]);
        return {
          txid: txidOf(tx),
          hex: funded.hex,
          tx,
          fundingVout: 0,
          changeVout: funded.changepos,
          fee: btcToSats(funded.fee, 'fundrawtransaction'),
          inputs,
        };
      }
      throw new InsufficientFundsError(0n, 0n);
    } finally {
      if (tempLocks.length > 0) await this.#call('lockunspent', [true, tempLocks]);
    }
  }

  /**
   * Releases a reservation (Core's locks on `outpoints`). Only outputs Core still lists as locked are
   * unlocked: Core refuses to unlock an output a wallet transaction already spends ("expected unspent
   * output", e.g. a broadcast funding's inputs), and such a lock no longer reserves anything.
   */
  async release(outpoints: readonly OutPoint[]): Promise<void> {
    const locked = await this.#call<{ txid: string; vout: number }[]>('listlockunspent', []);
    const held = new Set(locked.map((o) => `${o.txid}:${o.vout}`));
    const mine = outpoints.filter((o) => held.has(`${o.txid}:${o.vout}`));
    for (const o of mine) {
      try {
        await this.#call('lockunspent', [true, [{ txid: o.txid, vout: o.vout }]]);
      } catch (e) {
        // Spent by a wallet transaction since it was locked: nothing left to release.
        if (CoreRpcError.isInstance(e) && /expected unspent output/.test(e.message)) continue;
        throw e;
      }
    }
  }

  /**
   * Signs the wallet's inputs of `tx` with `signrawtransactionwithwallet`. `prevtxs` describes inputs
   * Core does not know (a parent's P2A anchor: `{ txid, vout, scriptPubKey: '51024e73', amount }`);
   * a P2A input needs no signature, so its "unable to sign" report is expected and ignored.
   */
  async sign(
    hex: string,
    prevtxs: readonly { txid: string; vout: number; scriptPubKey: string; amount: bigint }[] = [],
  ): Promise<string> {
    const r = await this.#call<{
      hex: string;
      complete: boolean;
      errors?: { txid: string; vout: number; error: string }[];
    }>('signrawtransactionwithwallet', [hex, prevtxs.map((p) => ({ ...p, amount: satsToBtc(p.amount) }))]);
    const anchors = new Set(
      prevtxs.filter((p) => p.scriptPubKey === '51024e73').map((p) => `${p.txid}:${p.vout}`),
    );
    const real = (r.errors ?? []).filter((e) => !anchors.has(`${e.txid}:${e.vout}`));
    if (!r.complete && real.length > 0)
      throw new CoreRpcError('signrawtransactionwithwallet', real.map((e) => e.error).join('; '));
    return r.hex;
  }

  /**
   * Double-spends a funding's inputs back to a new address of Core's wallet, paying at least
   * `feeRate` and the original fee plus the incremental relay fee over the replacement's size. Returns
   * the signed replacement (broadcast it) and unlocks the inputs.
   */
  async abandon(
    funding: CoreFundingTx,
    options: { feeRate: number },
  ): Promise<{ txid: string; hex: string }> {
    if (options.feeRate < this.minRelayFeeRate)
      throw new FeeRateTooLowError(options.feeRate, this.minRelayFeeRate);
    const values = await Promise.all(
      funding.inputs.map(async (o) => {
        const t = await this.#call<{ amount: number; details?: unknown; hex: string }>('gettransaction', [
          o.txid,
        ]);
        const prev = decodeTx(hexToBytes(t.hex));
        return (prev.outputs[o.vout] as { value: bigint }).value;
      }),
    );
    const total = values.reduce((s, v) => s + v, 0n);
    const { address } = await this.newAddress();
    const build = async (value: bigint): Promise<string> => {
      const raw = await this.#call<string>('createrawtransaction', [
        funding.inputs.map((o) => ({ txid: o.txid, vout: o.vout, sequence: 0xfffffffd })),
        [{ [address]: satsToBtc(value) }],
        0,
        true,
      ]);
      return this.sign(raw);
    };
    // size with a placeholder amount (ECDSA signatures vary by a byte: count the larger), then exact
    const probe = decodeTx(hexToBytes(await build(total - 1000n)));
    const vsize = txVsize(probe) + funding.inputs.length;
    let fee = feeForVsize(options.feeRate, vsize);
    const floor = funding.fee + feeForVsize(this.incrementalRelayFeeRate, vsize);
    if (fee < floor) fee = floor;
    if (total - fee < 330n) throw new InsufficientFundsError(fee + 330n, total);
    const hex = await build(total - fee);
    await this.release(funding.inputs);
    return { txid: txidOf(decodeTx(hexToBytes(hex))), hex };
  }
}
