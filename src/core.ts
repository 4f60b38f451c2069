/**
 * Opens everything a Shiren process needs besides HTTP and the face engine: the master key, the database (migrated),
 * the repositories, the blob store and the core services. Used by `shiren serve` and by CLI commands.
 */
import path from 'node:path';
import { createAccessKeyService, type AccessKeyService } from './auth/access-keys.js';
import { createNativeAuthenticator, type NativeAuthenticator } from './auth/authenticate.js';
import type { Config } from './config.js';
import { createFsBlobStore, type BlobStore } from './store/blob-store.js';
import { createEncryptedBlobStore } from './store/encrypted-blob-store.js';
import { openDatabase, type Store } from './store/db.js';
import { loadMasterKey, type MasterKeySource } from './store/master-key.js';
import { createRepos, type Repos } from './store/repos/index.js';
import { createKeyring, type Keyring } from './store/secret-box.js';

export class MasterKeyMismatchError extends Error {
  constructor(origin: string) {
    super(
      `the master key (${origin}) is not the key this database was encrypted with; ` +
        'restore the original SHIREN_MASTER_KEY or DATA_DIR/master.key',
    );
    this.name = 'MasterKeyMismatchError';
  }
}

export interface Core {
  config: Readonly<Config>;
  store: Store;
  repos: Repos;
  keyring: Keyring;
  masterKey: Pick<MasterKeySource, 'origin' | 'file'>;
  blobs: BlobStore;
  accessKeys: AccessKeyService;
  authenticate: NativeAuthenticator;
  close(): Promise<void>;
}

export async function openCore(
  config: Readonly<Config>,
  opts: {
    holder?: string;
    /** Clock of the access-key service (key use times, per-app rate limits); tests inject one. */
    accessKeyClock?: () => Date;
  } = {},
): Promise<Core> {
  const master = loadMasterKey(config.dataDir, config.masterKey);
  const keyring = createKeyring(master.key);
  const store = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, holder: opts.holder });
  try {
    await store.migrate();
    const repos = createRepos(store.db);
    const check = await repos.settings.setIfAbsent('master_key_check', keyring.checkValue());
    if (check !== keyring.checkValue())
      throw new MasterKeyMismatchError(master.origin === 'env' ? 'SHIREN_MASTER_KEY' : String(master.file));
    // Every blob (photos, audit frames, objects) is sealed with a key derived from the master key.
    const blobs = createEncryptedBlobStore(
      await createFsBlobStore(path.join(config.dataDir, 'blobs')),
      keyring.rawKey('blob'),
    );
    const accessKeys = createAccessKeyService({
      apps: repos.apps,
      accessKeys: repos.accessKeys,
      audit: repos.audit,
      keyring,
      ...(opts.accessKeyClock ? { now: opts.accessKeyClock } : {}),
    });
    const authenticate = createNativeAuthenticator({
      keys: accessKeys,
      nonces: repos.nonces,
      windowSeconds: config.signatureWindowSeconds,
    });
    return {
      config,
      store,
      repos,
      keyring,
      masterKey: { origin: master.origin, ...(master.file ? { file: master.file } : {}) },
      blobs,
      accessKeys,
      authenticate,
      close: () => store.close(),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
