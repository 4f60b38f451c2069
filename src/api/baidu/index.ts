/**
 * Baidu AI "H5人脸实名认证" (faceprint) wire compatibility: `/oauth/2.0/token` (client_credentials with an access key
 * pair) and the faceprint calls under `/rpc/2.0/brain/solution/faceprint/`, each authorised by `?access_token=`.
 * `plan_id` is a Shiren plan, `verify_token` a Shiren session token; the H5 page is Shiren's own (/h5/?token=…).
 *
 * Thin: parameters are translated into session-service calls and SessionViews into Baidu's shapes (docs/baidu.md).
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessKeyService, Principal } from '../../auth/access-keys.js';
import { isShirenError } from '../../errors.js';
import { constantTimeEqual, type Keyring } from '../../store/secret-box.js';
import { isCertificateType, type CertificateType } from '../../verify/certificates.js';
import { ReferenceRejected, type ControlLevel } from '../../verify/reference-controls.js';
import type { PlanService } from '../../verify/plans.js';
import { TOKEN_PATTERN, type AttemptView, type SessionService, type SessionView } from '../../verify/sessions.js';
import { toShirenError } from '../common/errors.js';
import { createAccessTokens } from './access-token.js';
import {
  BAIDU_ERRORS,
  BaiduGatewayError,
  BaiduSolutionError,
  CONTROL_CODES,
  GATEWAY_MESSAGES,
  OAuthError,
  SOLUTION_MESSAGES,
  TOKEN_INVALID,
  TOKEN_INVALID_MESSAGE,
  attemptCode,
  failedBeforeCompare,
  type GatewayCode,
  type SolutionCode,
} from './errors.js';

export const FACEPRINT_PREFIX = '/rpc/2.0/brain/solution/faceprint';
export const IMAGE_PATH = '/solution/faceprint/image/query';
/** Encoded image limit of uploadMatchImage (the reference: "编码后的图片大小不超过10M"). */
export const MATCH_IMAGE_MAX_BASE64 = 10 * 1024 * 1024;
/** "图片分辨率小于1920*1080". */
export const MATCH_IMAGE_MAX_RESOLUTION: [number, number] = [1920, 1080];
const FORM = 'application/x-www-form-urlencoded';

export interface BaiduApiDeps {
  /** `admit` charges the app's rate limit on every faceprint call (error_code 18 over it); the token call is free. */
  keys: Pick<AccessKeyService, 'resolve' | 'admit'>;
  keyring: Keyring;
  sessions: Pick<SessionService, 'create' | 'get' | 'setIdentity' | 'setReference' | 'image' | 'revealIdentity'>;
  /** The plan of a session, for the charge type of its comparisons (registry → verify, uploaded/previous → match). */
  plans?: Pick<PlanService, 'get'>;
  /** Base of the image URLs in answers (SHIREN_PUBLIC_URL). */
  publicUrl: string;
  /** True for apps configured to receive names and ID numbers unmasked (default: masked). */
  revealIdentity?: (principal: Principal) => boolean | Promise<boolean>;
  /** Lifetime of the signed image URLs in answers (default 3600 s, never past the media retention). */
  imageUrlTtlSeconds?: number;
  now?: () => Date;
}

type Body = Record<string, unknown>;

/** Baidu's log_id is a decimal string: the first 52 bits of the request id (a UUID) in decimal. */
export function logIdOf(requestId: string): string {
  const hex = requestId.replace(/[^0-9a-f]/gi, '');
  if (hex.length >= 13) return BigInt(`0x${hex.slice(0, 13)}`).toString();
  return BigInt(`0x${createHmac('sha256', 'log-id').update(requestId).digest('hex').slice(0, 13)}`).toString();
}

/** "2023-06-20 18:00:00" in China Standard Time (UTC+8), as Baidu prints times. */
export function chinaTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}

function fieldString(body: Body, name: string): string {
  const v = body[name];
  if (v === undefined || v === null || v === '')
    throw new BaiduSolutionError(216101, `${SOLUTION_MESSAGES[216101]}: ${name}`);
  if (typeof v !== 'string')
    throw new BaiduSolutionError(216100, `${SOLUTION_MESSAGES[216100]}: ${name} must be a string`);
  return v;
}

function verifyTokenOf(body: Body): string {
  return fieldString(body, 'verify_token');
}

function controlLevel(body: Body, name: 'quality_control' | 'liveness_control'): ControlLevel {
  const v = body[name];
  if (v === undefined || v === null || v === '') return 'none';
  const levels: Record<string, ControlLevel> = { NONE: 'none', LOW: 'low', NORMAL: 'normal', HIGH: 'high' };
  const level = typeof v === 'string' ? levels[v.toUpperCase()] : undefined;
  if (!level)
    throw new BaiduSolutionError(
      name === 'quality_control' ? 223118 : 223119,
      `${SOLUTION_MESSAGES[name === 'quality_control' ? 223118 : 223119]}: ${name} must be NONE, LOW, NORMAL or HIGH`,
    );
  return level;
}

export const baiduApi: FastifyPluginAsync<BaiduApiDeps> = async (app, deps) => {
  const now = deps.now ?? (() => new Date());
  const tokens = createAccessTokens(deps.keyring, now);
  const imageTtl = (deps.imageUrlTtlSeconds ?? 3600) * 1000;
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const { sessions } = deps;

  // Baidu's clients send Content-Type: application/json, sometimes with an empty body (the OAuth call): accept that.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body: string, done) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body) as unknown);
    } catch {
      done(new BaiduSolutionError(222200, `${SOLUTION_MESSAGES[222200]}: the body is not valid JSON`), undefined);
    }
  });
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body: string, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body)));
  });
  app.setErrorHandler((err, request, reply) => sendBaiduError(err, request, reply));

  // ---- OAuth 2.0 token endpoint ----------------------------------------------------------------------------

  async function token(request: FastifyRequest, reply: FastifyReply) {
    void reply.header('cache-control', 'no-store');
    const params: Record<string, unknown> = { ...(request.query as Body) };
    const body = request.body;
    if (body && typeof body === 'object') Object.assign(params, body as Body);
    const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : '');
    const grant = str('grant_type');
    if (!grant) throw new OAuthError(400, 'invalid_request', 'missing grant_type');
    if (grant !== 'client_credentials')
      throw new OAuthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported');
    const clientId = str('client_id');
    const clientSecret = str('client_secret');
    if (!clientId) throw new OAuthError(401, 'invalid_client', 'unknown client id');
    if (!clientSecret) throw new OAuthError(401, 'invalid_client', 'Client authentication failed');
    let key;
    try {
      key = await deps.keys.resolve(clientId);
    } catch (err) {
      if (isShirenError(err) && err.reason === 'access_key_invalid')
        throw new OAuthError(401, 'invalid_client', 'unknown client id');
      if (isShirenError(err) && err.reason === 'access_key_disabled')
        throw new OAuthError(401, 'invalid_client', 'Client authentication failed: the key or its app is disabled');
      throw err;
    }
    if (!constantTimeEqual(key.secret, clientSecret))
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed');
    const issued = tokens.issue(key.accessKeyId);
    request.log.info({ accessKeyId: key.accessKeyId }, 'baidu access token issued');
    return reply.type('application/json; charset=utf-8').send({
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      // "brain_all_scope" tells Baidu's SDKs to authenticate with access_token (not the BCE signature).
      scope: 'public brain_all_scope brain_solution_faceprint',
    });
  }
  app.route({ method: ['GET', 'POST'], url: '/oauth/2.0/token', schema: { hide: true }, handler: token });

  // ---- faceprint calls ------------------------------------------------------------------------------------

  async function principalOf(request: FastifyRequest): Promise<Principal> {
    const value = (request.query as Body).access_token;
    if (typeof value !== 'string' || value === '') throw new BaiduGatewayError(110);
    const c = tokens.check(value);
    if (!c.ok) throw new BaiduGatewayError(c.why === 'expired' ? 111 : 110);
    const key = await deps.keys.resolve(c.accessKeyId); // unknown or disabled key: 110 through the table
    const principal = deps.keys.admit(key); // over the app's rate limit: 18 through the table
    request.principal = principal;
    return principal;
  }

  function bodyOf(request: FastifyRequest): Body {
    const b = request.body;
    if (b === undefined || b === null) throw new BaiduSolutionError(216101, `${SOLUTION_MESSAGES[216101]}: empty body`);
    if (typeof b !== 'object' || Array.isArray(b))
      throw new BaiduSolutionError(222200, `${SOLUTION_MESSAGES[222200]}: the body must be a JSON object`);
    return b as Body;
  }

  const ok = (request: FastifyRequest, reply: FastifyReply, result: unknown) =>
    reply.type('application/json; charset=utf-8').send({ success: true, result, log_id: logIdOf(request.id) });

  type Handler = (ctx: { request: FastifyRequest; principal: Principal; body: Body }) => Promise<unknown>;
  function faceprint(path: string, handler: Handler, opts: { bodyLimit?: number } = {}) {
    app.post(`${FACEPRINT_PREFIX}/${path}`, { schema: { hide: true }, ...opts }, async (request, reply) => {
      const principal = await principalOf(request);
      const result = await handler({ request, principal, body: bodyOf(request) });
      return ok(request, reply, result);
    });
  }

  /** A session whose verification is over and whose post-verification window (the plan's result retention) is open. */
  async function finished(principal: Principal, body: Body, opts: { attemptsSuffice?: boolean } = {}) {
    const s = await sessions.get(principal.appId, verifyTokenOf(body));
    const open = now().getTime() < Date.parse(s.resultAvailableUntil);
    if (s.status === 'expired' || !open) throw new BaiduSolutionError(TOKEN_INVALID);
    if ((s.status === 'created' || s.status === 'in_progress') && !(opts.attemptsSuffice && s.attempts.length > 0))
      throw new BaiduSolutionError(
        TOKEN_INVALID,
        `${TOKEN_INVALID_MESSAGE}: 认证尚未完成 (the verification is not finished)`,
      );
    return s;
  }

  async function identityOf(principal: Principal, s: SessionView) {
    const reveal = deps.revealIdentity ? await deps.revealIdentity(principal) : false;
    const id = reveal ? await sessions.revealIdentity(principal.appId, s.token) : s.identity;
    return { name: id?.name ?? '', idcard_number: id?.idNumber ?? '' };
  }

  function imageSign(appId: string, token: string, kind: string, expires: number): string {
    return Buffer.from(deps.keyring.digest('baidu-image-url', `${appId}.${token}.${kind}.${expires}`), 'base64url')
      .subarray(0, 16)
      .toString('hex');
  }

  /** A signed, expiring URL of a captured image, or '' when the image is not kept. */
  function imageUrl(principal: Principal, s: SessionView, kind: 'best' | 'env'): string {
    const until = s.images.availableUntil ? Date.parse(s.images.availableUntil) : 0;
    if (!s.images[kind] || until <= now().getTime()) return '';
    const expires = Math.floor(Math.min(now().getTime() + imageTtl, until) / 1000);
    const q = new URLSearchParams({
      verify_token: s.token,
      kind,
      app: principal.appId,
      expires: String(expires),
      sign: imageSign(principal.appId, s.token, kind, expires),
    });
    return `${publicUrl}${IMAGE_PATH}?${q.toString()}`;
  }

  function failure(s: SessionView): BaiduSolutionError | undefined {
    if (s.status === 'passed') return undefined;
    const a = attemptCode(s.result?.code ?? 'liveness_failed');
    return new BaiduSolutionError(a.code as SolutionCode, a.message);
  }

  faceprint('verifyToken/generate', async ({ principal, body }) => {
    const raw = body.plan_id;
    const planId =
      typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (raw === undefined || raw === null || raw === '')
      throw new BaiduSolutionError(216101, 'not enough param: plan_id');
    if (!Number.isSafeInteger(planId) || planId <= 0)
      throw new BaiduSolutionError(216100, 'invalid param: plan_id must be a positive whole number');
    if (body.redirect_config !== undefined)
      throw new BaiduSolutionError(
        216100,
        'invalid param: redirect_config is not supported; set successUrl/failureUrl on the plan (docs/baidu.md)',
      );
    try {
      const created = await sessions.create(principal.appId, { planId }, principal.accessKeyId);
      return { verify_token: created.token, url: created.url };
    } catch (err) {
      if (isShirenError(err) && err.reason === 'not_found')
        throw new BaiduSolutionError(216100, `invalid param: plan_id ${planId} 不存在 (no such plan for this app)`);
      if (isShirenError(err) && (err.reason === 'not_supported' || err.reason === 'conflict'))
        throw new BaiduSolutionError(216100, `invalid param: plan_id ${planId}: ${err.message}`);
      throw err;
    }
  });

  faceprint('idcard/submit', async ({ principal, body }) => {
    const token = verifyTokenOf(body);
    const name = fieldString(body, 'id_name');
    const idNumber = fieldString(body, 'id_no');
    const rawType = body.certificate_type;
    let type: CertificateType = 0;
    if (rawType !== undefined && rawType !== null && rawType !== '') {
      const n = typeof rawType === 'string' && /^\d$/.test(rawType) ? Number(rawType) : rawType;
      if (!isCertificateType(n))
        throw new BaiduSolutionError(216100, 'invalid param: certificate_type must be 0, 1, 2, 3, 4 or 5');
      type = n;
    }
    await sessions.setIdentity(principal.appId, token, { name, idNumber }, principal.accessKeyId, type);
    return 1;
  });

  faceprint(
    'uploadMatchImage',
    async ({ principal, body }) => {
      const token = verifyTokenOf(body);
      const image = fieldString(body, 'image');
      if (image.length > MATCH_IMAGE_MAX_BASE64)
        throw new BaiduSolutionError(216202, 'image size error: the encoded image exceeds 10 MB');
      const quality = controlLevel(body, 'quality_control');
      const liveness = controlLevel(body, 'liveness_control');
      await sessions.setReference(principal.appId, token, image, principal.accessKeyId, {
        quality,
        liveness,
        maxResolution: MATCH_IMAGE_MAX_RESOLUTION,
      });
      return null;
    },
    { bodyLimit: MATCH_IMAGE_MAX_BASE64 + 64 * 1024 },
  );

  faceprint('result/simple', async ({ principal, body }) => {
    const s = await finished(principal, body);
    const f = failure(s);
    if (f) throw f;
    const image = imageUrl(principal, s, 'best');
    if (!image)
      throw new BaiduSolutionError(222301, 'get face fail: the captured face was deleted after media retention');
    return { image };
  });

  faceprint('result/detail', async ({ principal, body }) => {
    const s = await finished(principal, body);
    const f = failure(s);
    if (f) throw f;
    const r = s.result!;
    return {
      verify_result: { score: r.score ?? 0, liveness_score: r.livenessScore ?? 0, spoofing: 0 },
      idcard_confirm: await identityOf(principal, s),
      is_demote: false,
    };
  });

  faceprint('result/stat', async ({ principal, body }) => {
    const s = await finished(principal, body, { attemptsSuffice: true });
    return statOf(s.attempts);
  });

  faceprint('result/media/query', async ({ principal, body }) => {
    const s = await finished(principal, body);
    const images = [imageUrl(principal, s, 'best'), imageUrl(principal, s, 'env')].filter((u) => u !== '');
    return { processVideo: [], video: [], images, extInfo: null };
  });

  /**
   * Baidu's charge type of the session's comparisons: "verify" (人脸实名认证 V4) against the identity registry,
   * "match" (人脸对比 V4) against an uploaded or previous photo, '' when the plan compares with nothing.
   */
  async function chargeTypeOf(principal: Principal, s: SessionView): Promise<'verify' | 'match' | ''> {
    if (!deps.plans) return s.attempts.some((a) => a.threshold !== null) ? 'match' : '';
    const source = (await deps.plans.get(principal.appId, s.planId)).compareSource;
    return source === 'registry' ? 'verify' : source === 'none' ? '' : 'match';
  }

  faceprint('result/getall', async ({ principal, body }) => {
    const s = await finished(principal, body, { attemptsSuffice: true });
    const idcard = await identityOf(principal, s);
    const last = s.attempts.length;
    const chargeType = await chargeTypeOf(principal, s);
    return {
      verify_count: s.attempts.length,
      ocr_charge_count: 0,
      match_charge_count: chargeType === 'match' ? s.charges.compares : 0,
      verify_charge_count: chargeType === 'verify' ? s.charges.compares : 0,
      verify_result: s.attempts.map((a) => {
        const c = attemptCode(a.code);
        const charged = a.score !== null;
        return {
          order: a.order,
          is_verify_passed: a.passed,
          code: String(c.code),
          message: c.message,
          verify_time: chinaTime(a.finishedAt),
          is_charged: charged,
          charge_type: chargeType,
          charge_time: charged ? chinaTime(a.finishedAt) : '',
          verify_detail: {
            face_image: a.order === last ? imageUrl(principal, s, 'best') : '',
            verify_log_id: '',
            score: a.score,
            threshold: a.threshold,
            liveness_score: a.livenessScore ?? 0,
            is_demote: false,
            engine_calls: a.engineCalls,
          },
          idcard_confirm: {
            ...idcard,
            idcard_type: s.certificateType === null ? '' : String(s.certificateType),
          },
        };
      }),
    };
  });

  // Anything else under the faceprint prefix (unknown call, or GET on a call): Baidu's "Unsupported openapi method".
  app.all(`${FACEPRINT_PREFIX}/*`, { schema: { hide: true } }, async () => {
    throw new BaiduGatewayError(3);
  });

  // ---- images and the H5 entry ----------------------------------------------------------------------------

  app.get(IMAGE_PATH, { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : '');
    const [token, kind, appId, sign] = [str('verify_token'), str('kind'), str('app'), str('sign')];
    const expires = Number(str('expires'));
    void reply.header('cache-control', 'private, no-store');
    const refuse = (status: number, code: SolutionCode, message: string) =>
      reply
        .code(status)
        .type('application/json; charset=utf-8')
        .send({
          success: false,
          result: null,
          code,
          message,
          log_id: logIdOf(request.id),
        });
    if (
      (kind !== 'best' && kind !== 'env') ||
      !TOKEN_PATTERN.test(token) ||
      !Number.isSafeInteger(expires) ||
      !constantTimeEqual(sign, imageSign(appId, token, kind, expires))
    )
      return refuse(403, 216100, 'invalid param: the image URL is not valid');
    if (expires * 1000 <= now().getTime())
      return refuse(403, TOKEN_INVALID, `${TOKEN_INVALID_MESSAGE}: the image URL expired`);
    try {
      const bytes = await sessions.image(appId, token, kind);
      return reply.type('image/jpeg').send(bytes);
    } catch (err) {
      if (isShirenError(err) && err.reason === 'not_found')
        return refuse(404, 222301, 'get face fail: the image is no longer kept');
      throw err;
    }
  });

  // Clients that build Baidu's page URL (https://brain.baidu.com/face/print/?token=…) only change the host.
  app.get('/face/print/', { schema: { hide: true } }, async (request, reply) => {
    const token = (request.query as Body).token;
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token))
      throw new BaiduSolutionError(TOKEN_INVALID, `${TOKEN_INVALID_MESSAGE}: token`);
    return reply.redirect(`/h5/?token=${token}`, 302);
  });
};

/** The per-interface statistics of result/stat from the attempts (docs/baidu.md, "result/stat"). */
function statOf(attempts: AttemptView[]) {
  const group = (codes: number[]) => {
    const counts = new Map<number, number>();
    for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
    return [...counts].map(([error_code, count]) => ({ error_code, count }));
  };
  const livenessCode = (a: AttemptView) => (failedBeforeCompare(a.code) ? attemptCode(a.code).code : 0);
  return {
    Verify_FIN: group(attempts.map((a) => attemptCode(a.code).code)),
    Sessioncode: group(attempts.filter((a) => a.livenessMode === 'action').map(() => 0)),
    OCR: [],
    verify: group(attempts.filter((a) => a.score !== null).map((a) => attemptCode(a.code).code)),
    VideoLiveness: group(attempts.filter((a) => a.livenessMode === 'action').map(livenessCode)),
    Livenesscolorful: group(attempts.filter((a) => a.livenessMode === 'flash').map(livenessCode)),
    VerifySec: [],
  };
}

function sendBaiduError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const log_id = logIdOf(request.id);
  const json = (body: unknown, status = 200) => reply.code(status).type('application/json; charset=utf-8').send(body);
  const gateway = (code: GatewayCode, message: string) => json({ error_code: code, error_msg: message, log_id });
  const solution = (code: SolutionCode | number, message: string) =>
    json({ success: false, result: null, code, message, log_id });

  if (err instanceof OAuthError) {
    request.log.info({ error: err.error }, 'oauth token refused');
    return json({ error: err.error, error_description: err.message }, err.status);
  }
  if (err instanceof BaiduGatewayError) {
    request.log.info({ code: err.code }, 'baidu gateway refusal');
    return gateway(err.code, err.message);
  }
  if (err instanceof BaiduSolutionError) {
    request.log.info({ code: err.code }, 'baidu solution refusal');
    return solution(err.code, err.message);
  }
  if (err instanceof ReferenceRejected) {
    request.shirenReason = err.reason;
    const code = CONTROL_CODES[err.check];
    request.log.info({ code, control: err.control, check: err.check }, 'match image refused');
    return solution(code, `${SOLUTION_MESSAGES[code]}: ${err.message}`);
  }
  const e = toShirenError(err);
  if (e.reason === 'internal') request.log.error({ err: e.cause ?? err }, 'unhandled error');
  else request.log.info({ reason: e.reason }, 'request failed');
  request.shirenReason = e.reason;
  if (request.url.startsWith('/oauth/'))
    return json(
      { error: e.reason === 'internal' ? 'server_error' : 'invalid_request', error_description: e.message },
      e.status >= 500 ? 500 : 400,
    );
  if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
  const answer = BAIDU_ERRORS[e.reason];
  if (answer.kind === 'gateway')
    return gateway(
      answer.code,
      e.reason === 'internal' || answer.code === 110
        ? GATEWAY_MESSAGES[answer.code]
        : `${GATEWAY_MESSAGES[answer.code]}: ${e.message}`,
    );
  if (answer.code === TOKEN_INVALID) return solution(TOKEN_INVALID, TOKEN_INVALID_MESSAGE);
  return solution(answer.code, `${SOLUTION_MESSAGES[answer.code]}: ${e.message}`);
}

/** The setting that lists the apps (ids or names) whose Baidu results carry names and ID numbers unmasked. */
export const UNMASKED_APPS_SETTING = 'baidu.unmasked_apps';

/** BaiduApiDeps.revealIdentity read from the runtime settings (checked on every call, so a change applies at once). */
export function revealIdentityFromSettings(settings: { get<T>(key: string): Promise<T | undefined> }) {
  return async (p: Principal): Promise<boolean> => {
    const apps = await settings.get<unknown>(UNMASKED_APPS_SETTING);
    return Array.isArray(apps) && (apps.includes(p.appId) || apps.includes(p.appName));
  };
}

/** Registers the plugin at the root (its paths are Baidu's absolute ones). */
export async function registerBaidu(app: FastifyInstance, deps: BaiduApiDeps): Promise<void> {
  await app.register(baiduApi, deps);
}
