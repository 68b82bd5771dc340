// Our published Noise_NK_secp256k1_ChaChaPoly_SHA256 vectors (test/vectors/nk-secp256k1.json): the
// package reproduces every byte with both AEAD backends, rejects every error case with its label, and
// the committed generator (an independent, spec-plain implementation) still produces the file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '../scripts/generate-vectors.js';
import { CipherState } from '../src/cipherState.js';
import { secp256k1Dh } from '../src/dh.js';
import { HandshakeError } from '../src/errors.js';
import { Handshake } from '../src/handshake.js';
import { HandshakeState } from '../src/handshakeState.js';
import { TransportCipher } from '../src/transportCipher.js';
import { ascii, BACKENDS, hex, queuedRng, toHex } from './_helpers.js';

interface TransportCase {
  name: string;
  prologue_ascii: string;
  responder: { ls_priv: string; ls_pub: string; e_priv: string };
  initiator: { rs_pub: string; e_priv: string };
  act1: string;
  act2: string;
  handshake_hash: string;
  ck: string;
  initiator_sk: string;
  initiator_rk: string;
  message: string;
  initiator_frames: { index: number; ciphertext: string }[];
  responder_frames: { index: number; ciphertext: string }[];
  errors: { role: 'initiator' | 'responder'; act: number; input: string; expected_error: string }[];
}
interface NoiseEntry {
  protocol_name: string;
  init_prologue: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_prologue: string;
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}
const FILE = new URL('./vectors/nk-secp256k1.json', import.meta.url);
const V = JSON.parse(readFileSync(FILE, 'utf8')) as { transport: TransportCase[]; noise: NoiseEntry[] };

describe('published NK-over-secp256k1 vectors', () => {
  it('the committed generator reproduces the committed file exactly', () => {
    expect(JSON.parse(JSON.stringify(generate()))).toEqual(V);
    expect(V.transport.length).toBe(2);
    expect(V.noise.length).toBe(1);
  });
});

describe.each(BACKENDS)('NK-over-secp256k1 vectors (%s)', (_name, aead) => {
  for (const t of V.transport) {
    const init = () =>
      Handshake.initiator({
        remoteStatic: hex(t.initiator.rs_pub),
        prologue: ascii(t.prologue_ascii),
        rng: queuedRng(hex(t.initiator.e_priv)),
        aead,
      });
    const resp = () =>
      Handshake.responder({
        localStatic: hex(t.responder.ls_priv),
        prologue: ascii(t.prologue_ascii),
        rng: queuedRng(hex(t.responder.e_priv)),
        aead,
      });

    it(`${t.name}: acts, handshake hash and frames at 0/1/500/501/1000/1001 match both ways`, () => {
      const i = init();
      const r = resp();
      const a1 = i.writeAct();
      expect(toHex(a1)).toBe(t.act1);
      r.readAct(a1);
      const a2 = r.writeAct();
      expect(toHex(a2)).toBe(t.act2);
      i.readAct(a2);
      expect(toHex(i.outcome.handshakeHash)).toBe(t.handshake_hash);
      expect(toHex(r.outcome.handshakeHash)).toBe(t.handshake_hash);
      expect(r.outcome.remoteStatic).toBeUndefined();
      // The split keys are the listed ones: a cipher built from them frames identically.
      const rot = { chainingKey: hex(t.ck), interval: 1000 };
      const ref = new TransportCipher(
        new CipherState(aead, hex(t.initiator_sk), rot),
        new CipherState(aead, hex(t.initiator_rk), rot),
      );
      const msg = hex(t.message);
      const wantI = new Map(t.initiator_frames.map((f) => [f.index, f.ciphertext]));
      const wantR = new Map(t.responder_frames.map((f) => [f.index, f.ciphertext]));
      for (let n = 0; n <= 1001; n++) {
        const fi = i.outcome.transport.encrypt(msg);
        const fr = r.outcome.transport.encrypt(msg);
        const fref = ref.encrypt(msg);
        if (n < 3 || wantI.has(n)) expect(toHex(fi)).toBe(toHex(fref));
        if (wantI.has(n)) expect(toHex(fi)).toBe(wantI.get(n));
        if (wantR.has(n)) expect(toHex(fr)).toBe(wantR.get(n));
        expect(r.outcome.transport.push(fi)).toEqual([msg]);
        expect(i.outcome.transport.push(fr)).toEqual([msg]);
      }
    });

    for (const e of t.errors) {
      it(`${t.name}: ${e.role} rejects act ${e.act} with ${e.expected_error}`, () => {
        let hs: Handshake;
        if (e.role === 'responder') hs = resp();
        else {
          hs = init();
          hs.writeAct();
        }
        let err: unknown;
        try {
          hs.readAct(hex(e.input));
        } catch (x) {
          err = x;
        }
        expect(err).toBeInstanceOf(HandshakeError);
        expect((err as HandshakeError).bolt8Label).toBe(e.expected_error);
      });
    }
  }

  for (const e of V.noise) {
    it(`Noise-format entry ${e.protocol_name}: every message matches`, () => {
      const mk = (initiator: boolean) =>
        new HandshakeState({
          pattern: 'NK',
          initiator,
          dh: secp256k1Dh,
          aead,
          protocolName: e.protocol_name,
          prologue: hex(initiator ? e.init_prologue : e.resp_prologue),
          localStatic: initiator ? undefined : hex(e.resp_static),
          remoteStatic: initiator ? hex(e.init_remote_static) : undefined,
          rng: queuedRng(hex(initiator ? e.init_ephemeral : e.resp_ephemeral)),
        });
      const i = mk(true);
      const r = mk(false);
      const m = e.messages;
      expect(toHex(i.writeMessage(hex(m[0]!.payload)))).toBe(m[0]!.ciphertext);
      expect(toHex(r.readMessage(hex(m[0]!.ciphertext)))).toBe(m[0]!.payload);
      expect(toHex(r.writeMessage(hex(m[1]!.payload)))).toBe(m[1]!.ciphertext);
      expect(toHex(i.readMessage(hex(m[1]!.ciphertext)))).toBe(m[1]!.payload);
      expect(toHex(i.result().handshakeHash)).toBe(e.handshake_hash);
      const ir = i.result();
      const rr = r.result();
      for (let n = 2; n < m.length; n++) {
        const [w, rd] = n % 2 === 0 ? [ir.send, rr.receive] : [rr.send, ir.receive];
        const ct = w.encryptWithAd(new Uint8Array(0), hex(m[n]!.payload));
        expect(toHex(ct)).toBe(m[n]!.ciphertext);
        expect(toHex(rd.decryptWithAd(new Uint8Array(0), ct)!)).toBe(m[n]!.payload);
      }
    });
  }
});
