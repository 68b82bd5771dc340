/**
 * Generates `test/vectors/nk-secp256k1.json`: test vectors for Noise_NK_secp256k1_ChaChaPoly_SHA256
 * as this package uses it (no public vectors exist). The bytes are computed here by a second,
 * deliberately plain implementation of the NK key schedule written straight from the Noise
 * specification and BOLT 8 (it imports nothing from `src/`); `test/nk-vectors.test.ts` checks the
 * package against the file and checks that this script still reproduces it.
 *
 * Run: `npx tsx scripts/generate-vectors.ts` (from packages/noise-nk).
 */
import { writeFileSync } from 'node:fs';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...p: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(p));
const pub = (sk: Uint8Array): Uint8Array => secp256k1.getPublicKey(sk, true);
const ecdh = (sk: Uint8Array, pk: Uint8Array): Uint8Array => sha256(secp256k1.getSharedSecret(sk, pk, true));
const hkdf2 = (ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] => {
  const o = hkdf(sha256, ikm, ck, undefined, 64);
  return [o.slice(0, 32), o.slice(32)];
};
const nonce = (n: number): Uint8Array => {
  const b = Buffer.alloc(12);
  b.writeBigUInt64LE(BigInt(n), 4);
  return Uint8Array.from(b);
};
const seal = (k: Uint8Array, n: number, ad: Uint8Array, pt: Uint8Array): Uint8Array =>
  chacha20poly1305(k, nonce(n), ad).encrypt(pt);

/** A BOLT 8 rotating sender: ck, k, n; rotates after 1,000 uses. */
class Sender {
  constructor(
    private ck: Uint8Array,
    private k: Uint8Array,
    private n = 0,
  ) {}
  enc(pt: Uint8Array): Uint8Array {
    const c = seal(this.k, this.n, new Uint8Array(0), pt);
    if (++this.n === 1000) {
      [this.ck, this.k] = hkdf2(this.ck, this.k);
      this.n = 0;
    }
    return c;
  }
  frame(m: Uint8Array): Uint8Array {
    return cat(this.enc(Uint8Array.of(m.length >> 8, m.length & 0xff)), this.enc(m));
  }
}

interface NkInput {
  protocolName: string;
  prologue: Uint8Array;
  rsPriv: Uint8Array; // responder static
  reiPriv: Uint8Array; // initiator ephemeral
  rerPriv: Uint8Array; // responder ephemeral
  payload1: Uint8Array;
  payload2: Uint8Array;
}

/** Noise NK, straight from the spec: returns both messages, h, ck and the split keys. */
function nk(i: NkInput) {
  const name = ascii(i.protocolName);
  let h = name.length <= 32 ? cat(name, new Uint8Array(32 - name.length)) : sha256(name);
  let ck = h;
  const mix = (d: Uint8Array) => {
    h = sha256(cat(h, d));
  };
  mix(i.prologue);
  const rs = pub(i.rsPriv);
  mix(rs); // <- s
  // -> e, es
  const ei = pub(i.reiPriv);
  mix(ei);
  let k: Uint8Array;
  [ck, k] = hkdf2(ck, ecdh(i.reiPriv, rs));
  const c1 = seal(k, 0, h, i.payload1);
  mix(c1);
  const m1 = cat(ei, c1);
  // <- e, ee
  const er = pub(i.rerPriv);
  mix(er);
  [ck, k] = hkdf2(ck, ecdh(i.rerPriv, ei));
  const c2 = seal(k, 0, h, i.payload2);
  mix(c2);
  const m2 = cat(er, c2);
  const [k1, k2] = hkdf2(ck, new Uint8Array(0));
  return { rs, m1, m2, h, ck, k1, k2 };
}

const RS = unhex('21'.repeat(32));
const EI = unhex('12'.repeat(32));
const ER = unhex('22'.repeat(32));
const NAME = 'Noise_NK_secp256k1_ChaChaPoly_SHA256';
const flip = (b: Uint8Array, at: number, v?: number): string => {
  const c = Uint8Array.from(b);
  c[at] = v ?? c[at]! ^ 0x01;
  return hex(c);
};

/** Builds the whole vector file. */
export function generate(): unknown {
  const transport = [
    { name: 'default prologue', prologue: 'superscalar-ts/1', rs: RS, ei: EI, er: ER },
    {
      name: 'prologue "lightning", other keys',
      prologue: 'lightning',
      rs: unhex('31'.repeat(32)),
      ei: unhex('41'.repeat(32)),
      er: unhex('51'.repeat(32)),
    },
  ].map((t) => {
    const r = nk({
      protocolName: NAME,
      prologue: ascii(t.prologue),
      rsPriv: t.rs,
      reiPriv: t.ei,
      rerPriv: t.er,
      payload1: new Uint8Array(0),
      payload2: new Uint8Array(0),
    });
    const act1 = cat(Uint8Array.of(0), r.m1);
    const act2 = cat(Uint8Array.of(0), r.m2);
    const i2r = new Sender(r.ck, r.k1);
    const r2i = new Sender(r.ck, r.k2);
    const hello = ascii('hello');
    const idx = new Set([0, 1, 500, 501, 1000, 1001]);
    const initiator_frames: { index: number; ciphertext: string }[] = [];
    const responder_frames: { index: number; ciphertext: string }[] = [];
    for (let n = 0; n <= 1001; n++) {
      const a = i2r.frame(hello);
      const b = r2i.frame(hello);
      if (idx.has(n)) {
        initiator_frames.push({ index: n, ciphertext: hex(a) });
        responder_frames.push({ index: n, ciphertext: hex(b) });
      }
    }
    return {
      name: t.name,
      prologue_ascii: t.prologue,
      responder: { ls_priv: hex(t.rs), ls_pub: hex(r.rs), e_priv: hex(t.er), e_pub: hex(pub(t.er)) },
      initiator: { rs_pub: hex(r.rs), e_priv: hex(t.ei), e_pub: hex(pub(t.ei)) },
      act1: hex(act1),
      act2: hex(act2),
      handshake_hash: hex(r.h),
      ck: hex(r.ck),
      initiator_sk: hex(r.k1),
      initiator_rk: hex(r.k2),
      message: hex(hello),
      initiator_frames,
      responder_frames,
      errors: [
        { role: 'responder', act: 1, input: hex(act1.subarray(0, 49)), expected_error: 'ACT1_READ_FAILED' },
        { role: 'responder', act: 1, input: flip(act1, 0, 1), expected_error: 'ACT1_BAD_VERSION' },
        { role: 'responder', act: 1, input: flip(act1, 1, 4), expected_error: 'ACT1_BAD_PUBKEY' },
        { role: 'responder', act: 1, input: flip(act1, 49), expected_error: 'ACT1_BAD_TAG' },
        { role: 'initiator', act: 2, input: hex(act2.subarray(0, 49)), expected_error: 'ACT2_READ_FAILED' },
        { role: 'initiator', act: 2, input: flip(act2, 0, 1), expected_error: 'ACT2_BAD_VERSION' },
        { role: 'initiator', act: 2, input: flip(act2, 1, 4), expected_error: 'ACT2_BAD_PUBKEY' },
        { role: 'initiator', act: 2, input: flip(act2, 49), expected_error: 'ACT2_BAD_TAG' },
      ],
    };
  });

  // Noise wiki format (no version byte), with payloads and transport messages (no key rotation).
  const payloads = [
    '4c756477696720766f6e204d69736573',
    '4d757272617920526f746862617264',
    '462e20412e20486179656b',
    '4361726c204d656e676572',
    '4a65616e2d426170746973746520536179',
    '457567656e2042f6686d20766f6e2042617765726b',
  ];
  const r = nk({
    protocolName: NAME,
    prologue: ascii('John Galt'),
    rsPriv: RS,
    reiPriv: EI,
    rerPriv: ER,
    payload1: unhex(payloads[0]!),
    payload2: unhex(payloads[1]!),
  });
  const messages = [
    { payload: payloads[0]!, ciphertext: hex(r.m1) },
    { payload: payloads[1]!, ciphertext: hex(r.m2) },
  ];
  const nonces = [0, 0];
  for (let m = 2; m < payloads.length; m++) {
    const fromInit = m % 2 === 0;
    const k = fromInit ? r.k1 : r.k2;
    const d = fromInit ? 0 : 1;
    messages.push({
      payload: payloads[m]!,
      ciphertext: hex(seal(k, nonces[d]!++, new Uint8Array(0), unhex(payloads[m]!))),
    });
  }
  const noise = [
    {
      protocol_name: NAME,
      init_prologue: hex(ascii('John Galt')),
      init_ephemeral: hex(EI),
      init_remote_static: hex(r.rs),
      resp_prologue: hex(ascii('John Galt')),
      resp_static: hex(RS),
      resp_ephemeral: hex(ER),
      handshake_hash: hex(r.h),
      messages,
    },
  ];

  return {
    source: '@superscalar/noise-nk scripts/generate-vectors.ts',
    protocol_name: NAME,
    notes: [
      'Noise_NK_secp256k1_ChaChaPoly_SHA256 as @superscalar/noise-nk uses it: BOLT 8 ECDH (SHA256 of the compressed shared point), 33-byte compressed keys, ChaCha20-Poly1305 with the Noise nonce encoding, SHA-256 and HKDF-SHA256. The protocol name is 36 bytes, so h starts as SHA256(protocol_name).',
      'transport[]: the handshake as sent on the wire: each act is the version byte 0x00 then the Noise message with an empty payload (act1 = 0x00 || e_i || tag, act2 = 0x00 || e_r || tag; 50 bytes each). After act 2 both sides split: initiator_sk = temp_k1 (initiator to responder), initiator_rk = temp_k2. Frames are BOLT 8 frames of the message "hello": encrypted 2-byte length + MAC then encrypted body + MAC; each direction keeps its own copy of ck and rotates its key after 1,000 uses (every 500 messages).',
      'transport[].errors: inputs that must fail with the BOLT 8-style label: READ_FAILED (short), BAD_VERSION, BAD_PUBKEY (0x04 prefix), BAD_TAG (one flipped bit in the MAC).',
      'noise[]: the same handshake in the Noise wiki test-vector format (no version byte, non-empty payloads, then transport messages alternating initiator/responder, no rotation).',
      'All hex is lowercase without 0x.',
    ],
    transport,
    noise,
  };
}

const out = new URL('../test/vectors/nk-secp256k1.json', import.meta.url);
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  writeFileSync(out, `${JSON.stringify(generate(), null, 2)}\n`);
  console.log(`wrote ${out.pathname}`);
}
