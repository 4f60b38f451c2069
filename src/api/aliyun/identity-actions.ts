/**
 * Cloudauth (2019-03-07) information-check Actions (信息核验) in the shapes of the official SDK's models: the
 * parameters become one core identity check (src/verify/identity/checks.ts) and its answer becomes ResultObject:
 * BizCode 1 consistent, 2 inconsistent, 3 no record, plus IspName / SubCode / TimeCode / VehicleInfo where the model
 * declares them. Bad values (a wrong check digit, a malformed md5 form) answer Code 401; missing ones 400; checks no
 * configured source can answer (online time, number status, recycled numbers, forgery) answer Code 410 with the
 * reason in Message, never a guessed BizCode.
 *
 * These models have no SceneId: the app's default identity provider answers. A SceneId, when given anyway, selects
 * that plan's provider (a Shiren extension; docs/identity.md).
 */
import type { FastifyReply } from 'fastify';
import type { Principal } from '../../auth/access-keys.js';
import { ShirenError } from '../../errors.js';
import type { CheckInput, CheckOutcome, IdentityChecks } from '../../verify/identity/checks.js';
import type { IdCardOcr } from '../../verify/identity/ocr/index.js';
import type { CheckKind, ParamType } from '../../verify/identity/types.js';
import { decodeBase64Image } from '../../verify/sessions.js';
import { abortWhenClientGone } from '../common/abort.js';
import { AliyunResultError, RESULT_MESSAGES } from './errors.js';
import { empty, invalid, type Params } from './params.js';

interface Ctx {
  params: Params;
  principal: Principal;
  reply: FastifyReply;
}
type Action = (ctx: Ctx) => Promise<Record<string, unknown>>;

export interface IdentityActionDeps {
  /** The identity checks; absent: these Actions are not served. */
  identity?: Pick<IdentityChecks, 'check'>;
  /** ID-card OCR (src/verify/identity/ocr) for the …WithOCR Actions; absent: they answer 410. */
  ocr?: Pick<IdCardOcr, 'readFront'>;
}

const MAX_FACE_BYTES = 10 * 1024 * 1024;

const BIZ: Record<CheckOutcome['result'], string> = { consistent: '1', inconsistent: '2', no_record: '3' };

/** A base64 picture parameter (decodeBase64Image), answered 401 "<field> is not base64" when it is not base64. */
function base64Image(field: string, value: string): Buffer {
  try {
    return decodeBase64Image(field, value, MAX_FACE_BYTES);
  } catch (err) {
    if (err instanceof ShirenError && err.reason === 'invalid_request') throw invalid(`${field} is not base64`);
    throw err;
  }
}

function need(p: Params, ...names: string[]): void {
  for (const n of names) if (p[n] === undefined || p[n]!.trim() === '') throw empty(n);
}

function paramType(p: Params): ParamType {
  need(p, 'ParamType');
  const v = p.ParamType!.trim().toLowerCase();
  if (v === 'normal' || v === 'md5') return v;
  if (v === 'sm2')
    throw new AliyunResultError('410', `${RESULT_MESSAGES['410']}: ParamType sm2 is not supported (use normal or md5)`);
  throw invalid('ParamType must be normal or md5');
}

function planId(p: Params): number | undefined {
  const raw = p.SceneId;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw invalid('SceneId');
  return Number(raw);
}

/** Wire parameter names of the core fields, for error messages. */
const WIRE: Record<string, string> = {
  name: 'UserName',
  idNumber: 'IdentifyNum',
  mobile: 'Mobile',
  bankCard: 'BankCard',
  plate: 'VehicleNum',
  vin: 'Vin',
  vehicleType: 'VehicleType',
  validFrom: 'ValidityStartDate',
  validTo: 'ValidityEndDate',
  registerDate: 'RegisterDate',
  face: 'FaceFile',
  elements: 'ProductType',
};

function makeRun(checks: Pick<IdentityChecks, 'check'>) {
  return async (ctx: Ctx, input: Omit<CheckInput, 'signal'>): Promise<CheckOutcome> => {
    try {
      return await checks.check(
        ctx.principal.appId,
        { ...input, signal: abortWhenClientGone(ctx.reply) },
        { ...(planId(ctx.params) !== undefined ? { planId: planId(ctx.params)! } : {}) },
      );
    } catch (err) {
      // Name the wire parameter instead of the core field.
      if (err instanceof ShirenError && err.reason === 'invalid_request') {
        const field = String(err.details?.field ?? '');
        const wire = WIRE[field];
        if (wire) throw invalid(`${wire}: ${err.message.replace(/^[^:]*: /, '')}`);
      }
      throw err;
    }
  };
}

const ok = (resultObject: Record<string, unknown>) => ({ Code: '200', Message: 'success', ResultObject: resultObject });

/** Mobile3MetaDetail SubCode: 101 all match, 201 name and ID differ, 202 ID differs, 203 name differs, 301 none. */
function mobile3SubCode(o: CheckOutcome): string {
  if (o.result === 'no_record') return '301';
  if (o.result === 'consistent') return '101';
  const name = o.mismatched.includes('name');
  const id = o.mismatched.includes('idNumber');
  return name && id ? '201' : id ? '202' : name ? '203' : '204';
}

const isp = (o: CheckOutcome) => (o.isp ? { IspName: o.isp } : {});

function notSupported(what: string): Action {
  return async () => {
    throw new ShirenError('not_supported', what, { details: { code: 'source_cannot_answer' } });
  };
}

/** The Actions, keyed by name (empty when the identity checks are not wired). */
export function identityActions(deps: IdentityActionDeps): Record<string, Action> {
  const checks = deps.identity;
  if (!checks) return {};
  const run = makeRun(checks);

  const id2 =
    (kind: CheckKind): Action =>
    async (ctx) => {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'IdentifyNum', 'UserName');
      if (kind === 'id2_period') need(p, 'ValidityStartDate', 'ValidityEndDate');
      const o = await run(ctx, {
        kind,
        paramType: pt,
        name: p.UserName!,
        idNumber: p.IdentifyNum!,
        ...(kind === 'id2_period' ? { validFrom: p.ValidityStartDate!, validTo: p.ValidityEndDate! } : {}),
      });
      return ok({ BizCode: BIZ[o.result] });
    };

  const mobile3 =
    (detail: boolean): Action =>
    async (ctx) => {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'Mobile', 'IdentifyNum', 'UserName');
      const o = await run(ctx, {
        kind: 'mobile3',
        paramType: pt,
        mobile: p.Mobile!,
        name: p.UserName!,
        idNumber: p.IdentifyNum!,
      });
      return ok({ BizCode: BIZ[o.result], ...isp(o), ...(detail ? { SubCode: mobile3SubCode(o) } : {}) });
    };

  const mobileOnly =
    (kind: CheckKind, shape: (o: CheckOutcome) => Record<string, unknown>): Action =>
    async (ctx) => {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'Mobile');
      if (kind === 'mobile_recycled') need(p, 'RegisterDate');
      const o = await run(ctx, {
        kind,
        paramType: pt,
        mobile: p.Mobile!,
        ...(kind === 'mobile_recycled' ? { registerDate: p.RegisterDate! } : {}),
      });
      return ok({ BizCode: BIZ[o.result], ...shape(o) });
    };

  const vehicleMeta =
    (v2: boolean): Action =>
    async (ctx) => {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'VerifyMetaType', 'VehicleNum', 'UserName');
      const type = p.VerifyMetaType!.trim().toUpperCase();
      if (type !== 'VEHICLE_2_META' && type !== 'VEHICLE_3_META')
        throw invalid('VerifyMetaType must be VEHICLE_2_META or VEHICLE_3_META');
      if (type === 'VEHICLE_3_META') need(p, 'IdentifyNum');
      const o = await run(ctx, {
        kind: 'vehicle_meta',
        paramType: pt,
        elements: type === 'VEHICLE_3_META' ? 3 : 2,
        plate: p.VehicleNum!,
        name: p.UserName!,
        ...(type === 'VEHICLE_3_META' ? { idNumber: p.IdentifyNum! } : {}),
        ...(p.VehicleType ? { vehicleType: p.VehicleType } : {}),
      });
      return ok({
        BizCode: BIZ[o.result],
        ...(v2 && o.vehicle && o.result === 'consistent' ? { VehicleInfo: JSON.stringify(o.vehicle) } : {}),
      });
    };

  const vehicleQuery =
    (kind: CheckKind): Action =>
    async (ctx) => {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'VehicleNum');
      if (kind === 'vehicle_insure') need(p, 'Vin');
      const o = await run(ctx, {
        kind,
        paramType: pt,
        plate: p.VehicleNum!,
        ...(p.VehicleType ? { vehicleType: p.VehicleType } : {}),
        ...(kind === 'vehicle_insure' ? { vin: p.Vin! } : {}),
      });
      return ok({ BizCode: BIZ[o.result], ...(o.vehicle ? { VehicleInfo: JSON.stringify(o.vehicle) } : {}) });
    };

  const ocrMissing = notSupported(
    'ID-card OCR is not wired into this server; send the name and number to Id2MetaVerify / Id3MetaVerify',
  );
  const reader = deps.ocr;
  /** Name and number read from the photo side in CertFile (base64); unreadable cards answer 419. */
  async function readCard(ctx: Ctx): Promise<{ name: string; idNumber: string }> {
    const p = ctx.params;
    if (!p.CertFile) {
      if (p.CertUrl)
        throw new AliyunResultError(
          '410',
          `${RESULT_MESSAGES['410']}: send the card as CertFile (base64); CertUrl is not fetched`,
        );
      throw empty('CertFile');
    }
    const image = base64Image('CertFile', p.CertFile);
    const read = await reader!.readFront(image, { signal: abortWhenClientGone(ctx.reply) });
    const { name, idNumber } = read.fields;
    const blocking = read.reasons.filter(
      (r) =>
        r.fields.includes('name') ||
        r.fields.includes('idNumber') ||
        r.code === 'ocr_not_id_card' ||
        r.code === 'ocr_wrong_side',
    );
    if (!name || !idNumber || blocking.length)
      throw new AliyunResultError(
        '419',
        `${RESULT_MESSAGES['419']}: the name and ID number could not be read from CertFile (${blocking.map((r) => r.code).join(', ') || 'ocr_field_missing'})`,
      );
    return { name, idNumber };
  }
  const id2Ocr: Action = async (ctx) => {
    const card = await readCard(ctx);
    const o = await run(ctx, { kind: 'id2', paramType: 'normal', ...card });
    return ok({ BizCode: BIZ[o.result] });
  };
  const id3Ocr: Action = async (ctx) => {
    const p = ctx.params;
    if (!p.FaceFile) throw empty('FaceFile');
    const face = base64Image('FaceFile', p.FaceFile);
    const card = await readCard(ctx);
    const o = await run(ctx, { kind: 'id3', paramType: 'normal', ...card, face });
    return ok({ BizCode: BIZ[o.result] });
  };
  const credential = notSupported(
    'credential forgery and tampering detection needs a document-forensics model that Shiren does not have; no answer is guessed',
  );

  return {
    Id2MetaVerify: id2('id2'),
    Id2MetaStandardVerify: id2('id2'),
    Id2MetaPeriodVerify: id2('id2_period'),
    async Id3MetaVerify(ctx) {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'IdentifyNum', 'UserName');
      const b64 = p.FaceFile || p.FaceContrastPicture;
      if (!b64) {
        if (p.FacetUrl)
          throw new AliyunResultError(
            '410',
            `${RESULT_MESSAGES['410']}: send the photo as FaceFile (base64); FacetUrl is not fetched`,
          );
        throw empty('FaceFile');
      }
      const face = base64Image('FaceFile', b64);
      const o = await run(ctx, { kind: 'id3', paramType: pt, name: p.UserName!, idNumber: p.IdentifyNum!, face });
      return ok({ BizCode: BIZ[o.result] });
    },
    Id2MetaVerifyWithOCR: reader ? id2Ocr : ocrMissing,
    Id3MetaVerifyWithOCR: reader ? id3Ocr : ocrMissing,
    Mobile3MetaSimpleVerify: mobile3(false),
    Mobile3MetaSimpleStandardVerify: mobile3(false),
    Mobile3MetaDetailVerify: mobile3(true),
    Mobile3MetaDetailStandardVerify: mobile3(true),
    async Mobile2MetaVerify(ctx) {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'Mobile', 'UserName');
      const o = await run(ctx, { kind: 'mobile2', paramType: pt, mobile: p.Mobile!, name: p.UserName! });
      return ok({ BizCode: BIZ[o.result], ...isp(o) });
    },
    async MobileDetect(ctx) {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'Mobiles');
      const mobiles = p
        .Mobiles!.split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      if (mobiles.length > 100) throw invalid('Mobiles: at most 100 numbers');
      const items = [];
      for (const m of mobiles) {
        const o = await run(ctx, { kind: 'mobile_detect', paramType: pt, mobile: m });
        items.push({ Mobile: m, BizCode: BIZ[o.result], ...isp(o), ...(o.subCode ? { SubCode: o.subCode } : {}) });
      }
      return ok({ ChargeCount: String(items.filter((i) => i.BizCode !== '3').length), Items: items });
    },
    MobileOnlineTime: mobileOnly('mobile_online_time', (o) => ({
      ...isp(o),
      ...(o.timeCode ? { TimeCode: o.timeCode } : {}),
    })),
    MobileOnlineStatus: mobileOnly('mobile_online_status', (o) => ({
      ...isp(o),
      ...(o.subCode ? { SubCode: o.subCode } : {}),
    })),
    MobileRecycledMetaVerify: mobileOnly('mobile_recycled', (o) => (o.subCode ? { SubCode: o.subCode } : {})),
    async BankMetaVerify(ctx) {
      const p = ctx.params;
      const pt = paramType(p);
      need(p, 'ProductType', 'BankCard', 'UserName');
      if (p.VerifyMode && p.VerifyMode.trim().toUpperCase() !== 'VERIFY_BANK_CARD')
        throw invalid('VerifyMode must be VERIFY_BANK_CARD');
      const m = /^BANK_CARD_([234])_META$/.exec(p.ProductType!.trim().toUpperCase());
      if (!m) throw invalid('ProductType must be BANK_CARD_2_META, BANK_CARD_3_META or BANK_CARD_4_META');
      const elements = Number(m[1]) as 2 | 3 | 4;
      if (elements >= 3) need(p, 'IdentifyNum');
      if (elements >= 4) need(p, 'Mobile');
      const o = await run(ctx, {
        kind: 'bank_card',
        paramType: pt,
        elements,
        bankCard: p.BankCard!,
        name: p.UserName!,
        ...(elements >= 3 ? { idNumber: p.IdentifyNum! } : {}),
        ...(elements >= 4 ? { mobile: p.Mobile! } : {}),
      });
      return ok({
        BizCode: BIZ[o.result],
        SubCode: o.subCode ?? (o.result === 'consistent' ? '101' : o.result === 'inconsistent' ? '201' : '301'),
      });
    },
    VehicleMetaVerify: vehicleMeta(false),
    VehicleMetaVerifyV2: vehicleMeta(true),
    VehicleQuery: vehicleQuery('vehicle_query'),
    Vehicle5ItemQuery: vehicleQuery('vehicle_query'),
    VehicleInsureQuery: vehicleQuery('vehicle_insure'),
    CredentialVerify: credential,
    CredentialVerifyV2: credential,
    CredentialProductVerifyV2: credential,
  };
}
