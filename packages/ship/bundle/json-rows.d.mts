import type { ModelSignature } from '@workbench/api';

export interface JsonRowsPlan {
  readonly name: string;
  readonly dtype: 'float32' | 'float64';
}

export declare function jsonRowsPlan(signature: ModelSignature | null): JsonRowsPlan | null;
export declare function readJsonRows(plan: JsonRowsPlan | null, bytes: Uint8Array, maxRows: number): { data: Float32Array | Float64Array; batch: number; width: number } | null;
