/**
 * Alibaba Cloud Cloudauth (2019-03-07) wire compatibility: the RPC endpoint the official SDKs call. `Action` and
 * `Version` come from the query, the form body or the x-acs-action / x-acs-version headers; both SDK signatures
 * (RPC v1 HMAC-SHA1 and ACS3-HMAC-SHA256) are verified; answers are JSON with `RequestId` = the request id.
 *
 * Mounted under /aliyun/ and, through `aliyunRewrite` (app.ts rewriteUrl), at / for requests that carry an Action.
 * Thin: parameters are translated into core calls (faces, plans) and the results into Cloudauth's shapes.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessKeyService, Principal } from '../../auth/access-keys.js';
import { ShirenError, isShirenError } from '../../errors.js';
import type { NonceRepo } from '../../store/repos/nonce-repo.js';
import type { FaceService } from '../../verify/face-service.js';
import type { PlanService, PlanView } from '../../verify/plans.js';
import { normaliseIdentity } from '../../verify/identity.js';
import type { ImageSources, PictureSource } from '../../verify/image-source.js';
import type { SessionService } from '../../verify/sessions.js';
import { abortWhenClientGone } from '../common/abort.js';
import { toShirenError } from '../common/errors.js';
import { header } from '../common/headers.js';
import { ALIYUN_ERRORS, AliyunGatewayError, AliyunResultError, RESULT_MESSAGES } from './errors.js';
import { identityActions, type IdentityActionDeps } from './identity-actions.js';
import { statisticsActions, type StatisticsActionDeps } from './statistics-actions.js';
import { whitelistActions, type WhitelistActionDeps } from './whitelist-actions.js';
import {
  ACS3_ALGORITHM,
  parseAcs3Authorization,
  parseAliyunTimestamp,
  sha256Hex,
  verifyAcs3Signature,
  verifyRpcSignature,
} from './signature.js';

export const CLOUDAUTH_VERSION = '2019-03-07';
const FORM = 'application/x-www-form-urlencoded';

export interface AliyunApiDeps {
  /** `admit` charges the app's rate limit once the signature and nonce checked out (Throttling.User over it). */
  keys: Pick<AccessKeyService, 'resolve' | 'admit'>;
  nonces: Pick<NonceRepo, 'claim'>;
  /** Allowed clock skew of Timestamp / x-acs-date, in seconds (both directions). */
  windowSeconds: number;
  faces: FaceService;
  plans: Pick<PlanService, 'get' | 'list'>;
  /** H5 sessions for InitFaceVerify / DescribeFaceVerify / DeleteFaceVerifyResult (absent: those Actions are off). */
  sessions?: Pick<SessionService, 'create' | 'get' | 'delete'>;
  /** Pictures by URL, OSS object or earlier CertifyId (src/verify/image-source.ts). */
  images: Pick<ImageSources, 'resolve'>;
  /**
   * The registry's reference photo of an identity (ContrastFaceVerify); absent = no registry configured (410).
   * `name_mismatch`: the ID number is known under another name.
   */
  registryPhoto?: (
    appId: string,
    identity: { name: string; idNumber: string },
  ) => Promise<{ status: 'match' | 'name_mismatch' | 'no_record' | 'no_photo'; photo?: Buffer }>;
  /** Identity information checks (Id2MetaVerify, Mobile3Meta*, BankMetaVerify, …; identity-actions.ts). */
  identity?: IdentityActionDeps['identity'];
  /** ID-card OCR for Id2MetaVerifyWithOCR / Id3MetaVerifyWithOCR (absent: they answer 410). */
  ocr?: IdentityActionDeps['ocr'];
  /** Console statistics for DescribePageFaceVerifyData / DescribeSmartStatisticsPageList (statistics-actions.ts). */
  statistics?: StatisticsActionDeps['statistics'];
  /** Whitelist settings for Insert/PageQuery/RemoveWhiteListSetting (whitelist-actions.ts). */
  whitelist?: WhitelistActionDeps['whitelist'];
  now?: () => Date;
}

type Params = Record<string, string>;

interface ActionContext {
  params: Params;
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** The URL to route a request at `/` to when it is a Cloudauth call (Action in the query, x-acs-action, a form POST). */
export function aliyunRewrite(req: IncomingMessage): string | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path !== '/') return undefined;
  const search = q < 0 ? '' : url.slice(q);
  const hasAction =
    new URLSearchParams(search).has('Action') ||
    req.headers['x-acs-action'] !== undefined ||
    (req.method === 'POST' && (req.headers['content-type'] ?? '').toLowerCase().startsWith(FORM));
  return hasAction ? `/aliyun/${search}` : undefined;
}

function parsePairs(text: string, into: Params, where: string): void {
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.hasOwn(into, k)) {
      throw new AliyunGatewayError(400, 'InvalidParameter', `The parameter ${k} appears more than once (${where}).`);
    }
    into[k] = v;
  }
}

function queryOf(request: FastifyRequest): Params {
  const url = request.url;
  const q = url.indexOf('?');
  const out: Params = Object.create(null) as Params;
  if (q >= 0) parsePairs(url.slice(q + 1), out, 'query');
  return out;
}

function missing(name: string): AliyunGatewayError {
  return new AliyunGatewayError(
    400,
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );
}

export const aliyunApi: FastifyPluginAsync<AliyunApiDeps> = async (app, deps) => {
  const now = deps.now ?? (() => new Date());

  app.addContentTypeParser(FORM, { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    try {
      const out: Params = Object.create(null) as Params;
      parsePairs(body.toString('utf8'), out, 'body');
      done(null, out);
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => sendAliyunError(err, request, reply));

  function checkTimestamp(value: string | undefined, name: string): number {
    if (!value) throw missing(name);
    const t = parseAliyunTimestamp(value);
    if (t === undefined) {
      throw new AliyunGatewayError(
        400,
        'InvalidTimeStamp.Format',
        `Specified time stamp or date value is not well formatted.`,
      );
    }
    if (Math.abs(now().getTime() - t) > deps.windowSeconds * 1000) {
      throw new ShirenError('timestamp_invalid', 'Specified time stamp or date value is expired.');
    }
    return t;
  }

  async function claimNonce(accessKeyId: string, nonce: string, timestamp: number): Promise<void> {
    const expires = new Date(timestamp + deps.windowSeconds * 1000);
    if (!(await deps.nonces.claim(accessKeyId, nonce, expires))) {
      throw new ShirenError('nonce_reused', 'Specified signature nonce was used already.');
    }
  }

  async function authenticate(request: FastifyRequest, query: Params, params: Params): Promise<Principal> {
    const authorization = header(request, 'authorization')?.trim();
    if (authorization?.startsWith('ACS3-')) {
      const auth = parseAcs3Authorization(authorization);
      if (!auth) throw new ShirenError('signature_invalid', 'The Authorization header is malformed.');
      if (auth.algorithm !== ACS3_ALGORITHM) {
        throw new ShirenError('signature_invalid', `Only ${ACS3_ALGORITHM} is supported.`);
      }
      const nonce = header(request, 'x-acs-signature-nonce');
      if (!nonce) throw missing('x-acs-signature-nonce');
      const t = checkTimestamp(header(request, 'x-acs-date'), 'x-acs-date');
      const payloadHash = header(request, 'x-acs-content-sha256');
      if (!payloadHash) throw missing('x-acs-content-sha256');
      const required = [
        'host',
        'x-acs-action',
        'x-acs-version',
        'x-acs-date',
        'x-acs-signature-nonce',
        'x-acs-content-sha256',
      ];
      if (request.rawBody?.length) required.push('content-type');
      const signed = auth.signedHeaders.map((h) => h.toLowerCase());
      const unsigned = required.filter((h) => !signed.includes(h));
      const key = await deps.keys.resolve(auth.accessKeyId);
      if (unsigned.length) {
        throw new ShirenError('signature_invalid', `These headers must be signed: ${unsigned.join(', ')}.`);
      }
      if (sha256Hex(request.rawBody ?? '') !== payloadHash.toLowerCase()) {
        throw new ShirenError('signature_invalid', 'x-acs-content-sha256 does not match the body.');
      }
      const path = request.originalUrl.split('?')[0] ?? '/';
      const ok = verifyAcs3Signature(
        key.secret,
        { method: request.method, path, query, headers: request.headers, signedHeaders: signed, payloadHash },
        auth.signature,
      );
      if (!ok) throw new ShirenError('signature_invalid', 'Specified signature does not match our calculation.');
      await claimNonce(key.accessKeyId, nonce, t);
      return deps.keys.admit(key);
    }
    // RPC v1: everything is in the parameters.
    for (const name of ['AccessKeyId', 'Signature', 'SignatureNonce', 'Timestamp'])
      if (!params[name]) throw missing(name);
    if (params.SignatureMethod !== 'HMAC-SHA1') {
      throw new ShirenError('signature_invalid', 'SignatureMethod must be HMAC-SHA1 (or use ACS3-HMAC-SHA256).');
    }
    if (params.SignatureVersion !== '1.0') throw new ShirenError('signature_invalid', 'SignatureVersion must be 1.0.');
    const t = checkTimestamp(params.Timestamp, 'Timestamp');
    const key = await deps.keys.resolve(params.AccessKeyId!);
    if (!verifyRpcSignature(key.secret, request.method, params)) {
      throw new ShirenError('signature_invalid', 'Specified signature does not match our calculation.');
    }
    await claimNonce(key.accessKeyId, params.SignatureNonce!, t);
    return deps.keys.admit(key);
  }

  const actions: Record<string, (ctx: ActionContext) => Promise<Record<string, unknown>>> = {
    CompareFaceVerify: (ctx) => compareFaceVerify(deps, ctx),
    LivenessFaceVerify: (ctx) => livenessFaceVerify(deps, ctx),
    ContrastFaceVerify: (ctx) => contrastFaceVerify(deps, ctx),
    DeepfakeDetect: notSupported('DeepfakeDetect (no deepfake detector has been validated in the face engine)'),
    AIGCFaceVerify: notSupported(
      'AIGCFaceVerify (no AI-generated-face detector has been validated in the face engine)',
    ),
    DescribeFaceGuardRisk: notSupported('DescribeFaceGuardRisk (there is no device-risk service)'),
    ...identityActions(deps),
    ...statisticsActions(deps),
    ...whitelistActions(deps),
  };
  const sessions = deps.sessions;
  if (sessions) {
    actions.InitFaceVerify = (ctx) => initFaceVerify(deps, sessions, ctx);
    actions.DescribeFaceVerify = (ctx) => describeFaceVerify(sessions, ctx);
    actions.DeleteFaceVerifyResult = (ctx) => deleteFaceVerifyResult(sessions, ctx);
  }

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const query = queryOf(request);
    const params: Params = Object.assign(Object.create(null) as Params, query);
    const body = request.body;
    if (body !== undefined && body !== null) {
      if (typeof body !== 'object' || Buffer.isBuffer(body)) {
        throw new AliyunGatewayError(400, 'InvalidParameter', `Send parameters in the query or as ${FORM}.`);
      }
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        if (Object.hasOwn(params, k)) {
          throw new AliyunGatewayError(400, 'InvalidParameter', `The parameter ${k} appears more than once.`);
        }
        params[k] = String(v);
      }
    }
    const action = header(request, 'x-acs-action') ?? params.Action;
    const version = header(request, 'x-acs-version') ?? params.Version;
    if (!action) throw missing('Action');
    if (!version) throw missing('Version');
    if (version !== CLOUDAUTH_VERSION) {
      throw new AliyunGatewayError(
        400,
        'InvalidVersion',
        `Specified parameter Version is not valid (this endpoint serves ${CLOUDAUTH_VERSION}).`,
      );
    }
    const run = actions[action];
    if (!run) {
      throw new AliyunGatewayError(
        404,
        'InvalidAction.NotFound',
        `Specified api is not found, please check your url and method. (Shiren does not implement ${action}; see docs/aliyun.md.)`,
      );
    }
    const principal = await authenticate(request, query, params);
    const result = await run({ params, principal, request, reply });
    return reply.type('application/json; charset=utf-8').send({ RequestId: request.id, ...result });
  }

  app.route({ method: ['GET', 'POST'], url: '/', schema: { hide: true }, handler: handle });
};

function sendAliyunError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const hostId = request.hostname || 'cloudauth.aliyuncs.com';
  if (err instanceof AliyunResultError) {
    request.log.info({ code: err.code }, 'cloudauth result code');
    return reply
      .code(200)
      .type('application/json; charset=utf-8')
      .send({ RequestId: request.id, Code: err.code, Message: err.message });
  }
  if (err instanceof AliyunGatewayError) {
    request.log.info({ code: err.code }, 'request refused');
    return reply
      .code(err.status)
      .type('application/json; charset=utf-8')
      .send({ RequestId: request.id, HostId: hostId, Code: err.code, Message: err.message, Recommend: '' });
  }
  const e = isShirenError(err) ? err : toShirenError(err);
  if (e.reason === 'internal') request.log.error({ err: e.cause ?? err }, 'unhandled error');
  else request.log.info({ reason: e.reason }, 'request failed');
  request.shirenReason = e.reason;
  const answer = ALIYUN_ERRORS[e.reason];
  const message = e.reason === 'internal' ? 'The request processing has failed due to some unknown error.' : e.message;
  if (answer.kind === 'result') {
    return reply
      .code(200)
      .type('application/json; charset=utf-8')
      .send({ RequestId: request.id, Code: answer.code, Message: `${RESULT_MESSAGES[answer.code]}: ${message}` });
  }
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  return reply
    .code(answer.status)
    .type('application/json; charset=utf-8')
    .send({ RequestId: request.id, HostId: hostId, Code: answer.code, Message: message, Recommend: '' });
}

// ---- actions ---------------------------------------------------------------------------------------------------

/** Cloudauth CertifyIds are 32 hex characters. These calls keep nothing, so the id only labels the answer. */
function certifyId(): string {
  return randomBytes(16).toString('hex');
}

async function scenePlan(deps: AliyunApiDeps, ctx: ActionContext): Promise<PlanView> {
  const raw = ctx.params.SceneId;
  if (raw === undefined || raw === '') throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: SceneId`);
  if (!/^\d{1,15}$/.test(raw)) throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: SceneId`);
  const plan = await deps.plans.get(ctx.principal.appId, Number(raw));
  if (plan.disabled) throw new AliyunResultError('404', `${RESULT_MESSAGES['404']}: SceneId ${raw} is disabled`);
  return plan;
}

/** Values of `ProductCode` / `Model` / `CertType` each Action accepts (the reference and Alibaba's public pages). */
const PRODUCT_CODES: Record<string, readonly string[]> = {
  CompareFaceVerify: ['PV_FC'],
  LivenessFaceVerify: ['LR_FR_MIN'],
  ContrastFaceVerify: ['ID_MIN'],
  InitFaceVerify: ['ID_PRO', 'ID_PLUS', 'ID_MIN_PRO', 'PV_FV', 'LR_FR'],
};
const PHOTO_LIVENESS_MODELS = ['NO_LIVENESS', 'FRONT_CAMERA_LIVENESS', 'REAR_CAMERA_LIVENESS'] as const;
const H5_MODELS = ['LIVENESS', 'PHOTINUS_LIVENESS', 'MULTI_ACTION', 'MOVE_ACTION', 'MULTI_FAPTCHA', 'FACE_GUARD'];

function checkEnum(params: Params, name: string, allowed: readonly string[] | undefined): string | undefined {
  const v = params[name];
  if (v === undefined || v === '' || !allowed) return v || undefined;
  if (!allowed.includes(v)) {
    throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${name} must be one of ${allowed.join(', ')}`);
  }
  return v;
}

const OSS_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,1023}$/;

/**
 * The one picture given among the four input modes of `prefix` (base64, URL, an earlier CertifyId, an OSS
 * bucket + object): 400 when none, 420 when several, 400 when only half of the OSS pair is given.
 */
function picture(params: Params, prefix: string): PictureSource;
function picture(params: Params, prefix: string, optional: true): PictureSource | undefined;
function picture(params: Params, prefix: string, optional = false): PictureSource | undefined {
  const bucket = params[`${prefix}OssBucketName`];
  const object = params[`${prefix}OssObjectName`];
  const modes = {
    base64: params[`${prefix}FaceContrastPicture`],
    url: params[`${prefix}FaceContrastPictureUrl`],
    certifyId: params[`${prefix}CertifyId`],
    oss: bucket || object,
  };
  const given = Object.entries(modes).filter(([, v]) => v !== undefined && v !== '');
  if (given.length === 0 && optional) return undefined;
  if (given.length === 0) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: ${prefix}FaceContrastPicture`);
  if (given.length > 1) {
    throw new AliyunResultError(
      '420',
      `${RESULT_MESSAGES['420']}: give one of ${prefix}FaceContrastPicture, ${prefix}FaceContrastPictureUrl, ${prefix}CertifyId, ${prefix}OssBucketName+${prefix}OssObjectName`,
    );
  }
  switch (given[0]![0]) {
    case 'url':
      return { kind: 'url', url: modes.url! };
    case 'certifyId': {
      if (!/^[A-Za-z0-9]{16,64}$/.test(modes.certifyId!)) {
        throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${prefix}CertifyId`);
      }
      return { kind: 'session', token: modes.certifyId! };
    }
    case 'oss': {
      if (!bucket) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: ${prefix}OssBucketName`);
      if (!object) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: ${prefix}OssObjectName`);
      if (!OSS_NAME.test(object) || object.includes('..')) {
        throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${prefix}OssObjectName`);
      }
      return { kind: 'object', bucket, object };
    }
  }
  const value = modes.base64!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(value) && !value.startsWith('data:')) {
    throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${prefix}FaceContrastPicture is not base64`);
  }
  return { kind: 'base64', value };
}

function resolvePicture(deps: AliyunApiDeps, ctx: ActionContext, source: PictureSource) {
  return deps.images.resolve(ctx.principal.appId, source, abortWhenClientGone(ctx.reply));
}

async function compareFaceVerify(deps: AliyunApiDeps, ctx: ActionContext) {
  checkEnum(ctx.params, 'ProductCode', PRODUCT_CODES.CompareFaceVerify);
  const plan = await scenePlan(deps, ctx);
  const sourceRef = picture(ctx.params, 'Source');
  const targetRef = picture(ctx.params, 'Target');
  const [source, target] = [await resolvePicture(deps, ctx, sourceRef), await resolvePicture(deps, ctx, targetRef)];
  const r = await deps.faces.compare({
    imageA: source,
    imageB: target,
    threshold: plan.threshold.score,
    signal: abortWhenClientGone(ctx.reply),
  });
  return {
    Code: '200',
    Message: 'success',
    ResultObject: {
      CertifyId: certifyId(),
      VerifyScore: Math.round(r.score * 100000) / 100000,
      Passed: r.passed ? 'T' : 'F',
    },
  };
}

/** Passive liveness of one photo at the plan's threshold (or the engine's default), as Cloudauth material fields. */
async function photoLiveness(deps: AliyunApiDeps, ctx: ActionContext, plan: PlanView, input: Buffer | string) {
  const r = await deps.faces.liveness(input, { signal: abortWhenClientGone(ctx.reply) });
  const threshold = plan.passiveLivenessThreshold ?? r.threshold;
  return {
    live: r.liveness.score >= threshold,
    quality: r.face.quality?.comprehensive_score,
    livenessScore: Math.round(r.liveness.score * 10000) / 100,
    livenessThreshold: Math.round(threshold * 10000) / 100,
  };
}

async function livenessFaceVerify(deps: AliyunApiDeps, ctx: ActionContext) {
  checkEnum(ctx.params, 'ProductCode', PRODUCT_CODES.LivenessFaceVerify);
  const model = checkEnum(ctx.params, 'Model', PHOTO_LIVENESS_MODELS);
  if (model === 'NO_LIVENESS') {
    throw new AliyunResultError(
      '401',
      `${RESULT_MESSAGES['401']}: Model NO_LIVENESS turns off the one check this Action makes`,
    );
  }
  const plan = await scenePlan(deps, ctx);
  const input = await resolvePicture(deps, ctx, picture(ctx.params, ''));
  const l = await photoLiveness(deps, ctx, plan, input);
  return {
    Code: '200',
    Message: 'success',
    ResultObject: {
      CertifyId: certifyId(),
      Passed: l.live ? 'T' : 'F',
      SubCode: l.live ? '200' : '205',
      MaterialInfo: JSON.stringify({
        faceAttack: l.live ? 'F' : 'T',
        facialPictureFront: {
          ...(l.quality !== undefined ? { qualityScore: l.quality } : {}),
          livenessScore: l.livenessScore,
          livenessThreshold: l.livenessThreshold,
        },
      }),
    },
  };
}

/**
 * ContrastFaceVerify: a photo of the person against the reference photo of the identity (CertName + CertNo) in the
 * operator's identity registry, optionally with passive liveness (Model). SubCodes as Alibaba documents them:
 * 200 passed, 201 name and ID number do not match, 202 no such identity, 203 the identity has no usable photo,
 * 204 the faces do not match, 205 liveness risk.
 */
async function contrastFaceVerify(deps: AliyunApiDeps, ctx: ActionContext) {
  const p = ctx.params;
  checkEnum(p, 'ProductCode', PRODUCT_CODES.ContrastFaceVerify);
  checkEnum(p, 'CertType', ['IDENTITY_CARD']);
  const model = checkEnum(p, 'Model', PHOTO_LIVENESS_MODELS) ?? 'NO_LIVENESS';
  const plan = await scenePlan(deps, ctx);
  if (p.FaceContrastFile) {
    throw new ShirenError(
      'not_supported',
      'FaceContrastFile (a video) is not supported by this deployment; send a photo',
    );
  }
  if (!p.CertName) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertName`);
  if (!p.CertNo) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertNo`);
  let identity: { name: string; idNumber: string };
  try {
    identity = normaliseIdentity({ name: p.CertName, idNumber: p.CertNo });
  } catch {
    throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: CertName / CertNo`);
  }
  const source = picture(p, '');
  if (!deps.registryPhoto) {
    throw new ShirenError('not_supported', 'no identity registry is configured, so there is no photo to compare with');
  }
  const photo = await resolvePicture(deps, ctx, source);
  const id = certifyId();
  const answer = (passed: boolean, subCode: string, material: Record<string, unknown>) => ({
    Code: '200',
    Message: 'success',
    ResultObject: {
      CertifyId: id,
      Passed: passed ? 'T' : 'F',
      SubCode: subCode,
      MaterialInfo: JSON.stringify(material),
    },
  });
  const registry = await deps.registryPhoto(ctx.principal.appId, identity);
  if (registry.status === 'name_mismatch') return answer(false, '201', {});
  if (registry.status === 'no_record') return answer(false, '202', {});
  if (registry.status === 'no_photo' || !registry.photo) return answer(false, '203', {});
  let liveness: Awaited<ReturnType<typeof photoLiveness>> | undefined;
  if (model !== 'NO_LIVENESS') liveness = await photoLiveness(deps, ctx, plan, photo);
  const r = await deps.faces.compare({
    imageA: photo,
    imageB: registry.photo,
    threshold: plan.threshold.score,
    signal: abortWhenClientGone(ctx.reply),
  });
  const front = {
    verifyScore: Math.round(r.score * 100000) / 100000,
    ...(liveness?.quality !== undefined ? { qualityScore: liveness.quality } : {}),
    ...(liveness ? { livenessScore: liveness.livenessScore, livenessThreshold: liveness.livenessThreshold } : {}),
  };
  const material = { ...(liveness ? { faceAttack: liveness.live ? 'F' : 'T' } : {}), facialPictureFront: front };
  if (liveness && !liveness.live) return answer(false, '205', material);
  return answer(r.passed, r.passed ? '200' : '204', material);
}

/** Actions Cloudauth has but that need a detector Shiren does not have: answered 410 with the reason. */
function notSupported(what: string) {
  return async (): Promise<Record<string, unknown>> => {
    throw new ShirenError('not_supported', `${what} is not supported by this deployment (docs/aliyun.md)`);
  };
}

// ---- H5 sessions: InitFaceVerify → CertifyUrl, DescribeFaceVerify, DeleteFaceVerifyResult ------------------------

type Sessions = NonNullable<AliyunApiDeps['sessions']>;

/**
 * Cloudauth SubCodes of DescribeFaceVerify for Shiren's attempt codes (docs/aliyun.md): 200 passed (also
 * `whitelisted`: passed by a whitelist entry), 204 the face does not match the reference, 205 liveness risk (every
 * capture or liveness failure).
 */
function subCodeOf(code: string): string {
  if (code === 'ok' || code === 'whitelisted') return '200';
  if (code === 'compare_failed') return '204';
  return '205';
}

async function initFaceVerify(deps: AliyunApiDeps, sessions: Sessions, ctx: ActionContext) {
  const p = ctx.params;
  checkEnum(p, 'ProductCode', PRODUCT_CODES.InitFaceVerify);
  checkEnum(p, 'Model', H5_MODELS);
  checkEnum(p, 'CertType', ['IDENTITY_CARD']);
  const plan = await scenePlan(deps, ctx);
  const source = picture(p, '', true);
  if ((p.CertName && !p.CertNo) || (!p.CertName && p.CertNo)) {
    throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertName and CertNo go together`);
  }
  if (p.OuterOrderNo !== undefined && p.OuterOrderNo.length > 128) {
    throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: OuterOrderNo is longer than 128 characters`);
  }
  const resolved = source ? await resolvePicture(deps, ctx, source) : undefined;
  const reference =
    resolved === undefined ? undefined : typeof resolved === 'string' ? resolved : resolved.toString('base64');
  const created = await sessions.create(
    ctx.principal.appId,
    {
      planId: plan.id,
      ...(p.OuterOrderNo ? { outerOrderNo: p.OuterOrderNo } : {}),
      ...(p.CertName && p.CertNo ? { identity: { name: p.CertName, idNumber: p.CertNo } } : {}),
      ...(reference ? { referenceImage: reference } : {}),
    },
    ctx.principal.accessKeyId,
  );
  return { Code: '200', Message: 'success', ResultObject: { CertifyId: created.token, CertifyUrl: created.url } };
}

async function describeFaceVerify(sessions: Sessions, ctx: ActionContext) {
  const certify = ctx.params.CertifyId;
  if (!certify) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertifyId`);
  const s = await sessions.get(ctx.principal.appId, certify);
  if (ctx.params.SceneId && ctx.params.SceneId !== String(s.planId)) {
    throw new AliyunResultError('404', `${RESULT_MESSAGES['404']}: the CertifyId belongs to another SceneId`);
  }
  const final = s.status === 'passed' || s.status === 'failed';
  const r = s.result;
  return {
    Code: '200',
    Message: 'success',
    ResultObject: {
      Passed: s.status === 'passed' ? 'T' : 'F',
      SubCode: final && r ? subCodeOf(r.code) : '',
      MaterialInfo: JSON.stringify({
        status: s.status,
        ...(r ? { code: r.code } : {}),
        ...(r?.whitelisted ? { whitelisted: true } : {}),
        // "T" when the final attempt failed a liveness check (action, flash or passive): an attack is suspected.
        ...(final && r ? { faceAttack: r.code.startsWith('liveness_') ? 'T' : 'F' } : {}),
        facialPictureFront: {
          ...(r?.score != null ? { verifyScore: r.score } : {}),
          ...(r?.livenessScore != null ? { livenessScore: Math.round(r.livenessScore * 10000) / 100 } : {}),
        },
      }),
    },
  };
}

async function deleteFaceVerifyResult(sessions: Sessions, ctx: ActionContext) {
  const certify = ctx.params.CertifyId;
  if (!certify) throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertifyId`);
  try {
    await sessions.delete(ctx.principal.appId, certify, ctx.principal.accessKeyId);
  } catch (err) {
    if (isShirenError(err) && err.reason === 'not_found') {
      return {
        Code: '200',
        Message: 'success',
        ResultObject: { CertifyId: certify, DeleteResult: 'F', FailReason: 'CertifyId not found' },
      };
    }
    throw err;
  }
  return { Code: '200', Message: 'success', ResultObject: { CertifyId: certify, DeleteResult: 'T' } };
}
