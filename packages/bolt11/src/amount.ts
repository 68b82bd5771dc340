/**
 * The human-readable part of a BOLT 11 invoice ("Human-Readable Part"): `ln` + the network's
 * currency prefix + an optional amount in bitcoin with an optional multiplier letter.
 *
 * @module
 */
import type { Network } from '@superscalar/core';
import { DecodeError, InvalidArgumentError } from './errors.js';

/**
 * How the human-readable part writes an amount: `m` (milli-), `u` (micro-), `n` (nano-), `p`
 * (pico-bitcoin), or `''` for whole bitcoins.
 */
export type AmountMultiplier = '' | 'm' | 'u' | 'n' | 'p';

/** 21 million BTC in msat: no invoice can ask for more. */
export const MAX_AMOUNT_MSAT = 2_100_000_000_000_000_000n;

// msat per unit of each multiplier; `p` is a tenth of a msat and is handled apart.
const MSAT_PER: Record<Exclude<AmountMultiplier, 'p'>, bigint> = {
  '': 100_000_000_000n,
  m: 100_000_000n,
  u: 100_000n,
  n: 100n,
};

const CURRENCY: Record<Network, string> = { mainnet: 'bc', testnet4: 'tb', signet: 'tbs', regtest: 'bcrt' };
// Longest first is not needed for correctness (an amount starts with a digit), but reads clearly.
const NETWORK_OF: [string, Network][] = [
  ['bcrt', 'regtest'],
  ['bc', 'mainnet'],
  ['tbs', 'signet'],
  ['tb', 'testnet4'],
];

/**
 * The invoice prefix of a network: `lnbc` (mainnet), `lntb` (testnet4; BOLT 11's "testnet"),
 * `lntbs` (signet), `lnbcrt` (regtest).
 */
export function invoicePrefix(network: Network): string {
  return prefixOf(network, 'network');
}

function prefixOf(network: Network, path: string): string {
  const c = typeof network === 'string' && Object.hasOwn(CURRENCY, network) ? CURRENCY[network] : undefined;
  if (c === undefined) throw new InvalidArgumentError(path, `unknown network ${String(network)}`);
  return `ln${c}`;
}

/**
 * The msat an amount of the human-readable part stands for (`'2500u'` → `250_000_000n`).
 * BOLT 11: "MUST fail the payment" when the amount "contains a non-digit OR is followed by anything
 * except a multiplier", and when a `p` amount's last decimal is not 0. Also refused: leading zeros
 * and zero (the writer "MUST encode amount as a positive decimal integer with no leading 0s"), and
 * amounts above 21 million BTC. Throws {@link DecodeError} (`amount`).
 */
export function amountMsat(amount: string): bigint {
  if (typeof amount !== 'string') throw new InvalidArgumentError('amount', 'expected a string');
  const m = /^([1-9][0-9]{0,24})([munp]?)$/.exec(amount);
  if (m === null) {
    throw new DecodeError(
      'amount',
      `"${amount.slice(0, 40)}" is not a positive decimal without leading zeros and an optional m, u, n or p`,
    );
  }
  const digits = BigInt(m[1] as string);
  const mult = m[2] as AmountMultiplier;
  let msat: bigint;
  if (mult === 'p') {
    if (digits % 10n !== 0n)
      throw new DecodeError('amount', `${amount}: a pico amount must end in 0 (whole msat)`);
    msat = digits / 10n;
  } else msat = digits * MSAT_PER[mult];
  if (msat > MAX_AMOUNT_MSAT) throw new DecodeError('amount', `${amount} is more than 21 million BTC`);
  return msat;
}

/**
 * The human-readable amount of `msat`: with `multiplier`, in that unit (an {@link InvalidArgumentError}
 * when `msat` is not a whole number of it); without, the shortest (BOLT 11: "SHOULD use the shortest
 * representation possible, by using the largest multiplier or omitting the multiplier").
 */
export function encodeAmount(msat: bigint, multiplier?: AmountMultiplier): string {
  return amountText(msat, multiplier, 'msat', 'multiplier');
}

function amountText(
  msat: bigint,
  multiplier: AmountMultiplier | undefined,
  msatPath: string,
  multPath: string,
): string {
  if (typeof msat !== 'bigint' || msat < 1n || msat > MAX_AMOUNT_MSAT)
    throw new InvalidArgumentError(msatPath, `expected a bigint in [1, ${MAX_AMOUNT_MSAT}]`);
  if (multiplier === undefined) {
    for (const u of ['', 'm', 'u', 'n'] as const)
      if (msat % MSAT_PER[u] === 0n) return `${msat / MSAT_PER[u]}${u}`;
    return `${msat * 10n}p`;
  }
  if (multiplier === 'p') return `${msat * 10n}p`;
  const per = MSAT_PER[multiplier as Exclude<AmountMultiplier, 'p'>];
  if (per === undefined) throw new InvalidArgumentError(multPath, `expected '', 'm', 'u', 'n' or 'p'`);
  if (msat % per !== 0n)
    throw new InvalidArgumentError(multPath, `${msat} msat is not a whole number of '${multiplier}' units`);
  return `${msat / per}${multiplier}`;
}

/** @internal The parts of a human-readable part. */
export interface ParsedHrp {
  network: Network;
  amountMsat: bigint | undefined;
  multiplier: AmountMultiplier | undefined;
}

/** @internal Parses a lower-case human-readable part. */
export function parseHrp(hrp: string): ParsedHrp {
  if (!hrp.startsWith('ln')) throw new DecodeError('prefix', `"${hrp.slice(0, 20)}" does not start with ln`);
  const rest = hrp.slice(2);
  for (const [c, network] of NETWORK_OF) {
    if (!rest.startsWith(c)) continue;
    const amount = rest.slice(c.length);
    if (amount === '') return { network, amountMsat: undefined, multiplier: undefined };
    if (amount.charCodeAt(0) < 0x30 || amount.charCodeAt(0) > 0x39) continue;
    const msat = amountMsat(amount);
    const last = amount[amount.length - 1] as string;
    return { network, amountMsat: msat, multiplier: /[munp]/.test(last) ? (last as AmountMultiplier) : '' };
  }
  throw new DecodeError(
    'prefix',
    `unknown currency prefix in "${hrp.slice(0, 20)}" (expected lnbc, lntb, lntbs or lnbcrt)`,
  );
}

/** @internal The human-readable part of an invoice. */
export function encodeHrp(
  network: Network,
  msat: bigint | undefined,
  multiplier: AmountMultiplier | undefined,
): string {
  const prefix = prefixOf(network, 'invoice.network');
  if (msat === undefined) {
    if (multiplier !== undefined)
      throw new InvalidArgumentError('invoice.multiplier', 'given without amountMsat');
    return prefix;
  }
  return `${prefix}${amountText(msat, multiplier, 'invoice.amountMsat', 'invoice.multiplier')}`;
}
