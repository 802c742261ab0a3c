import { createCipheriv, createHash } from 'node:crypto';

/** Deterministic incompressible bytes (AES-256-CTR keystream of a seed). */
export function randomContent(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** Deterministic, very compressible text (an LCG picking words). */
export function textContent(size: number): Buffer {
  const words = ['alpha', 'beta', 'gamma', 'delta', '\n', ' ', '0123'];
  let x = 1;
  let s = '';
  while (s.length < size) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += words[x % 7];
  }
  return Buffer.from(s.slice(0, size));
}
