import { secp256k1 } from '@noble/curves/secp256k1.js';
import { WebSocket, WebSocketServer } from 'ws';
import { webSocketChannel } from './src/byteChannel.js';
import { accept, connect, type NoiseSession } from './src/session.js';

const SERVER = new Uint8Array(32).fill(7);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 17 });
await new Promise<void>((r) => wss.once('listening', () => r()));
let sp: Promise<NoiseSession> | undefined;
wss.on('connection', (ws) => {
  sp = accept(webSocketChannel(ws), { localStatic: SERVER });
});
const addr = wss.address() as { port: number };
const ws = new WebSocket(`ws://127.0.0.1:${addr.port}`);
const c = await connect(webSocketChannel(ws), { remoteStatic: secp256k1.getPublicKey(SERVER, true) });
console.log('client open');
const s = await sp!;
const big = new Uint8Array(65535).fill(7);
const w = (async () => {
  for (let i = 0; i < 40; i++) {
    await c.send(big);
    console.log('sent', i, ws.bufferedAmount);
  }
})();
for (let i = 0; i < 40; i++) {
  await s.receive();
  console.log('recv', i);
}
await w;
await s.send(Uint8Array.of(1, 2, 3));
console.log(await c.receive());
console.log('closing');
await c.close();
console.log('closed c');
console.log(await s.receive());
process.exit(0);
