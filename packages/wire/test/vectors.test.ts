// The published vectors (vectors/messages.json): the generator still reproduces the file byte for byte;
// each valid vector decodes to its value and re-encodes to the same bytes; each invalid one is rejected
// with its code. Another implementation can run the same checks from the file alone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromJson } from '../scripts/_json.js';
import { buildVectors } from '../scripts/_vectors.js';
import {
  channelIdOf,
  decodeMessage,
  encodeMessage,
  factoryIdOf,
  MESSAGE_NAMES,
  MESSAGE_TYPES,
  type Message,
  scidAliasOf,
  WireError,
} from '../src/index.js';

interface File {
  valid: { name: string; type: number; hex: string; value: unknown }[];
  invalid: { description: string; hex: string; code: string }[];
  derived: { factoryId: string; clientIndex: number; channelId: string; scidAlias: string };
}
const path = fileURLToPath(new URL('../vectors/messages.json', import.meta.url));
const text = readFileSync(path, 'utf8');
const file = JSON.parse(text) as File;
const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('vectors/messages.json', () => {
  it('holds exactly what scripts/generate-vectors.ts produces (compared as JSON: the formatter may re-indent it)', () => {
    expect(file).toEqual(JSON.parse(JSON.stringify(buildVectors())));
  });

  it('covers every message type', () => {
    const names = new Set(file.valid.map((v) => v.name));
    for (const n of MESSAGE_NAMES) expect(names.has(n), n).toBe(true);
  });

  for (const [i, v] of file.valid.entries()) {
    it(`valid #${i} ${v.name}: decodes to its value and re-encodes byte for byte`, () => {
      const bytes = h(v.hex);
      expect((bytes[0]! << 8) | bytes[1]!).toBe(v.type);
      expect(MESSAGE_TYPES[v.name as keyof typeof MESSAGE_TYPES]).toBe(v.type);
      const decoded = decodeMessage(bytes);
      expect(decoded).toEqual(fromJson(v.value));
      expect(Buffer.from(encodeMessage(decoded)).toString('hex')).toBe(v.hex);
      expect(Buffer.from(encodeMessage(fromJson(v.value) as Message)).toString('hex')).toBe(v.hex);
    });
  }

  it('derived ids: factoryIdOf the factory_propose vector, channelIdOf its client, scidAliasOf that channel', () => {
    const v = file.valid.find((x) => x.name === 'factory_propose');
    const m = decodeMessage(h(v?.hex ?? ''));
    if (m.type !== 'factory_propose') throw new Error('no factory_propose vector');
    const d = file.derived;
    expect(Buffer.from(factoryIdOf(m.proposal)).toString('hex')).toBe(d.factoryId);
    const channelId = channelIdOf(h(d.factoryId), d.clientIndex);
    expect(Buffer.from(channelId).toString('hex')).toBe(d.channelId);
    expect(Buffer.from(scidAliasOf(channelId)).toString('hex')).toBe(d.scidAlias);
  });

  for (const v of file.invalid) {
    it(`invalid: ${v.description} → ${v.code}`, () => {
      let err: unknown;
      try {
        decodeMessage(h(v.hex));
      } catch (e) {
        err = e;
      }
      expect(WireError.isInstance(err)).toBe(true);
      expect((err as WireError).code).toBe(v.code);
    });
  }
});
