/**
 * Volcengine VerifyPro (cv, 2022-08-31) wire compatibility: `CertToken` (the app server opens a verification and
 * gets a byted_token) and `CertVerify` (the app server presents the byted_token with the sdk_data the capture page
 * handed over, and reads the result). Requests carry `Action` and `Version` in the query and a JSON (or form) body,
 * signed with Volcengine's HMAC-SHA256 scheme (./signature.ts, the official SDK's signer).
 *
 * Mounted under /volcengine/ and, through `volcengineRewrite` (app.ts rewriteUrl), at / for requests that are
 * Volcengine calls. Thin: CertToken creates a Shiren H5 session on a plan; CertVerify checks the signed attempt
 * receipt (src/verify/attempt-receipt.ts) and renders the recorded attempt in Volcengine's shapes (docs/volcengine.md).
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessKeyService, Principal } from '../../auth/access-keys.js';
import { ShirenError, isShirenError } from '../../errors.js';
import { constantTimeEqual } from '../../store/secret-box.js';
import { ReceiptError, attemptOfReceipt, type AttemptReceipts } from '../../verify/attempt-receipt.js';
import type { FaceService } from '../../verify/face-service.js';
import { FAR_SCORES, type PlanService, type PlanView } from '../../verify/plans.js';
import type { AttemptView, SessionService } from '../../verify/sessions.js';
import { abortWhenClientGone } from '../common/abort.js';
import { toShirenError } from '../common/errors.js';
import { header } from '../common/headers.js';
import {
  BUSINESS_MESSAGES,
  SUB_CODES,
  SUB_MESSAGES,
  VOLC_ERRORS,
  VolcBusinessError,
  VolcGatewayError,
} from './errors.js';
import {
  VOLC_ALGORITHM,
  canonicalRequest,
  parseVolcAuthorization,
  parseXDate,
  sha256Hex,
  volcSignature,
} from './signature.js';

export const VOLC_VERSION = '2022-08-31';
export const VOLC_SERVICE = 'cv';
const DEFAULT_REGION = 'cn-north-1';
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';
const ACTIONS = ['CertToken', 'CertVerify'] as const;
const REQ_KEYS = { src: 'cert_pro_src_verify', noSrc: 'cert_pro_no_src_verify' } as const;
const TOKEN_REQ_KEYS = ['cert_pro_token', 'cert_token'];

export interface VolcengineApiDeps {
  /** `admit` charges the app's rate limit once the signature checked out (FlowLimitExceeded over it). */
  keys: Pick<AccessKeyService, 'resolve' | 'admit'>;
  /** Allowed clock skew of X-Date, in seconds (both directions). */
  windowSeconds: number;
  faces: Pick<FaceService, 'detect'>;
  plans: Pick<PlanService, 'get'>;
  sessions: Pick<SessionService, 'create' | 'get' | 'image'>;
  receipts: AttemptReceipts;
  now?: () => Date;
}

type Body = Record<string, unknown>;

interface Caller {
  principal: Principal;
  region: string;
}

/** What the error envelope echoes (ResponseMetadata), known once the request is read. */
const wireMeta = new WeakMap<FastifyRequest, { action?: string; version?: string; region?: string }>();
function meta(request: FastifyRequest) {
  let m = wireMeta.get(request);
  if (!m) wireMeta.set(request, (m = {}));
  return m;
}

interface ActionContext {
  body: Body;
  caller: Caller;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** The raw query (without `?`) of a URL. */
function rawQueryOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

/**
 * The URL to route a request at `/` to when it is a Volcengine call: Version 2022-08-31 with a VerifyPro Action in
 * the query, or a Volcengine `Authorization: HMAC-SHA256 Credential=…` header (Cloudauth's ACS3 header differs).
 */
export function volcengineRewrite(req: IncomingMessage): string | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path !== '/') return undefined;
  const search = q < 0 ? '' : url.slice(q);
  const params = new URLSearchParams(search);
  const action = params.get('Action');
  const byQuery = params.get('Version') === VOLC_VERSION && (ACTIONS as readonly string[]).includes(action ?? '');
  const byHeader = /^HMAC-SHA256\s+Credential=/.test(header(req, 'authorization')?.trim() ?? '');
  return byQuery || byHeader ? `/volcengine/${search}` : undefined;
}

function missing(name: string, hint = ''): VolcBusinessError {
  return new VolcBusinessError(400, 50201, `Missing Parameter: ${name}${hint}`, SUB_CODES.missingParameter);
}

function invalid(message: string): VolcBusinessError {
  return new VolcBusinessError(400, 50200, `Invalid Parameter: ${message}`, SUB_CODES.invalidParameter);
}

function str(body: Body, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

export const volcengineApi: FastifyPluginAsync<VolcengineApiDeps> = async (app, deps) => {
  const now = deps.now ?? (() => new Date());

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        return done(invalid('the body must be a JSON object'), undefined);
      done(null, parsed);
    } catch {
      done(invalid('the body is not valid JSON'), undefined);
    }
  });
  app.addContentTypeParser(FORM, { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    done(null, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  });

  app.setErrorHandler((err, request, reply) => sendVolcError(err, request, reply));

  async function authenticate(request: FastifyRequest): Promise<Caller> {
    const authorization = header(request, 'authorization')?.trim();
    if (!authorization) throw new ShirenError('unauthorized', 'Request is missing Authentication Token.');
    const auth = parseVolcAuthorization(authorization);
    if (!auth)
      throw new ShirenError(
        'signature_invalid',
        `The Authorization header is malformed (${VOLC_ALGORITHM} Credential=AK/date/region/service/request, SignedHeaders=…, Signature=hex).`,
      );
    meta(request).region = auth.region;
    if (auth.service !== VOLC_SERVICE)
      throw new ShirenError('signature_invalid', `The credential scope names service ${auth.service}; this is cv.`);
    const xDate = header(request, 'x-date');
    if (!xDate) throw new ShirenError('timestamp_invalid', 'The request is missing X-Date.');
    const t = parseXDate(xDate);
    if (t === undefined) throw new ShirenError('timestamp_invalid', 'X-Date must be YYYYMMDDTHHMMSSZ (UTC).');
    if (Math.abs(now().getTime() - t) > deps.windowSeconds * 1000)
      throw new ShirenError('timestamp_invalid', 'The signature of the request is expired.');
    if (auth.date !== xDate.slice(0, 8))
      throw new ShirenError('signature_invalid', 'The credential scope date is not the date of X-Date.');
    const key = await deps.keys.resolve(auth.accessKeyId);
    const bodyHash = sha256Hex(request.rawBody ?? '');
    const declared = header(request, 'x-content-sha256');
    if (declared !== undefined && declared.toLowerCase() !== bodyHash)
      throw new ShirenError('signature_invalid', 'X-Content-Sha256 does not match the body.');
    const canonical = canonicalRequest({
      method: request.method,
      path: request.originalUrl.split('?')[0] ?? '/',
      rawQuery: rawQueryOf(request.originalUrl),
      headers: request.headers,
      signedHeaders: auth.signedHeaders,
      payloadHash: declared ?? bodyHash,
    });
    if (canonical === undefined)
      throw new ShirenError('signature_invalid', 'A header named in SignedHeaders is not in the request.');
    if (!constantTimeEqual(volcSignature(key.secret, auth, xDate, canonical), auth.signature))
      throw new ShirenError(
        'signature_invalid',
        'The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method.',
      );
    return { principal: deps.keys.admit(key), region: auth.region };
  }

  const actions: Record<(typeof ACTIONS)[number], (ctx: ActionContext) => Promise<Reply>> = {
    CertToken: (ctx) => certToken(deps, ctx),
    CertVerify: (ctx) => certVerify(deps, ctx),
  };

  async function handle(request: FastifyRequest, reply: FastifyReply) {
    const query = new URLSearchParams(rawQueryOf(request.url));
    const action = query.get('Action');
    const version = query.get('Version');
    meta(request).action = action ?? '';
    meta(request).version = version ?? '';
    if (!action)
      throw new VolcGatewayError(400, 'MissingParameter', 100002, 'The request is missing Action parameter.');
    if (!version)
      throw new VolcGatewayError(400, 'MissingParameter', 100002, 'The request is missing Version parameter.');
    const run = (actions as Record<string, (ctx: ActionContext) => Promise<Reply>>)[action];
    if (version !== VOLC_VERSION || !run || !Object.hasOwn(actions, action))
      throw new VolcGatewayError(
        404,
        'InvalidActionOrVersion',
        100008,
        `Could not find operation ${action} for version ${version} (Shiren serves CertToken and CertVerify of ${VOLC_VERSION}; docs/volcengine.md).`,
      );
    const caller = await authenticate(request);
    const body = request.body;
    if (body !== undefined && body !== null && (typeof body !== 'object' || Buffer.isBuffer(body)))
      throw invalid(`send the parameters as ${JSON_TYPE}`);
    const answer = await run({ body: (body ?? {}) as Body, caller, request, reply });
    return reply
      .code(answer.status)
      .type('application/json; charset=utf-8')
      .send({
        code: answer.code,
        data: answer.data,
        message: answer.message,
        request_id: request.id,
        time_elapsed: elapsed(reply),
      });
  }

  app.route({ method: ['GET', 'POST'], url: '/', schema: { hide: true }, handler: handle });
};

interface Reply {
  status: number;
  code: number;
  message: string;
  data: unknown;
}

function elapsed(reply: FastifyReply): string {
  return `${reply.elapsedTime.toFixed(3)}ms`;
}

function sendVolcError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const gateway = (status: number, code: string, codeN: number, message: string) =>
    reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send({
        ResponseMetadata: {
          RequestId: request.id,
          Action: meta(request).action ?? '',
          Version: meta(request).version ?? '',
          Service: VOLC_SERVICE,
          Region: meta(request).region ?? DEFAULT_REGION,
          Error: { CodeN: codeN, Code: code, Message: message },
        },
      });
  const business = (status: number, code: number, message: string, sub?: number) =>
    reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send({
        code,
        data:
          sub === undefined
            ? null
            : { algorithm_base_resp: { status_code: sub, status_message: SUB_MESSAGES[sub] ?? '' } },
        message,
        request_id: request.id,
        time_elapsed: elapsed(reply),
      });

  if (err instanceof VolcGatewayError) {
    request.log.info({ code: err.code }, 'request refused');
    return gateway(err.status, err.code, err.codeN, err.message);
  }
  if (err instanceof VolcBusinessError) {
    request.log.info({ code: err.code }, 'cv business code');
    return business(err.status, err.code, err.message, err.sub);
  }
  const e = toShirenError(err);
  if (e.reason === 'internal') request.log.error({ err: e.cause ?? err }, 'unhandled error');
  else request.log.info({ reason: e.reason }, 'request failed');
  request.shirenReason = e.reason;
  const answer = VOLC_ERRORS[e.reason];
  const message = e.reason === 'internal' ? 'The request processing has failed due to some unknown error.' : e.message;
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  if (answer.kind === 'gateway') return gateway(answer.status, answer.code, answer.codeN, message);
  return business(
    answer.status,
    answer.code,
    `${BUSINESS_MESSAGES[answer.code] ?? 'Error'}: ${message} (${e.reason})`,
    answer.sub,
  );
}

// ---- CertToken -----------------------------------------------------------------------------------------------

async function certToken(deps: VolcengineApiDeps, ctx: ActionContext): Promise<Reply> {
  const b = ctx.body;
  const reqKey = str(b, 'req_key');
  if (!reqKey) throw missing('req_key', ' (cert_pro_token)');
  if (!TOKEN_REQ_KEYS.includes(reqKey)) throw invalid(`req_key ${reqKey} (CertToken takes cert_pro_token)`);
  const rawPlan = str(b, 'plan_id');
  if (!rawPlan) throw missing('plan_id', ' (Shiren: the plan this verification runs on, docs/volcengine.md)');
  if (!/^\d{1,15}$/.test(rawPlan)) throw invalid('plan_id must be a plan number');
  const plan = await deps.plans.get(ctx.caller.principal.appId, Number(rawPlan));
  if (plan.disabled) throw invalid(`plan ${plan.id} is disabled`);
  const refSource = str(b, 'ref_source');
  if (refSource === undefined) throw missing('ref_source', ' (0 无源 / 1 有源)');
  if (refSource !== '0' && refSource !== '1') throw invalid('ref_source must be 0 (no source) or 1 (source)');
  const wanted = refSource === '1' ? 'registry' : 'uploaded';
  if (plan.compareSource !== wanted)
    throw invalid(
      `ref_source ${refSource} compares with ${refSource === '1' ? 'the identity registry' : 'an uploaded ref_image'}, but plan ${plan.id} compares with ${plan.compareSource}`,
    );
  const name = str(b, 'idcard_name');
  const idNumber = str(b, 'idcard_no');
  if (refSource === '1' && !name) throw missing('idcard_name');
  if (refSource === '1' && !idNumber) throw missing('idcard_no');
  if (!!name !== !!idNumber) throw missing(name ? 'idcard_no' : 'idcard_name', ' (they go together)');
  const refImage = str(b, 'ref_image');
  if (refSource === '0' && !refImage) throw missing('ref_image', ' (the reference photo, base64)');
  if (refSource === '1' && refImage)
    throw invalid('ref_image: a source (有源) verification compares with the registry');
  const created = await deps.sessions.create(
    ctx.caller.principal.appId,
    {
      planId: plan.id,
      ...(name && idNumber ? { identity: { name, idNumber } } : {}),
      ...(refImage ? { referenceImage: refImage } : {}),
    },
    ctx.caller.principal.accessKeyId,
  );
  return {
    status: 200,
    code: 10000,
    message: 'Success',
    data: { byted_token: created.token, h5_url: created.url, expire_time: created.expiresAt },
  };
}

// ---- CertVerify ----------------------------------------------------------------------------------------------

/** algorithm_base_resp sub-code of a Shiren attempt code (docs/volcengine.md). */
export function subCodeOf(code: string): number {
  switch (code) {
    case 'ok':
    case 'whitelisted':
      return SUB_CODES.ok;
    case 'compare_failed':
      return SUB_CODES.faceMismatch;
    case 'liveness_passive_failed':
      return SUB_CODES.livenessScoreTooLow;
    case 'face_not_found':
      return SUB_CODES.noFace;
    case 'multiple_faces':
      return SUB_CODES.multipleFaces;
    case 'quality_too_low':
      return SUB_CODES.faceTooSmall;
    default:
      // liveness_failed, liveness_action_*, liveness_timeout, liveness_flash_mismatch, face_changed …
      return SUB_CODES.actionLivenessFailed;
  }
}

/** Liveness passed when the attempt got as far as the comparison (or passed outright). */
function alive(code: string): boolean {
  return code === 'ok' || code === 'compare_failed' || code === 'whitelisted';
}

const ATTACK_CODES = new Set(['liveness_passive_failed', 'face_changed', 'liveness_flash_mismatch']);

/** Capture risk only (Shiren has no device or account risk engine): 0 none, 300 incomplete capture, 900 attack. */
function riskOf(code: string): { score: number; tags: string[] } {
  if (alive(code)) return { score: 0, tags: [] };
  return { score: ATTACK_CODES.has(code) ? 900 : 300, tags: [code] };
}

function planMatches(reqKey: string, plan: PlanView): boolean {
  return reqKey === REQ_KEYS.src ? plan.compareSource === 'registry' : plan.compareSource === 'uploaded';
}

const QUALITY_FIELDS: [string, keyof NonNullable<FaceQualityLike>][] = [
  ['comprehensive_score', 'comprehensive_score'],
  ['face_clarity', 'face_clarity'],
  ['brightness', 'brightness'],
  ['exposure', 'exposure'],
  ['pose_pitch', 'pose_pitch'],
  ['pose_yaw', 'pose_yaw'],
  ['pose_roll', 'pose_roll'],
  ['mouth_occlude', 'mouth_occlusion'],
  ['left_eye_occlude', 'left_eye_occlusion'],
  ['right_eye_occlude', 'right_eye_occlusion'],
  ['have_cap', 'have_cap'],
];
type FaceQualityLike = NonNullable<Awaited<ReturnType<FaceService['detect']>>['faces'][number]['quality']>;

/** image_face_detail / image_env_detail: the engine's quality of the largest face, "{}" without an image or face. */
async function detailOf(deps: VolcengineApiDeps, image: Buffer | undefined, signal: AbortSignal): Promise<string> {
  if (!image) return '{}';
  try {
    const q = (await deps.faces.detect(image, { signal })).faces[0]?.quality;
    if (!q) return '{}';
    return JSON.stringify(Object.fromEntries(QUALITY_FIELDS.map(([wire, field]) => [wire, q[field]])));
  } catch (err) {
    if (isShirenError(err) && ['face_not_found', 'face_too_small', 'multiple_faces'].includes(err.reason)) return '{}';
    throw err;
  }
}

async function imageOf(
  deps: VolcengineApiDeps,
  appId: string,
  token: string,
  kind: 'best' | 'env',
): Promise<Buffer | undefined> {
  try {
    return await deps.sessions.image(appId, token, kind);
  } catch (err) {
    if (isShirenError(err) && err.reason === 'not_found') return undefined;
    throw err;
  }
}

const RECEIPT_MESSAGES: Record<ReceiptError['problem'], string> = {
  malformed: 'sdk_data is not sdk_data of this server (pass on what the capture page returned)',
  tampered: 'sdk_data does not verify: it was changed or was not issued by this server',
  other_session: 'sdk_data belongs to another byted_token',
  unknown_attempt: 'sdk_data names no recorded attempt of this byted_token (deleted or past retention)',
  superseded: 'sdk_data names an earlier attempt; a later attempt of this byted_token replaced it',
};

async function certVerify(deps: VolcengineApiDeps, ctx: ActionContext): Promise<Reply> {
  const b = ctx.body;
  const appId = ctx.caller.principal.appId;
  const reqKey = str(b, 'req_key');
  if (!reqKey) throw missing('req_key', ` (${REQ_KEYS.src} or ${REQ_KEYS.noSrc})`);
  if (reqKey !== REQ_KEYS.src && reqKey !== REQ_KEYS.noSrc)
    throw invalid(`req_key ${reqKey} (CertVerify takes ${REQ_KEYS.src} or ${REQ_KEYS.noSrc})`);
  const token = str(b, 'byted_token');
  if (!token) throw missing('byted_token');
  const sdkData = str(b, 'sdk_data');
  if (!sdkData) {
    if (str(b, 'video_key'))
      throw invalid('video_key: Shiren has no TOS upload; pass the sdk_data the Shiren capture page returned');
    throw missing('sdk_data', ' (what the Shiren capture page returned)');
  }
  const riskInfo = b.risk_info;
  if (riskInfo !== undefined && typeof riskInfo !== 'string' && (typeof riskInfo !== 'object' || riskInfo === null))
    throw invalid('risk_info must be a string');

  const session = await deps.sessions.get(appId, token);
  const plan = await deps.plans.get(appId, session.planId);
  if (!planMatches(reqKey, plan))
    throw invalid(
      `req_key ${reqKey} does not fit this byted_token: its plan ${plan.id} compares with ${plan.compareSource}`,
    );
  let attempt: AttemptView;
  try {
    attempt = attemptOfReceipt(deps.receipts, session, sdkData).attempt;
  } catch (err) {
    if (err instanceof ReceiptError)
      throw new VolcBusinessError(
        400,
        50200,
        `Invalid Parameter: ${RECEIPT_MESSAGES[err.problem]} (${err.problem})`,
        SUB_CODES.invalidParameter,
      );
    throw err;
  }

  const signal = abortWhenClientGone(ctx.reply);
  const best = await imageOf(deps, appId, token, 'best');
  const env = await imageOf(deps, appId, token, 'env');
  const [faceDetail, envDetail] = [await detailOf(deps, best, signal), await detailOf(deps, env, signal)];
  const sub = subCodeOf(attempt.code);
  const data = {
    result: attempt.passed,
    risk_result: JSON.stringify(riskOf(attempt.code)),
    images: { image_best: best?.toString('base64') ?? '', image_env: env?.toString('base64') ?? '' },
    source_comp_details: {
      score: attempt.score ?? 0,
      thresholds: { ...FAR_SCORES },
      image_face_detail: faceDetail,
      image_env_detail: envDetail,
      alive: alive(attempt.code),
    },
    algorithm_base_resp: { status_code: sub, status_message: SUB_MESSAGES[sub] ?? attempt.message },
    req_measure_info: { measure_type: 'query_num', value: attempt.score !== null ? 1 : 0 },
  };
  return attempt.passed
    ? { status: 200, code: 10000, message: 'Success', data }
    : { status: 400, code: 50215, message: `RPCProcess: ${SUB_MESSAGES[sub]} (${attempt.code})`, data };
}
