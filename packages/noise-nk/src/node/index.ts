export { nodeAead } from './aead.js';
export type { ListenOptions, NoiseListener, PeerInfo } from './listen.js';
export { listen } from './listen.js';
export { socketChannel } from './socket.js';
