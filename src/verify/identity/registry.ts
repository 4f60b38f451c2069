/**
 * The identity registry: people, phones, cards and vehicles an operator imports (CSV), kept per app. Every personal
 * field is AES-GCM ciphertext; look-ups go through keyed HMAC-SHA256 digests of each value and of each documented md5
 * form of it (md5-forms.ts), so neither plaintext nor md5 is stored. An optional reference face photo lives in the
 * blob store under registry/<app>/<person>/ and serves Id3MetaVerify and the H5 `registry` comparison source.
 *
 * As a provider it answers: consistent (every given field matches one record), inconsistent (a record is found by
 * its key field but another field differs) or no record. It cannot answer what only a carrier or a government
 * source knows (online time, number status, recycled numbers, insurance, document forgery): those are not_supported.
 */
import { randomBytes } from 'node:crypto';
import { ShirenError } from '../../errors.js';
import { newId } from '../../ids.js';
import type { BlobStore } from '../../store/blob-store.js';
import type { RegistryKey, RegistryRepo } from '../../store/repos/registry-repo.js';
import type { NewRegistryPerson, RegistryPersonRow } from '../../store/schema.js';
import type { Keyring } from '../../store/secret-box.js';
import { maskIdNumber, maskName } from '../identity.js';
import { parseCsv } from './csv.js';
import { carrierOf, checkPlainField } from './fields.js';
import { indexForms, keyPurpose, requestForms, type FieldName } from './md5-forms.js';
import type { CheckAnswer, CheckRequest, IdentityProvider } from './types.js';

export const REGISTRY_PURPOSE = 'registry-person';
/** Rows written per transaction by the CSV import. */
const IMPORT_BATCH = 200;
const ID_DIGEST_PURPOSE = 'registry-id-number';

/** CSV columns the import understands (header names, case-insensitive; a few aliases). */
export const REGISTRY_COLUMNS = {
  name: ['name', 'user_name', 'cert_name', '姓名'],
  id_number: ['id_number', 'idnumber', 'identify_num', 'cert_no', '身份证号'],
  mobile: ['mobile', 'phone', '手机号'],
  bank_card: ['bank_card', 'bankcard', 'card_no', '银行卡号'],
  plate: ['plate', 'vehicle_num', 'plate_no', '车牌号'],
  vehicle_type: ['vehicle_type'],
  vin: ['vin'],
  valid_from: ['valid_from', 'validity_start_date'],
  valid_to: ['valid_to', 'validity_end_date'],
  photo: ['photo', 'face', 'photo_base64', 'photo_path'],
} as const;
export type RegistryColumn = keyof typeof REGISTRY_COLUMNS;

/** One registry row: the check fields it can answer, with name and ID number required. */
export interface RegistryPersonInput extends Pick<
  CheckRequest,
  'mobile' | 'bankCard' | 'plate' | 'vehicleType' | 'vin' | 'validFrom' | 'validTo'
> {
  name: string;
  idNumber: string;
  photo?: Buffer;
}

export interface RegistryPersonView {
  id: string;
  name: string;
  idNumber: string;
  mobile: string | null;
  mobileIsp: string | null;
  bankCard: string | null;
  plate: string | null;
  vehicleType: string | null;
  vin: string | null;
  validity: { from: string; to: string } | null;
  photo: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  rejected: { line: number; field?: string; reason: string }[];
  ignoredColumns: string[];
}

/** "13812345678" → "138****5678"; cards "6222021234567890123" → "622202*********0123"; plates "京A12345" → "京A***45". */
export function maskMobile(v: string): string {
  return v.length < 8 ? v.slice(0, 2) + '*'.repeat(Math.max(0, v.length - 2)) : v.slice(0, 3) + '****' + v.slice(-4);
}
export function maskCard(v: string): string {
  return v.slice(0, 6) + '*'.repeat(Math.max(0, v.length - 10)) + v.slice(-4);
}
export function maskPlate(v: string): string {
  const c = [...v];
  return c.slice(0, 2).join('') + '*'.repeat(Math.max(0, c.length - 4)) + c.slice(-2).join('');
}
/** VINs keep the maker code and the last four: "LSVAM4187C2184847" → "LSV**********4847". */
export function maskVin(v: string): string {
  return v.slice(0, 3) + '*'.repeat(10) + v.slice(-4);
}

const YMD = /^\d{8}$/;
function validYmd(v: string): boolean {
  if (!YMD.test(v)) return false;
  const y = Number(v.slice(0, 4));
  const m = Number(v.slice(4, 6));
  const d = Number(v.slice(6, 8));
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}
/** A validity date: yyyyMMdd, yyyy-MM-dd or yyyy.MM.dd; the end may be 长期 (long-term). */
export function normaliseValidityDate(raw: string, end: boolean): string | undefined {
  const v = raw.trim();
  if (end && (v === '长期' || v.toLowerCase() === 'long-term' || v === '99991231')) return '长期';
  const compact = v.replace(/[-./]/g, '');
  return validYmd(compact) ? compact : undefined;
}

function isImage(b: Buffer): boolean {
  return (
    (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
    (b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) ||
    (b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') ||
    (b.length > 2 && b[0] === 0x42 && b[1] === 0x4d)
  );
}

class RowError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RegistryServiceDeps {
  repo: RegistryRepo;
  keyring: Keyring;
  blobs: BlobStore;
  /** Face comparison for id3 (absent: id3 answers not_supported). */
  faces?: {
    compare(req: {
      imageA: Buffer;
      imageB: Buffer;
      signal?: AbortSignal;
    }): Promise<{ score: number; threshold: number; passed: boolean }>;
  };
  maxPhotoBytes: number;
  now?: () => Date;
}

export function createRegistryService(deps: RegistryServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const box = deps.keyring.box(REGISTRY_PURPOSE);
  const dig = (kind: string, text: string) => deps.keyring.digest(keyPurpose(kind), text);
  const idDigest = (idNumber: string) => deps.keyring.digest(ID_DIGEST_PURPOSE, idNumber);
  const dec = (v: string | null) => (v === null ? null : box.decryptString(v));

  function view(row: RegistryPersonRow): RegistryPersonView {
    const mobile = dec(row.mobile_enc);
    const card = dec(row.bank_card_enc);
    const plate = dec(row.plate_enc);
    const vin = dec(row.vin_enc);
    const validity = row.validity_enc
      ? (JSON.parse(box.decryptString(row.validity_enc)) as { from: string; to: string })
      : null;
    return {
      id: row.id,
      name: maskName(box.decryptString(row.name_enc)),
      idNumber: maskIdNumber(box.decryptString(row.id_number_enc)),
      mobile: mobile && maskMobile(mobile),
      mobileIsp: row.mobile_isp,
      bankCard: card && maskCard(card),
      plate: plate && maskPlate(plate),
      vehicleType: row.vehicle_type,
      vin: vin && maskVin(vin),
      validity,
      photo: row.photo_blob_key !== null,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  /** Validates one person's fields (the same rules as the checks) and returns them normalised. */
  function normalise(input: Record<string, string | undefined>): Omit<RegistryPersonInput, 'photo'> {
    const field = (col: string, f: FieldName, required: boolean): string | undefined => {
      const raw = input[col];
      if (raw === undefined || raw.trim() === '') {
        if (required) throw new RowError(col, `${col}: is required`);
        return undefined;
      }
      const c = checkPlainField(f, raw);
      if (!c.valid) throw new RowError(col, `${col}: ${c.reasons.join('; ')}`);
      return c.normalised;
    };
    const out: Omit<RegistryPersonInput, 'photo'> = {
      name: field('name', 'name', true)!,
      idNumber: field('id_number', 'idNumber', true)!,
    };
    const mobile = field('mobile', 'mobile', false);
    const bankCard = field('bank_card', 'bankCard', false);
    const plate = field('plate', 'plate', false);
    const vin = field('vin', 'vin', false);
    if (mobile) out.mobile = mobile;
    if (bankCard) out.bankCard = bankCard;
    if (plate) out.plate = plate;
    if (vin) out.vin = vin;
    const vt = input.vehicle_type?.trim();
    if (vt) {
      if (!/^[0-9A-Za-z]{1,4}$/.test(vt))
        throw new RowError('vehicle_type', 'vehicle_type: 1–4 letters or digits (e.g. 02)');
      out.vehicleType = vt;
    }
    const from = input.valid_from?.trim();
    const to = input.valid_to?.trim();
    if (from || to) {
      const f = from ? normaliseValidityDate(from, false) : undefined;
      const t = to ? normaliseValidityDate(to, true) : undefined;
      if (!f) throw new RowError('valid_from', 'valid_from: a date (yyyyMMdd) is needed with valid_to');
      if (!t) throw new RowError('valid_to', 'valid_to: a date (yyyyMMdd) or 长期 is needed with valid_from');
      if (t !== '长期' && t <= f) throw new RowError('valid_to', 'valid_to: must be after valid_from');
      out.validFrom = f;
      out.validTo = t;
    }
    return out;
  }

  function keysFor(p: Omit<RegistryPersonInput, 'photo'>): RegistryKey[] {
    const keys: RegistryKey[] = [];
    const add = (f: FieldName, v: string | undefined) => {
      if (v) for (const form of indexForms(f, v)) keys.push({ kind: form.kind, digest: dig(form.kind, form.text) });
    };
    add('idNumber', p.idNumber);
    add('name', p.name);
    add('mobile', p.mobile);
    add('bankCard', p.bankCard);
    add('plate', p.plate);
    add('vin', p.vin);
    return keys;
  }

  type Prepared = { person: NewRegistryPerson; keys: RegistryKey[]; written?: string };

  /**
   * Encrypts and digests one person and writes its new photo blob. `known` carries the ids and photo keys chosen so
   * far in this batch, so a repeated ID number reuses the same person id (and blob prefix).
   */
  async function prepare(
    appId: string,
    p: RegistryPersonInput,
    known: Map<string, { id: string; photoKey: string | null }>,
  ): Promise<Prepared> {
    const digest = idDigest(p.idNumber);
    let k = known.get(digest);
    if (!k) {
      const existing = await deps.repo.findByIdNumberDigest(appId, digest);
      k = { id: existing?.id ?? newId('rp'), photoKey: existing?.photo_blob_key ?? null };
    }
    let written: string | undefined;
    if (p.photo) {
      if (p.photo.length > deps.maxPhotoBytes)
        throw new RowError('photo', `photo: larger than ${deps.maxPhotoBytes} bytes`);
      if (!isImage(p.photo)) throw new RowError('photo', 'photo: not a JPEG, PNG, WebP or BMP image');
      written = `registry/${appId}/${k.id}/photo-${randomBytes(6).toString('hex')}.img`;
      await deps.blobs.put(written, p.photo);
      k = { ...k, photoKey: written };
    }
    known.set(digest, k);
    const t = now();
    return {
      person: {
        id: k.id,
        app_id: appId,
        id_number_digest: digest,
        name_enc: box.encrypt(p.name),
        id_number_enc: box.encrypt(p.idNumber),
        mobile_enc: p.mobile ? box.encrypt(p.mobile) : null,
        mobile_isp: p.mobile ? (carrierOf(p.mobile) ?? null) : null,
        bank_card_enc: p.bankCard ? box.encrypt(p.bankCard) : null,
        plate_enc: p.plate ? box.encrypt(p.plate) : null,
        vehicle_type: p.vehicleType ?? null,
        vin_enc: p.vin ? box.encrypt(p.vin) : null,
        validity_enc:
          p.validFrom && p.validTo ? box.encrypt(JSON.stringify({ from: p.validFrom, to: p.validTo })) : null,
        photo_blob_key: k.photoKey,
        created_at: t,
        updated_at: t,
      },
      keys: keysFor(p),
      ...(written ? { written } : {}),
    };
  }

  /** Writes prepared people in one transaction; deletes replaced photos after, new ones if the write fails. */
  async function flush(batch: Prepared[]) {
    if (batch.length === 0) return [];
    try {
      const results = await deps.repo.upsertMany(batch.map(({ person, keys }) => ({ person, keys })));
      const kept = new Set(results.map((r) => r.row.photo_blob_key));
      const stale = [
        ...results.map((r) => r.replacedPhotoKey),
        // a photo written for a row that a later row with the same ID number replaced in this batch
        ...batch.map((b) => b.written).filter((w) => w !== undefined && !kept.has(w)),
      ];
      for (const key of new Set(stale)) if (key) await deps.blobs.delete(key).catch(() => undefined);
      return results;
    } catch (err) {
      for (const b of batch) if (b.written) await deps.blobs.delete(b.written).catch(() => undefined);
      throw err;
    }
  }

  /** Adds or replaces (same ID number) one person. */
  async function put(appId: string, p: RegistryPersonInput): Promise<{ person: RegistryPersonView; created: boolean }> {
    const [r] = await flush([await prepare(appId, p, new Map())]);
    return { person: view(r!.row), created: r!.created };
  }

  async function peopleBy(appId: string, field: FieldName, value: string, paramType: 'normal' | 'md5') {
    const forms = paramType === 'normal' ? indexForms(field, value).slice(0, 1) : requestForms(field, value);
    const seen = new Map<string, RegistryPersonRow>();
    for (const f of forms)
      for (const row of await deps.repo.findByKey(appId, f.kind, dig(f.kind, f.text))) seen.set(row.id, row);
    return [...seen.values()];
  }

  function matcher(keys: RegistryKey[], paramType: 'normal' | 'md5') {
    const set = new Set(keys.map((k) => `${k.kind}:${k.digest}`));
    return (field: FieldName, value: string | undefined): boolean => {
      if (value === undefined) return true;
      const forms = paramType === 'normal' ? indexForms(field, value).slice(0, 1) : requestForms(field, value);
      return forms.some((f) => set.has(`${f.kind}:${dig(f.kind, f.text)}`));
    };
  }

  /** Among the people found by the key field, the one whose other fields match best. */
  async function best(
    people: RegistryPersonRow[],
    req: CheckRequest,
    fields: FieldName[],
  ): Promise<{ row: RegistryPersonRow; mismatched: string[] }> {
    let pick: { row: RegistryPersonRow; mismatched: string[] } | undefined;
    for (const row of people) {
      const match = matcher(await deps.repo.keysOf(row.id), req.paramType);
      const mismatched = fields.filter((f) => !match(f, req[f]));
      if (!pick || mismatched.length < pick.mismatched.length) pick = { row, mismatched };
      if (mismatched.length === 0) break;
    }
    return pick!;
  }

  const answer = (mismatched: string[], extra: Partial<CheckAnswer> = {}): CheckAnswer => ({
    result: mismatched.length ? 'inconsistent' : 'consistent',
    mismatched,
    ...extra,
  });
  const noRecord = (extra: Partial<CheckAnswer> = {}): CheckAnswer => ({
    result: 'no_record',
    mismatched: [],
    ...extra,
  });

  function vehicleOf(row: RegistryPersonRow): Record<string, unknown> {
    const plate = dec(row.plate_enc);
    const vin = dec(row.vin_enc);
    return {
      vehicleNum: plate && maskPlate(plate),
      ...(row.vehicle_type ? { vehicleType: row.vehicle_type } : {}),
      ...(vin ? { vin: maskVin(vin) } : {}),
      source: 'registry',
    };
  }

  const provider: IdentityProvider = {
    name: 'registry',
    async check(appId, req) {
      switch (req.kind) {
        case 'id2':
        case 'id2_period':
        case 'id3': {
          const people = await peopleBy(appId, 'idNumber', req.idNumber!, req.paramType);
          if (people.length === 0) return noRecord();
          const { row, mismatched } = await best(people, req, ['name']);
          if (req.kind === 'id2_period') {
            if (!row.validity_enc) return noRecord();
            const v = JSON.parse(box.decryptString(row.validity_enc)) as { from: string; to: string };
            if (v.from !== req.validFrom || v.to !== req.validTo) mismatched.push('validity');
          }
          if (req.kind === 'id3') {
            if (!row.photo_blob_key) return noRecord();
            if (!deps.faces) throw new ShirenError('not_supported', 'id3 needs the face engine, which is not wired');
            if (mismatched.length) return answer(mismatched);
            const photo = await deps.blobs.get(row.photo_blob_key);
            if (!photo) return noRecord();
            const r = await deps.faces.compare({
              imageA: req.face!,
              imageB: photo,
              ...(req.signal ? { signal: req.signal } : {}),
            });
            if (!r.passed) mismatched.push('face');
            return answer(mismatched, { face: { score: r.score, threshold: r.threshold, passed: r.passed } });
          }
          return answer(mismatched);
        }
        case 'mobile2':
        case 'mobile3': {
          const people = await peopleBy(appId, 'mobile', req.mobile!, req.paramType);
          if (people.length === 0) return noRecord();
          const fields: FieldName[] = req.kind === 'mobile2' ? ['name'] : ['name', 'idNumber'];
          const { row, mismatched } = await best(people, req, fields);
          return answer(mismatched, row.mobile_isp ? { isp: row.mobile_isp } : {});
        }
        case 'bank_card': {
          const people = await peopleBy(appId, 'bankCard', req.bankCard!, req.paramType);
          if (people.length === 0) return noRecord();
          const n = req.elements ?? 2;
          const fields: FieldName[] = [
            'name',
            ...(n >= 3 ? (['idNumber'] as const) : []),
            ...(n >= 4 ? (['mobile'] as const) : []),
          ];
          return answer((await best(people, req, fields)).mismatched);
        }
        case 'vehicle_meta': {
          const people = await peopleBy(appId, 'plate', req.plate!, req.paramType);
          if (people.length === 0) return noRecord();
          const fields: FieldName[] = ['name', ...((req.elements ?? 2) >= 3 ? (['idNumber'] as const) : [])];
          const { row, mismatched } = await best(people, req, fields);
          if (req.vehicleType && row.vehicle_type && row.vehicle_type !== req.vehicleType)
            mismatched.push('vehicleType');
          return answer(mismatched, { vehicle: vehicleOf(row) });
        }
        case 'vehicle_query': {
          const people = await peopleBy(appId, 'plate', req.plate!, req.paramType);
          const row = people.find((p) => !req.vehicleType || !p.vehicle_type || p.vehicle_type === req.vehicleType);
          return row ? answer([], { vehicle: vehicleOf(row) }) : noRecord();
        }
        default:
          throw new ShirenError(
            'not_supported',
            `the registry cannot answer ${req.kind}: it holds what the operator imported, not carrier, insurance or document-forensics data; configure an http upstream for it`,
            { details: { code: 'source_cannot_answer', check: req.kind, provider: 'registry' } },
          );
      }
    },
  };

  return {
    provider,
    view,
    normalise,
    put,

    /**
     * Imports CSV text: a header row naming columns (REGISTRY_COLUMNS), one person per row. Bad rows are reported by
     * line and skipped; the rest are added or replace the person with the same ID number.
     */
    async importCsv(
      appId: string,
      text: string,
      opts: { photo: (value: string) => Promise<Buffer>; onRow?: (done: number, total: number) => void },
    ): Promise<ImportReport> {
      let records;
      try {
        records = parseCsv(text);
      } catch (err) {
        throw new ShirenError('invalid_request', `csv: ${(err as Error).message}`, { details: { field: 'csv' } });
      }
      const header = records.shift();
      if (!header) throw new ShirenError('invalid_request', 'csv: empty (a header row is required)');
      const columns: (RegistryColumn | undefined)[] = header.fields.map((h) => {
        const k = h.trim().toLowerCase();
        return (Object.keys(REGISTRY_COLUMNS) as RegistryColumn[]).find((c) =>
          (REGISTRY_COLUMNS[c] as readonly string[]).includes(k),
        );
      });
      for (const need of ['name', 'id_number'] as const)
        if (!columns.includes(need))
          throw new ShirenError('invalid_request', `csv: the header row has no ${need} column`, {
            details: { field: 'csv', header: header.fields },
          });
      const report: ImportReport = {
        rows: records.length,
        created: 0,
        updated: 0,
        rejected: [],
        ignoredColumns: header.fields.filter((_, i) => columns[i] === undefined),
      };
      let done = 0;
      const known = new Map<string, { id: string; photoKey: string | null }>();
      let batch: Prepared[] = [];
      const write = async () => {
        for (const r of await flush(batch)) {
          if (r.created) report.created++;
          else report.updated++;
        }
        batch = [];
      };
      for (const rec of records) {
        try {
          const input: Record<string, string | undefined> = {};
          columns.forEach((c, i) => {
            if (c) input[c] = rec.fields[i];
          });
          const p: RegistryPersonInput = normalise(input);
          const photo = input.photo?.trim();
          if (photo) {
            try {
              p.photo = await opts.photo(photo);
            } catch (err) {
              throw new RowError('photo', `photo: ${(err as Error).message}`);
            }
          }
          batch.push(await prepare(appId, p, known));
        } catch (err) {
          if (!(err instanceof RowError)) throw err;
          report.rejected.push({ line: rec.line, field: err.field, reason: err.message });
        }
        if (batch.length >= IMPORT_BATCH) await write();
        opts.onRow?.(++done, records.length);
      }
      await write();
      return report;
    },

    async list(appId: string, opts: { limit?: number; after?: string } = {}) {
      const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
      const rows = await deps.repo.list(appId, { limit, ...(opts.after ? { after: opts.after } : {}) });
      return {
        people: rows.map(view),
        total: await deps.repo.count(appId),
        next: rows.length === limit ? rows[rows.length - 1]!.id : null,
      };
    },

    async get(appId: string, id: string): Promise<RegistryPersonView> {
      const row = await deps.repo.findById(appId, id);
      if (!row) throw new ShirenError('not_found', `no registry person ${id}`);
      return view(row);
    },

    /** Deletes the person, its look-up keys and its blobs (the photo). */
    async delete(appId: string, id: string): Promise<{ deleted: true; blobs: number }> {
      const row = await deps.repo.delete(appId, id);
      if (!row) throw new ShirenError('not_found', `no registry person ${id}`);
      const blobs = await deps.blobs.deletePrefix(`registry/${appId}/${id}/`);
      return { deleted: true, blobs };
    },

    /**
     * The blob key of the registry photo of the person with this name and ID number (the H5 `registry` comparison
     * source, CertVerify cert_pro_src_verify); undefined when the person is unknown, the name differs, or there is no
     * photo.
     */
    async photoKey(appId: string, identity: { name: string; idNumber: string }): Promise<string | undefined> {
      const c = checkPlainField('idNumber', identity.idNumber);
      const row = c.valid ? await deps.repo.findByIdNumberDigest(appId, idDigest(c.normalised!)) : undefined;
      if (!row?.photo_blob_key) return undefined;
      if (box.decryptString(row.name_enc) !== identity.name.normalize('NFC').trim().replace(/\s+/g, ' '))
        return undefined;
      return row.photo_blob_key;
    },

    /** The registry's answer for a face comparison with its photo (Cloudauth ContrastFaceVerify's port). */
    async lookupPhoto(
      appId: string,
      identity: { name: string; idNumber: string },
    ): Promise<{ status: 'match' | 'name_mismatch' | 'no_record' | 'no_photo'; photo?: Buffer }> {
      const c = checkPlainField('idNumber', identity.idNumber);
      const row = c.valid ? await deps.repo.findByIdNumberDigest(appId, idDigest(c.normalised!)) : undefined;
      if (!row) return { status: 'no_record' };
      if (box.decryptString(row.name_enc) !== identity.name.normalize('NFC').trim().replace(/\s+/g, ' '))
        return { status: 'name_mismatch' };
      const photo = row.photo_blob_key ? await deps.blobs.get(row.photo_blob_key) : undefined;
      return photo ? { status: 'match', photo } : { status: 'no_photo' };
    },

    /** The photo bytes (see photoKey). */
    async photo(appId: string, identity: { name: string; idNumber: string }): Promise<Buffer | undefined> {
      const key = await this.photoKey(appId, identity);
      return key ? deps.blobs.get(key) : undefined;
    },
  };
}
export type RegistryService = ReturnType<typeof createRegistryService>;
