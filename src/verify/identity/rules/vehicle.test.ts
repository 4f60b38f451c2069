import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlate, checkVin, vinCheckChar } from './index.js';

test('7-character plates', () => {
  const r = checkPlate('京A12345');
  assert.equal(r.valid, true);
  assert.deepEqual(r.info, { newEnergy: false, province: '北京市' });
  assert.equal(checkPlate('京A·F0236').normalised, '京AF0236');
  assert.equal(checkPlate('粤b 8x2y7').normalised, '粤B8X2Y7');
  assert.equal(checkPlate('沪AD1234').info.newEnergy, false); // 7 characters: an ordinary plate even with D
  assert.equal(checkPlate('粤Z1234港').info.special, 'hong_kong');
  assert.equal(checkPlate('京A1234学').info.special, 'driving_school');
  assert.equal(checkPlate('粤O1234警').valid, true);
});

test('8-character new-energy plates: D/F (and the added letters) first for small cars, last for large', () => {
  const small = checkPlate('粤B·D12345');
  assert.equal(small.valid, true);
  assert.deepEqual(small.info, { newEnergy: true, province: '广东省', power: 'battery_electric' });
  assert.equal(checkPlate('沪AF12345').info.power, 'other_new_energy');
  assert.equal(checkPlate('京AD0A123').valid, false); // after D/F: one letter or digit, then 4 digits
  assert.equal(checkPlate('京ADA1234').valid, true);
  assert.equal(checkPlate('浙AK12345').info.power, 'other_new_energy');
  assert.equal(checkPlate('浙AA12345').info.power, 'battery_electric');
  const large = checkPlate('粤B12345D');
  assert.equal(large.valid, true);
  assert.equal(large.info.newEnergy, true);
  assert.equal(checkPlate('粤B12345F').info.power, 'other_new_energy');
});

test('malformed plates', () => {
  for (const v of [
    '',
    '京A1234', // too short
    '京A123456', // 8 characters without a new-energy letter
    '京AI2345', // I is never used
    '京AO2345', // nor O in the serial
    '京1A2345', // authority must be a letter
    '港A12345', // not a province abbreviation
    '粤BL12345', // L is not a new-energy letter
    '粤B12345L',
    '粤B1234DF',
    '粤BD1234A',
    '粤BD123456',
    'ABC12345',
  ]) {
    assert.deepEqual(checkPlate(v).reasons, ['plate_format_invalid'], v);
  }
});

test('VIN check digit: the ISO 3779 / 49 CFR 565 example', () => {
  assert.equal(vinCheckChar('1M8GDM9AXKP042788'), 'X');
  const r = checkVin('1m8gdm9axkp042788');
  assert.equal(r.valid, true);
  assert.equal(r.normalised, '1M8GDM9AXKP042788');
  assert.deepEqual(r.info, { wmi: '1M8', checkDigitRequired: true, checkDigitOk: true });
  assert.deepEqual(checkVin('1M8GDM9A1KP042788').reasons, ['vin_check_digit_invalid']);
  // A second widely published example (a 2003 Honda Accord), check digit 3.
  assert.equal(checkVin('1HGCM82633A004352').valid, true);
  assert.deepEqual(checkVin('1HGCM82643A004352').reasons, ['vin_check_digit_invalid']);
});

test('VIN check digit in China (WMI L…) is mandatory, in Europe it is only a warning', () => {
  // LSV (SAIC Volkswagen): a made-up serial whose position 9 is set to the computed check digit.
  const body = 'LSVAU2180N2183294';
  const ok = body.slice(0, 8) + vinCheckChar(body) + body.slice(9);
  assert.equal(checkVin(ok).valid, true);
  const wrong = ok.slice(0, 8) + (ok[8] === '0' ? '1' : '0') + ok.slice(9);
  assert.deepEqual(checkVin(wrong).reasons, ['vin_check_digit_invalid']);
  // A European VIN whose 9th character is not a check digit: accepted with a warning.
  const eu = checkVin('WVWZZZ1JZXW000001');
  assert.equal(eu.valid, true);
  assert.deepEqual(eu.warnings, ['vin_check_digit_not_used']);
});

test('malformed VINs', () => {
  for (const v of [
    '',
    '1M8GDM9AXKP04278',
    '1M8GDM9AXKP0427889',
    '1M8GDM9AXKP04278O',
    '1M8GDM9AXKP04278I',
    'QM8GDM9AXKP042788',
  ]) {
    assert.deepEqual(checkVin(v).reasons, ['vin_format_invalid'], v);
  }
});
