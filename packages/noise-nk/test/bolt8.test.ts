// BOLT 8 Appendix A (vectors/bolt8/transport.json): every handshake case, including the error cases,
// and the message-encryption test with key rotation, for both AEAD backends and every secp256k1 curve
// backend (`@superscalar/secp`: noble, and libsecp256k1 where it loaded; under CI=true it must).

import { setCurveBackend } from '@superscalar/secp';
import { backendsUnderTest } from '@superscalar/secp/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import { hkdf2 } from '../src/_hkdf.js';
import { CipherState } from '../src/cipherState.js';
import { HandshakeError } from '../src/errors.js';
import { Handshake } from '../src/handshake.js';
import { TransportCipher } from '../src/transportCipher.js';
import { ascii, BACKENDS, hex, queuedRng, toHex } from './_helpers.js';

interface Act {
  act: number;
  input?: string;
  output?: string;
  expected_error?: string;
}
interface Case {
  name: string;
  role: 'initiator' | 'responder';
  keys: { rs_pub?: string; ls_priv: string; ls_pub: string; e_priv: string; e_pub: string };
  acts: Act[];
  final_keys?: { sk: string; rk: string };
}
interface Vectors {
  protocol_name: string;
  prologue_ascii: string;
  handshakes: Case[];
  message_test: {
    ck: string;
    sk: string;
    rk: string;
    outputs: { index: number; ciphertext: string }[];
    key_rotations: { ck_in: string; key_in: string; ck_out: string; key_out: string }[];
  };
}

const V = vectorJson<Vectors>('bolt8/transport.json');

const CASES = BACKENDS.flatMap(([name, aead]) =>
  backendsUnderTest().map((c) => [`${name}, curve ${c.id}`, aead, c] as const),
);

describe.each(CASES)('BOLT 8 transport vectors (%s)', (_name, aead, curveBackend) => {
  beforeAll(() => void setCurveBackend(curveBackend));
  afterAll(() => void setCurveBackend('auto'));
  const rot = (ck: string) => ({ chainingKey: hex(ck), interval: 1000 });
  const cipherFromKeys = (sk: string, rk: string, ck: string) =>
    new TransportCipher(new CipherState(aead, hex(sk), rot(ck)), new CipherState(aead, hex(rk), rot(ck)));

  it('has the 15 handshake cases and the XK protocol name', () => {
    expect(V.handshakes).toHaveLength(15);
    expect(V.protocol_name).toBe('Noise_XK_secp256k1_ChaChaPoly_SHA256');
  });

  for (const c of V.handshakes) {
    it(`${c.name}: acts match byte for byte; errors carry the spec's label`, () => {
      const common = {
        pattern: 'XK' as const,
        prologue: ascii(V.prologue_ascii),
        protocolName: V.protocol_name,
        rng: queuedRng(hex(c.keys.e_priv)),
        aead,
        localStatic: hex(c.keys.ls_priv),
      };
      const hs =
        c.role === 'initiator'
          ? Handshake.initiator({ ...common, remoteStatic: hex(c.keys.rs_pub!) })
          : Handshake.responder(common);
      let failed = false;
      for (const a of c.acts) {
        if (a.output !== undefined) {
          expect(hs.isMyTurn).toBe(true);
          expect(toHex(hs.writeAct())).toBe(a.output);
        } else {
          expect(hs.isMyTurn).toBe(false);
          if (a.expected_error !== undefined) {
            let err: unknown;
            try {
              hs.readAct(hex(a.input!));
            } catch (e) {
              err = e;
            }
            expect(err).toBeInstanceOf(HandshakeError);
            const label = a.expected_error.split(' ')[0];
            expect((err as HandshakeError).bolt8Label).toBe(label);
            expect((err as HandshakeError).act).toBe(a.act);
            failed = true;
          } else hs.readAct(hex(a.input!));
        }
      }
      expect(hs.isComplete).toBe(!failed);
      if (c.final_keys !== undefined) {
        const { transport, remoteStatic } = hs.outcome;
        const ck = V.message_test.ck;
        // Our sending key and chaining key equal the vector's sk/ck: identical frames.
        const ref = cipherFromKeys(c.final_keys.sk, c.final_keys.rk, ck);
        const msg = ascii('hello');
        expect(toHex(transport.encrypt(msg))).toBe(toHex(ref.encrypt(msg)));
        // Our receiving key equals the vector's rk: we decrypt what the peer would send.
        const peer = cipherFromKeys(c.final_keys.rk, c.final_keys.sk, ck);
        expect(transport.push(peer.encrypt(msg))).toEqual([msg]);
        if (c.role === 'responder') {
          // XK: the responder learns the initiator's static key (the transport-initiator ls_pub).
          expect(toHex(remoteStatic!)).toBe(V.handshakes[0]!.keys.ls_pub);
        } else expect(toHex(remoteStatic!)).toBe(c.keys.rs_pub);
      }
    });
  }

  it('message test: frames at 0/1/500/501/1000/1001 match, keys rotate every 500 messages', () => {
    const t = V.message_test;
    const sender = cipherFromKeys(t.sk, t.rk, t.ck);
    const receiver = cipherFromKeys(t.rk, t.sk, t.ck);
    const want = new Map(t.outputs.map((o) => [o.index, o.ciphertext]));
    expect([...want.keys()]).toEqual([0, 1, 500, 501, 1000, 1001]);
    const hello = ascii('hello');
    let checked = 0;
    for (let i = 0; i <= 1001; i++) {
      const frame = sender.encrypt(hello);
      const w = want.get(i);
      if (w !== undefined) {
        expect(toHex(frame)).toBe(w);
        checked++;
      }
      expect(receiver.push(frame)).toEqual([hello]);
    }
    expect(checked).toBe(6);
  });

  it('key rotation steps are HKDF(ck, k) as listed', () => {
    expect(V.message_test.key_rotations).toHaveLength(2);
    for (const r of V.message_test.key_rotations) {
      const [ck, k] = hkdf2(hex(r.ck_in), hex(r.key_in));
      expect(toHex(ck)).toBe(r.ck_out);
      expect(toHex(k)).toBe(r.key_out);
    }
  });
});
