export * from './line-splitter.js';
export * from './protocol.js';
export * from './supervisor.js';
export * from './launch.js';
export * from './templates.js';
export * from './params.js';
export * from './paths.js';
