// The vector, BIP340 and differential suites again, on the @noble/curves backend (the files themselves
// run on the Node default, libsecp256k1 where it loads): every vector passes on every backend.
import { forceBackend } from '@superscalar/secp/test';

forceBackend('noble');
await import('./bip327-vectors.test.js');
await import('./bip340.test.js');
await import('./differential.test.js');
