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
import type { SessionService } from '../../verify/sessions.js';
import { abortWhenClientGone } from '../common/abort.js';
import { toShirenError } from '../common/errors.js';
import { ALIYUN_ERRORS, AliyunGatewayError, AliyunResultError, RESULT_MESSAGES } from './errors.js';
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
  keys: Pick<AccessKeyService, 'resolve'>;
  nonces: Pick<NonceRepo, 'claim'>;
  /** Allowed clock skew of Timestamp / x-acs-date, in seconds (both directions). */
  windowSeconds: number;
  faces: FaceService;
  plans: Pick<PlanService, 'get'>;
  /** H5 sessions for InitFaceVerify / DescribeFaceVerify / DeleteFaceVerifyResult (absent: those Actions are off). */
  sessions?: Pick<SessionService, 'create' | 'get' | 'delete'>;
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

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
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
      return { appId: key.appId, appName: key.appName, accessKeyId: key.accessKeyId };
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
    return { appId: key.appId, appName: key.appName, accessKeyId: key.accessKeyId };
  }

  const actions: Record<string, (ctx: ActionContext) => Promise<Record<string, unknown>>> = {
    CompareFaceVerify: (ctx) => compareFaceVerify(deps, ctx),
    LivenessFaceVerify: (ctx) => livenessFaceVerify(deps, ctx),
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

/** The one picture given among the input modes of `prefix` (base64 only for now); 400 when none, 420 when several. */
function picture(params: Params, prefix: string): string;
function picture(params: Params, prefix: string, optional: true): string | undefined;
function picture(params: Params, prefix: string, optional = false): string | undefined {
  const modes = {
    base64: params[`${prefix}FaceContrastPicture`],
    url: params[`${prefix}FaceContrastPictureUrl`],
    certifyId: params[`${prefix}CertifyId`],
    oss: params[`${prefix}OssBucketName`] || params[`${prefix}OssObjectName`],
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
  if (given[0]![0] !== 'base64') {
    throw new AliyunResultError(
      '410',
      `${RESULT_MESSAGES['410']}: Shiren accepts ${prefix}FaceContrastPicture (base64) only so far`,
    );
  }
  const value = modes.base64!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(value) && !value.startsWith('data:')) {
    throw new AliyunResultError('401', `${RESULT_MESSAGES['401']}: ${prefix}FaceContrastPicture is not base64`);
  }
  return value;
}

async function compareFaceVerify(deps: AliyunApiDeps, ctx: ActionContext) {
  const plan = await scenePlan(deps, ctx);
  const source = picture(ctx.params, 'Source');
  const target = picture(ctx.params, 'Target');
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

async function livenessFaceVerify(deps: AliyunApiDeps, ctx: ActionContext) {
  const plan = await scenePlan(deps, ctx);
  const input = picture(ctx.params, '');
  const r = await deps.faces.liveness(input, { signal: abortWhenClientGone(ctx.reply) });
  const threshold = plan.passiveLivenessThreshold ?? r.threshold;
  const live = r.liveness.score >= threshold;
  const quality = r.face.quality?.comprehensive_score;
  return {
    Code: '200',
    Message: 'success',
    ResultObject: {
      CertifyId: certifyId(),
      Passed: live ? 'T' : 'F',
      SubCode: live ? '200' : '205',
      MaterialInfo: JSON.stringify({
        faceAttack: live ? 'F' : 'T',
        facialPictureFront: {
          ...(quality !== undefined ? { qualityScore: quality } : {}),
          livenessScore: Math.round(r.liveness.score * 10000) / 100,
          livenessThreshold: Math.round(threshold * 10000) / 100,
        },
      }),
    },
  };
}

// ---- H5 sessions: InitFaceVerify → CertifyUrl, DescribeFaceVerify, DeleteFaceVerifyResult ------------------------

type Sessions = NonNullable<AliyunApiDeps['sessions']>;

/**
 * Cloudauth SubCodes of DescribeFaceVerify for Shiren's attempt codes (docs/aliyun.md): 200 passed, 204 the face
 * does not match the reference, 205 liveness risk (every capture or liveness failure).
 */
function subCodeOf(code: string): string {
  if (code === 'ok') return '200';
  if (code === 'compare_failed') return '204';
  return '205';
}

async function initFaceVerify(deps: AliyunApiDeps, sessions: Sessions, ctx: ActionContext) {
  const plan = await scenePlan(deps, ctx);
  const p = ctx.params;
  const reference = picture(p, '', true);
  if ((p.CertName && !p.CertNo) || (!p.CertName && p.CertNo)) {
    throw new AliyunResultError('400', `${RESULT_MESSAGES['400']}: CertName and CertNo go together`);
  }
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
