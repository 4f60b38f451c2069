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

/**
 * Images whose folder label is wrong, found by reviewing the highest-scoring impostor pairs and the label-consistency
 * suspects (`labelSuspects` in corpus.ts) and then looking at the photos. They are left out of the East-Asian set
 * entirely (neither genuine nor impostor pairs).
 */
export const REVIEWED_MISLABELLED: ReadonlyArray<{ key: string; why: string }> = [
  {
    key: 'asian-faces/shozend_nogizaka46/JP_N46_IkutaErika/生田絵梨花.93.jpg',
    why: 'does not look like the other 生田絵梨花 photos; its 10 highest "impostor" similarities (0.73–0.79, pipeline of 7640568) are all with 齋藤飛鳥 photos, the next-highest impostor pair overall being far lower',
  },
];
