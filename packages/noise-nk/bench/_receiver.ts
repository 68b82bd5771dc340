// Benchmark helper (child process): a Noise responder on 127.0.0.1 that counts received bytes and
// reports over IPC when it has read the expected total. Lets the sender and receiver run on separate
// cores, as two peers would.
import { createServer } from 'node:net';
import { nobleAead } from '../src/aead.js';
import { nodeAead } from '../src/node/aead.js';
import { socketChannel } from '../src/node/socket.js';
import { accept } from '../src/session.js';

const aead = process.argv[2] === 'noble' ? nobleAead : nodeAead;
const SERVER = new Uint8Array(32).fill(7);
let expected = 0;
process.on('message', (m: { expect?: number; exit?: boolean }) => {
  if (m.expect !== undefined) expected = m.expect;
  if (m.exit) process.exit(0);
});
const server = createServer(async (sock) => {
  const s = await accept(socketChannel(sock), { localStatic: SERVER, aead, readHighWaterMark: 4 << 20 });
  let got = 0;
  for await (const m of s) {
    got += m.length;
    if (got >= expected) {
      process.send?.({ done: got });
      got = 0;
    }
  }
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.send?.({ port: typeof a === 'object' && a !== null ? a.port : 0 });
});
