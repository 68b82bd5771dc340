// Internal: regtest addresses <-> output scripts (BIP173/BIP350 bech32(m) witness programs, base58check
// P2PKH/P2SH with regtest versions 0x6f/0xc4). Used by `mine({ address })` and BitcoindRpc's `fund`.
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { InvalidArgumentError } from '../errors.js';
import { witnessProgram } from './_script.js';

const b58 = createBase58check(sha256);
const HRP = 'bcrt';

/** The output script of a regtest address; throws {@link InvalidArgumentError} otherwise. */
export function addressToScript(address: string): Uint8Array {
  if (typeof address !== 'string') throw new InvalidArgumentError('address', 'expected a string');
  if (address.toLowerCase().startsWith(`${HRP}1`)) {
    const lower = address.toLowerCase();
    let decoded: { prefix: string; words: number[] } | undefined;
    let m = false;
    try {
      decoded = bech32.decode(lower as `${string}1${string}`);
    } catch {
      try {
        decoded = bech32m.decode(lower as `${string}1${string}`);
        m = true;
      } catch (e) {
        throw new InvalidArgumentError(
          'address',
          `not a valid bech32/bech32m regtest address (${(e as Error).message})`,
        );
      }
    }
    const [version, ...rest] = decoded.words;
    if (version === undefined || version > 16)
      throw new InvalidArgumentError('address', 'bad witness version');
    if ((version === 0) === m)
      throw new InvalidArgumentError('address', 'wrong checksum variant for the witness version');
    const program = bech32.fromWords(rest);
    if (program.length < 2 || program.length > 40)
      throw new InvalidArgumentError('address', 'bad witness program length');
    return Uint8Array.from([version === 0 ? 0 : 0x50 + version, program.length, ...program]);
  }
  let payload: Uint8Array;
  try {
    payload = b58.decode(address);
  } catch (e) {
    throw new InvalidArgumentError('address', `not a regtest address (${(e as Error).message})`);
  }
  if (payload.length !== 21) throw new InvalidArgumentError('address', 'bad base58 payload length');
  const hash = payload.slice(1);
  if (payload[0] === 0x6f) return Uint8Array.from([0x76, 0xa9, 0x14, ...hash, 0x88, 0xac]);
  if (payload[0] === 0xc4) return Uint8Array.from([0xa9, 0x14, ...hash, 0x87]);
  throw new InvalidArgumentError('address', 'not a regtest P2PKH/P2SH version byte');
}

/** The regtest address of an output script, or null if it has none (bare scripts, OP_RETURN). */
export function scriptToAddress(script: Uint8Array): string | null {
  const wp = witnessProgram(script);
  if (wp !== null) {
    const words = [wp.version, ...bech32.toWords(wp.program)];
    return wp.version === 0 ? bech32.encode(HRP, words) : bech32m.encode(HRP, words);
  }
  if (
    script.length === 25 &&
    script[0] === 0x76 &&
    script[1] === 0xa9 &&
    script[2] === 0x14 &&
    script[23] === 0x88 &&
    script[24] === 0xac
  )
    return b58.encode(Uint8Array.from([0x6f, ...script.slice(3, 23)]));
  if (script.length === 23 && script[0] === 0xa9 && script[1] === 0x14 && script[22] === 0x87)
    return b58.encode(Uint8Array.from([0xc4, ...script.slice(2, 22)]));
  return null;
}
