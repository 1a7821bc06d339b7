export * from './inmemory/index.js';
export * from './session/index.js';
