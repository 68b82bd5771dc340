// fast-check arbitraries for every message, generated from the codecs' shapes (so a new field is
// covered without editing the tests), with valid points from a precomputed pool. Message-level rules
// that a shape cannot express are applied per message below.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { N, P } from '../src/_curve.js';
import type { CodecShape, FieldCodec } from '../src/_fields.js';
import { parseUnsignedTx, txidOfUnsigned } from '../src/_tx.js';
import { codecOf, MESSAGE_NAMES, type Message } from '../src/message.js';
import { channelIdOf } from '../src/messages/factory.js';

const POOL = Array.from({ length: 64 }, (_, i) => {
  const sk = new Uint8Array(32);
  sk[31] = i + 1;
  sk[0] = (i * 37) & 0x7f;
  return secp256k1.getPublicKey(sk, true);
});
const poolPoint = fc.integer({ min: 0, max: POOL.length - 1 }).map((i) => POOL[i] as Uint8Array);
const be32 = (v: bigint) => {
  const b = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
};
const cat = (...p: Uint8Array[]) => {
  const out = new Uint8Array(p.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const scalarArb = fc.oneof(fc.bigInt(0n, N - 1n), fc.constantFrom(0n, N - 1n)).map(be32);

export function arbOfShape(s: CodecShape): fc.Arbitrary<unknown> {
  switch (s.k) {
    case 'uint':
      return fc.oneof(fc.integer({ min: s.min, max: s.max }), fc.constantFrom(s.min, s.max));
    case 'u64':
      return fc.oneof(fc.bigInt(s.min, s.max), fc.constantFrom(s.min, s.max));
    case 's64':
      return fc.bigInt(-(1n << 63n), (1n << 63n) - 1n);
    case 'u48':
      return fc.integer({ min: s.min, max: 2 ** 48 - 1 });
    case 'f64':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'bool':
      return fc.boolean();
    case 'fixed':
      switch (s.rule) {
        case 'none':
          return bytes(s.n, s.n);
        case 'point':
          return poolPoint;
        case 'pubnonce':
          return fc.tuple(poolPoint, poolPoint).map(([a, b]) => cat(a, b));
        case 'aggnonce': {
          const half = fc.oneof(poolPoint, fc.constant(new Uint8Array(33)));
          return fc.tuple(half, half).map(([a, b]) => cat(a, b));
        }
        case 'scalar':
          return scalarArb;
        case 'sig':
          return fc.tuple(fc.bigInt(0n, P - 1n).map(be32), scalarArb).map(([r, x]) => cat(r, x));
        case 'presig':
          return fc.tuple(poolPoint, scalarArb).map(([r, x]) => cat(r, x));
      }
      break;
    case 'rest':
      return s.lengths
        ? fc.constantFrom(...s.lengths).chain((n) => bytes(n, n))
        : bytes(0, Math.min(s.max, 80));
    case 'bytes16':
      return bytes(0, Math.min(s.max, 60));
    case 'text':
      return fc.string({ unit: 'binary', maxLength: 30 });
    case 'enum':
      return fc.constantFrom(...s.values);
    case 'struct': {
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [key, codec, opt] of s.members) {
        rec[key] = arbOf(codec);
        if (opt !== 'optional') required.push(key);
      }
      return fc.record(rec, { requiredKeys: required, noNullPrototype: true });
    }
    case 'list': {
      const elem = arbOf(s.elem);
      const maxLength = Math.min(s.max, s.min + 4);
      if (!s.key) return fc.array(elem, { minLength: s.min, maxLength });
      const key = s.key as (e: unknown) => number | bigint;
      return fc
        .uniqueArray(elem, { minLength: s.min, maxLength, selector: (e) => key(e) })
        .map((a) => [...a].sort((x, y) => (key(x) < key(y) ? -1 : 1)));
    }
    case 'txid':
      return bytes(32, 32).map((b) => Buffer.from(b).toString('hex'));
    case 'p2tr':
      return poolPoint.map((p) => cat(Uint8Array.from([0x51, 0x20]), p.subarray(1)));
    case 'tx':
      return txArb;
    case 'hop':
      return hopArb;
  }
  throw new Error(`no arbitrary for ${JSON.stringify(s)}`);
}

const le = (v: bigint, n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
};
/** A witness-free transaction: 1–3 inputs, 1–4 outputs, short scripts. */
const txArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    version: fc.bigInt(0n, 0xffffffffn),
    inputs: fc.array(
      fc.record({ prev: bytes(36, 36), script: bytes(0, 30), seq: fc.bigInt(0n, 0xffffffffn) }),
      { minLength: 1, maxLength: 3 },
    ),
    outputs: fc.array(fc.record({ value: fc.bigInt(0n, 2_100_000_000_000_000n), script: bytes(0, 40) }), {
      minLength: 1,
      maxLength: 4,
    }),
    locktime: fc.bigInt(0n, 0xffffffffn),
  })
  .map((t) =>
    cat(
      le(t.version, 4),
      Uint8Array.from([t.inputs.length]),
      ...t.inputs.flatMap((i) => [i.prev, Uint8Array.from([i.script.length]), i.script, le(i.seq, 4)]),
      Uint8Array.from([t.outputs.length]),
      ...t.outputs.flatMap((o) => [le(o.value, 8), Uint8Array.from([o.script.length]), o.script]),
      le(t.locktime, 4),
    ),
  );
const u64Arb = fc.oneof(
  fc.bigInt(0n, (1n << 64n) - 1n),
  fc.constantFrom(0n, 1n, 255n, 256n, (1n << 64n) - 1n),
);
/** A BOLT 4 hop payload: forward (short_channel_id) or final (payment_data), maybe with odd records. */
const hopArb = fc
  .record({
    amtToForward: u64Arb,
    outgoingCltvValue: fc.oneof(fc.integer({ min: 1, max: 499_999_999 }), fc.constantFrom(1, 255, 256)),
    final: fc.boolean(),
    scid: bytes(8, 8),
    paymentSecret: bytes(32, 32),
    totalMsat: u64Arb,
    odd: fc.uniqueArray(
      fc.integer({ min: 0, max: 40 }).map((t) => BigInt(t * 2 + 1)),
      { maxLength: 2 },
    ),
  })
  .chain((h) =>
    fc.tuple(...h.odd.map(() => bytes(0, 6))).map((values) => {
      const types = [...h.odd].sort((a, b) => (a < b ? -1 : 1));
      return {
        amtToForward: h.amtToForward,
        outgoingCltvValue: h.outgoingCltvValue,
        ...(h.final
          ? { paymentData: { paymentSecret: h.paymentSecret, totalMsat: h.totalMsat } }
          : { shortChannelId: h.scid }),
        ...(types.length > 0 ? { unknownRecords: types.map((type, i) => ({ type, value: values[i] })) } : {}),
      };
    }),
  );

export function arbOf(c: FieldCodec<unknown>): fc.Arbitrary<unknown> {
  return arbOfShape(c.shape);
}

/** Unknown odd records (types above every known one, increasing), to exercise the "keep and re-emit" rule. */
const unknownRecords = fc
  .uniqueArray(
    fc.bigInt(100n, (1n << 63n) - 1n).map((t) => t * 2n + 1n),
    { maxLength: 2 },
  )
  .chain((types) =>
    fc.tuple(
      ...[...types]
        .sort((a, b) => (a < b ? -1 : 1))
        .map((type) => bytes(0, 8).map((value) => ({ type, value }))),
    ),
  );

// Message rules beyond the field shapes.
const fixups: Record<string, (m: Record<string, unknown>) => Record<string, unknown>> = {
  init: (m) => {
    const f = m.features as Uint8Array;
    let i = 0;
    while (i < f.length && f[i] === 0) i++;
    return { ...m, features: f.slice(i) };
  },
  fragment: (m) => {
    const data = (m.data as Uint8Array).length === 0 ? Uint8Array.from([1]) : (m.data as Uint8Array);
    const parts = Math.max(2, m.parts as number);
    return {
      ...m,
      messageType: (m.messageType as number) === 0x001a ? 0x0100 : m.messageType,
      parts,
      part: (m.part as number) % parts,
      data,
      totalLength: Math.max(m.totalLength as number, data.length),
    };
  },
  jit_offer: (m) => ((m.feeMsat as bigint) > (m.amountMsat as bigint) ? { ...m, feeMsat: m.amountMsat } : m),
  jit_migrate: (m) =>
    (m.feeMsat as bigint) > (m.amountMsat as bigint) ? { ...m, feeMsat: m.amountMsat } : m,
  factory_propose: (m) => {
    const tx = m.fundingTx as Uint8Array;
    const outputs = parseUnsignedTx(tx, 'fundingTx').outputs;
    const f = m.funding as { vout: number };
    const vout = f.vout % outputs.length;
    return {
      ...m,
      funding: { txid: txidOfUnsigned(tx), vout, amount: (outputs[vout] as { value: bigint }).value },
    };
  },
  factory_register: (m) =>
    (m.balance as bigint) > (m.capacity as bigint) ? { ...m, balance: m.capacity } : m,
  factory_register_response: (m) => {
    const { grant, refusal, ...rest } = m as {
      grant?: Record<string, bigint>;
      refusal?: unknown;
    } & Record<string, unknown>;
    if (grant === undefined) return { ...rest, refusal: refusal ?? { reason: 1, text: '' } };
    const g = { ...grant };
    if ((g.balance as bigint) > (g.capacity as bigint)) g.balance = g.capacity as bigint;
    if ((g.htlcMinimumMsat as bigint) > (g.htlcMaximumMsat as bigint))
      g.htlcMaximumMsat = g.htlcMinimumMsat as bigint;
    return { ...rest, grant: g };
  },
  factory_reestablish: (m) => {
    const { ceremony, advance, close, ...rest } = m as Record<string, unknown> & {
      ceremony?: object;
      advance?: { advanceId: number; step: string };
      close?: object;
    };
    const phase = rest.phase as string;
    const out: Record<string, unknown> = { ...rest };
    if (phase === 'ceremony') out.ceremony = ceremony ?? { attempt: 0, step: 'proposed' };
    if (phase === 'close') out.close = close ?? { attempt: 0, step: 'proposed' };
    const adv = advance ?? { advanceId: 0, step: 'proposed' };
    if (phase === 'advance') out.advance = adv.step === 'complete' ? { ...adv, step: 'signed' } : adv;
    else if (advance !== undefined && phase !== 'ceremony' && phase !== 'aborted')
      out.advance = { ...advance, step: 'complete' };
    return out;
  },
  advance_propose: (m) => {
    // Consecutive counters over increasing leaves, one allocation per created leaf, the advancing
    // leaf among them, and a kind that fits the count.
    const created = [...(m.created as { leaf: number; counter: number; poisonHash: Uint8Array }[])];
    const allocations = m.allocations as { leaf: number; channels: unknown[]; lStock: bigint }[];
    const first = Math.min((created[0] as { counter: number }).counter, 2 ** 48 - 1 - allocations.length);
    const n = Math.min(created.length, allocations.length);
    const leaves = [...new Set(allocations.map((a) => a.leaf))].sort((a, b) => a - b).slice(0, n);
    const out = leaves.map((leaf, i) => ({ ...(created[i] as object), leaf, counter: first + i }));
    const kind = out.length === 1 ? 'leaf' : m.kind === 'leaf' ? 'carry' : m.kind;
    return {
      ...m,
      kind,
      created: out,
      allocations: leaves.map((leaf) => ({ ...(allocations.find((a) => a.leaf === leaf) as object), leaf })),
      leaf: (out[(m.leaf as number) % out.length] as { leaf: number }).leaf,
    };
  },
  update_add_htlc: (m) => (m.hopPayload !== undefined ? { ...m, onion: new Uint8Array(0) } : m),
  channel_setup: (m) => ({
    ...m,
    channelId: channelIdOf(m.factoryId as Uint8Array, m.clientIndex as number),
  }),
  close_propose: (m) => ({
    ...m,
    // No outputs: a client's close request, always attempt 0.
    ...((m.outputs as unknown[]).length === 0 ? { attempt: 0 } : {}),
    outputs: (m.outputs as { script: Uint8Array; amount: bigint }[]).map((o) =>
      o.script.length === 0 ? { ...o, script: Uint8Array.from([0x6a]) } : o,
    ),
  }),
};

/** Random values of message `name` (optionally with unknown odd records). */
export function messageArb(name: string, withUnknown = true): fc.Arbitrary<Message> {
  const codec = codecOf(name);
  if (!codec) throw new Error(`unknown message ${name}`);
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const f of codec.spec.fields) {
    rec[f.key] = arbOf(f.codec);
    if (!f.optional || f.absentAsUndefined) required.push(f.key);
    if (f.absentAsUndefined) rec[f.key] = fc.option(arbOf(f.codec), { nil: undefined });
  }
  const fields = fc.record(rec, { requiredKeys: required, noNullPrototype: true });
  const fix = fixups[name] ?? ((m) => m);
  const base = fields.map((f) => fix(f));
  const outer = new Set(codec.spec.fields.filter((f) => f.outer).map((f) => f.key));
  const withType = base.map((f) => {
    if (!codec.spec.nested) return { type: name, ...f };
    const inner: Record<string, unknown> = {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(f)) (outer.has(k) ? out : inner)[k] = v;
    return { type: name, [codec.spec.nested]: inner, ...out };
  });
  if (!withUnknown) return withType as unknown as fc.Arbitrary<Message>;
  return fc
    .tuple(withType, fc.option(unknownRecords, { nil: undefined }))
    .map(([m, u]) =>
      u && u.length > 0 ? { ...m, unknownRecords: u } : m,
    ) as unknown as fc.Arbitrary<Message>;
}

export { MESSAGE_NAMES };
