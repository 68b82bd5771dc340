import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { bech32m } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../../test-utils/index.js';
import {
  SighashCache,
  STANDARD_FLAGS,
  type TapTree,
  taprootOutput,
  taprootSighash,
  taprootSigMsg,
  tapTweakHash,
  verifyInput,
  verifyTx,
} from '../../src/script/index.js';
import { createTx, decodeTx } from '../../src/tx/index.js';

interface JsonLeaf {
  id: number;
  script: string;
  leafVersion: number;
}
type JsonTree = JsonLeaf | JsonTree[];
interface SpkCase {
  given: { internalPubkey: string; scriptTree: JsonTree | null };
  intermediary: { leafHashes?: string[]; merkleRoot: string | null; tweak: string; tweakedPubkey: string };
  expected: { scriptPubKey: string; bip350Address: string; scriptPathControlBlocks?: string[] };
}
interface KeyPathCase {
  given: { rawUnsignedTx: string; utxosSpent: { scriptPubKey: string; amountSats: number }[] };
  intermediary: Record<string, string>;
  inputSpending: {
    given: { txinIndex: number; internalPrivkey: string; merkleRoot: string | null; hashType: number };
    intermediary: {
      internalPubkey: string;
      tweak: string;
      tweakedPrivkey: string;
      sigMsg: string;
      sigHash: string;
    };
    expected: { witness: string[] };
  }[];
  auxiliary: { fullySignedTx: string };
}

const vectors = vectorJson<{ scriptPubKey: SpkCase[]; keyPathSpending: KeyPathCase[] }>(
  'bip341/wallet-test-vectors.json',
);

/** JSON tree → TapTree, and leaves in id order (ids number leaves depth-first). */
function toTree(t: JsonTree): { tree: TapTree; ids: number[] } {
  if (!Array.isArray(t))
    return { tree: { script: hexToBytes(t.script), leafVersion: t.leafVersion }, ids: [t.id] };
  if (t.length === 1) return toTree(t[0]!);
  const l = toTree(t[0]!);
  const r = toTree(t[1]!);
  return { tree: [l.tree, r.tree], ids: [...l.ids, ...r.ids] };
}

const N = secp256k1.Point.CURVE().n;
const toBig = (b: Uint8Array): bigint => BigInt(`0x${bytesToHex(b)}`);
const to32 = (v: bigint): Uint8Array => hexToBytes(v.toString(16).padStart(64, '0'));

/** BIP341 taproot_tweak_seckey. */
function tweakSecretKey(sk: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const P = secp256k1.Point.BASE.multiply(toBig(sk));
  const d = P.toBytes(true)[0] === 0x02 ? toBig(sk) : N - toBig(sk);
  const t = toBig(tapTweakHash(P.toBytes(true).subarray(1), merkleRoot));
  return to32((d + t) % N);
}

describe('BIP341 wallet test vectors', () => {
  it('scriptPubKey: leaf hashes, merkle root, tweak, output key, scriptPubKey, bech32m address and control blocks', () => {
    expect(vectors.scriptPubKey.length).toBe(7);
    for (const v of vectors.scriptPubKey) {
      const internal = hexToBytes(v.given.internalPubkey);
      const conv = v.given.scriptTree ? toTree(v.given.scriptTree) : undefined;
      const out = taprootOutput(internal, conv?.tree);
      expect(out.merkleRoot ? bytesToHex(out.merkleRoot) : null).toBe(v.intermediary.merkleRoot);
      expect(bytesToHex(tapTweakHash(internal, out.merkleRoot))).toBe(v.intermediary.tweak);
      expect(bytesToHex(out.outputKey)).toBe(v.intermediary.tweakedPubkey);
      expect(bytesToHex(out.script)).toBe(v.expected.scriptPubKey);
      expect(bech32m.encode('bc', [1, ...bech32m.toWords(out.outputKey)])).toBe(v.expected.bip350Address);
      if (conv) {
        // out.leaves is in tree order = id order in these vectors' depth-first numbering.
        const byId = new Map(conv.ids.map((id, k) => [id, out.leaves[k]!]));
        v.intermediary.leafHashes!.forEach((h, id) => {
          expect(bytesToHex(byId.get(id)!.leafHash)).toBe(h);
        });
        v.expected.scriptPathControlBlocks!.forEach((cb, id) => {
          expect(bytesToHex(byId.get(id)!.controlBlock)).toBe(cb);
        });
      }
    }
  });

  it('keyPathSpending: shared hashes, sigMsg, sigHash, tweaked key, signature; the fully signed tx verifies', () => {
    for (const v of vectors.keyPathSpending) {
      const tx = decodeTx(hexToBytes(v.given.rawUnsignedTx));
      const spent = v.given.utxosSpent.map((u) => ({
        value: BigInt(u.amountSats),
        script: hexToBytes(u.scriptPubKey),
      }));
      const cache = new SighashCache(tx, spent);
      expect(bytesToHex(cache.amounts)).toBe(v.intermediary.hashAmounts);
      expect(bytesToHex(cache.outputs)).toBe(v.intermediary.hashOutputs);
      expect(bytesToHex(cache.prevouts)).toBe(v.intermediary.hashPrevouts);
      expect(bytesToHex(cache.scriptPubKeys)).toBe(v.intermediary.hashScriptPubkeys);
      expect(bytesToHex(cache.sequences)).toBe(v.intermediary.hashSequences);
      expect(v.inputSpending.length).toBe(7);
      for (const s of v.inputSpending) {
        const { txinIndex, hashType } = s.given;
        const root = s.given.merkleRoot ? hexToBytes(s.given.merkleRoot) : undefined;
        const sk = hexToBytes(s.given.internalPrivkey);
        expect(bytesToHex(schnorr.getPublicKey(sk))).toBe(s.intermediary.internalPubkey);
        expect(bytesToHex(tapTweakHash(schnorr.getPublicKey(sk), root))).toBe(s.intermediary.tweak);
        const tweaked = tweakSecretKey(sk, root);
        expect(bytesToHex(tweaked)).toBe(s.intermediary.tweakedPrivkey);
        expect(bytesToHex(taprootSigMsg(tx, txinIndex, spent, hashType, { cache })!)).toBe(
          s.intermediary.sigMsg,
        );
        const hash = taprootSighash(tx, txinIndex, spent, hashType, { cache })!;
        expect(bytesToHex(hash)).toBe(s.intermediary.sigHash);
        const sig = schnorr.sign(hash, tweaked, new Uint8Array(32));
        const witnessSig = hashType === 0 ? sig : Uint8Array.of(...sig, hashType);
        expect([bytesToHex(witnessSig)]).toEqual(s.expected.witness);
        // The interpreter accepts the signed input under standard policy.
        const signed = createTx({
          ...tx,
          inputs: tx.inputs.map((i, k) => ({ ...i, witness: k === txinIndex ? [witnessSig] : [] })),
        });
        expect(() => verifyInput(signed, txinIndex, spent, STANDARD_FLAGS)).not.toThrow();
      }
      // The fully signed transaction (taproot key paths plus a P2PKH and a P2WPKH input) verifies.
      expect(() =>
        verifyTx(decodeTx(hexToBytes(v.auxiliary.fullySignedTx)), spent, STANDARD_FLAGS),
      ).not.toThrow();
    }
  });
});
