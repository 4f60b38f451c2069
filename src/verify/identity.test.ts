import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShirenError } from '../errors.js';
import { mainlandIdChecksumOk, maskIdNumber, maskName, normaliseIdentity } from './identity.js';

test('mainland ID check digit (GB 11643)', () => {
  assert.equal(mainlandIdChecksumOk('11010519491231002X'), true);
  assert.equal(mainlandIdChecksumOk('110105194912310021'), false);
  assert.equal(mainlandIdChecksumOk('11010519491231002'), false);
});

test('identity is trimmed, upper-cased and checked', () => {
  assert.deepEqual(normaliseIdentity({ name: ' 张三 ', idNumber: '11010519491231002x' }), {
    name: '张三',
    idNumber: '11010519491231002X',
  });
  assert.deepEqual(normaliseIdentity({ name: 'Ann Lee', idNumber: 'M1234567' }).idNumber, 'M1234567');
  for (const bad of [
    { name: '', idNumber: '11010519491231002X' },
    { name: '张三', idNumber: '110105194912310021' },
    { name: '张三', idNumber: '12-34' },
    { name: '<b>', idNumber: 'M1234567' },
  ]) {
    assert.throws(
      () => normaliseIdentity(bad),
      (e: ShirenError) => e.reason === 'invalid_request',
    );
  }
});

test('masking keeps 3 + 4 characters of a number and the first character of a name', () => {
  assert.equal(maskIdNumber('110101199003071234'), '110***********1234');
  assert.equal(maskIdNumber('M1234567'), 'M12*4567');
  assert.equal(maskName('张三'), '张*');
  assert.equal(maskName('欧阳娜娜'), '欧***');
  assert.equal(maskName('A'), 'A*');
});
