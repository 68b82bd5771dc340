// Event-queue crash child: opens the store, a Sequencer and an EventQueue, then alternates producing
// updates with events (until the journal holds TARGET event updates) and consuming events: it prints
// `got <u>.<i>` when nextEvent delivers one and `acked <u>.<i>` once eventHandled resolved (durable).
// The parent SIGKILLs it at seeded points, most often between the two. With `drain` it runs until the
// journal is complete and every event is acknowledged, then prints `done` and exits (a `run` child
// does the same if it gets that far before its kill).
import { writeSync } from 'node:fs';
import { EventQueue, type Op, Sequencer } from '../src/index.js';
import { openChildStore, parentGo } from './_childStore.js';

const [backend, target, schema, , targetArg] = process.argv.slice(2);
const TARGET = Number(targetArg ?? '60');

await parentGo();
const store = await openChildStore(backend, target, schema);
const seq = await Sequencer.open(store);
const queue = await EventQueue.open(seq);
writeSync(1, 'ready\n');
let produced = (await store.list('blobs', { key: 'produced' }))[0]?.data[0] ?? 0;
for (let step = 0; ; step++) {
  if (produced < TARGET && step % 2 === 0) {
    // 1 to 3 events per update, and a counter of event updates in the same update.
    produced++;
    const ops: Op[] = [];
    for (let i = 0; i < 1 + (produced % 3); i++)
      ops.push({ op: 'event', kind: `e${produced}`, payload: Uint8Array.of(produced, i) });
    ops.push({
      op: 'put',
      table: 'blobs',
      row: { key: 'produced', version: 1, data: Uint8Array.of(produced), secret: false },
    });
    await seq.commit(ops);
  }
  const e = await queue.nextEvent();
  if (e === undefined) {
    if (produced >= TARGET) break;
    continue;
  }
  writeSync(1, `got ${e.updateId}.${e.index}\n`);
  await queue.eventHandled();
  writeSync(1, `acked ${e.updateId}.${e.index}\n`);
}
writeSync(1, 'done\n');
await store.close();
process.exit(0);
