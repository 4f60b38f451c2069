/**
 * The page's device id (docs/h5.md, "Device id"): a random UUID v4 created once and kept in the browser's
 * localStorage under `shiren.device`, sent with every /h5/api call as the header x-shiren-device. The server keeps
 * only its keyed digest (for device blacklists and attempt limits). Without usable storage (blocked, private mode)
 * the id lives for this page load only. It identifies a browser profile, not a person, and is trivially reset by
 * clearing site data: the address limits still apply.
 */
export const DEVICE_STORAGE_KEY = 'shiren.device';
export const DEVICE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A UUID v4 from crypto.getRandomValues (crypto.randomUUID exists only in secure contexts). */
export function newDeviceId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const b = random(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The stored id, or a new one stored now; a malformed stored value is replaced. */
export function deviceId(storage: () => Pick<Storage, 'getItem' | 'setItem'> | null, create = newDeviceId): string {
  let store: Pick<Storage, 'getItem' | 'setItem'> | null = null;
  try {
    store = storage();
    const saved = store?.getItem(DEVICE_STORAGE_KEY) ?? null;
    if (saved && DEVICE_ID_PATTERN.test(saved)) return saved;
  } catch {
    store = null; // localStorage blocked: an id for this page load
  }
  const id = create();
  try {
    store?.setItem(DEVICE_STORAGE_KEY, id);
  } catch {
    /* full or blocked: keep the id for this page load */
  }
  return id;
}
