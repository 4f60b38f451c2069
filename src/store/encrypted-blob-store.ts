/**
 * Encryption at rest for blobs (reference photos, audit frames, registry photos, objects): every blob is sealed with
 * AES-256-GCM under a key derived from the master key for the purpose "blob", with the blob's key as additional
 * authenticated data, so a sealed file cannot be moved to another key (another session's audit frame, say) without
 * failing to open.
 *
 * Format: "SRB1" | iv (12 bytes) | tag (16 bytes) | ciphertext. A blob without the "SRB1" prefix was written before
 * blobs were encrypted (or copied in by hand) and is returned as it is; `shiren` never writes one.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { BlobInfo, BlobStore } from './blob-store.js';
import { DecryptError } from './secret-box.js';

const MAGIC = Buffer.from('SRB1');
export const SEAL_OVERHEAD = MAGIC.length + 12 + 16;

export function sealBlob(key: Buffer, blobKey: string, data: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(blobKey));
  const ct = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ct]);
}

export function isSealed(data: Uint8Array): boolean {
  return data.length >= SEAL_OVERHEAD && Buffer.from(data.subarray(0, 4)).equals(MAGIC);
}

export function openBlob(key: Buffer, blobKey: string, data: Buffer): Buffer {
  if (!isSealed(data)) return data;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(4, 16));
    decipher.setAAD(Buffer.from(blobKey));
    decipher.setAuthTag(data.subarray(16, 32));
    return Buffer.concat([decipher.update(data.subarray(32)), decipher.final()]);
  } catch {
    throw new DecryptError(`blob ${blobKey} cannot be decrypted with this master key (or was altered)`);
  }
}

/** Wraps a store so that what it keeps is sealed; sizes reported by list/usage are the stored (sealed) sizes. */
export function createEncryptedBlobStore(inner: BlobStore, key: Buffer): BlobStore {
  if (key.length !== 32) throw new Error('blob key must be 32 bytes');
  return {
    async put(blobKey, data): Promise<BlobInfo> {
      return inner.put(blobKey, sealBlob(key, blobKey, data));
    },
    async get(blobKey) {
      const data = await inner.get(blobKey);
      return data === undefined ? undefined : openBlob(key, blobKey, data);
    },
    exists: (blobKey) => inner.exists(blobKey),
    delete: (blobKey) => inner.delete(blobKey),
    deletePrefix: (prefix) => inner.deletePrefix(prefix),
    list: (prefix) => inner.list(prefix),
    usage: () => inner.usage(),
    ...(inner.usageByArea ? { usageByArea: () => inner.usageByArea!() } : {}),
  };
}
