// A wallet process for the kill -9 test: a SQLite store, BitcoindRpc to a SimChain server in another
// process. It builds a funding transaction, stores it, signs it, stores that, and reports each step on
// stdout; the parent SIGKILLs it at one of them, before anything is broadcast.
import { BlockFollower } from '@superscalar/chain';
import { BitcoindRpc } from '@superscalar/chain/bitcoind';
import { Bip86Account } from '@superscalar/keys';
import { followWallet, Wallet } from '../src/index.js';
import { MNEMONIC } from './_harness.js';
import { openSequenced } from './_store.js';

const cfg = JSON.parse(process.argv[2] as string) as {
  url: string;
  cookieFile: string;
  db: string;
  birthHeight: number;
  owner: string;
  stopAt: 'built' | 'signing' | 'signed';
};
const account = Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest' });
const { store, commit } = await openSequenced(cfg.db);
const created = Wallet.create({ account, birthHeight: cfg.birthHeight });
await commit(created.ops);
const wallet = created.wallet;
const rpc = new BitcoindRpc({
  url: cfg.url,
  auth: { cookieFile: cfg.cookieFile },
  network: 'regtest',
  wallet: 'any',
});
const follower = new BlockFollower(rpc);
followWallet({ wallet, follower, commit });
await follower.poll();
const script = new Uint8Array(34);
script[0] = 0x51;
script[1] = 0x20;
script.set(
  Bip86Account.fromMnemonic(MNEMONIC, { network: 'regtest', account: 7 }).deriveKey(0, 0).outputKey,
  2,
);
const { funding, ops } = wallet.buildFunding({
  outputs: [{ script, value: 60_000n }],
  feeRate: 1_000,
  owner: cfg.owner,
  expiresAtHeight: wallet.tipHeight + 50,
});
await commit(ops);
const say = (s: string) => process.stdout.write(`${s} ${funding.txid}\n`);
if (cfg.stopAt === 'built') say('built');
else {
  const signed = wallet.sign(funding.txid);
  const durable = commit(signed.ops);
  if (cfg.stopAt === 'signing') say('signing'); // killed while the update may or may not be durable
  await durable;
  if (cfg.stopAt === 'signed') say('signed');
}
// wait to be killed; never broadcast
setInterval(() => {}, 1_000);
void store;
