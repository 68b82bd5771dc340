// Generates test/vectors/adaptor-vectors.json, this package's own vectors (the upstream Schnorr adaptor
// vectors carry no licence and are not in the repository). Every value is derived from fixed labels,
// so re-running the script reproduces the file byte for byte:
//
//   cd packages/adaptor && npx tsx --conditions=source scripts/gen-vectors.ts
//
// test/own-vectors.test.ts checks the file against the implementation on every run. The single-signer
// cases were also checked against the upstream Python reference (ZhePang/Python_Specification_for_Schnorr_Adaptor,
// reference.py at 51aa10bd): schnorr_presig_sign reproduces each pre-signature, schnorr_presig_verify
// gives each listed result (MuSig2 and deterministic-signer pre-signatures included, under their x-only aggregate key),
// schnorr_adapt each signature and schnorr_extract_secadaptor each secret.
import { writeFileSync } from 'node:fs';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { nonceAgg, nonceGen } from '@superscalar/musig2';
import {
  AdaptorSession,
  adapt,
  adaptorDeterministicSign,
  adaptorPoint,
  extractSecadaptor,
  presigSign,
  presigVerify,
} from '../src/index.js';

const N = secp256k1.Point.Fn.ORDER;
const hex = (b: Uint8Array) => bytesToHex(b);
const label = (s: string) => sha256(utf8ToBytes(`superscalar adaptor vectors/${s}`));

function scalar(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
function secret(s: string): Uint8Array {
  // reduce a label hash into [1, n)
  let x = 0n;
  for (const b of label(s)) x = (x << 8n) | BigInt(b);
  return scalar((x % (N - 1n)) + 1n);
}

// ---------------------------------------------------------------- single signer
const presignInputs: { comment: string; sk: Uint8Array; t: Uint8Array; aux: Uint8Array; msg: Uint8Array }[] =
  [
    {
      comment: 'small secret key and secret adaptor, zero aux and message',
      sk: scalar(1n),
      t: scalar(2n),
      aux: new Uint8Array(32),
      msg: new Uint8Array(32),
    },
    {
      comment: 'secret key n-1 (odd-y public key: the signer negates d)',
      sk: scalar(N - 1n),
      t: secret('t1'),
      aux: label('aux1'),
      msg: label('msg1'),
    },
    {
      comment: 'secret adaptor n-1',
      sk: secret('sk2'),
      t: scalar(N - 1n),
      aux: label('aux2'),
      msg: label('msg2'),
    },
    {
      comment: 'empty message',
      sk: secret('sk3'),
      t: secret('t3'),
      aux: label('aux3'),
      msg: new Uint8Array(0),
    },
    {
      comment: 'one-byte message',
      sk: secret('sk4'),
      t: secret('t4'),
      aux: label('aux4'),
      msg: Uint8Array.of(0x42),
    },
    {
      comment: '100-byte message',
      sk: secret('sk5'),
      t: secret('t5'),
      aux: label('aux5'),
      msg: new Uint8Array(100).fill(0xa5),
    },
  ];
// add random-looking cases until both pre-signature parities (first byte 02 and 03) appear twice
for (let i = 0, seen = { 2: 0, 3: 0 }; seen[2] < 2 || seen[3] < 2; i++) {
  const c = {
    comment: '',
    sk: secret(`psk${i}`),
    t: secret(`pt${i}`),
    aux: label(`paux${i}`),
    msg: label(`pmsg${i}`),
  };
  const first = presigSign(c.msg, c.sk, adaptorPoint(c.t), { auxRand: c.aux })[0] as 2 | 3;
  if (seen[first] >= 2) continue;
  seen[first] += 1;
  c.comment = `pre-signature whose first byte is 0x0${first}`;
  presignInputs.push(c);
}

const presign = presignInputs.map((c) => {
  const adaptor = adaptorPoint(c.t);
  const presig = presigSign(c.msg, c.sk, adaptor, { auxRand: c.aux });
  const signature = adapt(presig, c.t);
  const pk = schnorr.getPublicKey(c.sk);
  if (!schnorr.verify(signature, c.msg, pk)) throw new Error('generated signature does not verify');
  if (hex(extractSecadaptor(presig, signature, adaptor)) !== hex(c.t)) throw new Error('extraction failed');
  return {
    comment: c.comment,
    secretKey: hex(c.sk),
    publicKey: hex(pk),
    auxRand: hex(c.aux),
    message: hex(c.msg),
    secadaptor: hex(c.t),
    adaptor: hex(adaptor),
    presig: hex(presig),
    signature: hex(signature),
  };
});

// verification cases built from the first two presign cases
const base = presign[1] as (typeof presign)[number];
const other = presign[2] as (typeof presign)[number];
const flip = (h: string, byte: number, mask: number) => {
  const b = Uint8Array.from(Buffer.from(h, 'hex'));
  b[byte] = (b[byte] as number) ^ mask;
  return hex(b);
};
const P_HEX = 'fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f';
const N_HEX = N.toString(16).padStart(64, '0');
const verify = [
  {
    comment: 'valid',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: base.presig,
  },
  {
    comment: 'another adaptor point',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: other.adaptor,
    presig: base.presig,
  },
  {
    comment: 'another message',
    publicKey: base.publicKey,
    message: other.message,
    adaptor: base.adaptor,
    presig: base.presig,
  },
  {
    comment: 'another public key',
    publicKey: other.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: base.presig,
  },
  {
    comment: 'parity byte flipped',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: flip(base.presig, 0, 1),
  },
  {
    comment: 'parity byte 0x04',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: `04${base.presig.slice(2)}`,
  },
  {
    comment: "last byte of s' changed",
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: flip(base.presig, 64, 1),
  },
  {
    comment: "s' equal to n",
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: base.presig.slice(0, 66) + N_HEX,
  },
  {
    comment: "R' x equal to p",
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: `02${P_HEX}${base.presig.slice(66)}`,
  },
  {
    comment: 'public key x equal to p',
    publicKey: P_HEX,
    message: base.message,
    adaptor: base.adaptor,
    presig: base.presig,
  },
  {
    comment: 'adaptor is 33 zero bytes (infinity)',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: '00'.repeat(33),
    presig: base.presig,
  },
  {
    comment: 'the completed BIP340 signature is not a pre-signature',
    publicKey: base.publicKey,
    message: base.message,
    adaptor: base.adaptor,
    presig: `02${base.signature}`,
  },
].map((v) => {
  const result = presigVerify({
    msg: Buffer.from(v.message, 'hex'),
    adaptor: Buffer.from(v.adaptor, 'hex'),
    pubkey: Buffer.from(v.publicKey, 'hex'),
    presig: Buffer.from(v.presig, 'hex'),
  });
  return { ...v, result };
});

// ---------------------------------------------------------------- MuSig2
const musigInputs: {
  comment: string;
  n: number;
  tweaks: Uint8Array[];
  isXonly: boolean[];
  msgLen: number;
}[] = [
  { comment: 'one signer, no tweak', n: 1, tweaks: [], isXonly: [], msgLen: 32 },
  { comment: 'two signers, no tweak', n: 2, tweaks: [], isXonly: [], msgLen: 32 },
  {
    comment: 'three signers, BIP341 x-only tweak',
    n: 3,
    tweaks: [label('tweak3')],
    isXonly: [true],
    msgLen: 32,
  },
  {
    comment: 'five signers, plain then x-only tweak, 0-byte message',
    n: 5,
    tweaks: [label('tweak5a'), label('tweak5b')],
    isXonly: [false, true],
    msgLen: 0,
  },
  { comment: 'eight signers, x-only tweak', n: 8, tweaks: [label('tweak8')], isXonly: [true], msgLen: 32 },
];
const musig = musigInputs.map((c, ci) => {
  const sks = Array.from({ length: c.n }, (_, i) => secret(`m${ci}sk${i}`));
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const rands = sks.map((_, i) => label(`m${ci}rand${i}`));
  const t = secret(`m${ci}t`);
  const adaptor = adaptorPoint(t);
  const msg = c.msgLen === 0 ? new Uint8Array(0) : label(`m${ci}msg`);
  const nonces = sks.map((sk, i) =>
    nonceGen({ pk: pks[i] as Uint8Array, sk, rng: () => Uint8Array.from(rands[i] as Uint8Array) }),
  );
  const aggnonce = nonceAgg(nonces.map((x) => x.pubnonce));
  const ctx = { aggnonce, pubkeys: pks, tweaks: c.tweaks, isXonly: c.isXonly, msg, adaptor };
  const session = new AdaptorSession(ctx);
  const psigs = nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array));
  const presig = session.aggregateVerified(
    psigs,
    nonces.map((x) => x.pubnonce),
  );
  const signature = adapt(presig, t);
  if (!schnorr.verify(signature, msg, session.xonlyPubkey))
    throw new Error('MuSig2 signature does not verify');
  return {
    comment: c.comment,
    secretKeys: sks.map(hex),
    publicKeys: pks.map(hex),
    nonceRands: rands.map(hex),
    pubnonces: nonces.map((x) => hex(x.pubnonce)),
    aggnonce: hex(aggnonce),
    tweaks: c.tweaks.map(hex),
    isXonly: c.isXonly,
    message: hex(msg),
    secadaptor: hex(t),
    adaptor: hex(adaptor),
    aggregateXonlyKey: hex(session.xonlyPubkey),
    psigs: psigs.map(hex),
    presig: hex(presig),
    signature: hex(signature),
  };
});

// a deterministic last signer (adaptorDeterministicSign, nonce committing to the adaptor point)
const deterministic = [
  {
    comment: 'three signers, the last deterministic without rand, x-only tweak',
    n: 3,
    rand: undefined,
    tweaks: [label('dtweak0')],
  },
  {
    comment: 'two signers, the last deterministic with rand, no tweak',
    n: 2,
    rand: label('drand1'),
    tweaks: [],
  },
].map((c, ci) => {
  const sks = Array.from({ length: c.n }, (_, i) => secret(`d${ci}sk${i}`));
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));
  const rands = sks.slice(0, -1).map((_, i) => label(`d${ci}rand${i}`));
  const others = rands.map((r, i) =>
    nonceGen({ pk: pks[i] as Uint8Array, sk: sks[i] as Uint8Array, rng: () => Uint8Array.from(r) }),
  );
  const aggothernonce = nonceAgg(others.map((x) => x.pubnonce));
  const t = secret(`d${ci}t`);
  const adaptor = adaptorPoint(t);
  const msg = label(`d${ci}msg`);
  const isXonly = c.tweaks.map(() => true);
  const det = adaptorDeterministicSign({
    sk: sks.at(-1) as Uint8Array,
    aggothernonce,
    pubkeys: pks,
    tweaks: c.tweaks,
    isXonly,
    msg,
    adaptor,
    ...(c.rand === undefined ? {} : { rand: c.rand }),
  });
  const session = new AdaptorSession({
    aggnonce: det.aggnonce,
    pubkeys: pks,
    tweaks: c.tweaks,
    isXonly,
    msg,
    adaptor,
  });
  const psigs = [...others.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array)), det.psig];
  const presig = session.aggregateVerified(psigs, [...others.map((x) => x.pubnonce), det.pubnonce]);
  const signature = adapt(presig, t);
  if (!schnorr.verify(signature, msg, session.xonlyPubkey))
    throw new Error('deterministic case does not verify');
  return {
    comment: c.comment,
    secretKeys: sks.map(hex),
    publicKeys: pks.map(hex),
    nonceRands: rands.map(hex),
    deterministicRand: c.rand === undefined ? null : hex(c.rand),
    aggothernonce: hex(aggothernonce),
    pubnonces: [...others.map((x) => hex(x.pubnonce)), hex(det.pubnonce)],
    aggnonce: hex(det.aggnonce),
    tweaks: c.tweaks.map(hex),
    isXonly,
    message: hex(msg),
    secadaptor: hex(t),
    adaptor: hex(adaptor),
    aggregateXonlyKey: hex(session.xonlyPubkey),
    psigs: psigs.map(hex),
    presig: hex(presig),
    signature: hex(signature),
  };
});

const out = {
  description:
    "@superscalar/adaptor's own vectors. presign: schnorr_presig_sign(message, secretKey, auxRand, adaptor) = presig; adapt(presig, secadaptor) = signature (a valid BIP340 signature under publicKey); extract_secadaptor(presig, signature) = secadaptor. verify: schnorr_presig_verify(message, adaptor, publicKey, presig) = result. musig: BIP327 NonceGen(sk, pk, rand' = nonceRands[i], no other inputs) gives pubnonces; the adaptor session (final nonce R = R'_1 + b*R'_2 + adaptor) gives each signer's partial pre-signature psigs[i], the 65-byte pre-signature cbytes(R) || s' and, adapted, a BIP340 signature under aggregateXonlyKey. deterministic: as musig, but the last signer uses adaptorDeterministicSign (BIP327 DeterministicSign with tag SuperScalar/adaptor/deterministic/nonce and the adaptor point hashed after the message; rand = deterministicRand or absent); nonceRands cover the other signers. Hex is lowercase.",
  generatedBy: 'packages/adaptor/scripts/gen-vectors.ts',
  checkedAgainst:
    'ZhePang/Python_Specification_for_Schnorr_Adaptor reference.py (commit 51aa10bd): presig_sign, presig_verify (single-signer, MuSig2 and deterministic-last-signer pre-signatures), adapt and extract_secadaptor agree on every case',
  presign,
  verify,
  musig,
  deterministic,
};
writeFileSync(
  new URL('../test/vectors/adaptor-vectors.json', import.meta.url),
  `${JSON.stringify(out, null, 2)}\n`,
);
console.log(
  `wrote ${presign.length} presign, ${verify.length} verify, ${musig.length} musig, ${deterministic.length} deterministic cases`,
);
