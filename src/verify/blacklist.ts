/**
 * Control strategies (docs/console.md, "Blacklist"): ID numbers, client addresses and H5 devices that the session
 * engine refuses (src/verify/sessions.ts checkBlacklist). An entry keeps only the keyed digest, with the same keyring
 * purposes the sessions use ("identity" for ID numbers, "client-ip" for addresses, "device" for the H5 page's device
 * id), and a masked display value; the raw value is never stored, logged or audited. Every change is audited.
 */
import net from 'node:net';
import { ShirenError, invalidField } from '../errors.js';
import type { AppRepo } from '../store/repos/app-repo.js';
import type { AuditRepo } from '../store/repos/audit-repo.js';
import type { BlacklistRepo } from '../store/repos/blacklist-repo.js';
import type { Keyring } from '../store/secret-box.js';
import type { BlacklistEntryRow, BlacklistKind } from '../store/schema.js';
import { maskIdNumber, normaliseIdentity } from './identity.js';
import { CLIENT_IP_PURPOSE, DEVICE_ID_PATTERN, DEVICE_PURPOSE, IDENTITY_PURPOSE } from './sessions.js';

/** The keyring digest purposes, identical to the ones src/verify/sessions.ts stores on sessions. */
export const BLACKLIST_PURPOSES: Record<BlacklistKind, string> = {
  id_number: IDENTITY_PURPOSE,
  ip: CLIENT_IP_PURPOSE,
  device: DEVICE_PURPOSE,
};
const KINDS: readonly BlacklistKind[] = ['id_number', 'ip', 'device'];
/** A keyed digest as the console shows it (base64url of an HMAC-SHA256). */
const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** How many characters of a device digest the console shows (record detail, blacklist list). */
export const DEVICE_PREFIX_LENGTH = 12;

/** A device digest as the console shows it: its first 12 characters and an ellipsis. */
export const maskDevice = (digest: string) => `${digest.slice(0, DEVICE_PREFIX_LENGTH)}…`;

export interface BlacklistInput {
  kind?: unknown;
  value?: unknown;
  appId?: unknown;
  reason?: unknown;
  expiresAt?: unknown;
}

export interface BlacklistEntryView {
  id: number;
  appId: string | null;
  kind: BlacklistKind;
  masked: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  active: boolean;
}

/** "203.0.113.7" → "203.0.113.*"; IPv6: the first four groups kept ("2001:db8:1:2:*"). */
export function maskIp(ip: string): string {
  if (net.isIPv4(ip)) return ip.split('.').slice(0, 3).join('.') + '.*';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return `::ffff:${maskIp(v4[1]!)}`;
  return ip.split(':').slice(0, 4).join(':') + ':*';
}

/**
 * The digest the sessions store for the value, and its masked display value: an ID number normalised like a session
 * identity, an address as given; a device as its device id (the UUID the page keeps) or as the device digest the
 * record detail shows (43 characters, taken as it is).
 */
export function blacklistDigest(
  keyring: Pick<Keyring, 'digest'>,
  kind: BlacklistKind,
  value: unknown,
): { digest: string; masked: string } {
  if (kind === 'id_number') {
    const { idNumber } = normaliseIdentity({ name: '-', idNumber: value });
    return { digest: keyring.digest(BLACKLIST_PURPOSES.id_number, idNumber), masked: maskIdNumber(idNumber) };
  }
  const v = typeof value === 'string' ? value.trim() : '';
  if (kind === 'device') {
    let digest: string;
    if (DIGEST_PATTERN.test(v)) digest = v;
    else if (DEVICE_ID_PATTERN.test(v.toLowerCase())) digest = keyring.digest(DEVICE_PURPOSE, v.toLowerCase());
    else throw invalidField('value', "must be a device digest as the record detail shows it, or the page's device id");
    return { digest, masked: maskDevice(digest) };
  }
  const ip = v.toLowerCase();
  if (net.isIP(ip) === 0) throw invalidField('value', 'must be an IPv4 or IPv6 address');
  return { digest: keyring.digest(BLACKLIST_PURPOSES.ip, ip), masked: maskIp(ip) };
}

function view(r: BlacklistEntryRow, at: Date): BlacklistEntryView {
  const expires = r.expires_at ? new Date(r.expires_at) : null;
  return {
    id: r.id,
    appId: r.app_id,
    kind: r.kind,
    masked: r.masked,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: expires ? expires.toISOString() : null,
    active: !expires || expires.getTime() > at.getTime(),
  };
}

export function createBlacklistService(deps: {
  blacklist: BlacklistRepo;
  apps: Pick<AppRepo, 'findById'>;
  audit: AuditRepo;
  keyring: Keyring;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    /** The session engine's port (SessionServiceDeps.blacklist). */
    isListed: (appId: string, kind: BlacklistKind, digest: string, at: Date) =>
      deps.blacklist.isListed(appId, kind, digest, at),

    async list(f: { kind?: BlacklistKind; activeOnly?: boolean; limit: number }): Promise<BlacklistEntryView[]> {
      const t = now();
      const rows = await deps.blacklist.list({
        limit: f.limit,
        ...(f.kind ? { kind: f.kind } : {}),
        ...(f.activeOnly ? { activeAt: t } : {}),
      });
      return rows.map((r) => view(r, t));
    },

    async add(input: BlacklistInput, actor: string): Promise<BlacklistEntryView> {
      const t = now();
      if (typeof input.kind !== 'string' || !KINDS.includes(input.kind as BlacklistKind))
        throw invalidField('kind', 'must be id_number, ip or device');
      const kind = input.kind as BlacklistKind;
      const { digest, masked } = blacklistDigest(deps.keyring, kind, input.value);
      let appId: string | null = null;
      if (input.appId !== undefined && input.appId !== null) {
        if (typeof input.appId !== 'string' || !(await deps.apps.findById(input.appId)))
          throw invalidField('appId', 'no such app');
        appId = input.appId;
      }
      if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 500))
        throw invalidField('reason', 'at most 500 characters');
      const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
      let expiresAt: Date | null = null;
      if (input.expiresAt !== undefined && input.expiresAt !== null) {
        const d = typeof input.expiresAt === 'string' ? new Date(input.expiresAt) : new Date(NaN);
        if (Number.isNaN(d.getTime())) throw invalidField('expiresAt', 'must be an ISO 8601 date-time');
        if (d.getTime() <= t.getTime()) throw invalidField('expiresAt', 'must be in the future');
        expiresAt = d;
      }
      const row = await deps.blacklist.insert({
        app_id: appId,
        kind,
        digest,
        masked,
        reason,
        created_by: actor,
        created_at: t,
        expires_at: expiresAt,
      });
      await deps.audit.record({
        actor,
        action: 'blacklist.add',
        target: String(row.id),
        details: { kind, masked, appId, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return view(row, t);
    },

    async remove(id: number, actor: string): Promise<void> {
      const row = await deps.blacklist.delete(id);
      if (!row) throw new ShirenError('not_found', `no blacklist entry ${id}`);
      await deps.audit.record({
        actor,
        action: 'blacklist.remove',
        target: String(id),
        details: { kind: row.kind, masked: row.masked },
      });
    },
  };
}
export type BlacklistService = ReturnType<typeof createBlacklistService>;
