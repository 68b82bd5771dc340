export { nodeAead } from './aead.js';
export { type ListenOptions, listen, type NoiseListener } from './listen.js';
export { type SocketChannelOptions, socketChannel } from './socket.js';
