import { createHash, randomBytes } from 'node:crypto';

/** Personal access tokens look like Hub tokens (`hf_…`) with their own prefix, and go in the same header. */
export const TOKEN_PREFIX = 'dgo_';
const TOKEN_SHAPE = /^dgo_[A-Za-z0-9]{40}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new token: 40 base62 characters (~238 bits) after the prefix. */
export function generatePersonalToken(): string {
  let out = '';
  while (out.length < 40) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 * 62: rejecting higher bytes keeps every character equally likely.
      if (byte < 248 && out.length < 40) out += ALPHABET[byte % 62];
    }
  }
  return TOKEN_PREFIX + out;
}

export function hashPersonalToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Anything with the prefix is ours (and is never forwarded upstream), well-formed or not. */
export function looksLikePersonalToken(bearer: string): boolean {
  return bearer.startsWith(TOKEN_PREFIX);
}

export function isWellFormedPersonalToken(bearer: string): boolean {
  return TOKEN_SHAPE.test(bearer);
}

export function displayPrefixOf(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}
