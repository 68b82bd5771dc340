// The chain conformance suite against a throwaway bitcoind -regtest (Core ≥ 28) when one is available
// (BITCOIND=/path/to/bitcoind or bitcoind on PATH), and against a SimChain whose relay policy is set
// from that node's getnetworkinfo. Without bitcoind the suite is skipped and says why.
import { SimChain } from '@superscalar/chain';
import { discoverBitcoind, type RegtestNode, startRegtestNode } from '@superscalar/chain/bitcoind';
import { chainConformance } from '@superscalar/chain/test';
import { afterAll, beforeAll, describe } from 'vitest';

const found = discoverBitcoind();
if (found.ok) console.log(`regtest suite: running against ${found.versionText} (${found.bin})`);
else console.log(`regtest suite skipped: ${found.why}`);

describe.skipIf(!found.ok)('bitcoind regtest', () => {
  let node: RegtestNode | undefined;
  const started = (): RegtestNode => {
    if (node === undefined) throw new Error('bitcoind did not start');
    return node;
  };
  beforeAll(async () => {
    if (found.ok) node = await startRegtestNode({ bin: found.bin, wallet: 'conformance' });
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  }, 60_000);

  chainConformance(found.ok ? found.versionText : 'bitcoind', async () => ({ backend: started().rpc }));
  chainConformance('SimChain with the policy of that bitcoind (getnetworkinfo)', async () => {
    const info = await started().rpc.policyInfo();
    return {
      backend: new SimChain({
        policy: {
          coreVersion: info.version,
          minRelayFeeRate: info.minRelayFeeRate,
          incrementalRelayFeeRate: info.incrementalRelayFeeRate,
        },
      }),
    };
  });
});
