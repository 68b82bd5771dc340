// Fragmentation (brief §10: messages over 65,535 bytes are split): a 1,024-client proposal crosses in
// parts and reassembles into the same proposal; every rule of the reassembler has its typed error,
// and memory stays bounded by the configured limits.
import { buildTree } from '@superscalar/factory-tree';
import { describe, expect, it } from 'vitest';
import { proposeOf, sampleProposal } from '../scripts/_samples.js';
import {
  decodeMessage,
  encodeFrames,
  encodeMessage,
  type Fragment,
  MAX_MESSAGE_SIZE,
  type Message,
  Reassembler,
} from '../src/index.js';
import { codeOf } from './_err.js';

const code = (f: () => unknown): string => codeOf(f, 'none');

const reason = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const failMsg = (n: number): Message => ({
  type: 'update_fail_htlc',
  channelId: new Uint8Array(32),
  id: 1n,
  reason: reason(n),
});
const asFragments = (frames: Uint8Array[]) => frames.map((f) => decodeMessage(f) as Fragment);
const frag = (f: Fragment, patch: Partial<Fragment>): Message => ({ ...f, ...patch });

describe('factory_propose for N = 1,024', () => {
  it('is split into frames of at most 65,535 bytes and reassembles into the same proposal and tree', () => {
    const proposal = sampleProposal(1024, 'mainnet');
    const frames = encodeFrames(proposeOf(proposal), { fragmentId: 1n });
    const whole = encodeMessage(proposeOf(proposal), { maxSize: 1 << 22 });
    console.log(`factory_propose N = 1,024: ${whole.length} bytes in ${frames.length} frames`);
    expect(frames.length).toBe(Math.ceil(whole.length / (MAX_MESSAGE_SIZE - 34)));
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
    const r = new Reassembler();
    const out = frames.map((f) => r.receive(f));
    expect(out.slice(0, -1).every((m) => m === undefined)).toBe(true);
    const m = out.at(-1);
    if (m?.type !== 'factory_propose') throw new Error('not reassembled');
    expect(m.proposal).toEqual(proposal);
    expect(
      buildTree(m.proposal)
        .txs.slice(0, 8)
        .map((t) => t.txid),
    ).toEqual(
      buildTree(proposal)
        .txs.slice(0, 8)
        .map((t) => t.txid),
    );
    expect(r.inProgress).toBe(false);
  }, 120_000);
});

describe('encodeFrames', () => {
  it('sends a message that fits as itself', () => {
    const m = failMsg(10);
    expect(encodeFrames(m)).toEqual([encodeMessage(m)]);
  });
  it('honours a smaller frame size and refuses to fragment a fragment', () => {
    const frames = encodeFrames(failMsg(5000), { maxFrameSize: 1024 });
    expect(frames.length).toBe(6);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(1024);
    expect(code(() => encodeFrames(decodeMessage(frames[0]!)))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => encodeFrames(failMsg(10), { maxFrameSize: 100 }))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => encodeFrames(failMsg(2_000_000)))).toBe('WIRE_MESSAGE_TOO_LARGE');
  });
});

describe('Reassembler rules', () => {
  const parts = () => asFragments(encodeFrames(failMsg(5000), { maxFrameSize: 1024, fragmentId: 9n }));

  it('passes other messages through, also between parts', () => {
    const r = new Reassembler();
    const ps = parts();
    expect(r.push(ps[0]!)).toBeUndefined();
    const ping: Message = { type: 'ping', numPongBytes: 0, ignored: new Uint8Array(0) };
    expect(r.push(ping)).toBe(ping);
    let out: Message | undefined;
    for (const p of ps.slice(1)) out = r.push(p);
    expect(out).toEqual(failMsg(5000));
  });
  it('rejects a part before part 0 (FRAGMENT_OUT_OF_ORDER)', () => {
    expect(code(() => new Reassembler().push(parts()[1]!))).toBe('WIRE_FRAGMENT_OUT_OF_ORDER');
  });
  it('rejects a skipped part (FRAGMENT_OUT_OF_ORDER) and a repeated one (FRAGMENT_DUPLICATE)', () => {
    const ps = parts();
    const r = new Reassembler();
    r.push(ps[0]!);
    expect(code(() => r.push(ps[2]!))).toBe('WIRE_FRAGMENT_OUT_OF_ORDER');
    expect(r.inProgress).toBe(false);
    r.push(ps[0]!);
    r.push(ps[1]!);
    expect(code(() => r.push(ps[1]!))).toBe('WIRE_FRAGMENT_DUPLICATE');
  });
  it('bounds parts and total size before buffering anything', () => {
    const ps = parts();
    expect(code(() => new Reassembler({ maxParts: 5 }).push(ps[0]!))).toBe('WIRE_FRAGMENT_TOO_MANY_PARTS');
    expect(code(() => new Reassembler({ maxTotalSize: 4000 }).push(ps[0]!))).toBe('WIRE_FRAGMENT_TOO_LARGE');
    const r = new Reassembler();
    expect(code(() => r.push(frag(ps[0]!, { totalLength: 0xffffffff })))).toBe('WIRE_FRAGMENT_TOO_LARGE');
    expect(r.bufferedBytes).toBe(0);
    expect(
      code(() =>
        new Reassembler({ maxTotalSize: 1 << 30 }).push(frag(ps[0]!, { parts: 2, totalLength: 200_000 })),
      ),
    ).toBe('WIRE_FRAGMENT_MISMATCH');
  });
  it('rejects parts of another message before the current one completes (FRAGMENT_INTERLEAVED)', () => {
    const ps = parts();
    const r = new Reassembler();
    r.push(ps[0]!);
    expect(code(() => r.push(frag(ps[1]!, { fragmentId: 10n })))).toBe('WIRE_FRAGMENT_INTERLEAVED');
  });
  it('rejects parts that disagree with part 0 (FRAGMENT_MISMATCH)', () => {
    const ps = parts();
    for (const patch of [{ parts: 7 }, { totalLength: ps[0]!.totalLength + 1 }, { messageType: 0x0302 }]) {
      const r = new Reassembler();
      r.push(ps[0]!);
      expect(code(() => r.push(frag(ps[1]!, patch)))).toBe('WIRE_FRAGMENT_MISMATCH');
    }
  });
  it('rejects data that exceeds or falls short of the declared length (FRAGMENT_LENGTH_MISMATCH)', () => {
    const ps = parts();
    const long = new Reassembler();
    long.push(frag(ps[0]!, { data: new Uint8Array(ps[0]!.totalLength) }));
    expect(code(() => long.push(ps[1]!))).toBe('WIRE_FRAGMENT_LENGTH_MISMATCH');
    const short = new Reassembler();
    let c = 'none';
    ps.forEach((p, i) => {
      if (c === 'none') c = code(() => short.push(i === 3 ? frag(p, { data: p.data.subarray(1) }) : p));
    });
    expect(c).toBe('WIRE_FRAGMENT_LENGTH_MISMATCH');
  });
  it('rejects a joined message whose type is not the declared one', () => {
    const ps = parts();
    const r = new Reassembler();
    const first = Uint8Array.from(ps[0]!.data);
    first[1] = 0x02; // stfu instead of update_fail_htlc
    r.push(frag(ps[0]!, { data: first }));
    let c = 'none';
    for (const p of ps.slice(1)) if (c === 'none') c = code(() => r.push(p));
    expect(c).toBe('WIRE_FRAGMENT_MISMATCH');
  });
  it('reports a joined message that does not decode with its decoding error', () => {
    const ps = parts();
    const r = new Reassembler();
    const first = Uint8Array.from(ps[0]!.data);
    first[2] = 0x02; // the first TLV type becomes 2 after... a shuffled stream
    r.push(frag(ps[0]!, { data: first }));
    let c = 'none';
    for (const p of ps.slice(1)) if (c === 'none') c = code(() => r.push(p));
    expect(c).not.toBe('none');
    expect(c.startsWith('FRAGMENT_')).toBe(false);
  });
  it('validates its options', () => {
    expect(code(() => new Reassembler({ maxParts: 1 }))).toBe('WIRE_INVALID_ARGUMENT');
    expect(code(() => new Reassembler({ maxTotalSize: -1 }))).toBe('WIRE_INVALID_ARGUMENT');
  });
});
