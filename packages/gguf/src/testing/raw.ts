/**
 * Byte-level GGUF builder for tests that need files the writer refuses to make: wrong counts,
 * hostile lengths, unknown types. Each method appends little-endian bytes.
 */
export class RawGguf {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 8; i++) {
      this.parts.push(Number(b & 0xffn));
      b >>= 8n;
    }
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** Magic, version, tensor count, metadata count. */
  header(nTensors: number | bigint, nKv: number | bigint, version = 3): this {
    return this.u32(0x46554747).u32(version).u64(nTensors).u64(nKv);
  }
  /** A u32 metadata entry. */
  kvU32(key: string, v: number): this {
    return this.str(key).u32(4).u32(v);
  }
  tensor(name: string, dims: (number | bigint)[], type: number, offset: number | bigint): this {
    this.str(name).u32(dims.length);
    for (const d of dims) this.u64(d);
    return this.u32(type).u64(offset);
  }
  pad(alignment = 32): this {
    while (this.parts.length % alignment !== 0) this.parts.push(0);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
