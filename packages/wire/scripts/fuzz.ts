/**
 * Fuzzes every decoder of the package: `--iterations N` random and mutated inputs per decoder (default
 * 1,000,000), half each; prints one line per decoder and a total; exits 1 on any crash (an exception
 * that is not a WireError, or an accepted input that does not re-encode to itself).
 *
 * Run: `pnpm --filter @superscalar/wire fuzz -- --iterations 1000000 [--seed S] [--only name,name]`.
 * It is CPU-heavy: on a shared machine run it under `nice -n 19`.
 */
import { cpus } from 'node:os';
import { DECODERS, fuzzDecoder } from '../test/_fuzz.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const iterations = Number(arg('iterations') ?? 1_000_000);
const seed = Number(arg('seed') ?? 1);
const only = arg('only')?.split(',');
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error('--iterations must be a positive integer');
const decoders = only ?? DECODERS;

console.log(
  `wire fuzz: ${iterations} inputs per decoder, ${decoders.length} decoders, seed ${seed}, ${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);
const t0 = performance.now();
let total = 0;
let crashes = 0;
for (const d of decoders) {
  const r = fuzzDecoder(d, iterations, seed);
  total += r.inputs;
  crashes += r.crashes;
  console.log(
    `${d.padEnd(22)} inputs ${r.inputs} (random ${r.random}, mutated ${r.mutated}) accepted ${r.accepted} rejected ${r.rejected} crashes ${r.crashes} ${(r.ms / 1000).toFixed(1)} s`,
  );
  if (r.firstCrash) console.log(`  first crash: ${r.firstCrash.error}\n  input: ${r.firstCrash.hex}`);
}
console.log(`total: ${total} inputs, ${crashes} crashes, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exit(crashes === 0 ? 0 : 1);
