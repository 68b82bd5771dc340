/**
 * Binary encoding of a {@link DwState}, versioned and strictly decoded (no allocation from an unchecked
 * length; trailing bytes, out-of-range states, duplicate counters and malformed shapes are rejected).
 *
 * Version 1 (integers big-endian):
 *
 * | field | size |
 * |---|---|
 * | magic `DWC` | 3 |
 * | version = 1 | 1 |
 * | K, S | 2 + 2 |
 * | node count n (1..2^24) | 4 |
 * | per node, pre-order: flags (bit 0 = static; other bits 0), child count | 1 + 4 each |
 * | per state-node, pre-order: state, kickoff instance | 1 + 4 each |
 * | per leaf, placement order: counter c | 6 each |
 * | next counter | 6 |
 *
 * @module
 */
import { _stateFromParts, COUNTER_LIMIT, DW_STATE_VERSION, type DwState } from './counter.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import { validateDwParams } from './params.js';
import { type NodeSpec, shapeFromSpec } from './shape.js';

const MAGIC = [0x44, 0x57, 0x43]; // "DWC"
const MAX_NODES = 2 ** 24;

/** Encodes a DW state (see the module table). */
export function encodeState(state: DwState): Uint8Array {
  if (typeof state !== 'object' || state === null || state.version !== DW_STATE_VERSION)
    throw new InvalidArgumentError('state', 'expected a DwState');
  const { nodes, leaves } = state.shape;
  const stateNodes = nodes.length - state.shape.staticCount;
  const size = 12 + nodes.length * 5 + stateNodes * 5 + leaves.length * 6 + 6;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const m of MAGIC) out[o++] = m;
  out[o++] = DW_STATE_VERSION;
  view.setUint16(o, state.params.K);
  view.setUint16(o + 2, state.params.S);
  view.setUint32(o + 4, nodes.length);
  o += 8;
  for (const n of nodes) {
    out[o] = n.static ? 1 : 0;
    view.setUint32(o + 1, n.children.length);
    o += 5;
  }
  for (const n of nodes) {
    if (n.static) continue;
    out[o] = state.states[n.id] as number;
    view.setUint32(o + 1, state.instances[n.id] as number);
    o += 5;
  }
  const u48 = (v: number) => {
    view.setUint16(o, Math.floor(v / 2 ** 32));
    view.setUint32(o + 2, v >>> 0);
    o += 6;
  };
  for (const c of state.leafCounters) u48(c);
  u48(state.nextCounter);
  return out;
}

/**
 * Decodes bytes from {@link encodeState}.
 *
 * @throws {DecodeError} bad magic, unknown version, truncation, trailing bytes or invalid content.
 */
export function decodeState(bytes: Uint8Array): DwState {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', 'expected a Uint8Array');
  const b = Uint8Array.from(bytes);
  const view = new DataView(b.buffer);
  let o = 0;
  const need = (n: number, what: string) => {
    if (b.length - o < n) throw new DecodeError('truncated', o, `needs ${n} more bytes for ${what}`);
  };
  need(4, 'the header');
  for (const m of MAGIC)
    if (b[o++] !== m) throw new DecodeError('magic', o - 1, 'not a DW state (bad magic)');
  const version = b[o++] as number;
  if (version !== DW_STATE_VERSION)
    throw new DecodeError('version', o - 1, `version ${version} is not supported by this release`);
  need(8, 'the parameters');
  let params: ReturnType<typeof validateDwParams>;
  try {
    params = validateDwParams({ K: view.getUint16(o), S: view.getUint16(o + 2) });
  } catch (e) {
    throw new DecodeError('invalid', o, (e as Error).message, { cause: e });
  }
  const count = view.getUint32(o + 4);
  o += 8;
  if (count < 1 || count > MAX_NODES)
    throw new DecodeError('invalid', o - 4, `node count ${count} out of range`);
  need(count * 5, 'the node table'); // checked before any allocation sized by count
  // Rebuild the NodeSpec from the pre-order (flags, child count) list.
  interface Open {
    spec: { static?: boolean; children: NodeSpec[] };
    left: number;
  }
  let root: NodeSpec | undefined;
  const stack: Open[] = [];
  for (let i = 0; i < count; i++) {
    const flags = b[o] as number;
    const kids = view.getUint32(o + 1);
    if (flags > 1) throw new DecodeError('invalid', o, `node ${i}: unknown flag bits`);
    if (kids > count) throw new DecodeError('invalid', o + 1, `node ${i}: child count ${kids} out of range`);
    o += 5;
    const spec: Open['spec'] = flags === 1 ? { static: true, children: [] } : { children: [] };
    if (i === 0) root = spec;
    else {
      const parent = stack[stack.length - 1];
      if (parent === undefined)
        throw new DecodeError('invalid', o - 5, `node ${i}: not attached to the tree`);
      parent.spec.children.push(spec);
      parent.left--;
      if (parent.left === 0) stack.pop();
    }
    if (kids > 0) stack.push({ spec, left: kids });
    // pop finished ancestors (left reached 0 already handled); nothing else
  }
  if (stack.length > 0 || root === undefined)
    throw new DecodeError('invalid', o, 'the node table ends before every child is listed');
  let shape: ReturnType<typeof shapeFromSpec>;
  try {
    shape = shapeFromSpec(root);
  } catch (e) {
    throw new DecodeError('invalid', o, (e as Error).message, { cause: e });
  }
  const stateNodes = shape.nodes.length - shape.staticCount;
  need(stateNodes * 5 + shape.leaves.length * 6 + 6, 'the states and counters');
  const states: number[] = new Array(shape.nodes.length).fill(-1);
  const instances: number[] = new Array(shape.nodes.length).fill(0);
  for (const n of shape.nodes) {
    if (n.static) continue;
    const s = b[o] as number;
    if (s >= params.K) throw new DecodeError('invalid', o, `node ${n.id}: state ${s} ≥ K = ${params.K}`);
    states[n.id] = s;
    instances[n.id] = view.getUint32(o + 1);
    o += 5;
  }
  const u48 = () => {
    const v = view.getUint16(o) * 2 ** 32 + view.getUint32(o + 2);
    o += 6;
    return v;
  };
  const leafCounters = shape.leaves.map(() => u48());
  const nextCounter = u48();
  if (nextCounter > COUNTER_LIMIT) throw new DecodeError('invalid', o - 6, 'next counter above 2^48');
  const seen = new Set<number>();
  leafCounters.forEach((c, i) => {
    if (c >= nextCounter)
      throw new DecodeError('invalid', o, `leaf ${i}: counter ${c} ≥ next counter ${nextCounter}`);
    if (seen.has(c)) throw new DecodeError('invalid', o, `leaf ${i}: counter ${c} used twice`);
    seen.add(c);
  });
  if (o !== b.length) throw new DecodeError('trailing', o, `${b.length - o} unexpected trailing bytes`);
  return _stateFromParts(params, shape, states, instances, leafCounters, nextCounter);
}
