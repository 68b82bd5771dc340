export { nodeAead } from './aead.js';
export type { ListenOptions, NoiseListener } from './listen.js';
export { listen } from './listen.js';
export type { SocketChannelOptions } from './socket.js';
export { socketChannel } from './socket.js';
