import type { ModelSignature } from '@workbench/api';

export declare const BINARY: 'application/octet-stream';
export type BinaryPlan = { name: string; dtype: 'float32' | 'float64'; width: number; inner: number[]; columns: string[] | null } | { unsupported: string };
export declare function binaryPlan(signature: ModelSignature | null): BinaryPlan;
export declare function readBinaryRows(plan: BinaryPlan, bytes: Uint8Array | undefined, maxRows: number): { data: Float32Array | Float64Array; shape: number[]; batch: number };
export declare function wantsBinary(accept: string | undefined): boolean;
export declare function outputBytes(name: string, tensor: { type: string; data: unknown; dims: readonly number[] }): { bytes: Buffer; headers: Record<string, string> };
