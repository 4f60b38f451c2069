/**
 * First run: when no admin user exists, create one (random password) and one access key for the "default" app, and
 * hand both back so `serve` can print them once. Later runs create nothing and print no secrets.
 */
import { newId, randomString } from '../ids.js';
import type { Repos } from '../store/repos/index.js';
import type { AccessKeyService } from './access-keys.js';
import { hashPassword } from './password.js';

export interface FirstRunCredentials {
  admin: { username: string; password: string };
  accessKey: { accessKeyId: string; accessKeySecret: string; appName: string };
}

export async function bootstrapFirstRun(deps: {
  repos: Repos;
  accessKeys: AccessKeyService;
}): Promise<FirstRunCredentials | undefined> {
  if ((await deps.repos.adminUsers.count()) > 0) return undefined;
  const password = randomString(20);
  const username = 'admin';
  try {
    await deps.repos.adminUsers.insert({
      id: newId('usr'),
      username,
      password_hash: await hashPassword(password),
      role: 'admin',
    });
  } catch (err) {
    // Another process (PostgreSQL deployments run several) created it first.
    if ((await deps.repos.adminUsers.count()) > 0) return undefined;
    throw err;
  }
  await deps.repos.audit.record({
    actor: 'system',
    action: 'admin_user.create',
    target: username,
    details: { firstRun: true },
  });
  const key = await deps.accessKeys.create({ app: 'default', actor: 'system' });
  return {
    admin: { username, password },
    accessKey: { accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, appName: key.appName },
  };
}
