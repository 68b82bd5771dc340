// Fuzz: random and mutated handshake acts and transport frames. Only typed NoiseErrors, never any
// other exception, never a forged message, never a hang, no unhandled rejections. Counts come from
// fuzzIterations() (FUZZ_ITERATIONS; small under CI=true) and are printed.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzRng, fuzzIterations, fuzzRng } from '../../../test-utils/index.js';
import { CipherState } from '../src/cipherState.js';
import { HandshakeError, NoiseError } from '../src/errors.js';
import { Handshake } from '../src/handshake.js';
import { nodeAead } from '../src/node/aead.js';
import { accept, connect } from '../src/session.js';
import { TransportCipher } from '../src/transportCipher.js';
import { key, memoryPair, queuedRng } from './_helpers.js';

/** Frame inputs (cheap: symmetric crypto only). */
const N = fuzzIterations(100_000, 3_000);
/** Handshake inputs (each costs up to three secp256k1 multiplications), a tenth of N by default. */
const H = Math.max(1, Math.floor(N / 10));
const LONG = 600_000;
const SERVER = key(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const CLIENT = key(9);

/** A random mutation of `b`: bit flips, byte sets, truncation, extension, or splice. */
function mutate(r: FuzzRng, b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  switch (r.int(5)) {
    case 0: {
      const flips = 1 + r.int(4);
      for (let i = 0; i < flips; i++) c[r.int(c.length)]! ^= 1 << r.int(8);
      return c;
    }
    case 1:
      c[r.int(c.length)] = r.int(256);
      return c;
    case 2:
      return c.subarray(0, r.int(c.length));
    case 3: {
      const extra = r.bytes(1 + r.int(40));
      const out = new Uint8Array(c.length + extra.length);
      out.set(c);
      out.set(extra, c.length);
      return out;
    }
    default: {
      const at = r.int(c.length);
      c.set(r.bytes(Math.min(8, c.length - at)), at);
      return c;
    }
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function expectOnlyHandshakeError(f: () => void): 'ok' | 'error' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof HandshakeError)) throw e;
    return 'error';
  }
}

describe(`fuzz (${N} frame inputs, ${H} handshake inputs per target)`, () => {
  it(
    'responder act 1 and XK act 3: random and mutated inputs raise only HandshakeError',
    () => {
      const r = fuzzRng(0xc0ffee);
      const i0 = Handshake.initiator({
        remoteStatic: SERVER_PUB,
        pattern: 'XK',
        localStatic: CLIENT,
        rng: queuedRng(key(0x12)),
        aead: nodeAead,
      });
      const act1 = i0.writeAct();
      const r0 = Handshake.responder({
        localStatic: SERVER,
        pattern: 'XK',
        rng: queuedRng(key(0x22)),
        aead: nodeAead,
      });
      r0.readAct(act1);
      const act2 = r0.writeAct();
      i0.readAct(act2);
      const act3 = i0.writeAct();
      let accepted = 0;
      for (let n = 0; n < H; n++) {
        const third = n % 3 === 2;
        const input = n % 3 === 0 ? r.bytes(r.int(70)) : mutate(r, third ? act3 : act1);
        const hs = Handshake.responder({
          localStatic: SERVER,
          pattern: 'XK',
          rng: queuedRng(key(0x22)),
          aead: nodeAead,
        });
        const res = expectOnlyHandshakeError(() => {
          if (third) {
            hs.readAct(act1);
            hs.writeAct();
          }
          hs.readAct(input);
        });
        if (res === 'ok') {
          // Only a no-op mutation (e.g. a byte set to its own value) may be accepted.
          expect(Buffer.from(input).equals(third ? act3 : act1)).toBe(true);
          accepted++;
        }
      }
      console.log(
        `fuzz responder acts: ${H} inputs, ${accepted} accepted (mutations that left the act intact)`,
      );
    },
    LONG,
  );

  it(
    'initiator act 2: random and mutated inputs raise only HandshakeError',
    () => {
      const r = fuzzRng(0xbeef);
      const mk = () =>
        Handshake.initiator({ remoteStatic: SERVER_PUB, rng: queuedRng(key(0x12)), aead: nodeAead });
      const i0 = mk();
      const act1 = i0.writeAct();
      const r0 = Handshake.responder({ localStatic: SERVER, rng: queuedRng(key(0x22)), aead: nodeAead });
      r0.readAct(act1);
      const act2 = r0.writeAct();
      for (let n = 0; n < H; n++) {
        const input = n % 2 === 0 ? r.bytes(r.int(70)) : mutate(r, act2);
        const hs = mk();
        hs.writeAct();
        expectOnlyHandshakeError(() => hs.readAct(input));
      }
      console.log(`fuzz initiator act 2: ${H} inputs`);
    },
    LONG,
  );

  it(
    'transport frames: random and mutated streams in random chunks give only typed errors and never a forged message',
    () => {
      const r = fuzzRng(0x5eed);
      const k1 = key(1);
      const ck = key(3);
      const rot = { chainingKey: ck, interval: 1000 };
      const msgs = [
        Uint8Array.of(),
        Uint8Array.of(1, 2, 3),
        new Uint8Array(300).fill(9),
        new Uint8Array(2000).fill(4),
      ];
      const sender = new TransportCipher(
        new CipherState(nodeAead, k1, rot),
        new CipherState(nodeAead, k1, rot),
      );
      const stream = msgs.map((m) => sender.encrypt(m));
      const flat = new Uint8Array(stream.reduce((a, s) => a + s.length, 0));
      let o = 0;
      for (const s of stream) {
        flat.set(s, o);
        o += s.length;
      }
      const counts = { typed: 0, clean: 0 };
      for (let n = 0; n < N; n++) {
        const input = n % 4 === 0 ? r.bytes(r.int(200)) : mutate(r, flat);
        const rx = new TransportCipher(
          new CipherState(nodeAead, k1, rot),
          new CipherState(nodeAead, k1, rot),
          1024 + r.int(65536 - 1024),
        );
        const got: Uint8Array[] = [];
        try {
          for (let at = 0; at < input.length; ) {
            const step = 1 + r.int(600);
            got.push(...rx.push(input.subarray(at, at + step)));
            at += step;
          }
          counts.clean++;
        } catch (e) {
          if (!NoiseError.isInstance(e)) throw e;
          counts.typed++;
          // A failed reader stays failed with the same error.
          expect(() => rx.push(Uint8Array.of(0))).toThrow(e as Error);
        }
        // Whatever was delivered is a prefix of the genuine messages: nothing forged, nothing reordered.
        got.forEach((m, i) => {
          expect(Buffer.from(m).equals(msgs[i]!)).toBe(true);
        });
      }
      console.log(
        `fuzz frames: ${N} inputs, ${counts.typed} typed errors, ${counts.clean} ended without error`,
      );
      expect(counts.typed + counts.clean).toBe(N);
    },
    LONG,
  );

  it(
    'sessions fed garbage during and after the handshake close with a typed error, no unhandled rejection',
    async () => {
      const r = fuzzRng(0xfeed);
      const M = Math.max(30, Math.floor(H / 10));
      let typed = 0;
      for (let n = 0; n < M; n++) {
        const [a, b] = memoryPair();
        const during = n % 2 === 0;
        const pc = connect(a, { remoteStatic: SERVER_PUB });
        const ps = accept(b, { localStatic: SERVER });
        if (during) {
          b.inject(r.bytes(1 + r.int(120)));
          const res = await Promise.allSettled([pc, ps]);
          const rs = res[1];
          expect(rs.status).toBe('rejected');
          if (rs.status === 'rejected' && NoiseError.isInstance(rs.reason)) typed++;
        } else {
          const [, s] = await Promise.all([pc, ps]);
          b.inject(r.bytes(18 + r.int(120)));
          const e = await s.closed;
          if (NoiseError.isInstance(e)) typed++;
        }
      }
      console.log(`fuzz sessions: ${M} garbage-fed sessions, ${typed} closed with a typed error`);
      expect(typed).toBe(M);
    },
    LONG,
  );
});
