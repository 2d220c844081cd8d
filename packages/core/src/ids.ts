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
  const rnd = randomBytes(5);
  let bits = 0n;
  for (const b of rnd) bits = (bits << 8n) | BigInt(b);
  let tail = '';
  for (let i = 0; i < 8; i++) {
    tail = alphabet[Number(bits & 31n)] + tail;
    bits >>= 5n;
  }
  return head + tail;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
