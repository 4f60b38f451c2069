import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkIdNumber, checkIdValidity, checkTravelPermit } from './index.js';

// Check digits below were computed independently of the code under test (ISO 7064 MOD 11-2 by hand/Python).
const AT = new Date('2026-01-01T00:00:00Z');

test('the two example numbers of GB 11643-1999 itself', () => {
  const beijing = checkIdNumber('11010519491231002X', { at: AT });
  assert.equal(beijing.valid, true);
  assert.deepEqual(beijing.reasons, []);
  assert.deepEqual(beijing.warnings, []);
  assert.deepEqual(beijing.info, {
    kind: 'mainland',
    birthDate: '1949-12-31',
    sex: 'F',
    regionCode: '110105',
    regionName: '北京市朝阳区',
    regionRetired: false,
  });
  // 广东省汕头市潮阳县, born 1880: 440524 was retired in 1993 (潮阳市), yet the number is valid: a warning only.
  const chaoyang = checkIdNumber('440524188001010014', { at: AT });
  assert.equal(chaoyang.valid, true);
  assert.deepEqual(chaoyang.warnings, ['id_region_retired']);
  assert.equal(chaoyang.info.regionName, '广东省汕头市潮阳县');
  assert.equal(chaoyang.info.regionRetired, true);
  assert.equal(chaoyang.info.sex, 'M');
  assert.equal(chaoyang.info.birthDate, '1880-01-01');
});

test('input is normalised: lower-case x, spaces, full-width digits', () => {
  for (const v of ['11010519491231002x', ' 110105 19491231 002X ', '１１０１０５１９４９１２３１００２Ｘ']) {
    const r = checkIdNumber(v, { at: AT });
    assert.equal(r.valid, true, v);
    assert.equal(r.normalised, '11010519491231002X');
  }
});

test('a wrong check digit is id_checksum_invalid', () => {
  for (const v of ['110105194912310021', '440524188001010015', '110101199003074510']) {
    assert.deepEqual(checkIdNumber(v, { at: AT }).reasons, ['id_checksum_invalid'], v);
  }
  assert.equal(checkIdNumber('110101199003074514', { at: AT }).valid, true);
});

test('malformed numbers are id_format_invalid', () => {
  for (const v of [
    '',
    '1101051949123100',
    '11010519491231002Y',
    '1101051949123100XX',
    'A10105194912310020',
    '1101051949123',
  ]) {
    assert.deepEqual(checkIdNumber(v, { at: AT }).reasons, ['id_format_invalid'], v);
  }
  // No address code starts with 0 (provinces are 1–8, foreigners 9), even with a correct check digit.
  assert.ok(checkIdNumber('010105199001010017', { at: AT }).reasons.includes('id_format_invalid'));
});

test('15-digit first-generation numbers are upgraded to 18', () => {
  const r = checkIdNumber('110105491231002', { at: AT });
  assert.equal(r.valid, true);
  assert.equal(r.info.kind, 'mainland15');
  assert.equal(r.info.upgraded18, '11010519491231002X');
  assert.equal(r.info.birthDate, '1949-12-31');
  assert.equal(r.info.sex, 'F');
  assert.deepEqual(r.warnings, ['id_first_generation']);
  assert.equal(checkIdNumber('130503670401001', { at: AT }).info.upgraded18, '130503196704010016');
  // The upgraded number is itself valid.
  assert.equal(checkIdNumber(r.info.upgraded18!, { at: AT }).valid, true);
  // 15 digits with an impossible date (30 February 1949).
  assert.deepEqual(checkIdNumber('110105490230002', { at: AT }).reasons, ['id_birth_date_invalid']);
});

test('retired region codes (historic in gb2260 and idcard tables) are warnings, unknown codes too', () => {
  // 110103 崇文区: in gb2260's 2002–2009 revisions, merged into 东城区 in 2010.
  const chongwen = checkIdNumber('110103198001010013', { at: AT });
  assert.equal(chongwen.valid, true);
  assert.deepEqual(chongwen.warnings, ['id_region_retired']);
  assert.equal(chongwen.info.regionName, '北京市崇文区');
  // 132100 邯郸地区: a 1980s prefecture code, only in the idcard package's historic table.
  const handan = checkIdNumber('132100196506150019', { at: AT });
  assert.equal(handan.valid, true);
  assert.deepEqual(handan.warnings, ['id_region_retired']);
  assert.equal(handan.info.regionName, '河北省邯郸地区');
  // 119900: no table knows it; still not a rejection.
  const unknown = checkIdNumber('119900199001010010', { at: AT });
  assert.equal(unknown.valid, true);
  assert.deepEqual(unknown.warnings, ['id_region_unknown']);
  assert.equal(unknown.info.regionName, undefined);
});

test('birth dates must be real, not in the future, not before 1850', () => {
  // 2026-06-01 is after AT (2026-01-01): the check digit is right, the date is not.
  assert.deepEqual(checkIdNumber('110105202606010018', { at: AT }).reasons, ['id_birth_date_invalid']);
  assert.equal(checkIdNumber('110105202606010018', { at: new Date('2026-06-01T00:00:00+08:00') }).valid, true);
  // 29 February: 1999 and 1900 are not leap years, 2000 is.
  assert.deepEqual(checkIdNumber('110105199902290013', { at: AT }).reasons, ['id_birth_date_invalid']);
  assert.deepEqual(checkIdNumber('110105190002290017', { at: AT }).reasons, ['id_birth_date_invalid']);
  const leap = checkIdNumber('110102200002290014', { at: AT });
  assert.equal(leap.valid, true);
  assert.equal(leap.info.birthDate, '2000-02-29');
  assert.deepEqual(checkIdNumber('110105184001010019', { at: AT }).reasons, ['id_birth_date_invalid']);
});

test('residence permits of Hong Kong, Macau and Taiwan residents (810000/820000/830000)', () => {
  const cases: Array<[string, string]> = [
    ['810000199408230021', '香港特别行政区'],
    ['820000198801010049', '澳门特别行政区'],
    ['830000200002290031', '台湾'],
  ];
  for (const [v, name] of cases) {
    const r = checkIdNumber(v, { at: AT });
    assert.equal(r.valid, true, v);
    assert.equal(r.info.kind, 'hk_macau_tw_residence');
    assert.equal(r.info.regionName, name);
    assert.deepEqual(r.warnings, []);
  }
  assert.equal(checkIdNumber('810000199408230021', { at: AT }).info.sex, 'F');
  assert.deepEqual(checkIdNumber('810000199408230022', { at: AT }).reasons, ['id_checksum_invalid']);
});

test('2023 foreigner permanent residence numbers start with 9 and use the same check digit', () => {
  const us = checkIdNumber('911840199001010018', { at: AT });
  assert.equal(us.valid, true);
  assert.equal(us.info.kind, 'foreigner_permanent');
  assert.equal(us.info.nationalityCode, '840');
  assert.equal(us.info.regionName, '北京市');
  assert.equal(us.info.birthDate, '1990-01-01');
  const jp = checkIdNumber('931392198512310029', { at: AT });
  assert.equal(jp.valid, true);
  assert.equal(jp.info.nationalityCode, '392');
  assert.equal(jp.info.regionName, '上海市');
  assert.deepEqual(checkIdNumber('911840199001010019', { at: AT }).reasons, ['id_checksum_invalid']);
});

test('ID validity periods follow the age at issue: 5, 10, 20 years, 长期', () => {
  const birth = '1990-03-07';
  const ok = (start: string, end: string) => checkIdValidity({ start, end }, birth, { at: AT });
  assert.deepEqual(ok('2000.05.01', '2005.05.01').info.expectedTerm, 5); // age 10
  assert.equal(ok('2000.05.01', '2005.05.01').valid, true);
  assert.equal(ok('2008.03.07', '2018.03.07').valid, true); // age 18
  assert.equal(ok('2016-03-06', '2026-03-06').valid, true); // age 25 (a day before turning 26)
  assert.equal(ok('2016-03-07', '2036-03-07').valid, true); // age 26
  const longTerm = checkIdValidity({ start: '2036.03.07', end: '长期' }, birth, { at: new Date('2037-01-01') });
  assert.equal(longTerm.valid, true); // age 46
  assert.equal(longTerm.info.expectedTerm, 'long_term');

  assert.deepEqual(ok('2016-03-07', '2026-03-07').reasons, ['validity_period_mismatch']); // 26 → 20 years
  assert.deepEqual(ok('2016-03-07', '长期').reasons, ['validity_period_mismatch']);
  assert.deepEqual(ok('2016-03-07', '2036-03-08').reasons, ['validity_period_mismatch']);
  assert.deepEqual(ok('1980-01-01', '1990-01-01').reasons, ['validity_date_invalid']); // before birth
  assert.deepEqual(ok('2016-02-30', '2026-02-30').reasons, ['validity_date_invalid']);
  assert.deepEqual(ok('2027-01-01', '2047-01-01').reasons, ['validity_start_in_future']);

  const expired = ok('2008.03.07', '2018.03.07');
  assert.deepEqual(expired.warnings, ['validity_expired']);
  assert.equal(expired.info.expired, true);
  assert.deepEqual(ok('2016-03-07', '2036-03-07').warnings, []);
  // A period starting on 29 February ends on 28 February (or 1 March) of a common year.
  const feb29 = (end: string) => checkIdValidity({ start: '2012-02-29', end }, '1990-01-01', { at: AT });
  assert.equal(feb29('2022-02-28').valid, true);
  assert.equal(feb29('2022-03-01').valid, true);
  assert.deepEqual(feb29('2022-03-02').reasons, ['validity_period_mismatch']);
});

test('travel permits: format only', () => {
  const hk = (v: string) => checkTravelPermit(v, 'hk_macau');
  const tw = (v: string) => checkTravelPermit(v, 'taiwan');
  assert.deepEqual(hk('H12345678').info, { document: 'hk_macau_home_return_permit', residentOf: 'hong_kong' });
  assert.deepEqual(hk('m1234567801').info, { document: 'hk_macau_home_return_permit', residentOf: 'macau' });
  assert.equal(hk('M1234567801').normalised, 'M1234567801');
  assert.deepEqual(hk('C12345678').info, { document: 'mainland_hk_macau_travel_permit' });
  assert.equal(hk('CE1234567').valid, true);
  for (const bad of ['H1234567', 'H123456789', 'X12345678', 'CI1234567', '12345678', 'L12345678']) {
    assert.deepEqual(hk(bad).reasons, ['permit_format_invalid'], bad);
  }
  assert.deepEqual(tw('12345678').info, { document: 'taiwan_compatriot_permit' });
  assert.equal(tw('1234567890(B)').valid, true);
  assert.deepEqual(tw('L12345678').info, { document: 'mainland_taiwan_travel_permit' });
  for (const bad of ['1234567', '123456789', 'H12345678', 'L1234567', 'TW12345678']) {
    assert.deepEqual(tw(bad).reasons, ['permit_format_invalid'], bad);
  }
});

test('values that are not strings (e.g. from JSON) are rejected, never thrown on', async () => {
  const { checkBankCard, checkMobile, checkPlate, checkVin } = await import('./index.js');
  const junk = [undefined, null, 42, {}] as unknown as string[];
  for (const v of junk) {
    assert.deepEqual(checkIdNumber(v).reasons, ['id_format_invalid']);
    assert.deepEqual(checkTravelPermit(v, 'taiwan').reasons, ['permit_format_invalid']);
    assert.deepEqual(checkMobile(v).reasons, ['mobile_format_invalid']);
    assert.deepEqual(checkBankCard(v).reasons, ['bank_card_format_invalid']);
    assert.deepEqual(checkPlate(v).reasons, ['plate_format_invalid']);
    assert.deepEqual(checkVin(v).reasons, ['vin_format_invalid']);
    assert.deepEqual(checkIdValidity({ start: v, end: v }, v).reasons, ['validity_date_invalid']);
  }
  assert.deepEqual(checkTravelPermit('H12345678', 'passport' as 'taiwan').reasons, ['permit_kind_unknown']);
});
