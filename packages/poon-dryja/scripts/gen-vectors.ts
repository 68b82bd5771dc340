// Writes the package's own vectors (vectors/commitments.json) from the cases in scripts/_vectors.ts:
//
//   cd packages/poon-dryja && npx tsx --conditions=source scripts/gen-vectors.ts
//
// Rerun it whenever a builder changes on purpose; test/vectors.test.ts fails loudly until then.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeVector, VECTOR_INPUTS } from './_vectors.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors', 'commitments.json');
const doc = {
  description:
    'SuperScalar-TS leaf-channel vectors (protocol brief §7): commitments, every claim of each and the penalty set, built by @superscalar/poon-dryja from the inputs. BIP340 auxiliary randomness is 32 zero bytes. Amounts are decimal strings (sats, msat where named), bytes hex, txids display order. Test keys only.',
  cases: VECTOR_INPUTS.map((input) => ({ input, expected: computeVector(input) })),
};
writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${file}: ${doc.cases.length} cases`);
