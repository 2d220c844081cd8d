export * from './errors.js';
export * from './entities.js';
export * from './http.js';
export * from './models.js';
export * from './llm.js';
