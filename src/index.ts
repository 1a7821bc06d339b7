export * from './session/index.js';
export * from './inmemory/index.js';
