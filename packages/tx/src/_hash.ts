// Internal: BIP340 tagged hashes with the tag's 64-byte prefix hashed once per tag.
import { sha256 } from '@noble/hashes/sha2.js';

const prefixes = new Map<string, ReturnType<typeof sha256.create>>();

/** `sha256(sha256(tag) || sha256(tag) || parts…)`. */
export function taggedHash(tag: string, ...parts: Uint8Array[]): Uint8Array {
  let p = prefixes.get(tag);
  if (p === undefined) {
    const t = sha256(new TextEncoder().encode(tag));
    p = sha256.create().update(t).update(t);
    prefixes.set(tag, p);
  }
  const h = p.clone();
  for (const x of parts) h.update(x);
  return h.digest();
}
