// Crash-test writer: opens the store, reports where it resumes, then applies the deterministic stream
// with up to WINDOW updates in flight (so group commits happen), printing each acknowledged id. The
// parent SIGKILLs it at seeded random points. Bundled to .mjs by the test (spawn cost matters); it
// starts only when the parent writes a line to its stdin.
import { writeSync } from 'node:fs';
import { openChildStore, parentGo } from './_childStore.js';
import { crashOps } from './_crashModel.js';

const [backend, target, schema, windowArg] = process.argv.slice(2);
const window = Number(windowArg ?? '4');

await parentGo();
const store = await openChildStore(backend, target, schema);
let next = (await store.lastUpdateId()) + 1n;
writeSync(1, `ready ${next - 1n}\n`);
let inFlight = 0;
await new Promise<void>((_, reject) => {
  const pump = () => {
    while (inFlight < window) {
      const id = next++;
      inFlight++;
      store.applyUpdate({ id, ops: crashOps(id) }).then(
        (ack) => {
          writeSync(1, `ack ${ack.id}\n`);
          inFlight--;
          pump();
        },
        (e) => reject(e),
      );
    }
  };
  pump();
});
