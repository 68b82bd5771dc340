// The fuzz engine shared by test/fuzz.test.ts and scripts/fuzz.ts: for one decoder, random and mutated
// inputs from a seeded xorshift PRNG, each decoded; a result must be a value that re-encodes to exactly
// the input (canonical), a rejection must be a WireError. Anything else is a crash, reported with the
// input's hex so it reproduces.
import fc from 'fast-check';
import { type FuzzRng, fuzzRng } from '../../../test-utils/index.js';
import { sampleMessages } from '../scripts/_samples.js';
import {
  decodeBigSize,
  decodeMessage,
  decodeTlvStream,
  encodeBigSize,
  encodeFrames,
  encodeMessage,
  encodeTlvStream,
  MESSAGE_NAMES,
  MESSAGE_TYPES,
  Reassembler,
  WireError,
} from '../src/index.js';
import { codecOf } from '../src/message.js';
import { messageArb } from './_arb.js';

/** Small deterministic PRNG (xorshift32) so a failure reproduces from the seed. */
const prng = (seed: number): FuzzRng => fuzzRng(seed, 0x9e3779b9);
type Rng = FuzzRng;

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff];

/** A random mutation of `b` (bytes from index `keep` on; the message type is kept). */
export function mutate(r: Rng, b: Uint8Array, donors: readonly Uint8Array[], keep = 2): Uint8Array {
  let c: Uint8Array = Uint8Array.from(b);
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds; k++) {
    const len = c.length;
    const at = len > keep ? keep + r.int(len - keep) : len;
    switch (r.int(9)) {
      case 0:
        if (at < len) c[at] = (c[at] as number) ^ (1 << r.int(8));
        break;
      case 1:
        if (at < len) c[at] = INTERESTING[r.int(INTERESTING.length)] as number;
        break;
      case 2:
        if (at < len) c[at] = r.int(256);
        break;
      case 3:
        c = c.slice(0, at);
        break;
      case 4:
        c = cat(c.subarray(0, at), r.bytes(1 + r.int(16)), c.subarray(at));
        break;
      case 5:
        c = cat(c.subarray(0, at), c.subarray(Math.min(len, at + 1 + r.int(8))));
        break;
      case 6: {
        // duplicate a segment (repeats a TLV record when it lands on one)
        const n = 1 + r.int(40);
        c = cat(c.subarray(0, at), c.subarray(at, at + n), c.subarray(at));
        break;
      }
      case 7: {
        // splice in a chunk of another valid encoding
        const d = donors[r.int(donors.length)] as Uint8Array;
        if (d.length > 2) {
          const from = 2 + r.int(d.length - 2);
          c = cat(c.subarray(0, at), d.subarray(from, from + 1 + r.int(64)), c.subarray(at));
        }
        break;
      }
      default:
        c = cat(c, r.bytes(1 + r.int(8)));
    }
  }
  return c;
}

function cat(...p: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(p.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

const big = (n: bigint) => encodeBigSize(n);

/** A random TLV-shaped stream: records of plausible types with honest or lying lengths. */
function randomStream(r: Rng, tlvs: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let t = 0n;
  const n = r.int(9);
  for (let i = 0; i < n; i++) {
    const pick = r.int(10);
    if (pick < 6 && tlvs.length > 0) t = BigInt(tlvs[r.int(tlvs.length)] as number);
    else if (pick < 8) t += BigInt(r.int(4));
    else t = BigInt(r.int(0x20000));
    const vlen = r.int(r.int(4) === 0 ? 140 : 40);
    const lie = r.int(8) === 0 ? vlen + r.int(5) - 2 : vlen;
    parts.push(big(t), big(BigInt(Math.max(0, lie))), r.bytes(vlen));
  }
  return cat(...parts);
}

/** Result of one decoder's run. */
export interface FuzzReport {
  readonly decoder: string;
  readonly inputs: number;
  readonly random: number;
  readonly mutated: number;
  /** Inputs that decoded (and re-encoded to the same bytes). */
  readonly accepted: number;
  /** Inputs rejected with a WireError. */
  readonly rejected: number;
  /** Exceptions other than WireError, or accepted inputs that did not re-encode identically. */
  readonly crashes: number;
  readonly firstCrash?: { readonly hex: string; readonly error: string };
  readonly ms: number;
}

/** Every decoder the fuzz runs cover: one per message type, then the generic ones. */
export const DECODERS: readonly string[] = [...MESSAGE_NAMES, 'bigsize', 'tlv_stream', 'reassembler'];

function seedsFor(name: string, seed: number): Uint8Array[] {
  const own = sampleMessages()
    .filter((m) => m.type === name)
    .map((m) => encodeMessage(m));
  const random = fc
    .sample(messageArb(name), { numRuns: 8, seed })
    .map((m) => encodeMessage(m, { maxSize: 1 << 22 }));
  return [...own, ...random].filter((b) => b.length <= 65_535);
}

/** Runs `iterations` inputs (half random, half mutated) through `decoder`. */
export function fuzzDecoder(decoder: string, iterations: number, seed = 1): FuzzReport {
  const t0 = performance.now();
  const r = prng(seed ^ hashName(decoder));
  let accepted = 0;
  let rejected = 0;
  let crashes = 0;
  let random = 0;
  let firstCrash: FuzzReport['firstCrash'];
  const crash = (input: Uint8Array, e: unknown) => {
    crashes++;
    firstCrash ??= { hex: Buffer.from(input).toString('hex').slice(0, 4000), error: String(e) };
  };
  const run = (input: Uint8Array, decode: (b: Uint8Array) => Uint8Array | undefined) => {
    let again: Uint8Array | undefined;
    try {
      again = decode(input);
    } catch (e) {
      if (WireError.isInstance(e)) rejected++;
      else crash(input, e);
      return;
    }
    if (again !== undefined && !equal(again, input))
      crash(input, new Error('accepted input does not re-encode identically'));
    else accepted++;
  };

  if (decoder === 'bigsize') {
    const seeds = [0n, 0xfcn, 0xfdn, 0xffffn, 0x10000n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n].map(big);
    for (let i = 0; i < iterations; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        random++;
        input = r.bytes(r.int(11));
        if (input.length > 0 && r.int(2) === 0) input[0] = 0xfd + r.int(3);
      } else input = mutate(r, seeds[r.int(seeds.length)] as Uint8Array, seeds, 0);
      run(input, (b) => {
        const d = decodeBigSize(b, 0);
        const e = encodeBigSize(d.value);
        return equal(e, b.subarray(0, d.next)) ? b : e;
      });
    }
  } else if (decoder === 'tlv_stream') {
    const seeds = [
      encodeTlvStream([
        { type: 1n, value: new Uint8Array(3) },
        { type: 0xfdn, value: new Uint8Array(300) },
      ]),
    ];
    for (let i = 0; i < iterations; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        random++;
        input = r.int(2) === 0 ? r.bytes(r.int(60)) : randomStream(r, [0, 1, 2, 3, 0xfd, 0xfe]);
      } else input = mutate(r, seeds[0] as Uint8Array, seeds, 0);
      const known = r.int(4);
      run(input, (b) => encodeTlvStream(decodeTlvStream(b, { isKnown: (t) => t % 4n === BigInt(known) })));
    }
  } else if (decoder === 'reassembler') {
    const payload = encodeMessage({
      type: 'update_fail_htlc',
      channelId: new Uint8Array(32),
      id: 1n,
      reason: r.bytes(3000),
    });
    const frames = encodeFrames(decodeMessage(payload), { maxFrameSize: 1024, fragmentId: 5n });
    for (let i = 0; i < iterations; i++) {
      const seq = frames.map((f) => f);
      if (i % 2 === 0) {
        random++;
        seq.splice(
          r.int(seq.length + 1),
          0,
          cat(Uint8Array.from([0x00, 0x1a]), randomStream(r, [0, 2, 4, 6, 8, 10])),
        );
      }
      const edits = 1 + r.int(3);
      for (let k = 0; k < edits; k++) {
        const j = r.int(seq.length);
        switch (r.int(4)) {
          case 0:
            seq.splice(j, 1);
            break;
          case 1:
            seq.splice(j, 0, seq[r.int(seq.length)] as Uint8Array);
            break;
          case 2:
            seq[j] = mutate(r, seq[j] as Uint8Array, frames);
            break;
          default: {
            const o = r.int(seq.length);
            const tmp = seq[o] as Uint8Array;
            seq[o] = seq[j] as Uint8Array;
            seq[j] = tmp;
          }
        }
      }
      const ra = new Reassembler({ maxParts: 4 + r.int(4), maxTotalSize: 2000 + r.int(3000) });
      const input = cat(...seq);
      run(input, () => {
        for (const f of seq) ra.receive(f);
        return undefined;
      });
    }
  } else {
    const type = MESSAGE_TYPES[decoder as keyof typeof MESSAGE_TYPES];
    const codec = codecOf(decoder);
    if (type === undefined || codec === undefined) throw new Error(`unknown decoder ${decoder}`);
    const tlvs = codec.spec.fields.map((f) => f.tlv);
    const prefix = Uint8Array.from([type >>> 8, type & 0xff]);
    const seeds = seedsFor(decoder, seed);
    for (let i = 0; i < iterations; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        random++;
        input = cat(prefix, r.int(4) === 0 ? r.bytes(r.int(120)) : randomStream(r, tlvs));
      } else input = mutate(r, seeds[r.int(seeds.length)] as Uint8Array, seeds);
      run(input, (b) => encodeMessage(decodeMessage(b)));
    }
  }
  return {
    decoder,
    inputs: iterations,
    random,
    mutated: iterations - random,
    accepted,
    rejected,
    crashes,
    ...(firstCrash ? { firstCrash } : {}),
    ms: Math.round(performance.now() - t0),
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
