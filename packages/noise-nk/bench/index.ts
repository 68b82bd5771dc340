// Benchmarks of @superscalar/noise-nk. Run: npx tsx --conditions=source bench/index.ts
// - NK handshakes per second (both sides, in process, secp256k1 via @noble/curves).
// - MB/s of 1 KiB and 64 KiB messages over a loopback TCP pair, for each AEAD backend, next to the
//   raw cipher of the same backend measured in the same run:
//     raw seal       one AEAD encryption per message (the cipher's own speed),
//     raw seal+open  encryption and decryption per message (the crypto work of one process that
//                    runs both ends),
//     stream 1-proc  sender and receiver in this process (compare with seal+open),
//     stream 2-proc  receiver in a child process, as real peers are (compare with seal).
// Knobs: BENCH_QUICK=1 (smaller, one run), BENCH_ONLY=node-65535 (one row), BENCH_HWM=<bytes> (socket
// write high-water mark).
import { fork } from 'node:child_process';
import { createServer, connect as netConnect } from 'node:net';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type Aead, nobleAead } from '../src/aead.js';
import { CipherState } from '../src/cipherState.js';
import { Handshake } from '../src/handshake.js';
import { nodeAead } from '../src/node/aead.js';
import { socketChannel } from '../src/node/socket.js';
import { accept, connect, type NoiseSession } from '../src/session.js';
import { TransportCipher } from '../src/transportCipher.js';

const SERVER = new Uint8Array(32).fill(7);
const SERVER_PUB = secp256k1.getPublicKey(SERVER, true);
const MiB = 1 << 20;
const quick = process.env.BENCH_QUICK === '1';
const only = process.env.BENCH_ONLY; // e.g. 'node-65535' to run one row
const socketOptions = { highWaterMark: Number(process.env.BENCH_HWM ?? 1 << 20) };

function mbps(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

function best(xs: number[]): number {
  return Math.max(...xs);
}

function handshakesPerSecond(ms: number): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    const i = Handshake.initiator({ remoteStatic: SERVER_PUB });
    const r = Handshake.responder({ localStatic: SERVER });
    r.readAct(i.writeAct());
    i.readAct(r.writeAct());
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

function rawSeal(aead: Aead, size: number, total: number, open: boolean): number {
  const k = aead.key(new Uint8Array(32).fill(1));
  const nonce = new Uint8Array(12);
  const ad = new Uint8Array(0);
  const msg = new Uint8Array(size);
  const n = Math.ceil(total / size);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    nonce[4] = i & 0xff;
    const c = k.seal(nonce, ad, msg);
    if (open) k.open(nonce, ad, c);
  }
  return mbps(n * size, performance.now() - t0);
}

/** Framing only, no socket: encrypt into frames and reassemble/decrypt them in 64 KiB chunks. */
function framing(aead: Aead, size: number, total: number): number {
  const k = new Uint8Array(32).fill(1);
  const rot = { chainingKey: k, interval: 1000 };
  const tx = new TransportCipher(new CipherState(aead, k, rot), new CipherState(aead, k, rot));
  const rx = new TransportCipher(new CipherState(aead, k, rot), new CipherState(aead, k, rot));
  const msg = new Uint8Array(size);
  const n = Math.ceil(total / size);
  const t0 = performance.now();
  let got = 0;
  const batch: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    batch.push(tx.encrypt(msg));
    if (batch.length === 64 || i === n - 1) {
      const wire = Buffer.concat(batch);
      batch.length = 0;
      for (let o = 0; o < wire.length; o += 65536)
        for (const m of rx.push(wire.subarray(o, o + 65536))) got += m.length;
    }
  }
  return mbps(got, performance.now() - t0);
}

async function pump(c: NoiseSession, size: number, total: number): Promise<void> {
  const msg = new Uint8Array(size);
  for (let sent = 0; sent < total; sent += size) await c.send(msg);
}

async function streamInProcess(aead: Aead, size: number, total: number): Promise<number> {
  let resolveServer!: (s: NoiseSession) => void;
  const serverSession = new Promise<NoiseSession>((r) => {
    resolveServer = r;
  });
  const server = createServer((sock) => {
    void accept(socketChannel(sock), { localStatic: SERVER, aead, readHighWaterMark: 4 * MiB }).then(
      resolveServer,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sock = netConnect({ port, host: '127.0.0.1' });
  const c = await connect(socketChannel(sock, socketOptions), { remoteStatic: SERVER_PUB, aead });
  const s = await serverSession;
  const t0 = performance.now();
  const writer = pump(c, size, total);
  let got = 0;
  for await (const m of s) {
    got += m.length;
    if (got >= total) break;
  }
  await writer;
  const ms = performance.now() - t0;
  await c.close();
  await new Promise<void>((r) => server.close(() => r()));
  return mbps(got, ms);
}

async function streamTwoProcess(backend: 'node' | 'noble', aead: Aead, size: number, total: number) {
  const child = fork(new URL('./_receiver.ts', import.meta.url).pathname, [backend], {
    execArgv: ['--import', 'tsx', '--conditions=source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise<{ port?: number; done?: number }>((r) => child.once('message', r as never));
  const { port } = await next();
  const sock = netConnect({ port: port!, host: '127.0.0.1' });
  const c = await connect(socketChannel(sock, socketOptions), { remoteStatic: SERVER_PUB, aead });
  const results: number[] = [];
  for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
    child.send({ expect: total });
    const done = next();
    const t0 = performance.now();
    await pump(c, size, total);
    await done;
    results.push(mbps(total, performance.now() - t0));
  }
  await c.close();
  child.send({ exit: true });
  return best(results);
}

const reps = quick ? 1 : 3;
console.log(
  `@superscalar/noise-nk bench — Node ${process.version}, ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick)' : ''}`,
);
console.log(
  `NK handshakes (both sides, in process): ${handshakesPerSecond(quick ? 500 : 3000).toFixed(1)} /s`,
);
const rows: string[][] = [
  [
    'backend',
    'size',
    'seal',
    'seal+open',
    'framing only',
    'stream 1-proc',
    'stream 2-proc',
    '2-proc/seal',
    '1-proc/s+o',
  ],
];
for (const [backend, aead] of [
  ['node', nodeAead],
  ['noble', nobleAead],
] as const) {
  for (const size of [1024, 65535]) {
    if (only !== undefined && only !== `${backend}-${size}`) continue;
    const total = (size === 1024 ? 4 : 32) * MiB * (backend === 'noble' ? 0.25 : 1) * (quick ? 0.25 : 1);
    const seal: number[] = [];
    const sealOpen: number[] = [];
    const one: number[] = [];
    const fr: number[] = [];
    for (let r = 0; r < reps; r++) {
      seal.push(rawSeal(aead, size, total, false));
      sealOpen.push(rawSeal(aead, size, total, true));
      fr.push(framing(aead, size, total));
      one.push(await streamInProcess(aead, size, total));
    }
    const two = await streamTwoProcess(backend, aead, size, total);
    const [a, b, c] = [best(seal), best(sealOpen), best(one)];
    rows.push([
      aead.name,
      size === 1024 ? '1 KiB' : '64 KiB',
      a.toFixed(1),
      b.toFixed(1),
      best(fr).toFixed(1),
      c.toFixed(1),
      two.toFixed(1),
      `${((two / a) * 100).toFixed(0)}%`,
      `${((c / b) * 100).toFixed(0)}%`,
    ]);
  }
}
console.log('MB/s (MiB/s), best of runs:');
for (const r of rows) console.log(r.map((x, i) => (i < 2 ? x.padEnd(15) : x.padStart(14))).join(''));
