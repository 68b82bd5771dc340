// Tagged JSON for message values: bytes as {"$bytes": hex}, bigints as {"$bigint": decimal}; keys
// whose value is undefined are written as {"$undefined": true} so a `T | undefined` key survives.
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (v === undefined) return { $undefined: true };
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

export function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string') return Uint8Array.from(Buffer.from(o.$bytes, 'hex'));
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (o.$undefined === true) return undefined;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromJson(x)]));
  }
  return v;
}
