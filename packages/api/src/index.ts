export * from './errors.js';
export * from './entities.js';
