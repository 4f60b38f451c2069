import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalQuery,
  computeSignature,
  parseNativeAuthorization,
  signNativeRequest,
  stringToSign,
} from './native-signature.js';

test('the worked example of docs/api-auth.md', () => {
  const sts = stringToSign({
    timestamp: '1795000000',
    nonce: '3f9c2a7d1b8e4c6a',
    method: 'post',
    url: '/v1/faces/compare?mode=strict&a=1',
    body: '{"hello":"world"}',
  });
  assert.equal(
    sts,
    'SHIREN-HMAC-SHA256\n1795000000\n3f9c2a7d1b8e4c6a\nPOST\n/v1/faces/compare\na=1&mode=strict\n' +
      '93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588',
  );
  assert.equal(
    computeSignature('exampleSecretexampleSecretexampleSecret1', sts),
    '8dfe8592581fcfcaf4728b9e703cc0e706a4318a6f4fd837bd821fcd36b683aa',
  );
});

test('canonical query: decoded, RFC 3986 re-encoded, sorted by name then value', () => {
  assert.equal(canonicalQuery('b=2&a=x%20y&a=1&c=%E4%B8%AD*'), 'a=1&a=x%20y&b=2&c=%E4%B8%AD%2A');
  assert.equal(canonicalQuery('?'), '');
  assert.equal(canonicalQuery('q=a+b'), 'q=a%20b');
});

test('signed header round-trips through the parser; malformed headers are refused', () => {
  const h = signNativeRequest({
    accessKeyId: 'SRABC',
    accessKeySecret: 's',
    method: 'GET',
    url: '/v1/x',
    nonce: 'n'.repeat(16),
    timestamp: 1,
  });
  assert.deepEqual(parseNativeAuthorization(h)?.accessKeyId, 'SRABC');
  assert.equal(
    parseNativeAuthorization(
      'SHIREN-HMAC-SHA256 Credential=SRABC, Timestamp=1, Nonce=short, Signature=' + 'a'.repeat(64),
    ),
    undefined,
  );
  assert.equal(
    parseNativeAuthorization(
      'SHIREN-HMAC-SHA256 Credential=SRABC, Timestamp=x, Nonce=' + 'n'.repeat(16) + ', Signature=' + 'a'.repeat(64),
    ),
    undefined,
  );
  assert.equal(parseNativeAuthorization('Bearer x'), undefined);
});
