/**
 * Settings and storage usage on both database backends: roles (only admins change), CSRF, every validation error,
 * sources (env / default / console) and reset, the audit entry with old → new values; and the consumers reading the
 * live value: the retention job deleting media past the console's limit (injected clock), the image fetch guard
 * consulting the saved allow-list (a local HTTP server on 127.0.0.1), new plans picking up the default thresholds and
 * retention; a second process seeing a change after its cache refresh; the storage numbers matching what was written.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { BACKENDS } from '../../../test/helpers.js';
import type { Core } from '../../core.js';
import { isShirenError } from '../../errors.js';
import { createTransactor } from '../../store/repos/index.js';
import { directorySize } from '../../store/storage-size.js';
import { createImageSources } from '../../verify/image-source.js';
import { createPlanService } from '../../verify/plans.js';
import { createRetention } from '../../verify/retention.js';
import type { SessionService } from '../../verify/sessions.js';
import { createSettingsService, type SettingsService } from '../../verify/settings.js';
import { consoleClient, openConsoleTestApp, type ConsoleTestApp, type Signed } from './console-test-helpers.js';

const HOUR = 3600_000;
const PICTURE = Buffer.from('not really a jpeg, but bytes to fetch');

interface View {
  key: string;
  value: unknown;
  source: string;
  startup: { value: unknown; source: string; env?: string };
  updatedBy: string | null;
}

for (const backend of BACKENDS) {
  describe(`console settings on ${backend.name}`, () => {
    let app: FastifyInstance;
    let core: Core;
    let t: ConsoleTestApp;
    let sessions: SessionService;
    let settings: SettingsService;
    let admin: Signed;
    let auditor: Signed;
    let operator: Signed;
    let appId: string;
    let server: http.Server;
    let pictureUrl: string;
    let clock = new Date('2026-06-01T08:00:00Z');
    const now = () => clock;

    const { call, assertInvalidFields } = consoleClient({ app: () => app, ip: '192.0.2.30' });

    async function views(as: Signed): Promise<Map<string, View>> {
      const res = await call('GET', '/v1/console/settings', { as });
      assert.equal(res.statusCode, 200, res.body);
      return new Map((res.json().settings as View[]).map((v) => [v.key, v]));
    }

    async function put(body: unknown, as: Signed = admin) {
      const res = await call('PUT', '/v1/console/settings', { as, body });
      assert.equal(res.statusCode, 200, res.body);
      return new Map((res.json().settings as View[]).map((v) => [v.key, v]));
    }

    before(async () => {
      t = await openConsoleTestApp({
        backend,
        ip: '192.0.2.30',
        now,
        // One image-fetch setting from the environment, the others at their defaults.
        env: { SHIREN_IMAGE_FETCH_TIMEOUT_MS: '7000' },
        consoleOptions: (core) => {
          settings = createSettingsService({
            repo: core.repos.consoleSettings,
            transaction: createTransactor(core.store.db),
            config: core.config,
            now,
          });
          // the other console services on the real clock (only the settings service is given the clock)
          return { settings, now: undefined, policy: { idleSeconds: 30 * 24 * 3600 } };
        },
      });
      ({ app, core, sessions } = t);
      appId = (await core.accessKeys.ensureApp('settings-app')).id;
      admin = await t.signInAdmin();
      auditor = await t.addUser('alice', 'auditor');
      operator = await t.addUser('oscar', 'operator');
      server = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(PICTURE);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      pictureUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/face.jpg`;
    });
    after(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await t?.close();
    });

    test('every role reads; only admins change; CSRF required; each value shows its source', async () => {
      for (const as of [admin, operator, auditor]) {
        const v = await views(as);
        assert.equal(v.get('imageFetch.timeoutMs')!.value, 7000);
        assert.equal(v.get('imageFetch.timeoutMs')!.source, 'env');
        assert.equal(v.get('imageFetch.timeoutMs')!.startup.env, 'SHIREN_IMAGE_FETCH_TIMEOUT_MS');
        assert.deepEqual(v.get('imageFetch.allowHosts')!.value, []);
        assert.equal(v.get('imageFetch.allowHosts')!.source, 'default');
        assert.equal(v.get('plans.defaultFar')!.value, '1e-4');
        assert.equal(v.get('retention.maxMediaHours')!.value, null);
      }
      assert.equal((await call('GET', '/v1/console/settings')).statusCode, 401, 'signed in only');
      assert.equal((await call('GET', '/v1/console/storage')).statusCode, 401);
      const doc = (await call('GET', '/openapi.json')).json();
      assert.ok(doc.paths['/v1/console/settings']?.put);
      assert.ok(doc.paths['/v1/console/storage']?.get);
      const body = { values: { 'imageFetch.timeoutMs': 9000 } };
      for (const as of [operator, auditor]) {
        const res = await call('PUT', '/v1/console/settings', { as, body });
        assert.equal(res.statusCode, 403, res.body);
        assert.equal(res.json().error.details.requires, 'admin');
      }
      const noCsrf = await call('PUT', '/v1/console/settings', { as: admin, body, csrf: null });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().error.details.csrf, 'invalid');
      assert.equal((await views(admin)).get('imageFetch.timeoutMs')!.value, 7000, 'nothing saved by refused calls');

      const saved = await put(body);
      assert.equal(saved.get('imageFetch.timeoutMs')!.value, 9000);
      assert.equal(saved.get('imageFetch.timeoutMs')!.source, 'console');
      assert.equal(saved.get('imageFetch.timeoutMs')!.updatedBy, 'console:admin');
      assert.deepEqual(saved.get('imageFetch.timeoutMs')!.startup, {
        value: 7000,
        source: 'env',
        env: 'SHIREN_IMAGE_FETCH_TIMEOUT_MS',
      });
      assert.equal((await settings.fetchPolicy(1)).timeoutMs, 9000, 'the consumers read the saved value');
      const reset = await put({ reset: ['imageFetch.timeoutMs'] });
      assert.equal(reset.get('imageFetch.timeoutMs')!.value, 7000);
      assert.equal(reset.get('imageFetch.timeoutMs')!.source, 'env');
      assert.equal((await settings.fetchPolicy(1)).timeoutMs, 7000);

      const audit = await call('GET', '/v1/console/audit?action=settings.', { as: auditor });
      const entries = audit.json().entries as { actor: string; action: string; details: Record<string, unknown> }[];
      assert.equal(entries.length, 2, audit.body);
      assert.equal(entries[1]!.actor, 'console:admin');
      assert.deepEqual(entries[1]!.details, {
        keys: ['imageFetch.timeoutMs'],
        changes: { 'imageFetch.timeoutMs': { from: 7000, to: 9000, source: 'console' } },
      });
      assert.deepEqual(entries[0]!.details, {
        keys: ['imageFetch.timeoutMs'],
        changes: { 'imageFetch.timeoutMs': { from: 9000, to: 7000, source: 'env' } },
      });
    });

    test('each invalid value is refused with its key in details.field, and nothing of the request is saved', async () => {
      const cases: [unknown, string][] = [
        [{ values: { 'retention.defaultResultHours': 0 } }, 'retention.defaultResultHours'],
        [{ values: { 'retention.defaultResultHours': 8761 } }, 'retention.defaultResultHours'],
        [{ values: { 'retention.defaultResultHours': 1.5 } }, 'retention.defaultResultHours'],
        [{ values: { 'retention.defaultMediaHours': -1 } }, 'retention.defaultMediaHours'],
        [{ values: { 'retention.defaultMediaHours': 100 } }, 'retention.defaultMediaHours'], // > result hours (72)
        [{ values: { 'retention.maxResultHours': 0 } }, 'retention.maxResultHours'],
        [{ values: { 'retention.maxMediaHours': '24' } }, 'retention.maxMediaHours'],
        [{ values: { 'plans.defaultFar': '1e-7' } }, 'plans.defaultFar'],
        [{ values: { 'plans.defaultPassiveLivenessThreshold': 1.2 } }, 'plans.defaultPassiveLivenessThreshold'],
        [{ values: { 'imageFetch.allowHosts': 'example.com' } }, 'imageFetch.allowHosts'],
        [{ values: { 'imageFetch.allowHosts': ['ok.example.com', 'bad host'] } }, 'imageFetch.allowHosts'],
        [{ values: { 'imageFetch.allowHosts': ['http://example.com/'] } }, 'imageFetch.allowHosts'],
        [{ values: { 'imageFetch.allowPrivate': 'on' } }, 'imageFetch.allowPrivate'],
        [{ values: { 'imageFetch.timeoutMs': 99 } }, 'imageFetch.timeoutMs'],
        [{ values: { 'imageFetch.timeoutMs': 120_001 } }, 'imageFetch.timeoutMs'],
        [{ values: { 'engine.workers': 2 } }, 'engine.workers'],
        [{ values: [1] }, 'values'],
        [{ reset: 'imageFetch.timeoutMs' }, 'reset'],
        [{ reset: ['nope'] }, 'nope'],
        [{ values: { 'imageFetch.timeoutMs': 8000 }, reset: ['imageFetch.timeoutMs'] }, 'imageFetch.timeoutMs'],
        // A valid change next to an invalid one: all or nothing.
        [{ values: { 'plans.defaultFar': '1e-6', 'imageFetch.timeoutMs': 50 } }, 'imageFetch.timeoutMs'],
      ];
      await assertInvalidFields('PUT', '/v1/console/settings', admin, cases);
      const v = await views(admin);
      assert.equal(v.get('plans.defaultFar')!.source, 'default');
      assert.equal(v.get('imageFetch.timeoutMs')!.value, 7000);
      // Host names are normalised as config.ts does (trimmed, lower case), duplicates dropped.
      const hosts = await put({
        values: { 'imageFetch.allowHosts': [' Pics.Example.com ', '*.cdn.example.com', 'pics.example.com'] },
      });
      assert.deepEqual(hosts.get('imageFetch.allowHosts')!.value, ['pics.example.com', '*.cdn.example.com']);
      await put({ reset: ['imageFetch.allowHosts'] });
    });

    test('the image fetch guard consults the saved allow-list and private switch', async () => {
      const images = createImageSources({
        policy: () => settings.fetchPolicy(1 << 20),
        blobs: core.blobs,
      });
      const refusedWith = async (why: RegExp) => {
        try {
          await images.resolve(appId, { kind: 'url', url: pictureUrl });
        } catch (err) {
          assert.ok(isShirenError(err), String(err));
          assert.equal(err.reason, 'image_url_forbidden');
          assert.match(err.message, why);
          return;
        }
        assert.fail('expected the fetch to be refused');
      };
      await refusedWith(/not on the allow-list/);
      await put({ values: { 'imageFetch.allowHosts': ['127.0.0.1'] } });
      await refusedWith(/non-public address/); // private addresses still off
      await put({ values: { 'imageFetch.allowPrivate': true } });
      assert.deepEqual(await images.resolve(appId, { kind: 'url', url: pictureUrl }), PICTURE);
      await put({ values: { 'imageFetch.allowHosts': ['pics.example.com'] } });
      await refusedWith(/not on the allow-list/);
      await put({ reset: ['imageFetch.allowHosts', 'imageFetch.allowPrivate'] });
    });

    test('new plans take the default thresholds and retention; a plan that gives its own keeps it', async () => {
      const before = await call('POST', '/v1/console/plans', {
        as: operator,
        body: { app: 'settings-app', settings: { name: 'before', livenessMode: 'none' } },
      });
      assert.equal(before.statusCode, 200, before.body);
      assert.deepEqual(before.json().plan.threshold, { score: 70, far: '1e-4' });
      assert.equal(before.json().plan.passiveLivenessThreshold, null);
      assert.equal(before.json().plan.resultRetentionHours, 72);

      await put({
        values: {
          'plans.defaultFar': '1e-5',
          'plans.defaultPassiveLivenessThreshold': 0.6,
          'retention.defaultResultHours': 48,
          'retention.defaultMediaHours': 12,
        },
      });
      const created = await call('POST', '/v1/console/plans', {
        as: operator,
        body: { app: 'settings-app', settings: { name: 'after', livenessMode: 'none' } },
      });
      assert.equal(created.statusCode, 200, created.body);
      const p = created.json().plan;
      assert.deepEqual(p.threshold, { score: 80, far: '1e-5' });
      assert.equal(p.passiveLivenessThreshold, 0.6);
      assert.equal(p.resultRetentionHours, 48);
      assert.equal(p.mediaRetentionHours, 12);
      const own = await call('POST', '/v1/console/plans', {
        as: operator,
        body: {
          app: 'settings-app',
          settings: {
            name: 'own',
            threshold: { far: '1e-3' },
            passiveLivenessThreshold: null,
            resultRetentionHours: 24,
          },
        },
      });
      assert.equal(own.statusCode, 200, own.body);
      assert.deepEqual(own.json().plan.threshold, { score: 60, far: '1e-3' });
      assert.equal(own.json().plan.passiveLivenessThreshold, null);
      assert.equal(own.json().plan.mediaRetentionHours, 12);
      // The plan service as src/server.ts wires it for the access-key API reads the same live defaults.
      const plans = createPlanService({
        plans: core.repos.plans,
        audit: core.repos.audit,
        keyring: core.keyring,
        defaults: settings.planDefaults,
      });
      assert.equal((await plans.create(appId, { name: 'native' }, 'test')).plan.threshold.score, 80);
      // An existing plan is not changed by the defaults.
      assert.equal((await plans.get(appId, before.json().plan.id)).threshold.score, 70);
      await put({
        reset: [
          'plans.defaultFar',
          'plans.defaultPassiveLivenessThreshold',
          'retention.defaultResultHours',
          'retention.defaultMediaHours',
        ],
      });
      assert.equal((await plans.create(appId, { name: 'native2' }, 'test')).plan.threshold.score, 70);
    });

    test('the retention job deletes media older than the console limit and keeps younger media', async () => {
      clock = new Date('2026-06-02T08:00:00Z');
      const plans = createPlanService({ plans: core.repos.plans, audit: core.repos.audit, keyring: core.keyring, now });
      // The plan itself keeps media for 30 days and results for a year.
      const planId = (
        await plans.create(
          appId,
          { name: 'keeps-long', livenessMode: 'none', mediaRetentionHours: 720, resultRetentionHours: 8760 },
          't',
        )
      ).plan.id;
      const retention = createRetention({
        transaction: createTransactor(core.store.db),
        blobs: core.blobs,
        now,
        limits: settings.retentionLimits,
      });
      const finished = async (hoursAgo: number) => {
        const s = await sessions.create(appId, { planId }, 'test');
        const row = (await core.repos.sessions.findByToken(s.token))!;
        const key = `sessions/${row.id}/best.jpg`;
        await core.blobs.put(key, Buffer.from(`frame of ${row.id}`));
        const at = new Date(clock.getTime() - hoursAgo * HOUR);
        await core.repos.sessions.update(row.id, {
          status: 'passed',
          finished_at: at,
          best_frame_key: key,
          media_purge_at: new Date(at.getTime() + 720 * HOUR),
          purge_at: new Date(at.getTime() + 8760 * HOUR),
        });
        return { id: row.id, key };
      };
      const old = await finished(30);
      const young = await finished(10);
      const veryOld = await finished(60);

      const none = await retention.runOnce();
      assert.equal(none.mediaPurged, 0, 'without a limit the plan keeps them');
      await put({ values: { 'retention.maxMediaHours': 24 } });
      const run = await retention.runOnce();
      assert.equal(run.mediaPurged, 2);
      assert.equal(run.sessionsPurged, 0);
      for (const s of [old, veryOld]) {
        assert.equal(await core.blobs.exists(s.key), false, `${s.id} media deleted`);
        assert.equal((await core.repos.sessions.findById(s.id))!.best_frame_key, null);
      }
      assert.equal(await core.blobs.exists(young.key), true, 'younger media kept');
      // 15 hours later the young one is 25 hours old.
      clock = new Date(clock.getTime() + 15 * HOUR);
      assert.equal((await retention.runOnce()).mediaPurged, 1);
      assert.equal(await core.blobs.exists(young.key), false);
      // A result limit deletes whole sessions past it.
      await put({ values: { 'retention.maxResultHours': 48 } });
      assert.equal((await retention.runOnce()).sessionsPurged, 1);
      assert.equal(await core.repos.sessions.findById(veryOld.id), undefined);
      assert.ok(await core.repos.sessions.findById(old.id));
      await put({ reset: ['retention.maxMediaHours', 'retention.maxResultHours'] });
    });

    test('another process sees a change once its cache is older than refreshMs', async () => {
      let t = 0;
      const other = createSettingsService({
        repo: core.repos.consoleSettings,
        transaction: createTransactor(core.store.db),
        config: core.config,
        cacheNow: () => t,
      });
      assert.equal((await other.current())['plans.defaultFar'], '1e-4');
      await put({ values: { 'plans.defaultFar': '1e-6' } });
      t += 29_000;
      assert.equal((await other.current())['plans.defaultFar'], '1e-4', 'still cached');
      t += 1_000;
      assert.equal((await other.current())['plans.defaultFar'], '1e-6', 'reloaded after 30 s');
      assert.equal((await settings.current())['plans.defaultFar'], '1e-6', 'the changing process at once');
      await put({ reset: ['plans.defaultFar'] });
    });

    test('storage usage counts what was written, by area, and the database size', async () => {
      const first = await call('GET', '/v1/console/storage?fresh=true', { as: auditor });
      assert.equal(first.statusCode, 200, first.body);
      const area = (
        body: { blobs: { areas: { area: string; objects: number; bytes: number; sessions?: number }[] } },
        name: string,
      ) => body.blobs.areas.find((a) => a.area === name)!;
      const base = first.json();
      const written: [string, number][] = [
        ['sessions/vs_storage1/best.jpg', 1000],
        ['sessions/vs_storage1/env.jpg', 500],
        ['sessions/vs_storage2/best.jpg', 250],
        ['exports/ex_storage.csv', 4096],
        [`oss/${appId}/bucket-one/a/face.jpg`, 2000],
        ['misc/note.bin', 10],
      ];
      // Sizes are the stored (sealed) sizes: the encrypted store adds its fixed overhead per blob.
      let sealed = 0;
      const expect = new Map<string, { objects: number; bytes: number }>();
      for (const [key, size] of written) {
        const info = await core.blobs.put(key, Buffer.alloc(size, 1));
        sealed = info.size - size;
        const a = key.startsWith('misc/') ? 'other' : key.split('/')[0]!;
        const e = expect.get(a) ?? { objects: 0, bytes: 0 };
        expect.set(a, { objects: e.objects + 1, bytes: e.bytes + info.size });
      }
      assert.ok(sealed > 0);
      const cached = await call('GET', '/v1/console/storage', { as: operator });
      assert.equal(cached.json().cached, true, 'a second call within 60 s reuses the result');
      const res = await call('GET', '/v1/console/storage?fresh=true', { as: operator });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.cached, false);
      assert.equal(body.blobs.available, true);
      for (const [name, e] of expect) {
        assert.equal(area(body, name).objects - area(base, name).objects, e.objects, name);
        assert.equal(area(body, name).bytes - area(base, name).bytes, e.bytes, name);
      }
      assert.equal(area(body, 'sessions').sessions! - area(base, 'sessions').sessions!, 2);
      const totalWritten = [...expect.values()].reduce((s, e) => s + e.bytes, 0);
      assert.equal(body.blobs.total.bytes - base.blobs.total.bytes, totalWritten);
      assert.equal(body.blobs.total.objects - base.blobs.total.objects, written.length);
      const usage = await core.blobs.usage();
      assert.equal(body.blobs.total.bytes, usage.bytes);

      assert.equal(body.database.available, true);
      assert.equal(body.database.kind, backend.name);
      if (backend.name === 'postgres') {
        assert.equal(body.database.method, 'pg_database_size');
        assert.ok(body.database.bytes > 1_000_000, String(body.database.bytes));
      } else {
        assert.equal(body.database.method, 'directory');
        const onDisk = await directorySize(`${core.config.dataDir}/pg`);
        // The database may write (checkpoint, WAL) between the two measurements; allow 5 %.
        assert.ok(
          Math.abs(body.database.bytes - onDisk.bytes) <= onDisk.bytes * 0.05,
          `${body.database.bytes} vs ${onDisk.bytes}`,
        );
        assert.ok(body.database.bytes > 1_000_000);
      }
      for (const [key] of written) await core.blobs.delete(key);
    });
  });
}
