import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random string over an alphabet, without modulo bias. */
export function randomString(length: number, alphabet = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A prefixed, sortable-enough, unguessable id, e.g. "app_3kq…". */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(8).toString('hex')}`;
}

/** AccessKeyId: "SR" + 22 upper-case letters/digits (no look-alikes); safe in every vendor's signature format. */
export function newAccessKeyId(): string {
  return 'SR' + randomString(22, UPPER_ALNUM);
}

/** AccessKeySecret: 40 characters over [A-Za-z0-9] (~238 bits). */
export function newAccessKeySecret(): string {
  return randomString(40);
}
