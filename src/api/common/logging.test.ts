import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { loggerOptions, redactUrl } from './logging.js';

test('redactUrl hides tokens and personal query fields, keeps the rest', () => {
  assert.equal(
    redactUrl('/rpc?access_token=abc&plan_id=1&id_no=110101199003074514'),
    '/rpc?access_token=%5Bredacted%5D&plan_id=1&id_no=%5Bredacted%5D',
  );
  assert.equal(redactUrl('/v1/whoami'), '/v1/whoami');
  assert.equal(redactUrl('/h5/api/sessions/Yz9rWITm4vak16PBAh5x8oG7/attempts'), '/h5/api/sessions/[token]/attempts');
  assert.equal(redactUrl('/v1/sessions/Yz9rWITm4vak16PBAh5x8oG7?x=1'), '/v1/sessions/[token]?x=1');
});

test('request logs carry no credentials, tokens or personal data', async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const app = Fastify({ logger: { ...(loggerOptions('info') as object), stream } });
  app.post('/x', async (request) => {
    request.log.info({ body: request.body }, 'handler saw a body');
    return { ok: true };
  });
  const secret = 'S3cretS3cretS3cretS3cretS3cretS3cretS3cr';
  await app.inject({
    method: 'POST',
    url: '/x?access_token=tok123456&mode=a',
    headers: { authorization: `Bearer SRKEY:${secret}`, cookie: 'sid=abcdef' },
    payload: { name: '张三', idNumber: '110101199003074514', image: 'iVBORw0KGgo', password: 'hunter2' },
  });
  await app.close();
  const text = lines.join('');
  assert.match(text, /incoming request/);
  for (const leaked of [secret, 'tok123456', 'abcdef', '张三', '110101199003074514', 'iVBORw0KGgo', 'hunter2']) {
    assert.ok(!text.includes(leaked), `log contains ${leaked}`);
  }
  assert.match(text, /mode=a/);
});
