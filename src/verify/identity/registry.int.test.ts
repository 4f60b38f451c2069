/**
 * The identity registry on PGlite and PostgreSQL: CSV import (good rows in, bad rows reported by line), nothing in
 * clear in the database, every answer of the registry provider (consistent / inconsistent / no record) in plain and
 * md5 forms, replacement on re-import, deletion with its blobs, and the check service's provider choice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { BACKENDS, testConfig } from '../../../test/helpers.js';
import { openCore, type Core } from '../../core.js';
import { isShirenError } from '../../errors.js';
import { createIdentityChecks, type CheckInput } from './checks.js';
import { md5 } from './md5-forms.js';
import { createRegistryService, type RegistryService } from './registry.js';
import { LI, md5Id, md5Name, NOBODY, registryCsv, WANG, ZHANG } from './test-fixtures.js';

for (const backend of BACKENDS) {
  describe(`identity registry (${backend.name})`, () => {
    let core: Core;
    let cleanup: () => Promise<void>;
    let registry: RegistryService;
    let appId: string;
    let otherApp: string;
    let photo: Buffer;
    let compared = 0;
    const jpegOf = (background: string) =>
      sharp({ create: { width: 32, height: 32, channels: 3, background } })
        .jpeg()
        .toBuffer();

    before(async () => {
      const b = await backend.setup();
      cleanup = b.cleanup;
      core = await openCore(testConfig(b.env));
      appId = (await core.accessKeys.ensureApp('shop')).id;
      otherApp = (await core.accessKeys.ensureApp('other')).id;
      photo = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#a0a0a0' } })
        .jpeg()
        .toBuffer();
      registry = createRegistryService({
        repo: core.repos.registry,
        keyring: core.keyring,
        blobs: core.blobs,
        // A deterministic stand-in for the face engine: "same face" when the bytes are the registry photo's.
        faces: {
          compare: async ({ imageA, imageB }) => {
            compared++;
            const passed = Buffer.compare(imageA, imageB) === 0;
            return { score: passed ? 95 : 10, threshold: 70, passed };
          },
        },
        maxPhotoBytes: 1 << 20,
      });
    });
    after(async () => {
      await core.close();
      await cleanup();
    });

    test('CSV import: good rows are added, bad rows are reported by line, unknown columns listed', async () => {
      const ticks: number[] = [];
      const report = await registry.importCsv(appId, registryCsv('zhang.jpg'), {
        photo: async (v) => {
          assert.equal(v, 'zhang.jpg');
          return photo;
        },
        onRow: (done) => ticks.push(done),
      });
      assert.equal(report.rows, 5);
      assert.equal(report.created, 3);
      assert.equal(report.updated, 0);
      assert.deepEqual(
        report.rejected.map((r) => [r.line, r.field]),
        [
          [5, 'id_number'],
          [6, 'name'],
        ],
      );
      assert.match(report.rejected[0]!.reason, /id_checksum_invalid/);
      assert.deepEqual(report.ignoredColumns, ['notes']);
      assert.deepEqual(ticks, [1, 2, 3, 4, 5]);
      const page = await registry.list(appId);
      assert.equal(page.total, 3);
      const zhang = page.people.find((p) => p.idNumber === '110***********4514')!;
      assert.equal(zhang.name, '张*');
      assert.equal(zhang.mobile, '138****8000');
      assert.equal(zhang.mobileIsp, 'CMCC');
      assert.equal(zhang.bankCard, '622202*********6789');
      assert.equal(zhang.plate, '京A***45');
      assert.deepEqual(zhang.validity, { from: '20200101', to: '20300101' });
      assert.equal(zhang.photo, true);
      assert.equal((await registry.list(otherApp)).total, 0, 'another app sees nothing');
    });

    test('nothing personal is stored in clear or as a plain md5', async () => {
      const people = await core.store.db.selectFrom('registry_person').selectAll().execute();
      const keys = await core.store.db.selectFrom('registry_key').selectAll().execute();
      const dump = JSON.stringify([people, keys]);
      for (const v of [
        ZHANG.name,
        ZHANG.idNumber,
        ZHANG.mobile,
        ZHANG.bankCard,
        ZHANG.plate,
        md5(ZHANG.mobile),
        md5(ZHANG.idNumber),
        md5Id(ZHANG.idNumber),
        md5Name(ZHANG.name),
        '20300101',
      ])
        assert.ok(!dump.includes(v), `${v} must not be in the database`);
      assert.ok(keys.length >= 3 * 5);
    });

    const check = (req: CheckInput) => registry.provider.check(appId, { paramType: 'normal', ...req });

    test('id2: consistent, wrong name inconsistent, unknown person no record; md5 forms too', async () => {
      assert.equal((await check({ kind: 'id2', name: ZHANG.name, idNumber: ZHANG.idNumber })).result, 'consistent');
      const wrong = await check({ kind: 'id2', name: LI.name, idNumber: ZHANG.idNumber });
      assert.equal(wrong.result, 'inconsistent');
      assert.deepEqual(wrong.mismatched, ['name']);
      assert.equal((await check({ kind: 'id2', name: NOBODY.name, idNumber: NOBODY.idNumber })).result, 'no_record');
      const m = { kind: 'id2' as const, paramType: 'md5' as const };
      assert.equal(
        (await check({ ...m, name: md5Name(ZHANG.name), idNumber: md5Id(ZHANG.idNumber) })).result,
        'consistent',
      );
      assert.equal(
        (await check({ ...m, name: md5(ZHANG.name), idNumber: md5(ZHANG.idNumber) })).result,
        'consistent',
        'full md5 of both',
      );
      // The md5 form keeps the ID number's X upper-case and accepts upper-case hex.
      assert.equal(
        (await check({ ...m, name: md5Name(LI.name).toUpperCase().slice(0, 32) + '四', idNumber: md5Id(LI.idNumber) }))
          .result,
        'consistent',
      );
      assert.equal(
        (await check({ ...m, name: md5Name('王五'), idNumber: md5Id(ZHANG.idNumber) })).result,
        'inconsistent',
      );
      assert.equal(
        (await check({ ...m, name: md5Name(NOBODY.name), idNumber: md5Id(NOBODY.idNumber) })).result,
        'no_record',
      );
      assert.equal(
        (await registry.provider.check(otherApp, { kind: 'id2', paramType: 'normal', ...ZHANG })).result,
        'no_record',
        'registries are per app',
      );
    });

    test('id2_period compares the validity; id3 compares the photo', async () => {
      const p = { kind: 'id2_period' as const, name: ZHANG.name, idNumber: ZHANG.idNumber };
      assert.equal((await check({ ...p, validFrom: '20200101', validTo: '20300101' })).result, 'consistent');
      const bad = await check({ ...p, validFrom: '20200101', validTo: '长期' });
      assert.deepEqual([bad.result, bad.mismatched], ['inconsistent', ['validity']]);
      assert.equal(
        (await check({ kind: 'id2_period', ...WANG, validFrom: '20190501', validTo: '长期' })).result,
        'consistent',
      );
      assert.equal(
        (await check({ kind: 'id2_period', ...LI, validFrom: '20190501', validTo: '20290501' })).result,
        'no_record',
        'no validity imported',
      );
      const before = compared;
      const same = await check({ kind: 'id3', name: ZHANG.name, idNumber: ZHANG.idNumber, face: photo });
      assert.equal(same.result, 'consistent');
      assert.equal(same.face?.passed, true);
      const other = await check({ kind: 'id3', name: ZHANG.name, idNumber: ZHANG.idNumber, face: Buffer.from('x') });
      assert.deepEqual([other.result, other.mismatched], ['inconsistent', ['face']]);
      assert.equal(compared, before + 2);
      assert.equal((await check({ kind: 'id3', ...LI, face: photo })).result, 'no_record', 'no photo imported');
    });

    test('mobile3 and mobile2: which fields differ, ISP, md5', async () => {
      const ok = await check({ kind: 'mobile3', ...ZHANG });
      assert.deepEqual([ok.result, ok.isp], ['consistent', 'CMCC']);
      const nameOff = await check({ kind: 'mobile3', mobile: ZHANG.mobile, idNumber: ZHANG.idNumber, name: '张四' });
      assert.deepEqual(nameOff.mismatched, ['name']);
      const both = await check({ kind: 'mobile3', mobile: ZHANG.mobile, idNumber: LI.idNumber, name: LI.name });
      assert.deepEqual(both.mismatched, ['name', 'idNumber']);
      assert.equal((await check({ kind: 'mobile3', ...NOBODY })).result, 'no_record');
      const md5All = await check({
        kind: 'mobile3',
        paramType: 'md5',
        mobile: md5(LI.mobile),
        name: md5(LI.name),
        idNumber: md5(LI.idNumber),
      });
      assert.equal(md5All.result, 'consistent');
      assert.equal((await check({ kind: 'mobile2', mobile: WANG.mobile, name: WANG.name })).isp, 'CUCC');
    });

    test('bank card 2/3/4 elements (md5: plain prefix + md5 of the last 6), vehicles', async () => {
      const b = { kind: 'bank_card' as const, bankCard: ZHANG.bankCard, name: ZHANG.name };
      assert.equal((await check({ ...b, elements: 2 })).result, 'consistent');
      assert.equal((await check({ ...b, elements: 3, idNumber: ZHANG.idNumber })).result, 'consistent');
      const four = await check({ ...b, elements: 4, idNumber: ZHANG.idNumber, mobile: LI.mobile });
      assert.deepEqual(four.mismatched, ['mobile']);
      assert.equal((await check({ ...b, bankCard: NOBODY.bankCard })).result, 'no_record');
      const card = ZHANG.bankCard;
      assert.equal(
        (
          await check({
            kind: 'bank_card',
            paramType: 'md5',
            bankCard: card.slice(0, -6) + md5(card.slice(-6)),
            name: md5Name(ZHANG.name),
          })
        ).result,
        'consistent',
      );
      const v = await check({ kind: 'vehicle_meta', plate: ZHANG.plate, name: ZHANG.name, vehicleType: '02' });
      assert.equal(v.result, 'consistent');
      assert.equal(v.vehicle?.vehicleNum, '京A***45');
      assert.deepEqual(
        (await check({ kind: 'vehicle_meta', plate: ZHANG.plate, name: ZHANG.name, vehicleType: '01' })).mismatched,
        ['vehicleType'],
      );
      assert.equal((await check({ kind: 'vehicle_query', plate: '京B54321' })).result, 'no_record');
      assert.equal(
        (await check({ kind: 'vehicle_query', paramType: 'md5', plate: md5(ZHANG.plate) })).result,
        'consistent',
      );
    });

    test('what the registry cannot know is not_supported, never guessed', async () => {
      for (const kind of [
        'mobile_online_time',
        'mobile_online_status',
        'mobile_recycled',
        'mobile_detect',
        'vehicle_insure',
      ] as const) {
        await assert.rejects(
          check({ kind, mobile: ZHANG.mobile, registerDate: '20200101', plate: ZHANG.plate, vin: 'LSVAU218XN2183294' }),
          (err) => isShirenError(err) && err.reason === 'not_supported' && err.details?.code === 'source_cannot_answer',
        );
      }
    });

    test('photo look-up for sessions and ContrastFaceVerify needs the right name', async () => {
      const key = await registry.photoKey(appId, { name: ZHANG.name, idNumber: ZHANG.idNumber });
      assert.ok(key?.startsWith(`registry/${appId}/`));
      assert.equal(await registry.photoKey(appId, { name: '张四', idNumber: ZHANG.idNumber }), undefined);
      assert.equal(await registry.photoKey(otherApp, { name: ZHANG.name, idNumber: ZHANG.idNumber }), undefined);
      assert.equal((await registry.lookupPhoto(appId, { name: ZHANG.name, idNumber: ZHANG.idNumber })).status, 'match');
      assert.equal(
        (await registry.lookupPhoto(appId, { name: '张四', idNumber: ZHANG.idNumber })).status,
        'name_mismatch',
      );
      assert.equal((await registry.lookupPhoto(appId, LI)).status, 'no_photo');
      assert.equal((await registry.lookupPhoto(appId, NOBODY)).status, 'no_record');
    });

    test('re-import replaces the person (new mobile, new photo, old photo blob deleted); delete removes the blobs', async () => {
      const oldKey = (await registry.photoKey(appId, ZHANG))!;
      const photo2 = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#202020' } })
        .jpeg()
        .toBuffer();
      const r = await registry.importCsv(
        appId,
        `id_number,name,mobile,photo\n${ZHANG.idNumber},${ZHANG.name},13500000001,p2\n`,
        {
          photo: async () => photo2,
        },
      );
      assert.deepEqual([r.created, r.updated], [0, 1]);
      assert.equal((await check({ kind: 'mobile2', mobile: ZHANG.mobile, name: ZHANG.name })).result, 'no_record');
      assert.equal((await check({ kind: 'mobile2', mobile: '13500000001', name: ZHANG.name })).result, 'consistent');
      const newKey = (await registry.photoKey(appId, ZHANG))!;
      assert.notEqual(newKey, oldKey);
      assert.equal(await core.blobs.exists(oldKey), false);
      const id = (await registry.list(appId)).people.find((p) => p.idNumber.endsWith('4514'))!.id;
      await assert.rejects(registry.delete(otherApp, id), (e) => isShirenError(e) && e.reason === 'not_found');
      const d = await registry.delete(appId, id);
      assert.equal(d.blobs, 1);
      assert.equal(await core.blobs.exists(newKey), false);
      assert.equal((await check({ kind: 'id2', ...ZHANG })).result, 'no_record');
      const keys = await core.store.db
        .selectFrom('registry_key')
        .select('person_id')
        .where('person_id', '=', id)
        .execute();
      assert.equal(keys.length, 0);
    });

    test('the same ID number twice in one import: the later row wins, one person, one photo blob', async () => {
      const photos = new Map([
        ['a', await jpegOf('#111111')],
        ['b', await jpegOf('#eeeeee')],
      ]);
      const r = await registry.importCsv(
        otherApp,
        `name,id_number,mobile,photo\n${WANG.name},${WANG.idNumber},13500000002,a\n${WANG.name},${WANG.idNumber},13500000003,b\n`,
        { photo: async (v) => photos.get(v)! },
      );
      assert.deepEqual([r.created, r.updated, r.rejected.length], [1, 1, 0]);
      const page = await registry.list(otherApp);
      assert.equal(page.total, 1);
      assert.equal(page.people[0]!.mobile, '135****0003');
      const blobs = await core.blobs.list(`registry/${otherApp}/`);
      assert.equal(blobs.length, 1);
      assert.deepEqual(await registry.photo(otherApp, WANG), photos.get('b'));
      await registry.delete(otherApp, page.people[0]!.id);
      assert.equal((await core.blobs.list(`registry/${otherApp}/`)).length, 0);
    });

    test('check service: validation first, then the plan’s or the app’s provider; none = no authoritative source', async () => {
      const checks = createIdentityChecks({
        registry: registry.provider,
        settings: core.repos.settings,
        plans: core.repos.plans,
        keyring: core.keyring,
      });
      const o = await checks.check(appId, { kind: 'id2', name: ` ${LI.name} `, idNumber: LI.idNumber.toLowerCase() });
      assert.deepEqual([o.result, o.provider], ['consistent', 'registry']);
      assert.deepEqual(o.rules.idNumber?.valid, true);
      await assert.rejects(
        checks.check(appId, { kind: 'id2', name: LI.name, idNumber: '44030519851212002Y' }),
        (e) => isShirenError(e) && e.reason === 'invalid_request' && e.details?.field === 'idNumber',
      );
      await assert.rejects(
        checks.check(appId, { kind: 'id2', paramType: 'md5', name: LI.name, idNumber: 'abc' }),
        (e) => isShirenError(e) && e.reason === 'invalid_request' && /md5 form/.test(e.message),
      );
      await checks.setSettings(appId, { defaultProvider: 'none' });
      await assert.rejects(
        checks.check(appId, { kind: 'id2', ...LI }),
        (e) => isShirenError(e) && e.reason === 'not_supported' && e.details?.code === 'no_authoritative_source',
      );
      // A bad check digit is still a parameter error when no source is configured.
      await assert.rejects(
        checks.check(appId, { kind: 'id2', name: LI.name, idNumber: '44030519851212002Y' }),
        (e) => isShirenError(e) && e.reason === 'invalid_request',
      );
      const t = new Date();
      const plan = await core.repos.plans.insert({
        app_id: appId,
        name: 'kyc',
        liveness_mode: 'none',
        action_count: 1,
        action_pool: '["blink"]',
        compare_source: 'none',
        identity_input: 'none',
        identity_provider: 'registry',
        threshold_score: 70,
        passive_liveness_threshold: null,
        max_attempts: 3,
        invalidate_on_failure: false,
        success_url: null,
        failure_url: null,
        callback_url: null,
        callback_secret_enc: null,
        result_retention_hours: 1,
        media_retention_hours: 1,
        created_at: t,
        updated_at: t,
        disabled_at: null,
      });
      assert.equal((await checks.check(appId, { kind: 'id2', ...LI }, { planId: plan.id })).result, 'consistent');
      await assert.rejects(
        checks.check(otherApp, { kind: 'id2', ...LI }, { planId: plan.id }),
        (e) => isShirenError(e) && e.reason === 'not_found',
      );
      await checks.setSettings(appId, { defaultProvider: 'http' });
      await assert.rejects(
        checks.check(appId, { kind: 'id2', ...LI }),
        (e) => isShirenError(e) && e.reason === 'not_supported' && e.details?.code === 'no_authoritative_source',
        'http without an upstream URL',
      );
      await checks.setSettings(appId, { defaultProvider: 'registry' });
    });
  });
}
