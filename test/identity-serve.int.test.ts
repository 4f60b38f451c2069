/**
 * The identity checks as an operator runs them: `shiren registry import FILE.csv`, then `shiren serve` (child
 * processes, engine off), then the official Cloudauth SDK and the native API against that server with the first-run
 * access key. Proves the wiring of src/server.ts; the Actions themselves are tested in
 * src/api/aliyun/identity-actions.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import cloudauth, { Id2MetaVerifyRequest, Mobile3MetaDetailVerifyRequest } from '@alicloud/cloudauth20190307';
import { Config } from '@alicloud/openapi-client';
import { md5Id, md5Name, NOBODY, ZHANG } from '../src/verify/identity/test-fixtures.js';
import { freePort, REPO_ROOT, tempDir } from './helpers.js';

const CLI = path.join(REPO_ROOT, 'src/cli/main.ts');
const Client = cloudauth.default;

describe('registry import + shiren serve + the Cloudauth SDK', () => {
  const t = tempDir();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    SHIREN_ENGINE: 'off',
    SHIREN_H5_DEMO: 'off',
    DATA_DIR: path.join(t.dir, 'data'),
  };
  let child: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;
  let port: number;
  let key: { accessKeyId: string; accessKeySecret: string };

  before(async () => {
    const csv = path.join(t.dir, 'people.csv');
    writeFileSync(
      csv,
      `name,id_number,mobile,bank_card\n${ZHANG.name},${ZHANG.idNumber},${ZHANG.mobile},${ZHANG.bankCard}\n`,
    );
    const imp = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'registry', 'import', csv], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
    });
    assert.equal(imp.status, 0, imp.stderr);
    assert.match(imp.stdout, /1 rows: 1 added/);
    port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      cwd: REPO_ROOT,
      env: { ...env, PORT: String(port) },
    });
    exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const banner = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Shiren is running[\s\S]*\n\n$/.test(out)) resolve(out);
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    });
    const id = /AccessKeyId\s+(\S+)/.exec(banner)?.[1];
    const secret = /AccessKeySecret\s+(\S+)/.exec(banner)?.[1];
    assert.ok(id && secret);
    key = { accessKeyId: id, accessKeySecret: secret };
  });
  after(async () => {
    child?.kill('SIGTERM');
    await exited;
    t.cleanup();
  });

  test('Id2MetaVerify and Mobile3MetaDetailVerify answer from the imported registry', async () => {
    const c = new Client(
      new Config({ ...key, endpoint: `127.0.0.1:${port}`, protocol: 'HTTP' }) as ConstructorParameters<
        typeof Client
      >[0],
    );
    const id2 = async (userName: string, identifyNum: string, paramType = 'normal') =>
      (await c.id2MetaVerify(new Id2MetaVerifyRequest({ paramType, userName, identifyNum }))).body!;
    assert.equal((await id2(ZHANG.name, ZHANG.idNumber)).resultObject?.bizCode, '1');
    assert.equal((await id2('张四', ZHANG.idNumber)).resultObject?.bizCode, '2');
    assert.equal((await id2(NOBODY.name, NOBODY.idNumber)).resultObject?.bizCode, '3');
    assert.equal((await id2(ZHANG.name, '110101199003074515')).code, '401');
    assert.equal((await id2(md5Name(ZHANG.name), md5Id(ZHANG.idNumber), 'md5')).resultObject?.bizCode, '1');
    const d = await c.mobile3MetaDetailVerify(
      new Mobile3MetaDetailVerifyRequest({
        paramType: 'normal',
        userName: ZHANG.name,
        identifyNum: ZHANG.idNumber,
        mobile: ZHANG.mobile,
      }),
    );
    assert.deepEqual({ ...d.body!.resultObject! }, { bizCode: '1', ispName: 'CMCC', subCode: '101' });
  });

  test('the native API answers the same', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/identity/checks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key.accessKeyId}:${key.accessKeySecret}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        check: 'bank_card',
        elements: 3,
        fields: { bankCard: ZHANG.bankCard, name: ZHANG.name, idNumber: ZHANG.idNumber },
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { result: string; bizCode: number };
    assert.deepEqual([body.result, body.bizCode], ['consistent', 1]);
  });
});
