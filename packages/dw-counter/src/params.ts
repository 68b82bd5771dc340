/**
 * Decker-Wattenhofer layer parameters and their relative locks (protocol brief §2 `dw`, §3.3).
 *
 * "`nSequence(state s) = S·(K−1−s)` (BIP68 block-based: disable and type bits clear): state 0 waits
 * longest, state K−1 waits 0 blocks." BIP68 holds 16 bits of blocks, so `S·(K−1)` ≤ 65,535.
 *
 * @module
 */
import { InvalidArgumentError, InvalidDwParamsError } from './errors.js';

/** States per layer `K` (2..256) and step `S` in blocks (≥ 1, with `S·(K−1)` ≤ 65,535). */
export interface DwParams {
  readonly K: number;
  readonly S: number;
}

/** The brief's defaults: K = 4, S = 144 (use S = 10 on regtest). */
export const DEFAULT_DW_PARAMS: DwParams = Object.freeze({ K: 4, S: 144 });

/** Largest relative lock BIP68 can express in blocks (16-bit value field). */
export const BIP68_MAX_BLOCKS = 0xffff;

/**
 * Validates DW parameters and returns a frozen copy.
 *
 * @throws {InvalidDwParamsError} K outside 2..256, S below 1, or S·(K−1) above 65,535.
 */
export function validateDwParams(params: DwParams): DwParams {
  if (typeof params !== 'object' || params === null)
    throw new InvalidArgumentError('params', 'expected { K, S }');
  const { K, S } = params;
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 2 || K > 256)
    throw new InvalidDwParamsError('K', Number(K), 'states per layer must be an integer in 2..256');
  if (typeof S !== 'number' || !Number.isInteger(S) || S < 1)
    throw new InvalidDwParamsError('S', Number(S), 'the step must be a positive integer number of blocks');
  if (S * (K - 1) > BIP68_MAX_BLOCKS)
    throw new InvalidDwParamsError(
      'S·(K−1)',
      S * (K - 1),
      'state 0 would wait longer than BIP68 can express (65,535 blocks)',
    );
  return Object.freeze({ K, S });
}

/**
 * Encodes a relative lock of `blocks` blocks as a BIP68 nSequence: disable flag (bit 31) and type flag
 * (bit 22) clear, value in the low 16 bits.
 *
 * @throws {InvalidArgumentError} a value BIP68 cannot express (negative, fractional or above 65,535).
 */
export function bip68Blocks(blocks: number): number {
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > BIP68_MAX_BLOCKS)
    throw new InvalidArgumentError('blocks', `BIP68 block locks are integers in 0..65535, got ${blocks}`);
  return blocks;
}

/**
 * The nSequence of DW state `s` of a layer: `S·(K−1−s)` blocks, BIP68 block-based.
 *
 * @throws {InvalidArgumentError} `s` outside 0..K−1.
 */
export function nSequenceForState(params: DwParams, s: number): number {
  const { K, S } = validateDwParams(params);
  if (!Number.isInteger(s) || s < 0 || s >= K)
    throw new InvalidArgumentError('state', `expected an integer in 0..${K - 1}, got ${s}`);
  return bip68Blocks(S * (K - 1 - s));
}

/**
 * The DW part of brief §3.4's worst-case exit delay: `Σ over the state levels of the deepest path of
 * S·(K−1)`, i.e. `layerCount · S · (K−1)` blocks. (Add one block per transaction and the channel's
 * `toSelfDelay` for the whole exit; that is factory-tree's sum.)
 */
export function dwExitDelay(layerCount: number, params: DwParams): number {
  const { K, S } = validateDwParams(params);
  if (!Number.isInteger(layerCount) || layerCount < 0)
    throw new InvalidArgumentError('layerCount', `expected a non-negative integer, got ${layerCount}`);
  return layerCount * S * (K - 1);
}
