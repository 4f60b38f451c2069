/**
 * The picture fetcher's SSRF guard and the object area, against a picture server on loopback. No test sends traffic
 * anywhere but 127.0.0.1: refused addresses are refused before any connection is made.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ShirenError } from '../errors.js';
import { createFsBlobStore } from '../store/blob-store.js';
import { tempDir } from '../../test/helpers.js';
import {
  createImageSources,
  fetchImage,
  hostAllowed,
  isNonPublicAddress,
  objectKey,
  type FetchPolicy,
} from './image-source.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ShirenError, String(err));
    return err.reason;
  }
  return 'resolved';
}

describe('picture sources', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;
  const policy = (p: Partial<FetchPolicy> = {}): FetchPolicy => ({
    allowHosts: ['127.0.0.1', 'pics.test'],
    allowPrivate: true,
    timeoutMs: 2000,
    maxBytes: 1024,
    ...p,
  });

  before(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url === '/a.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(JPEG);
      if (req.url === '/big') return res.writeHead(200).end(Buffer.alloc(4096));
      if (req.url === '/chunked-big') {
        res.writeHead(200);
        for (let i = 0; i < 8; i++) res.write(Buffer.alloc(512));
        return res.end();
      }
      if (req.url === '/empty') return res.writeHead(200).end();
      if (req.url === '/slow') return; // never answers
      if (req.url?.startsWith('/redirect/')) {
        return res.writeHead(302, { location: decodeURIComponent(req.url.slice('/redirect/'.length)) }).end();
      }
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('address classes: private, loopback, link-local, CGNAT, multicast and mapped forms are non-public', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2001:db8::1',
      'not an address',
    ])
      assert.equal(isNonPublicAddress(a), true, a);
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2400:3200::1', '240e::1'])
      assert.equal(isNonPublicAddress(a), false, a);
  });

  test('allow-list: exact names and *.suffix wildcards only', () => {
    assert.ok(hostAllowed('img.example.com', ['img.example.com']));
    assert.ok(hostAllowed('IMG.example.com.', ['img.example.com']));
    assert.ok(hostAllowed('a.b.example.com', ['*.example.com']));
    assert.ok(!hostAllowed('example.com', ['*.example.com']));
    assert.ok(!hostAllowed('evilexample.com', ['*.example.com']));
    assert.ok(!hostAllowed('img.example.com.evil.net', ['img.example.com']));
    assert.ok(!hostAllowed('anything', []));
  });

  test('fetches an allowed URL; a host name connects to the address that was checked', async () => {
    assert.deepEqual(await fetchImage(`http://127.0.0.1:${port}/a.jpg`, policy()), JPEG);
    // "pics.test" does not exist in DNS: the injected resolver's answer is the only way the request reaches us.
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    assert.deepEqual(await fetchImage(`http://pics.test:${port}/a.jpg`, policy(), { lookup }), JPEG);
  });

  test('refused before connecting: not on the allow-list, non-public addresses, other schemes, credentials', async () => {
    const before = hits;
    const strict = policy({ allowPrivate: false });
    assert.equal(await reason(fetchImage(`http://127.0.0.1:${port}/a.jpg`, strict)), 'image_url_forbidden');
    assert.equal(await reason(fetchImage(`http://localhost:${port}/a.jpg`, policy())), 'image_url_forbidden');
    const toPrivate = async () => [
      { address: '203.0.113.9', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    assert.equal(
      await reason(fetchImage(`http://pics.test:${port}/a.jpg`, strict, { lookup: toPrivate })),
      'image_url_forbidden',
    );
    assert.equal(
      await reason(
        fetchImage(
          'http://169.254.169.254/latest/meta-data',
          policy({ allowHosts: ['169.254.169.254'], allowPrivate: false }),
        ),
      ),
      'image_url_forbidden',
    );
    assert.equal(await reason(fetchImage('file:///etc/passwd', policy())), 'image_url_forbidden');
    assert.equal(await reason(fetchImage(`ftp://127.0.0.1:${port}/a.jpg`, policy())), 'image_url_forbidden');
    assert.equal(await reason(fetchImage(`http://u:p@127.0.0.1:${port}/a.jpg`, policy())), 'image_url_forbidden');
    assert.equal(await reason(fetchImage('not a url', policy())), 'image_url_forbidden');
    assert.equal(
      await reason(fetchImage(`http://127.0.0.1:${port}/a.jpg`, policy({ allowHosts: [] }))),
      'image_url_forbidden',
    );
    assert.equal(hits, before, 'no refused request reached the server');
  });

  test('redirects: followed and re-checked at each hop, at most 3', async () => {
    const to = (target: string) => `http://127.0.0.1:${port}/redirect/${encodeURIComponent(target)}`;
    assert.deepEqual(await fetchImage(to('/a.jpg'), policy()), JPEG);
    assert.equal(await reason(fetchImage(to(`http://localhost:${port}/a.jpg`), policy())), 'image_url_forbidden');
    assert.equal(await reason(fetchImage(to('http://10.0.0.1/a.jpg'), policy())), 'image_url_forbidden');
    const strictTo10 = policy({ allowHosts: ['127.0.0.1', '10.0.0.1'], allowPrivate: false });
    assert.equal(await reason(fetchImage('http://10.0.0.1/a.jpg', strictTo10)), 'image_url_forbidden');
    assert.equal(await reason(fetchImage(`http://127.0.0.1:${port}/loop`, policy())), 'image_unavailable');
  });

  test('limits: too large (declared or streamed), empty, HTTP errors and the deadline → image_unavailable', async () => {
    for (const path of ['/big', '/chunked-big', '/empty', '/missing']) {
      assert.equal(await reason(fetchImage(`http://127.0.0.1:${port}${path}`, policy())), 'image_unavailable', path);
    }
    const started = Date.now();
    assert.equal(
      await reason(fetchImage(`http://127.0.0.1:${port}/slow`, policy({ timeoutMs: 300 }))),
      'image_unavailable',
    );
    assert.ok(Date.now() - started < 1500);
    const unresolvable = async () => {
      throw new Error('ENOTFOUND');
    };
    assert.equal(
      await reason(fetchImage('http://pics.test/a.jpg', policy(), { lookup: unresolvable })),
      'image_unavailable',
    );
  });

  test('object area: per-app keys, safe names, put/get/list/delete, missing object → image_unavailable', async () => {
    const t = tempDir();
    try {
      const blobs = await createFsBlobStore(t.dir);
      const sources = createImageSources({ policy: policy(), blobs });
      assert.equal(objectKey('app_1', 'my-bucket', 'a/b.jpg'), 'oss/app_1/my-bucket/a/b.jpg');
      assert.equal(
        await reason(Promise.resolve().then(() => objectKey('app_1', 'My_Bucket', 'a.jpg'))),
        'invalid_request',
      );
      assert.equal(
        await reason(Promise.resolve().then(() => objectKey('app_1', 'bucket', '../a.jpg'))),
        'invalid_request',
      );
      await sources.putObject('app_1', 'my-bucket', 'people/a.jpg', JPEG);
      assert.deepEqual(
        await sources.resolve('app_1', { kind: 'object', bucket: 'my-bucket', object: 'people/a.jpg' }),
        JPEG,
      );
      assert.deepEqual(await sources.listObjects('app_1', 'my-bucket'), [
        { object: 'people/a.jpg', size: JPEG.length },
      ]);
      assert.equal(
        await reason(sources.resolve('app_2', { kind: 'object', bucket: 'my-bucket', object: 'people/a.jpg' })),
        'image_unavailable',
      );
      assert.equal(
        await reason(sources.putObject('app_1', 'my-bucket', 'big.jpg', Buffer.alloc(2048))),
        'image_too_large',
      );
      assert.equal(await sources.deleteObject('app_1', 'my-bucket', 'people/a.jpg'), true);
      assert.equal(
        await reason(sources.resolve('app_1', { kind: 'object', bucket: 'my-bucket', object: 'people/a.jpg' })),
        'image_unavailable',
      );
    } finally {
      t.cleanup();
    }
  });
});
