/**
 * SimChain's relay policy: Bitcoin Core's standardness rules (policy/policy.cpp `IsStandardTx`,
 * `AreInputsStandard`, `IsWitnessStandard`, `GetDustThreshold`) with Core ≥ 29.1 defaults, and
 * every number configurable. Reject strings are Core's (see README's table).
 */
import type { Tx, TxOut } from '../tx/index.js';
import { weight } from '../tx/index.js';
import {
  isPayToAnchor,
  isPayToScriptHash,
  isPushOnly,
  isUnspendable,
  pushStack,
  sigOpCountAccurate,
  solve,
  witnessProgram,
} from './_script.js';

/** Relay policy knobs (Core's names in brackets). */
export interface SimPolicy {
  /** Core version imitated, as `getnetworkinfo.version` (e.g. 300000). Informational. */
  readonly coreVersion: number;
  /** Reject non-standard transactions [`-acceptnonstdtxn=0`, Core's default on every chain but testnets]. */
  readonly requireStandard: boolean;
  /** Minimum relay fee rate, sat/kvB [`-minrelaytxfee`]: 100 since Core 29.1 (1,000 before). */
  readonly minRelayFeeRate: number;
  /** Incremental relay fee rate for RBF, sat/kvB [`-incrementalrelayfee`]: 100 since Core 29.1. */
  readonly incrementalRelayFeeRate: number;
  /** Dust relay fee rate, sat/kvB [`-dustrelayfee`]: 3,000. */
  readonly dustRelayFeeRate: number;
  /** Total OP_RETURN bytes allowed per tx [`-datacarriersize`]: 100,000 in Core 30 (83 in 29). */
  readonly maxDatacarrierBytes: number;
  /** Allow bare multisig outputs [`-permitbaremultisig`]. */
  readonly permitBareMultisig: boolean;
  /** Maximum standard transaction weight (MAX_STANDARD_TX_WEIGHT). */
  readonly maxStandardTxWeight: number;
  /** BIP125 rule 5: most transactions one replacement may evict. */
  readonly maxReplacementCandidates: number;
  /**
   * The `maxfeerate` of `sendrawtransaction`, `testmempoolaccept` and `submitpackage`, sat/kvB: a
   * transaction paying more is refused (`max-fee-exceeded` alone, `max feerate exceeded` in a package),
   * as Core does with its default 0.10 BTC/kvB (`DEFAULT_MAX_RAW_TX_FEE_RATE`); 0 disables the check.
   * Not node policy but the RPCs' default argument, which `BitcoindRpc` leaves unset.
   */
  readonly maxFeeRate: number;
}

/** Core ≥ 29.1 defaults (reject strings as Core 30). */
export const DEFAULT_POLICY: SimPolicy = Object.freeze({
  coreVersion: 300000,
  requireStandard: true,
  minRelayFeeRate: 100,
  incrementalRelayFeeRate: 100,
  dustRelayFeeRate: 3000,
  maxDatacarrierBytes: 100_000,
  permitBareMultisig: true,
  maxStandardTxWeight: 400_000,
  maxReplacementCandidates: 100,
  maxFeeRate: 10_000_000,
});

/** Core's `DEFAULT_MAX_RAW_TX_FEE_RATE`: 0.10 BTC/kvB, in sat/kvB. */
export const DEFAULT_MAX_FEE_RATE = 10_000_000;

/**
 * From Core 31 (PR #33892) a transaction of any version below the minimum relay fee may enter in a
 * 1-parent-1-child package whose feerate pays for it; Core 28–30 allowed only TRUC (v3) parents.
 */
export const NON_TRUC_PACKAGE_PARENT_VERSION = 310000;

/** TRUC (BIP431) constants. */
export const TRUC_VERSION = 3;
/** BIP431: a TRUC transaction is at most 10,000 vB. */
export const TRUC_MAX_VSIZE = 10_000;
/** BIP431: a TRUC child (with an unconfirmed parent) is at most 1,000 vB. */
export const TRUC_CHILD_MAX_VSIZE = 1_000;

/** Core's MAX_STANDARD_SCRIPTSIG_SIZE. */
const MAX_STANDARD_SCRIPTSIG_SIZE = 1650;
/** Core's TX_MAX_STANDARD_VERSION (3 since Core 28). */
const TX_MAX_STANDARD_VERSION = 3;
const MAX_P2SH_SIGOPS = 15;
const MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3600;
const MAX_STANDARD_P2WSH_STACK_ITEMS = 100;
const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80;
const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE = 80;
const ANNEX_TAG = 0x50;
const TAPROOT_LEAF_MASK = 0xfe;
const TAPROOT_LEAF_TAPSCRIPT = 0xc0;
/** Core ≥ 29: at most one dust output, and only in a zero-fee transaction (ephemeral dust). */
export const MAX_DUST_OUTPUTS_PER_TX = 1;

/** Core's `CFeeRate::GetFee`: `ceil(rate × vsize / 1000)`, at least 1 sat for a positive rate. */
export function feeAtRate(rateSatPerKvB: number, vsize: number): bigint {
  const fee = BigInt(Math.ceil((rateSatPerKvB * vsize) / 1000));
  if (fee === 0n && vsize !== 0 && rateSatPerKvB > 0) return 1n;
  return fee;
}

/** Core's `CFeeRate(fee, vsize)`: integer sat/kvB, truncated. */
export function feeRateOf(fee: bigint, vsize: number): bigint {
  return vsize === 0 ? 0n : (fee * 1000n) / BigInt(vsize);
}

function serializedOutputSize(o: TxOut): number {
  const n = o.script.length;
  return 8 + (n < 0xfd ? 1 : n <= 0xffff ? 3 : 5) + n;
}

/**
 * Core's `GetDustThreshold`: the output's size plus the size of a typical input spending it
 * (67 bytes for witness programs, 148 otherwise), at the dust relay rate; 0 for unspendable
 * outputs. P2TR: (43 + 67) × 3 = 330; P2A: (13 + 67) × 3 = 240; P2WPKH: 294.
 */
export function dustThreshold(
  output: TxOut,
  dustRelayFeeRate: number = DEFAULT_POLICY.dustRelayFeeRate,
): bigint {
  if (isUnspendable(output.script)) return 0n;
  let size = serializedOutputSize(output);
  // Core: 32 + 4 + 1 + (107 / WITNESS_SCALE_FACTOR) + 4 for witness programs, 32 + 4 + 1 + 107 + 4 else.
  size +=
    witnessProgram(output.script) !== null ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return feeAtRate(dustRelayFeeRate, size);
}

/** Indices of dust outputs (Core's `GetDust`). */
export function dustOutputs(tx: Tx, dustRelayFeeRate: number): number[] {
  const out: number[] = [];
  tx.outputs.forEach((o, i) => {
    if (o.value < dustThreshold(o, dustRelayFeeRate)) out.push(i);
  });
  return out;
}

/** A standardness failure: Core's reason plus where. */
export interface PolicyFailure {
  readonly reason: string;
  readonly detail?: string;
  readonly inputIndex?: number;
}

/**
 * Core's `IsStandardTx`: version, weight, scriptSig size and push-only-ness, output types,
 * OP_RETURN budget, bare multisig, and at most one dust output.
 */
export function isStandardTx(tx: Tx, policy: SimPolicy): PolicyFailure | null {
  if (tx.version > TX_MAX_STANDARD_VERSION || tx.version < 1)
    return { reason: 'version', detail: `version ${tx.version} is not 1, 2 or 3` };
  const w = weight(tx);
  if (w > policy.maxStandardTxWeight)
    return { reason: 'tx-size', detail: `weight ${w} > ${policy.maxStandardTxWeight}` };
  for (let i = 0; i < tx.inputs.length; i++) {
    const ss = tx.inputs[i]!.scriptSig;
    if (ss.length > MAX_STANDARD_SCRIPTSIG_SIZE)
      return {
        reason: 'scriptsig-size',
        inputIndex: i,
        detail: `${ss.length} > ${MAX_STANDARD_SCRIPTSIG_SIZE} bytes`,
      };
    if (!isPushOnly(ss)) return { reason: 'scriptsig-not-pushonly', inputIndex: i };
  }
  let datacarrierLeft = policy.maxDatacarrierBytes;
  for (let i = 0; i < tx.outputs.length; i++) {
    const s = tx.outputs[i]!.script;
    const solved = solve(s);
    if (solved.type === 'nonstandard')
      return { reason: 'scriptpubkey', detail: `output ${i} is not a standard script` };
    if (solved.type === 'multisig' && ((solved.n ?? 0) > 3 || (solved.n ?? 0) < 1))
      return { reason: 'scriptpubkey', detail: `output ${i}: bare multisig with more than 3 keys` };
    if (solved.type === 'nulldata') {
      if (s.length > datacarrierLeft)
        return {
          reason: 'datacarrier',
          detail: `output ${i}: OP_RETURN data beyond ${policy.maxDatacarrierBytes} bytes`,
        };
      datacarrierLeft -= s.length;
    } else if (solved.type === 'multisig' && !policy.permitBareMultisig) {
      return { reason: 'bare-multisig', detail: `output ${i}` };
    }
  }
  const dust = dustOutputs(tx, policy.dustRelayFeeRate);
  if (dust.length > MAX_DUST_OUTPUTS_PER_TX)
    return { reason: 'dust', detail: `outputs ${dust.join(', ')} are below their dust thresholds` };
  return null;
}

/**
 * Core's `AreInputsStandard`: no spend of a non-standard or unknown-witness-version output, and a
 * P2SH redeem script with at most 15 sigops.
 */
export function areInputsStandard(tx: Tx, spent: readonly TxOut[]): PolicyFailure | null {
  for (let i = 0; i < tx.inputs.length; i++) {
    const prev = spent[i]!.script;
    const solved = solve(prev);
    if (solved.type === 'nonstandard' || solved.type === 'witness_unknown')
      return {
        reason: 'bad-txns-nonstandard-inputs',
        inputIndex: i,
        detail: `input ${i} spends a ${solved.type} output`,
      };
    if (solved.type === 'scripthash') {
      const stack = pushStack(tx.inputs[i]!.scriptSig);
      if (stack === null || stack.length === 0)
        return {
          reason: 'bad-txns-nonstandard-inputs',
          inputIndex: i,
          detail: `input ${i}: no P2SH redeem script`,
        };
      const sigops = sigOpCountAccurate(stack[stack.length - 1]!);
      if (sigops > MAX_P2SH_SIGOPS)
        return {
          reason: 'bad-txns-nonstandard-inputs',
          inputIndex: i,
          detail: `input ${i}: ${sigops} P2SH sigops > 15`,
        };
    }
  }
  return null;
}

/**
 * Core's `IsWitnessStandard`: no witness on P2A or non-witness outputs, P2WSH script/stack limits,
 * no taproot annex, tapscript stack items ≤ 80 bytes.
 */
export function isWitnessStandard(tx: Tx, spent: readonly TxOut[]): PolicyFailure | null {
  const fail = (i: number, why: string): PolicyFailure => ({
    reason: 'bad-witness-nonstandard',
    inputIndex: i,
    detail: `input ${i}: ${why}`,
  });
  for (let i = 0; i < tx.inputs.length; i++) {
    const input = tx.inputs[i]!;
    if (input.witness.length === 0) continue;
    let prev = spent[i]!.script;
    if (isPayToAnchor(prev)) return fail(i, 'a P2A anchor is spent with an empty witness');
    let p2sh = false;
    if (isPayToScriptHash(prev)) {
      const stack = pushStack(input.scriptSig);
      if (stack === null || stack.length === 0) return fail(i, 'no P2SH redeem script');
      prev = stack[stack.length - 1]!;
      p2sh = true;
    }
    const wp = witnessProgram(prev);
    if (wp === null) return fail(i, 'witness on a non-witness output');
    const stack = input.witness;
    if (wp.version === 0 && wp.program.length === 32) {
      const script = stack[stack.length - 1]!;
      if (script.length > MAX_STANDARD_P2WSH_SCRIPT_SIZE) return fail(i, 'P2WSH script over 3,600 bytes');
      if (stack.length - 1 > MAX_STANDARD_P2WSH_STACK_ITEMS)
        return fail(i, 'more than 100 P2WSH stack items');
      for (let j = 0; j < stack.length - 1; j++)
        if (stack[j]!.length > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE)
          return fail(i, `P2WSH stack item ${j} over 80 bytes`);
    }
    if (wp.version === 1 && wp.program.length === 32 && !p2sh) {
      let items = stack.slice();
      const last = items[items.length - 1]!;
      if (items.length >= 2 && last.length > 0 && last[0] === ANNEX_TAG) return fail(i, 'taproot annex');
      if (items.length >= 2) {
        const control = items[items.length - 1]!;
        items = items.slice(0, -2);
        if (control.length === 0) return fail(i, 'empty control block');
        if ((control[0]! & TAPROOT_LEAF_MASK) === TAPROOT_LEAF_TAPSCRIPT) {
          for (let j = 0; j < items.length; j++)
            if (items[j]!.length > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
              return fail(i, `tapscript stack item ${j} over 80 bytes`);
        }
      } else if (items.length === 0) {
        return fail(i, 'empty taproot witness');
      }
    }
  }
  return null;
}
