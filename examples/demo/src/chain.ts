// The demo's chain: the embedded SimChain (one in-process chain shared by every role, each through
// its own BlockFollower), or a throwaway `bitcoind -regtest` (every role talks to it through its own
// BitcoindRpc). Either way the demo mines and funds through the chain's regtest controls and polls
// the followers itself right after, so no role waits for a polling interval.
import { BlockFollower, type ChainBackend, SimChain } from '@superscalar/chain';
import { BitcoindRpc, discoverBitcoind, startRegtestNode } from '@superscalar/chain/bitcoind';

/** A chain every role of the demo shares. */
export interface DemoChain {
  readonly kind: 'simchain' | 'bitcoind';
  /** What it is, for the output (`SimChain (in process)`, `Bitcoin Core v31.99.0`). */
  readonly description: string;
  /** The demo's own handle: mining, funding, looking transactions up. */
  readonly control: ChainBackend;
  /** A backend for one role: the shared SimChain, or a BitcoindRpc of the role's own. */
  backendFor(role: string): ChainBackend;
  /** A follower for one role over its backend; the demo polls it (see {@link pollAll}). */
  followerFor(role: string): BlockFollower;
  /** Polls every follower handed out (after mining), all at once. */
  pollAll(): Promise<void>;
  height(): Promise<number>;
  stop(): Promise<void>;
}

class Followers {
  readonly list: BlockFollower[] = [];
  add(f: BlockFollower): BlockFollower {
    this.list.push(f);
    return f;
  }
  async pollAll(): Promise<void> {
    await Promise.all(this.list.map((f) => f.poll()));
  }
}

/** The embedded SimChain (no bitcoind): Core's relay policy, blocks on demand. */
export function simChain(): DemoChain {
  const chain = new SimChain();
  const followers = new Followers();
  return {
    kind: 'simchain',
    description: 'SimChain (in process, Core 30 relay policy)',
    control: chain,
    backendFor: () => chain,
    followerFor: () => followers.add(new BlockFollower(chain)),
    pollAll: () => followers.pollAll(),
    height: async () => chain.height,
    stop: async () => undefined,
  };
}

/** Why `--regtest` cannot run here (no usable bitcoind), or undefined when it can. */
export function regtestUnavailable(): string | undefined {
  const d = discoverBitcoind();
  return d.ok ? undefined : d.why;
}

/** A throwaway `bitcoind -regtest` (own datadir, removed by `stop`), found by `discoverBitcoind`. */
export async function bitcoindChain(): Promise<DemoChain> {
  const d = discoverBitcoind();
  if (!d.ok) throw new Error(d.why);
  const node = await startRegtestNode({ bin: d.bin });
  const followers = new Followers();
  const backends = new Map<string, BitcoindRpc>();
  const backendFor = (role: string): BitcoindRpc => {
    let b = backends.get(role);
    if (b === undefined) {
      b = new BitcoindRpc({ url: node.url, auth: { cookieFile: node.cookieFile }, network: 'regtest' });
      backends.set(role, b);
    }
    return b;
  };
  return {
    kind: 'bitcoind',
    description: `${d.versionText} (regtest, throwaway datadir)`,
    control: node.rpc,
    backendFor,
    followerFor: (role) => followers.add(new BlockFollower(backendFor(role))),
    pollAll: () => followers.pollAll(),
    height: async () => (await node.rpc.tip()).height,
    stop: () => node.stop(),
  };
}
