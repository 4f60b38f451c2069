import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkBankCard, luhnCheckDigit, luhnOk } from './index.js';

/** A test card number: BIN, then a fixed filler, then the Luhn digit. No real person's card. */
function card(bin: string, length: number, filler = '0123456789'): string {
  let body = bin;
  while (body.length < length - 1) body += filler[body.length % filler.length];
  return body + luhnCheckDigit(body);
}

test('Luhn on the published test numbers and on generated ones', () => {
  assert.equal(luhnOk('79927398713'), true); // the Luhn algorithm's textbook example
  assert.equal(luhnOk('79927398710'), false);
  assert.equal(luhnOk('4111111111111111'), true); // the well-known Visa test number
  assert.equal(luhnOk('4111111111111112'), false);
  for (const n of [card('622848', 19), card('625336', 16), card('4', 13)]) assert.equal(luhnOk(n), true, n);
});

test('a UnionPay BIN gives bank, card type and scheme', () => {
  const abc = checkBankCard(card('622848', 19)); // 中国农业银行 金穗借记卡, 19 digits
  assert.equal(abc.valid, true);
  assert.deepEqual(abc.warnings, []);
  assert.deepEqual(abc.info, {
    luhn: true,
    scheme: 'unionpay',
    bin: '622848',
    bankCode: 'ABC',
    bankName: '中国农业银行',
    cardType: 'debit',
  });
  const credit = checkBankCard(card('625336', 16));
  assert.equal(credit.info.cardType, 'credit');
  assert.equal(credit.info.bankCode, 'ABC');
  // Spaces and hyphens as printed on cards.
  const spaced = card('622848', 19).replace(/(\d{4})/g, '$1 ');
  assert.equal(checkBankCard(spaced).normalised, card('622848', 19));
});

test('Luhn failure, unknown BIN and unexpected length are warnings, not rejections', () => {
  const good = card('622848', 19);
  const bad = good.slice(0, -1) + String((Number(good.at(-1)) + 1) % 10);
  const r = checkBankCard(bad);
  assert.equal(r.valid, true);
  assert.deepEqual(r.warnings, ['bank_card_luhn_failed']);
  assert.equal(r.info.luhn, false);
  assert.equal(r.info.bankName, '中国农业银行');

  const unknown = checkBankCard(card('4111', 16));
  assert.equal(unknown.valid, true);
  assert.deepEqual(unknown.warnings, ['bank_card_bin_unknown']);
  assert.equal(unknown.info.scheme, 'visa');
  assert.equal(unknown.info.cardType, 'unknown');

  assert.deepEqual(checkBankCard(card('622848', 16)).warnings, ['bank_card_length_unexpected']);
});

test('malformed card numbers are bank_card_format_invalid', () => {
  for (const v of [
    '',
    '12345678901',
    '0622848000000000001',
    '62284800000000000001',
    '6228 48ab 0000 0000',
    '622848.00',
  ]) {
    const r = checkBankCard(v);
    assert.equal(r.valid, false, v);
    assert.deepEqual(r.reasons, ['bank_card_format_invalid'], v);
  }
});
