// nestjs-connectly/terminus: the health indicator, in its own entry point so apps without terminus never load it.

export { ConnectlyHealthIndicator, type ConnectlyHealthOptions } from './connectly.health.js';
