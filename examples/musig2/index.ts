// Demo: three signers make one BIP340 signature with @superscalar/musig2, the way SuperScalar signs a
// tree transaction: keys sorted (KeySort), a BIP86 taproot tweak on the aggregate key, two signers with
// fresh nonces, and the last signer (the LSP) signing statelessly with DeterministicSign. The aggregator
// verifies only the final signature; it would verify partial signatures one by one only to blame.
//
//   npx tsx --conditions=source index.ts      (or: npx -y pnpm@10 demo, from the repository root)
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  deterministicSign,
  getXonlyPubkey,
  KeyAggCache,
  keySort,
  nonceAgg,
  nonceGen,
  Session,
  taggedHash,
} from '@superscalar/musig2';

/** What the demo produced (returned for tests). */
export interface DemoResult {
  internalKey: string;
  outputKey: string;
  message: string;
  signature: string;
  valid: boolean;
}

/** Runs the demo; `log` receives each line it prints. */
export function main(log: (line: string) => void = console.log): DemoResult {
  // Three participants: two clients and the LSP (who signs last). Fixed keys keep the output stable.
  const names = ['alice', 'bob', 'lsp'] as const;
  const sks = names.map((name) => sha256(new TextEncoder().encode(`superscalar demo key: ${name}`)));
  const pks = sks.map((sk) => secp256k1.getPublicKey(sk, true));

  // Every aggregate key is KeyAgg(KeySort(keys)); the output key carries the BIP86 taproot tweak.
  const pubkeys = keySort(pks);
  const cache = new KeyAggCache();
  const internalKey = getXonlyPubkey(cache.get(pubkeys));
  const tweak = taggedHash('TapTweak', internalKey);
  const keyCtx = cache.get(pubkeys, [tweak], [true]);
  const outputKey = getXonlyPubkey(keyCtx);
  log(`internal key (KeyAgg of 3): ${bytesToHex(internalKey)}`);
  log(`output key (BIP86 tweak):   ${bytesToHex(outputKey)}`);

  // The message: in the protocol, a BIP341 sighash of a tree transaction.
  const msg = sha256(new TextEncoder().encode('SuperScalar demo: kickoff transaction sighash'));

  // Round 1: the clients generate nonces (in memory only) and send their public nonces.
  const clients = [0, 1].map((i) => ({
    sk: sks[i] as Uint8Array,
    ...nonceGen({ pk: pks[i] as Uint8Array, sk: sks[i], aggpk: outputKey, msg }),
  }));

  // Round 2: the LSP signs last and statelessly over the clients' aggregate nonce.
  const aggothernonce = nonceAgg(clients.map((c) => c.pubnonce));
  const lsp = deterministicSign({
    sk: sks[2] as Uint8Array,
    aggothernonce,
    pubkeys,
    tweaks: [tweak],
    isXonly: [true],
    msg,
    cache,
  });
  const pubnonces = [...clients.map((c) => c.pubnonce), lsp.pubnonce];
  const session = new Session(
    { aggnonce: nonceAgg(pubnonces), pubkeys, tweaks: [tweak], isXonly: [true], msg },
    { cache },
  );

  // The clients sign; each secret nonce is consumed by its one signature.
  const psigs = [...clients.map((c) => session.sign(c.secnonce, c.sk)), lsp.psig];
  log(`partial signatures: ${psigs.length} (secret nonces used: ${clients.every((c) => c.secnonce.used)})`);

  // Aggregate; only the final signature is verified (per-signer checks only to blame a faulty signer).
  const sig = session.aggregateVerified(psigs, pubnonces);
  const valid = schnorr.verify(sig, msg, outputKey);
  log(`signature: ${bytesToHex(sig)}`);
  log(`BIP340 verify (noble) under the output key: ${valid ? 'valid' : 'INVALID'}`);
  return {
    internalKey: bytesToHex(internalKey),
    outputKey: bytesToHex(outputKey),
    message: bytesToHex(msg),
    signature: bytesToHex(sig),
    valid,
  };
}

// Run when executed directly (not when imported by the test).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { valid } = main();
  if (!valid) process.exit(1);
}
