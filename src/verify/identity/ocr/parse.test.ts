// Unit tests of the ID-card OCR's pure parts: number helpers, line ordering, field parsing and cross-field checks,
// and the consistency of the synthetic people (no model runs here).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mainlandIdChecksumOk } from '../../identity.js';
import { rng, synthPerson } from './card-synth.js';
import { checkBack, checkFront, validityEnd } from './checks.js';
import { gb11643CheckChar } from '../rules/gb11643.js';
import { ageOn, validityYearsForAge } from '../rules/id-number.js';
import { decodeMainlandId } from './id-number.js';
import { guessLayout, orderRows, parseBack, parseFront } from './parse.js';
import type { IdCardFrontFields, OcrLine } from './types.js';

/** A line box of `w`×`h` whose top-left corner is (x, y), turned by `deg` about the card's origin. */
function line(text: string, x: number, y: number, w: number, h = 28, score = 0.99, deg = 0): OcrLine {
  const a = (deg * Math.PI) / 180;
  const rot = ([px, py]: [number, number]): [number, number] => [
    px * Math.cos(a) - py * Math.sin(a),
    px * Math.sin(a) + py * Math.cos(a),
  ];
  return {
    text,
    score,
    box: [rot([x, y]), rot([x + w, y]), rot([x + w, y + h]), rot([x, y + h])],
  };
}

const FRONT: IdCardFrontFields = {
  name: '李晓明',
  sex: '男',
  ethnicity: '汉',
  birthDate: '1990-03-07',
  address: '浙江省杭州市西湖区文三路123号4幢2单元501室',
  idNumber: '',
};
FRONT.idNumber = '33010619900307' + '451';
FRONT.idNumber += gb11643CheckChar(FRONT.idNumber);

test('GB 11643 check digit agrees with identity.ts and the standard example', () => {
  assert.equal(gb11643CheckChar('11010519491231002'), 'X');
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const first17 = Array.from({ length: 17 }, () => Math.floor(r() * 10)).join('');
    const id = first17 + gb11643CheckChar(first17);
    assert.equal(mainlandIdChecksumOk(id), true, id);
    const wrong = first17 + (id[17] === '0' ? '1' : '0');
    assert.equal(mainlandIdChecksumOk(wrong), false, wrong);
  }
  assert.deepEqual(decodeMainlandId('11010519491231002X'), {
    birthDate: '1949-12-31',
    sex: '女',
    checksumOk: true,
    region: '110105',
  });
  assert.equal(decodeMainlandId('110105194913310021')?.birthDate, null);
  assert.equal(decodeMainlandId('1101051949'), null);
});

test('age and the validity length the law gives for it', () => {
  assert.equal(ageOn('1990-03-07', '2006-03-06'), 15);
  assert.equal(ageOn('1990-03-07', '2006-03-07'), 16);
  assert.deepEqual([15, 16, 25, 26, 45, 46].map(validityYearsForAge), [5, 10, 10, 20, 20, 'long_term']);
  assert.equal(validityEnd('2008-02-29', 10), '2018-02-28');
  assert.equal(validityEnd('2012-02-29', 20), '2032-02-29');
});

test('front: labels merged with values, split rows, lower-case x in the number', () => {
  const id = '11010519491231002x';
  const lines = [
    line('姓名李晓明', 60, 60, 180),
    line('性别男', 60, 125, 90),
    line('民族 汉', 280, 125, 100),
    line('出生 1990年3月7日', 60, 190, 330),
    line('住址浙江省杭州市西湖区文三路', 60, 255, 420),
    line('123号4幢2单元501室', 150, 295, 300),
    line('公民身份号码', 60, 445, 160, 22),
    line(id, 290, 440, 380, 32),
  ];
  const p = parseFront(lines);
  assert.deepEqual(p.fields, {
    idNumber: '11010519491231002X',
    name: '李晓明',
    sex: '男',
    ethnicity: '汉',
    birthDate: '1990-03-07',
    address: '浙江省杭州市西湖区文三路123号4幢2单元501室',
  });
  assert.equal(p.labelsFound, 6);
  assert.equal(p.confidence.name, 0.99);
});

test('front: rotated card, number printed higher than its label, lower-confidence line flagged', () => {
  const lines = [
    line('姓名', 60, 66, 50, 22, 0.99, 2.5),
    line('李晓明', 150, 60, 90, 28, 0.99, 2.5),
    line('性别', 60, 130, 50, 22, 0.99, 2.5),
    line('男', 150, 126, 28, 28, 0.99, 2.5),
    line('民族', 280, 130, 50, 22, 0.99, 2.5),
    line('汉', 370, 126, 28, 28, 0.99, 2.5),
    line('出生', 60, 194, 50, 22, 0.99, 2.5),
    line('1990年3月7日', 150, 190, 240, 28, 0.99, 2.5),
    line('住址', 60, 258, 50, 22, 0.99, 2.5),
    line('浙江省杭州市西湖区文三路', 150, 254, 340, 28, 0.7, 2.5),
    line('123号4幢2单元501室', 150, 294, 300, 28, 0.99, 2.5),
    line('公民身份号码', 60, 448, 160, 22, 0.99, 2.5),
    line(FRONT.idNumber, 290, 436, 380, 32, 0.99, 2.5),
  ];
  const rows = orderRows(lines);
  assert.equal(rows.length, 6);
  assert.deepEqual(rows[5], [11, 12]);
  const p = parseFront(lines);
  assert.deepEqual(p.fields, FRONT);
  assert.equal(p.confidence.address, 0.7);
  assert.deepEqual(p.warnings, ['low_confidence:address']);
  assert.deepEqual(checkFront(p.fields, new Date('2026-01-01')), []);
});

test('front: missing labels fall back on the layout; unread fields stay absent', () => {
  // 姓名 and 公民身份号码 unread; the name is what precedes 性别, the number the 18-character run after the address.
  const lines = [
    line('李晓明', 150, 60, 90),
    line('性别男 民族汉', 60, 125, 330),
    line('住址浙江省杭州市西湖区文三路123号', 60, 255, 440),
    line(FRONT.idNumber, 290, 440, 380, 32),
  ];
  const p = parseFront(lines);
  assert.equal(p.fields.name, '李晓明');
  assert.equal(p.fields.idNumber, FRONT.idNumber);
  assert.equal(p.fields.address, '浙江省杭州市西湖区文三路123号');
  assert.equal(p.fields.birthDate, undefined);
  assert.deepEqual(checkFront(p.fields, new Date('2026-01-01')), [
    { code: 'ocr_field_missing', fields: ['birthDate'] },
  ]);
});

test('front: address digits never join the number; O read for 0 is corrected with a warning', () => {
  const lines = [
    line('住址某省某市某区某路12号', 60, 255, 440),
    line('公民身份号码 ' + FRONT.idNumber.slice(0, 4) + 'O' + FRONT.idNumber.slice(5), 60, 440, 600),
  ];
  const p = parseFront(lines);
  assert.equal(p.fields.address, '某省某市某区某路12号');
  assert.equal(p.fields.idNumber, FRONT.idNumber);
  assert.ok(p.warnings.includes('number_characters_corrected'));
});

test('front cross-field checks: birth, sex, checksum, format, future birth', () => {
  const now = new Date('2026-01-01');
  const codes = (f: Partial<IdCardFrontFields>) => checkFront({ ...FRONT, ...f }, now).map((r) => r.code);
  assert.deepEqual(codes({}), []);
  assert.deepEqual(codes({ birthDate: '1990-03-08' }), ['ocr_birth_mismatch']);
  assert.deepEqual(codes({ sex: '女' }), ['ocr_sex_mismatch']);
  const badCheck = FRONT.idNumber.slice(0, 17) + (FRONT.idNumber[17] === '1' ? '2' : '1');
  assert.deepEqual(codes({ idNumber: badCheck }), ['ocr_number_checksum_invalid']);
  const noDate = '33010619901307451';
  assert.deepEqual(codes({ idNumber: noDate + gb11643CheckChar(noDate) }), ['ocr_number_format_invalid']);
  assert.deepEqual(codes({ birthDate: '1990-02-30' }), ['ocr_birth_date_invalid', 'ocr_birth_mismatch']);
  const future = '33010620270307451';
  assert.deepEqual(codes({ birthDate: '2027-03-07', idNumber: future + gb11643CheckChar(future) }), [
    'ocr_birth_date_invalid',
  ]);
});

test('back: authority and validity, separators lost or misread, 长期', () => {
  const p = parseBack([
    line('中华人民共和国', 270, 70, 360, 40),
    line('居民身份证', 250, 150, 400, 58),
    line('签发机关杭州市公安局西湖分局', 190, 386, 420),
    line('有效期限 2015.03.01-2035,03·01', 190, 446, 420),
  ]);
  assert.deepEqual(p.fields, { authority: '杭州市公安局西湖分局', validFrom: '2015-03-01', validTo: '2035-03-01' });
  const lt = parseBack([line('签发机关 某县公安局', 190, 386, 300), line('有效期限2010.07.09-长期', 190, 446, 360)]);
  assert.deepEqual(lt.fields, { authority: '某县公安局', validFrom: '2010-07-09', validTo: 'long_term' });
  // One phantom character at the end of the label's box is dropped; text glued to the label in one box is kept.
  const phantom = parseBack([
    line('签发机关又 双峰县公安局', 190, 386, 420),
    line('有效期限2010.07.09-长期', 190, 446, 360),
  ]);
  assert.equal(phantom.fields.authority, '双峰县公安局');
  const glued = parseBack([line('签发机关某县 公安局', 190, 386, 420), line('有效期限2010.07.09-长期', 190, 446, 360)]);
  assert.equal(glued.fields.authority, '某县公安局');
  const g = guessLayout([line('签发机关 某县公安局', 190, 386, 300), line('有效期限2010.07.09-长期', 190, 446, 360)]);
  assert.deepEqual(g, { frontLabels: 0, backLabels: 2, numberFound: false });
});

test('back cross-field checks: length for the age at issue, bad periods, expiry', () => {
  const now = new Date('2026-01-01');
  const back = { authority: '某县公安局', validFrom: '2015-03-01', validTo: '2035-03-01' };
  const codes = (f: object, birthDate?: string) => checkBack({ ...back, ...f }, { birthDate, now }).map((r) => r.code);
  assert.deepEqual(codes({}), []);
  assert.deepEqual(codes({}, '1985-01-01'), []); // 30 at issue → 20 years
  assert.deepEqual(codes({}, '1995-01-01'), ['ocr_validity_length_mismatch']); // 20 at issue → 10 years
  assert.deepEqual(codes({ validTo: 'long_term' }, '1960-01-01'), []);
  assert.deepEqual(codes({ validTo: 'long_term' }, '1985-01-01'), ['ocr_validity_length_mismatch']);
  const fiveYears = { validFrom: '2022-03-01', validTo: '2027-03-01' };
  assert.deepEqual(codes(fiveYears, '2012-01-01'), []); // 10 at issue → 5 years
  assert.deepEqual(codes(fiveYears, '1990-01-01'), ['ocr_validity_length_mismatch']);
  assert.deepEqual(codes({ validTo: '2030-03-01' }), ['ocr_validity_length_mismatch']); // 15 years: no such length
  assert.deepEqual(codes({ validTo: '2035-03-02' }), ['ocr_validity_invalid']);
  assert.deepEqual(codes({ validTo: '2010-03-01' }), ['ocr_validity_invalid']);
  assert.deepEqual(codes({ validFrom: '2015-02-30' }), ['ocr_validity_invalid']);
  assert.deepEqual(codes({ validFrom: '2005-03-01', validTo: '2025-03-01' }), ['ocr_card_expired']);
  assert.deepEqual(
    checkBack({ authority: '某县公安局' }, { now }).map((r) => [r.code, r.fields]),
    [['ocr_field_missing', ['validFrom', 'validTo']]],
  );
});

test('synthetic people are internally consistent', () => {
  const r = rng(11);
  const now = new Date('2026-06-01');
  for (let i = 0; i < 300; i++) {
    const p = synthPerson(r, { today: '2026-06-01' });
    assert.ok(mainlandIdChecksumOk(p.idNumber), p.idNumber);
    assert.deepEqual(checkFront(p, now), [], JSON.stringify(p));
    assert.deepEqual(checkBack(p, { birthDate: p.birthDate, now }), [], JSON.stringify(p));
    assert.ok([...p.name].length >= 2 && [...p.name].length <= 4);
  }
});
