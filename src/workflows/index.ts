// The workflow bundle's entry point: every workflow the worker registers.
export { directSync } from './directSync.js';
export { backwardSync } from './backwardSync.js';
export { syncMutex } from './syncMutex.js';
