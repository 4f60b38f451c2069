/**
 * Encryption at rest for secrets and personal data: AES-256-GCM with a per-purpose key derived from the master key by
 * HKDF-SHA256. Ciphertext format: "v1." + base64url(iv[12] | tag[16] | ciphertext). The purpose is also bound as
 * additional authenticated data, so a ciphertext cannot be moved between purposes.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export class DecryptError extends Error {
  constructor(message = 'ciphertext cannot be decrypted with this master key') {
    super(message);
    this.name = 'DecryptError';
  }
}

export interface SecretBox {
  encrypt(plaintext: string | Buffer): string;
  decrypt(ciphertext: string): Buffer;
  decryptString(ciphertext: string): string;
}

export interface Keyring {
  /** An AES-GCM box bound to one purpose (e.g. "access-key-secret"). */
  box(purpose: string): SecretBox;
  /** A keyed digest for look-ups by value without storing the value (e.g. an ID number). */
  digest(purpose: string, value: string): string;
  /** A short value that identifies the master key without revealing it (stored to detect a changed key). */
  checkValue(): string;
  /** A raw 32-byte key for one purpose, for binary formats (the encrypted blob store). */
  rawKey(purpose: string): Buffer;
}

export function createKeyring(masterKey: Buffer): Keyring {
  if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), label, 32));
  const boxes = new Map<string, SecretBox>();

  return {
    box(purpose) {
      const cached = boxes.get(purpose);
      if (cached) return cached;
      const key = derive(`shiren:aes-gcm:${purpose}`);
      const aad = Buffer.from(purpose);
      const box: SecretBox = {
        encrypt(plaintext) {
          const iv = randomBytes(12);
          const cipher = createCipheriv('aes-256-gcm', key, iv);
          cipher.setAAD(aad);
          const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
          return 'v1.' + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
        },
        decrypt(ciphertext) {
          if (!ciphertext.startsWith('v1.')) throw new DecryptError('unknown ciphertext version');
          const raw = Buffer.from(ciphertext.slice(3), 'base64url');
          if (raw.length < 28) throw new DecryptError('ciphertext too short');
          try {
            const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
            decipher.setAAD(aad);
            decipher.setAuthTag(raw.subarray(12, 28));
            return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
          } catch {
            throw new DecryptError();
          }
        },
        decryptString(ciphertext) {
          return box.decrypt(ciphertext).toString('utf8');
        },
      };
      boxes.set(purpose, box);
      return box;
    },
    digest(purpose, value) {
      return createHmac('sha256', derive(`shiren:hmac:${purpose}`))
        .update(value)
        .digest('base64url');
    },
    rawKey(purpose) {
      return derive(`shiren:raw:${purpose}`);
    },
    checkValue() {
      return createHmac('sha256', derive('shiren:check')).update('master-key-check').digest('base64url').slice(0, 22);
    },
  };
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
