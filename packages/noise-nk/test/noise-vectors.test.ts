// The Noise framework vectors (cacophony and snow) for NN, NK and XK over 25519 with ChaChaPoly and
// SHA256: checks the symmetric and handshake state machines with X25519, for both AEAD backends.
// The 448 and psk entries are excluded (counted below and in the README).
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import type { CipherState } from '../src/cipherState.js';
import { x25519Dh } from '../src/dh.js';
import { HandshakeState, type PatternName, patternMessageCount } from '../src/handshakeState.js';
import { BACKENDS, hex, queuedRng, toHex } from './_helpers.js';

interface Entry {
  protocol_name: string;
  init_prologue: string;
  resp_prologue: string;
  init_ephemeral: string;
  resp_ephemeral: string;
  init_static?: string;
  resp_static?: string;
  init_remote_static?: string;
  handshake_hash?: string;
  messages: { payload: string; ciphertext: string }[];
}

const FILES = [
  'noise/cacophony_NN_NK_XK_ChaChaPoly_SHA256.json',
  'noise/snow_NN_NK_XK_ChaChaPoly_SHA256.json',
];
const RUN = /^Noise_(NN|NK|XK)_25519_ChaChaPoly_SHA256$/;

const selected: { file: string; e: Entry }[] = [];
const excluded = { x448: 0, psk: 0 };
for (const file of FILES) {
  for (const e of vectorJson<{ vectors: Entry[] }>(file).vectors) {
    if (RUN.test(e.protocol_name)) selected.push({ file, e });
    else if (e.protocol_name.includes('_448_')) excluded.x448++;
    else if (/psk/.test(e.protocol_name)) excluded.psk++;
    else throw new Error(`unclassified vector ${e.protocol_name}`);
  }
}

describe.each(BACKENDS)('Noise NN/NK/XK 25519 vectors (%s)', (_name, aead) => {
  it('selects 6 entries and excludes 8 x448 and 7 psk-over-25519 entries', () => {
    console.log(
      `noise vectors: ${selected.length} run, excluded ${excluded.x448} (448), ${excluded.psk} (psk, 25519)`,
    );
    expect(selected).toHaveLength(6);
    expect(excluded).toEqual({ x448: 8, psk: 7 });
  });

  for (const { file, e } of selected) {
    it(`${file.split('/')[1]!.split('_')[0]} ${e.protocol_name}: every message matches`, () => {
      const pattern = e.protocol_name.split('_')[1] as PatternName;
      const init = new HandshakeState({
        pattern,
        initiator: true,
        dh: x25519Dh,
        aead,
        protocolName: e.protocol_name,
        prologue: hex(e.init_prologue),
        localStatic: e.init_static === undefined ? undefined : hex(e.init_static),
        remoteStatic: e.init_remote_static === undefined ? undefined : hex(e.init_remote_static),
        rng: queuedRng(hex(e.init_ephemeral)),
      });
      const resp = new HandshakeState({
        pattern,
        initiator: false,
        dh: x25519Dh,
        aead,
        protocolName: e.protocol_name,
        prologue: hex(e.resp_prologue),
        localStatic: e.resp_static === undefined ? undefined : hex(e.resp_static),
        rng: queuedRng(hex(e.resp_ephemeral)),
      });
      const n = patternMessageCount(pattern);
      expect(e.messages.length).toBeGreaterThan(n);
      // After the handshake: [initiator send, responder receive] and [responder send, initiator receive].
      let toResp: [CipherState, CipherState] | undefined;
      let toInit: [CipherState, CipherState] | undefined;
      e.messages.forEach((m, i) => {
        const fromInit = i % 2 === 0;
        if (i < n) {
          const [w, r] = fromInit ? [init, resp] : [resp, init];
          const ct = w.writeMessage(hex(m.payload));
          expect(toHex(ct)).toBe(m.ciphertext);
          expect(toHex(r.readMessage(ct))).toBe(m.payload);
          if (i === n - 1) {
            expect(init.isComplete && resp.isComplete).toBe(true);
            const a = init.result();
            const b = resp.result();
            expect(toHex(a.handshakeHash)).toBe(toHex(b.handshakeHash));
            if (e.handshake_hash !== undefined) expect(toHex(a.handshakeHash)).toBe(e.handshake_hash);
            toResp = [a.send, b.receive];
            toInit = [b.send, a.receive];
          }
        } else {
          const [w, r] = (fromInit ? toResp : toInit)!;
          const ct = w.encryptWithAd(new Uint8Array(0), hex(m.payload));
          expect(toHex(ct)).toBe(m.ciphertext);
          expect(toHex(r.decryptWithAd(new Uint8Array(0), ct)!)).toBe(m.payload);
        }
      });
    });
  }
});
