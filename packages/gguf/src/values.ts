/** GGUF metadata value types (`enum gguf_type`), by the short names this package uses. */
export const GGUF_VALUE_TYPES = Object.freeze({
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  str: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const);

export type GgufValueTypeName = keyof typeof GGUF_VALUE_TYPES;
export type GgufScalarTypeName = Exclude<GgufValueTypeName, 'array'>;

export const valueTypeNames: readonly GgufValueTypeName[] = Object.keys(GGUF_VALUE_TYPES) as GgufValueTypeName[];

/** Bytes a scalar of this type takes on disk; strings and arrays have no fixed size (0). */
export const fixedSize: Readonly<Record<GgufValueTypeName, number>> = {
  u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, str: 0, array: 0, u64: 8, i64: 8, f64: 8,
};

/**
 * A long array the reader did not decode (see `skipArraysLongerThan`): its element type and
 * length, so a caller still knows e.g. the vocabulary size without paying for 150k strings.
 */
export interface GgufArraySummary {
  readonly skipped: true;
  readonly elementType: GgufValueTypeName;
  readonly length: number;
}

/**
 * A decoded metadata value. 64-bit integers come back as `number` when they fit in 2^53 and as
 * `bigint` otherwise; arrays as JS arrays (nested arrays nest), or as a summary when skipped.
 */
export type GgufValue = number | bigint | boolean | string | GgufValue[] | GgufArraySummary;

/** The stored type of a metadata value: a scalar type name, or `array<elem>` (`array<array>` when nested). */
export type GgufMetaType = GgufScalarTypeName | `array<${GgufValueTypeName}>`;

export function isArraySummary(v: unknown): v is GgufArraySummary {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as GgufArraySummary).skipped === true;
}
