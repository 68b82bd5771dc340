// Benchmarks: `npx tsx --conditions=source bench/index.ts`
import { Bench } from 'tinybench';
import { FIRST_INDEX, generateFromSeed, ShachainStore } from '../src/index.js';
import { encodedStoreAt } from '../test/_helpers.js';

const seed = new Uint8Array(32).fill(0x42);
// A store after 1,023 secrets received; its next insert (index 2^48 - 1024) has 10 trailing zeros.
const deep = new ShachainStore();
const warm = 1023;
for (let k = 0; k < warm; k++) deep.insertSecret(generateFromSeed(seed, FIRST_INDEX - k), FIRST_INDEX - k);
const bytes = deep.encode();
const nextSecret = generateFromSeed(seed, FIRST_INDEX - warm);

// Worst case for decoding: a complete store (index 0 received), whose 49 entries all get re-checked.
const complete = encodedStoreAt(seed, 2 ** 48);

const bench = new Bench({ time: 500 });
bench
  .add('generateFromSeed (index 2^48-1, 48 hashes)', () => {
    generateFromSeed(seed, FIRST_INDEX);
  })
  .add('insertSecret (position 10, 10 checks) on a copy', () => {
    ShachainStore.decode(bytes).insertSecret(nextSecret, FIRST_INDEX - warm);
  })
  .add('decode (1,023 received)', () => {
    ShachainStore.decode(bytes);
  })
  .add('decode (complete store, 49 entries: worst case)', () => {
    ShachainStore.decode(complete);
  })
  .add('encode (1,023 received)', () => {
    deep.encode();
  })
  .add('getSecret (oldest index of 1,023)', () => {
    deep.getSecret(FIRST_INDEX);
  });
await bench.run();
console.table(bench.table());
