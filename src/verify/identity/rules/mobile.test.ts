import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CARRIER_PREFIXES, checkMobile } from './index.js';

test('the same number in every accepted notation', () => {
  for (const v of ['13800138000', '138 0013 8000', '+86 138-0013-8000', '008613800138000', '8613800138000']) {
    const r = checkMobile(v);
    assert.equal(r.valid, true, v);
    assert.equal(r.normalised, '13800138000');
    assert.deepEqual(r.info, { e164: '+8613800138000', originalCarrier: 'china_mobile' });
  }
});

test('original carrier by prefix, with the host network of virtual operators', () => {
  const cases: Array<[string, string, string?]> = [
    ['13012345678', 'china_unicom'],
    ['13312345678', 'china_telecom'],
    ['13491234567', 'china_telecom'], // 1349 satellite inside China Mobile's 134
    ['13401234567', 'china_mobile'],
    ['15912345678', 'china_mobile'],
    ['16612345678', 'china_unicom'],
    ['18912345678', 'china_telecom'],
    ['19212345678', 'china_broadnet'],
    ['19512345678', 'china_mobile'],
    ['17001234567', 'virtual', 'china_telecom'],
    ['17051234567', 'virtual', 'china_mobile'],
    ['17081234567', 'virtual', 'china_unicom'],
    ['17112345678', 'virtual', 'china_unicom'],
    ['16212345678', 'virtual', 'china_telecom'],
    ['16512345678', 'virtual', 'china_mobile'],
    ['16712345678', 'virtual', 'china_unicom'],
  ];
  for (const [v, carrier, host] of cases) {
    const r = checkMobile(v);
    assert.equal(r.valid, true, v);
    assert.equal(r.info.originalCarrier, carrier, v);
    assert.equal(r.info.hostCarrier, host, v);
  }
});

test('unallocated ranges, landlines, foreign and malformed numbers', () => {
  for (const v of ['10012345678', '12012345678', '14012345678']) {
    assert.deepEqual(checkMobile(v).reasons, ['mobile_not_allocated'], v);
  }
  assert.deepEqual(checkMobile('010 1234 5678').reasons, ['mobile_fixed_line']);
  assert.deepEqual(checkMobile('+1 415 555 2671').reasons, ['mobile_country_unsupported']);
  for (const v of ['', 'abc', '1380013800', '138001380001', '+86 1380013800a']) {
    assert.deepEqual(checkMobile(v).reasons, ['mobile_format_invalid'], v);
  }
});

test('every prefix of our carrier table is an allocated mobile range for libphonenumber', () => {
  for (const prefix of Object.keys(CARRIER_PREFIXES)) {
    const number = (prefix + '12345678').slice(0, 11);
    const r = checkMobile(number);
    assert.deepEqual(r.reasons, [], `${prefix} → ${number}`);
    assert.deepEqual(r.warnings, [], `${prefix} → ${number}`);
  }
});
