// BIP340 tagged hashes, `hash_tag(x) = SHA256(SHA256(tag) || SHA256(tag) || x)`, with the tag prefix
// hashed once per tag (internal).
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToInt, modN } from './point.js';

type Hasher = ReturnType<typeof sha256.create>;
const prefixes = new Map<string, Hasher>();

function prefixed(tag: string): Hasher {
  let h = prefixes.get(tag);
  if (h === undefined) {
    const t = sha256(utf8ToBytes(tag));
    h = sha256.create().update(t).update(t);
    prefixes.set(tag, h);
  }
  return h.clone();
}

/** `hash_tag(m_1 || m_2 || ...)`. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const h = prefixed(tag);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `int(hash_tag(...)) mod n`. */
export function taggedScalar(tag: string, ...parts: Uint8Array[]): bigint {
  return modN(bytesToInt(taggedHash(tag, ...parts)));
}
