export { WorkbenchClient, type WorkbenchClientOptions, type RunListParams, type ActingAs } from './client.js';
export { WorkbenchApiError } from './errors.js';
export {
  defaultWebSocket,
  type WebSocketLike,
  type WebSocketConstructor,
  type ReconnectOptions,
  type ConnectionEvents,
  type RunStreamHandlers,
  type RunSubscribeOptions,
  type RunSubscription,
  type EventStreamHandlers,
  type EventSubscription,
} from './stream.js';
export { fromWireNumber, toWireNumber } from '@workbench/api';
export type * from '@workbench/api';
