import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Time-ordered ids (48-bit ms timestamp + 40 random bits, 18 base32 chars): they sort by
 * creation, stay unique across machines for later sync, and a short prefix is enough to
 * type on the command line.
 */
export function newId(): string {
  let t = Date.now();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = alphabet[t % 32] + head;
    t = Math.floor(t / 32);
  }
  // 40 random bits as two numbers (BigInt is slow), from a pool refilled 4 KiB at a time.
  if (poolAt + 5 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  let hi = (pool[poolAt]! << 12) | (pool[poolAt + 1]! << 4) | (pool[poolAt + 2]! >> 4); // 20 bits
  let lo = ((pool[poolAt + 2]! & 15) << 16) | (pool[poolAt + 3]! << 8) | pool[poolAt + 4]!; // 20 bits
  poolAt += 5;
  let tail = '';
  for (let i = 0; i < 4; i++) {
    tail = alphabet[lo & 31] + tail;
    lo >>= 5;
  }
  for (let i = 0; i < 4; i++) {
    tail = alphabet[hi & 31] + tail;
    hi >>= 5;
  }
  return head + tail;
}

let pool = Buffer.alloc(0);
let poolAt = 0;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
