import type { ModelSignature } from '@workbench/api';

export declare const MAX_BODY_BYTES: number;
export declare const MAX_ROWS: number;

export declare class RequestError extends Error {
  constructor(status: number, code: string, message: string, hint?: string);
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;
}

export interface HostedModelEntry {
  name: string;
  version: number;
  format: string;
  file: string;
  signature: ModelSignature | null;
}

export interface HostedModelState extends HostedModelEntry {
  ready: boolean;
  error: string | null;
}

export interface PredictResponse {
  model: string;
  version: number;
  rows: number;
  predictions: unknown[];
  outputs: Record<string, unknown[]>;
}

export declare function buildFeeds(signature: ModelSignature, body: unknown, Tensor: unknown): { feeds: Record<string, unknown>; batch: number };
export declare function buildTable(signature: ModelSignature, body: unknown): { columns: string[]; rows: unknown[][] };
export declare function formatOutputs(signature: ModelSignature, outputNames: readonly string[], results: Record<string, unknown>): { predictions: unknown[]; outputs: Record<string, unknown[]> };
export declare function signatureFromSession(session: unknown): ModelSignature;

export interface ModelBackend {
  predict(table: { columns: string[]; rows: unknown[][] }): Promise<{ predictions: unknown[]; probabilities?: unknown[] }>;
  status?(): { ready: boolean; error: string | null };
  close?(): Promise<void>;
}

export declare class ModelHost {
  constructor(loadOrt: () => Promise<unknown>, sessionOptions?: Record<string, unknown>, backends?: Record<string, (entry: HostedModelEntry) => Promise<ModelBackend>>);
  close(): Promise<void>;
  add(entry: HostedModelEntry): Promise<HostedModelState>;
  health(): { status: 'ok' | 'degraded'; models: Array<{ name: string; version: number; ready: boolean; error: string | null }> };
  list(): Array<{ name: string; version: number; format: string; ready: boolean; error: string | null; signature: ModelSignature | null }>;
  predict(name: string | null, body: unknown): Promise<PredictResponse>;
  answer(name: string | null, request: PredictRequest): Promise<PredictAnswer>;
}

/** A prediction request as it came over HTTP. */
export interface PredictRequest {
  contentType: string | undefined;
  accept: string | undefined;
  body: Uint8Array | undefined;
  /** Which output a binary answer carries (the first by default). */
  output?: string | undefined;
}

/** What to send back: a JSON string, or raw little-endian output values. */
export interface PredictAnswer {
  headers: Record<string, string>;
  body: string | Buffer;
}

export declare function errorBody(err: unknown): { status: number; body: { error: { code: string; message: string; hint?: string } } };
