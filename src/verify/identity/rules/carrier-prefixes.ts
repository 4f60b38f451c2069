/**
 * The original carrier of a mainland mobile number by its prefix, from the public MIIT numbering plan allocations
 * (电信网码号资源). Since mobile number portability (携号转网, nationwide from November 2019) a number may have moved
 * to another carrier: this table only tells which carrier the range was allocated to, the *original* carrier.
 *
 * Longest prefix wins: 1349 (satellite, China Telecom) inside 134 (China Mobile), and the 170x blocks of the
 * virtual operators (MVNOs) whose host network differs by block.
 */

export type Carrier = 'china_mobile' | 'china_unicom' | 'china_telecom' | 'china_broadnet' | 'virtual';
type Host = Exclude<Carrier, 'virtual'>;

export interface CarrierEntry {
  carrier: Carrier;
  /** For virtual operators: the carrier whose network the range is hosted on. */
  host?: Host;
}

const M: CarrierEntry = { carrier: 'china_mobile' };
const U: CarrierEntry = { carrier: 'china_unicom' };
const T: CarrierEntry = { carrier: 'china_telecom' };
const B: CarrierEntry = { carrier: 'china_broadnet' };
const virtual = (host: Host): CarrierEntry => ({ carrier: 'virtual', host });

/**
 * Prefix → carrier. 145 and 147 are data-card ranges. The IoT and data-only ranges that libphonenumber does not list
 * as mobile (140, 141, 144, 146, 148, 149) are left out: checkMobile reports them as mobile_not_allocated.
 */
export const CARRIER_PREFIXES: Readonly<Record<string, CarrierEntry>> = {
  // China Mobile
  '134': M, // 1340–1348; 1349 is satellite (below)
  '135': M,
  '136': M,
  '137': M,
  '138': M,
  '139': M,
  '147': M, // data cards
  '150': M,
  '151': M,
  '152': M,
  '157': M,
  '158': M,
  '159': M,
  '172': M,
  '178': M,
  '182': M,
  '183': M,
  '184': M,
  '187': M,
  '188': M,
  '195': M,
  '197': M,
  '198': M,
  // China Unicom
  '130': U,
  '131': U,
  '132': U,
  '145': U, // data cards
  '155': U,
  '156': U,
  '166': U,
  '175': U,
  '176': U,
  '185': U,
  '186': U,
  '196': U,
  // China Telecom
  '133': T,
  '1349': T, // satellite (formerly China Satcom)
  '153': T,
  '173': T,
  '177': T,
  '180': T,
  '181': T,
  '189': T,
  '190': T,
  '191': T,
  '193': T,
  '199': T,
  // China Broadnet (中国广电)
  '192': B,
  // Virtual operators (移动转售), by host network
  '1700': virtual('china_telecom'),
  '1701': virtual('china_telecom'),
  '1702': virtual('china_telecom'),
  '1703': virtual('china_mobile'),
  '1705': virtual('china_mobile'),
  '1706': virtual('china_mobile'),
  '1704': virtual('china_unicom'),
  '1707': virtual('china_unicom'),
  '1708': virtual('china_unicom'),
  '1709': virtual('china_unicom'),
  '171': virtual('china_unicom'),
  '162': virtual('china_telecom'),
  '165': virtual('china_mobile'),
  '167': virtual('china_unicom'),
};

/** The original carrier of an 11-digit national mobile number, or undefined when no prefix matches. */
export function originalCarrier(national: string): CarrierEntry | undefined {
  return CARRIER_PREFIXES[national.slice(0, 4)] ?? CARRIER_PREFIXES[national.slice(0, 3)];
}
