// BIP341's wallet test vectors (vectors/bip341/wallet-test-vectors.json): script trees, output keys
// and control blocks; the key-path spending transaction's codec, per-input signature messages,
// sighashes and tweaked secret keys.
import { schnorr } from '@noble/curves/secp256k1.js';
import { fromHex, toHex } from '@superscalar/core';
import { describe, expect, it } from 'vitest';
import { vectorJson } from '../../../test-utils/index.js';
import {
  controlBlock,
  decodeTx,
  encodeTx,
  TaprootSighasher,
  type TapTree,
  taprootOutput,
  tapTree,
  tweakSecretKey,
} from '../src/index.js';

type VLeaf = { id: number; script: string; leafVersion: number };
type VTree = VLeaf | VTree[];
interface Vectors {
  scriptPubKey: {
    given: { internalPubkey: string; scriptTree: VTree | null };
    intermediary: { leafHashes?: string[]; merkleRoot: string | null; tweak: string; tweakedPubkey: string };
    expected: { scriptPubKey: string; scriptPathControlBlocks?: string[] };
  }[];
  keyPathSpending: {
    given: { rawUnsignedTx: string; utxosSpent: { scriptPubKey: string; amountSats: number }[] };
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
  }[];
}

const v = vectorJson<Vectors>('bip341/wallet-test-vectors.json');

function toTree(t: VTree): TapTree {
  if (Array.isArray(t)) return [toTree(t[0] as VTree), toTree(t[1] as VTree)];
  return { script: fromHex(t.script), leafVersion: t.leafVersion };
}

function leafIds(t: VTree): number[] {
  return Array.isArray(t) ? t.flatMap(leafIds) : [t.id];
}

describe('BIP341 scriptPubKey vectors', () => {
  v.scriptPubKey.forEach((c, n) => {
    it(`#${n}: tree hashes, tweak, output key, scriptPubKey and control blocks`, () => {
      const internalKey = fromHex(c.given.internalPubkey);
      const tree = c.given.scriptTree === null ? undefined : tapTree(toTree(c.given.scriptTree));
      const key = taprootOutput(internalKey, tree?.merkleRoot);
      expect(tree === undefined ? null : toHex(tree.merkleRoot)).toBe(c.intermediary.merkleRoot);
      expect(toHex(key.tweak)).toBe(c.intermediary.tweak);
      expect(toHex(key.outputKey)).toBe(c.intermediary.tweakedPubkey);
      expect(toHex(key.script)).toBe(c.expected.scriptPubKey);
      if (tree !== undefined && c.given.scriptTree !== null) {
        // The vectors list leaves by id; tapTree lists them depth-first, left to right.
        const ids = leafIds(c.given.scriptTree);
        const byId = new Map(ids.map((id, i) => [id, tree.leaves[i]]));
        c.intermediary.leafHashes?.forEach((h, id) => {
          expect(toHex(byId.get(id)!.leafHash)).toBe(h);
        });
        c.expected.scriptPathControlBlocks?.forEach((cb, id) => {
          expect(toHex(controlBlock(key, byId.get(id)!))).toBe(cb);
        });
      }
    });
  });
});

describe('BIP341 keyPathSpending vectors', () => {
  v.keyPathSpending.forEach((c) => {
    const raw = fromHex(c.given.rawUnsignedTx);
    const tx = decodeTx(raw);
    const prevouts = c.given.utxosSpent.map((u) => ({
      value: BigInt(u.amountSats),
      script: fromHex(u.scriptPubKey),
    }));
    const hasher = new TaprootSighasher(tx, prevouts);

    it('decodes the unsigned transaction and encodes it back byte for byte', () => {
      expect(toHex(encodeTx(tx))).toBe(c.given.rawUnsignedTx);
    });

    c.inputSpending.forEach((s) => {
      it(`input ${s.given.txinIndex}, hash type 0x${s.given.hashType.toString(16)}: SigMsg, sighash, tweaked key, signature`, () => {
        const options = { hashType: s.given.hashType };
        expect(toHex(hasher.sigMsg(s.given.txinIndex, options))).toBe(s.intermediary.sigMsg);
        const sighash = hasher.sighash(s.given.txinIndex, options);
        expect(toHex(sighash)).toBe(s.intermediary.sigHash);
        const merkleRoot = s.given.merkleRoot === null ? undefined : fromHex(s.given.merkleRoot);
        const sk = tweakSecretKey(fromHex(s.given.internalPrivkey), merkleRoot);
        expect(toHex(sk)).toBe(s.intermediary.tweakedPrivkey);
        // BIP341 signs with zero aux randomness in these vectors.
        const sig = schnorr.sign(sighash, sk, new Uint8Array(32));
        const suffix = s.given.hashType === 0 ? '' : s.given.hashType.toString(16).padStart(2, '0');
        expect(toHex(sig) + suffix).toBe(s.expected.witness[0]);
      });
    });
  });
});
