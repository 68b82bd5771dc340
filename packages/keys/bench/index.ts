// Benchmarks of @superscalar/keys: envelope cost at the production and test KDF settings, and key
// derivation throughput. Run: npx tsx --conditions=source bench/index.ts
import { Bench } from 'tinybench';
import { Keychain, mnemonicToSeed, open, seal, TEST_SCRYPT } from '../src/index.js';

const MNEMONIC = `${'abandon '.repeat(23)}art`;
const keys = Keychain.fromMnemonic(MNEMONIC, { network: 'regtest' });
const secret = new Uint8Array(32).fill(7);
const prodEnvelope = seal(secret, 'bench passphrase');
const testEnvelope = seal(secret, 'bench passphrase', { kdf: TEST_SCRYPT, allowWeakKdf: true });
let f = 0;

const slow = new Bench({ iterations: 5, time: 0, warmup: false });
slow
  .add('seal, production scrypt (N=2^17, r=8, p=1)', () => {
    seal(secret, 'bench passphrase');
  })
  .add('open, production scrypt', () => {
    open(prodEnvelope, 'bench passphrase');
  });
const fast = new Bench({ time: 1000 });
fast
  .add('open, test scrypt (N=2^10)', () => {
    open(testEnvelope, 'bench passphrase', { allowWeakKdf: true });
  })
  .add('mnemonicToSeed (PBKDF2-SHA512 × 2048)', () => {
    mnemonicToSeed(MNEMONIC);
  })
  .add('factoryKey(i)', () => {
    keys.factoryKey(f++ % 100_000);
  })
  .add('channelKeys(f, c) (4 basepoints + shachain seed)', () => {
    keys.channelKeys(3, f++ % 100_000);
  })
  .add('closeAddress(i) (with BIP86 tweak)', () => {
    keys.closeAddress(f++ % 100_000);
  });

await slow.run();
await fast.run();
console.log(`@superscalar/keys bench — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
for (const t of [...slow.tasks, ...fast.tasks]) {
  const r = t.result;
  if (r === undefined || !('latency' in r)) continue;
  console.log(
    `${t.name.padEnd(52)} ${r.latency.mean.toFixed(3).padStart(10)} ms/op  ${(1000 / r.latency.mean).toFixed(1).padStart(10)} op/s`,
  );
}
