import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { createAccessKeyRepo } from './access-key-repo.js';
import { createAdminUserRepo } from './admin-user-repo.js';
import { createAppRepo } from './app-repo.js';
import { createAuditRepo } from './audit-repo.js';
import { createNonceRepo } from './nonce-repo.js';
import { createSettingRepo } from './setting-repo.js';

export function createRepos(db: Kysely<Database>) {
  return {
    apps: createAppRepo(db),
    accessKeys: createAccessKeyRepo(db),
    adminUsers: createAdminUserRepo(db),
    nonces: createNonceRepo(db),
    audit: createAuditRepo(db),
    settings: createSettingRepo(db),
  };
}
export type Repos = ReturnType<typeof createRepos>;
