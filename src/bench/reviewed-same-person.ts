/**
 * Identities in different asian-faces folders (or under two names in one folder) that are the same person, found by
 * reviewing the highest-scoring "impostor" pairs by hand (asian-faces/sylvie_starface_singletons/SOURCE.md warns that
 * the same person can appear under two names). They are merged like CROSS_SOURCE_IDENTITIES.csv, so they are never
 * counted as impostors. Each entry gives the evidence; pairs that merely look alike are NOT listed.
 */
export interface SamePerson {
  a: string;
  b: string;
  why: string;
}

export const REVIEWED_SAME_PERSON: readonly SamePerson[] = [
  {
    a: 'sylvie_starface_singletons/含恩静',
    b: 'sylvie_starface_singletons/咸慇晶',
    why: 'two Chinese transliterations of 함은정 (Ham Eun-jung, T-ara)',
  },
  {
    a: 'sylvie_starface_singletons/李智恩',
    b: 'sylvie_starface_singletons/李知恩',
    why: 'two Chinese renderings of 이지은 (Lee Ji-eun, IU)',
  },
  {
    a: 'sylvie_starface_singletons/周子瑜',
    b: 'weiming_kpop_singletons/TW_tzuyu',
    why: '周子瑜 is Chou Tzu-yu, TWICE’s Tzuyu',
  },
];

/** Merges the reviewed pairs into an identity → person map (keys `asian-faces/<folder>/<identity>`). */
export function mergeReviewed(
  person: Map<string, string>,
  reviewed: readonly SamePerson[] = REVIEWED_SAME_PERSON,
): void {
  for (const { a, b } of reviewed) {
    const ka = `asian-faces/${a}`;
    const kb = `asian-faces/${b}`;
    const pa = person.get(ka) ?? ka;
    const pb = person.get(kb) ?? kb;
    person.set(ka, pa);
    person.set(kb, pa);
    if (pb !== pa) for (const [k, v] of person) if (v === pb) person.set(k, pa);
  }
}
