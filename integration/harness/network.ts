// The simulated network: one FIFO queue per direction of each link (a Noise connection over TCP never
// reorders or silently drops within a connection), messages encoded and decoded by @superscalar/wire
// on the way (so sizes are real and the codecs are exercised), seeded interleaving across links,
// seeded faults (a lost message breaks its connection: TCP does not drop silently), interceptors for
// tampering, and an observer of every message delivered.
import { decodeMessage, encodeMessage, type Message } from '@superscalar/wire';

/** A message as it crossed the network. */
export interface Delivery {
  readonly from: string;
  readonly to: string;
  readonly message: Message;
  /** Its encoded size, bytes. */
  readonly bytes: number;
}

/** Rewrites (or drops, with `null`) a message in flight; `undefined` leaves it alone. */
export type Interceptor = (from: string, to: string, message: Message) => Message | null | undefined;

const key = (from: string, to: string) => `${from}>${to}`;

export class SimNetwork {
  /** Links that are up (unordered pairs, keyed `a>b` with a < b). */
  readonly up = new Set<string>();
  /** Links the harness wants up (reconnected when the network is quiet, if `autoReconnect`). */
  readonly wanted = new Set<string>();
  readonly queues = new Map<string, Message[]>();
  readonly delivered: Delivery[] = [];
  readonly interceptors: Interceptor[] = [];
  /** Called for every message as it is delivered (after interception). */
  observers: ((d: Delivery) => void)[] = [];
  /** Count of messages lost to disconnections. */
  dropped = 0;

  static pair(a: string, b: string): string {
    return a < b ? key(a, b) : key(b, a);
  }

  isUp(a: string, b: string): boolean {
    return this.up.has(SimNetwork.pair(a, b));
  }

  /** Queues `message` from `from` to `to`; lost if the link is down. */
  send(from: string, to: string, message: Message): void {
    if (!this.isUp(from, to)) {
      this.dropped++;
      return;
    }
    const k = key(from, to);
    let q = this.queues.get(k);
    if (q === undefined) {
      q = [];
      this.queues.set(k, q);
    }
    // Encode now (what the sender's runtime does), so a message that does not encode fails at its sender.
    encodeMessage(message);
    q.push(message);
  }

  /** Links with queued messages, as [from, to]. */
  pending(): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, q] of this.queues) if (q.length > 0) out.push(k.split('>') as [string, string]);
    return out;
  }

  /** Takes the next message of a link: encoded, intercepted, decoded. Undefined when intercepted away. */
  take(from: string, to: string): Delivery | undefined {
    const q = this.queues.get(key(from, to));
    const m = q?.shift();
    if (m === undefined) return undefined;
    let message: Message = decodeMessage(encodeMessage(m));
    for (const i of this.interceptors) {
      const r = i(from, to, message);
      if (r === null) return undefined;
      if (r !== undefined) message = r;
    }
    const bytes = encodeMessage(message);
    message = decodeMessage(bytes);
    const d: Delivery = { from, to, message, bytes: bytes.length };
    this.delivered.push(d);
    for (const o of this.observers) o(d);
    return d;
  }

  /** Brings a link up (the caller delivers `peer_connected` to both ends). */
  connect(a: string, b: string): void {
    this.up.add(SimNetwork.pair(a, b));
    this.wanted.add(SimNetwork.pair(a, b));
  }

  /** Takes a link down, dropping what is in flight both ways. */
  disconnect(a: string, b: string, options: { wanted?: boolean } = {}): boolean {
    const was = this.up.delete(SimNetwork.pair(a, b));
    if (options.wanted === false) this.wanted.delete(SimNetwork.pair(a, b));
    for (const k of [key(a, b), key(b, a)]) {
      const q = this.queues.get(k);
      if (q !== undefined) {
        this.dropped += q.length;
        q.length = 0;
      }
    }
    return was;
  }

  /** Links wanted but down. */
  down(): [string, string][] {
    const out: [string, string][] = [];
    for (const p of this.wanted) if (!this.up.has(p)) out.push(p.split('>') as [string, string]);
    return out;
  }
}
