// Benchmarks of @superscalar/dw-counter. Run: npx tsx --conditions=source bench/index.ts
import { Bench } from 'tinybench';
import { advance, buildShape, canAdvance, decodeState, encodeState, initialState } from '../src/index.js';

const wide = buildShape({ leaves: 512, levelArity: [2, 4, 8], staticLevels: 2 }); // N = 1,024, 587 nodes
const binary = buildShape({ leaves: 512 }); // N = 1,024 binary, 1,023 nodes, 10 layers
const params = { K: 4, S: 144 };
let wideState = initialState(wide, params);
let binaryState = initialState(binary, params);
const encoded = encodeState(wideState);
let i = 0;

const bench = new Bench({ time: 1000 });
bench
  .add('buildShape N=1,024 [2,4,8] static 2 (587 nodes)', () => {
    buildShape({ leaves: 512, levelArity: [2, 4, 8], staticLevels: 2 });
  })
  .add('advance, 587-node tree (round-robin leaves)', () => {
    const leaf = i++ % 512;
    if (!canAdvance(wideState, leaf)) wideState = initialState(wide, params);
    wideState = advance(wideState, leaf).next;
  })
  .add('advance, 1,023-node binary tree', () => {
    const leaf = i++ % 512;
    if (!canAdvance(binaryState, leaf)) binaryState = initialState(binary, params);
    binaryState = advance(binaryState, leaf).next;
  })
  .add('encodeState, 587 nodes', () => {
    encodeState(wideState);
  })
  .add('decodeState, 587 nodes', () => {
    decodeState(encoded);
  });

await bench.run();
console.log(
  `@superscalar/dw-counter bench — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(`encoded state: ${encoded.length} bytes for 587 nodes / 512 leaves`);
for (const t of bench.tasks) {
  const r = t.result;
  if (r === undefined || !('latency' in r)) continue;
  console.log(
    `${t.name.padEnd(50)} ${(r.latency.mean * 1000).toFixed(1).padStart(10)} µs/op ${(1000 / r.latency.mean).toFixed(0).padStart(10)} op/s`,
  );
}
