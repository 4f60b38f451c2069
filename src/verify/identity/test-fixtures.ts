/** People for identity tests: valid check digits, made-up names and numbers. */
import { md5 } from './md5-forms.js';

export const ZHANG = {
  name: '张三',
  idNumber: '110101199003074514',
  mobile: '13800138000',
  bankCard: '6222021001123456789',
  plate: '京A12345',
  vehicleType: '02',
};
export const LI = {
  name: '李四',
  idNumber: '44030519851212002X',
  mobile: '13912345678',
  bankCard: '6228480012345678903',
};
export const WANG = { name: '王小明', idNumber: '310115197901010033', mobile: '18611112222' };
/** Valid, but never imported. */
export const NOBODY = {
  name: '赵六',
  idNumber: '11010519491231002X',
  mobile: '13700001111',
  bankCard: '6217001234567890122',
};

/** The documented md5 forms. */
export const md5Id = (id: string) => id.slice(0, 6) + md5(id.slice(6, 14)) + id.slice(14);
export const md5Name = (name: string) => md5([...name][0]!) + [...name].slice(1).join('');

export function registryCsv(photo?: string): string {
  return [
    'name,id_number,mobile,bank_card,plate,vehicle_type,valid_from,valid_to,photo,notes',
    `${ZHANG.name},${ZHANG.idNumber},${ZHANG.mobile},${ZHANG.bankCard},${ZHANG.plate},${ZHANG.vehicleType},20200101,20300101,${photo ?? ''},vip`,
    `"${LI.name}",${LI.idNumber},${LI.mobile},${LI.bankCard},,,,,,`,
    `${WANG.name},${WANG.idNumber},${WANG.mobile},,,,20190501,长期,,"a, b"`,
    // wrong check digit
    `坏人,110101199003074515,13800000000,,,,,,,`,
    // no name
    `,310115197901010033,,,,,,,,`,
  ].join('\r\n');
}
