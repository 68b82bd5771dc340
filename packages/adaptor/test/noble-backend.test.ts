// The adaptor vector suites again, on the @noble/curves backend (the files themselves run on the Node
// default, libsecp256k1 where it loads): every vector passes on every backend.
import { forceBackend } from '@superscalar/secp/test';

forceBackend('noble');
await import('./upstream-vectors.test.js');
await import('./own-vectors.test.js');
