// Benchmarks: `npx tsx --conditions=source bench/index.ts`
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { nonceAgg, nonceGen } from '@superscalar/musig2';
import { Bench } from 'tinybench';
import {
  AdaptorSession,
  adapt,
  adaptorPoint,
  extractSecadaptor,
  presigSign,
  presigVerify,
} from '../src/index.js';

const sk = new Uint8Array(32).fill(0x11);
const pk = schnorr.getPublicKey(sk);
const t = new Uint8Array(32).fill(0x22);
const T = adaptorPoint(t);
const msg = new Uint8Array(32).fill(0x33);
const presig = presigSign(msg, sk, T);
const sig = adapt(presig, t);

// A 2-of-2 MuSig2 adaptor session (LSP + client), as PTLC key turnover uses.
const sks = [new Uint8Array(32).fill(0x44), new Uint8Array(32).fill(0x55)];
const pks = sks.map((k) => secp256k1.getPublicKey(k, true));
function freshContext() {
  const nonces = sks.map((k, i) => nonceGen({ pk: pks[i] as Uint8Array, sk: k }));
  return {
    nonces,
    ctx: { aggnonce: nonceAgg(nonces.map((x) => x.pubnonce)), pubkeys: pks, msg, adaptor: T },
  };
}
const fixed = freshContext();
const session = new AdaptorSession(fixed.ctx);
const psigs = fixed.nonces.map((x, i) => session.sign(x.secnonce, sks[i] as Uint8Array));
const pubnonces = fixed.nonces.map((x) => x.pubnonce);

const bench = new Bench({ time: 1000 });
bench
  .add('reference: noble schnorr.sign', () => {
    schnorr.sign(msg, sk);
  })
  .add('reference: noble schnorr.verify', () => {
    schnorr.verify(sig, msg, pk);
  })
  .add('presigSign (incl. self-verification)', () => {
    presigSign(msg, sk, T);
  })
  .add('presigVerify', () => {
    presigVerify({ msg, adaptor: T, pubkey: pk, presig });
  })
  .add('adapt', () => {
    adapt(presig, t);
  })
  .add('extractSecadaptor (with adaptor check)', () => {
    extractSecadaptor(presig, sig, T);
  })
  .add('MuSig2 2-of-2: new AdaptorSession', () => {
    new AdaptorSession(fixed.ctx);
  })
  .add('MuSig2 2-of-2: nonceGen + sign (one signer, incl. self-check)', () => {
    const { secnonce } = nonceGen({ pk: pks[0] as Uint8Array, sk: sks[0] as Uint8Array });
    session.sign(secnonce, sks[0] as Uint8Array);
  })
  .add('MuSig2 2-of-2: partialSigVerify', () => {
    session.partialSigVerify(psigs[1] as Uint8Array, pubnonces[1] as Uint8Array, 1);
  })
  .add('MuSig2 2-of-2: aggregateVerified', () => {
    session.aggregateVerified(psigs, pubnonces);
  });
await bench.run();
console.table(bench.table());
