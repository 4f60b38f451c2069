/**
 * Verification sessions: an operator creates one on a plan and hands its URL to a person; the H5 page asks for a
 * challenge, captures frames, and submits them as an attempt. The server re-analyses every frame, verifies the
 * challenge, checks passive liveness on the best frame, compares it with the reference, decides, and records the
 * attempt, the audit frames, the session's new state and the callback together (docs/sessions.md).
 *
 * States: created → in_progress → passed | failed | expired. A final session takes no more attempts. `expired` is
 * computed on every read and written by the retention job.
 */
import { randomBytes } from 'node:crypto';
import type { FrameFeatures } from '../engine/types.js';
import type { CompareResult, DetectResult, ImageInput, LivenessResult } from '../engine/index.js';
import { ShirenError, isShirenError } from '../errors.js';
import { newId, randomString } from '../ids.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Repos, Transactor } from '../store/repos/index.js';
import type { Keyring } from '../store/secret-box.js';
import type { BlacklistKind, LivenessMode, PlanRow, SessionStatus, VerifySessionRow } from '../store/schema.js';
import { queueCallback, type SessionResult } from './callbacks.js';
import { maskIdNumber, maskName, normaliseIdentity } from './identity.js';
import { provinceCode, userAgentColumns } from './dimensions.js';
import { newPlanColumns } from './plans.js';
import { checkCertificateNumber, type CertificateType } from './certificates.js';
import { applyReferenceControls, type ReferenceControls } from './reference-controls.js';
import { createAttemptReceipts } from './attempt-receipt.js';
import type { LimitCheck } from './strategies.js';

// ---- ports ---------------------------------------------------------------------------------------------------

/** Measures FrameFeatures on each frame (the face engine's frame analysis; wired by the server). */
export interface FrameAnalyser {
  analyse(frames: Uint8Array[], signal?: AbortSignal): Promise<FrameFeatures[]>;
}

/** What the H5 page is asked to do (src/verify/liveness creates it). */
export interface ChallengeSpec {
  /** The nonce, when the generator makes one (else the session service does). */
  id?: string;
  mode: LivenessMode;
  actions: string[];
  colours: string[];
  stepMs: number;
  colourMs: number;
  maxDurationMs: number;
  issuedAt?: string;
  /** Uploads received later are refused (challenge_invalid); default issue + maxDurationMs + 2 min. */
  expiresAt?: string;
  [extra: string]: unknown;
}

export interface ChallengeFrame {
  t: number;
  step: string;
  features: FrameFeatures;
}

export interface ChallengeVerdict {
  passed: boolean;
  code?: string;
  message: string;
  /** Index into the frames of the best frame for comparison; −1 when there is none. */
  bestFrameIndex: number;
  details?: unknown;
}

/** Challenge generation and the server-side verifier of a captured sequence (src/verify/liveness). */
export interface LivenessChallenges {
  create(plan: { mode: LivenessMode; actionCount: number; actionPool: string[] }, now: Date): ChallengeSpec;
  verify(spec: ChallengeSpec, frames: ChallengeFrame[], opts: { receivedAt: Date }): ChallengeVerdict;
}

/** The face engine calls a session needs (FaceService satisfies it). */
export interface SessionFaces {
  detect(input: ImageInput, opts?: { requireSingleFace?: boolean; signal?: AbortSignal }): Promise<DetectResult>;
  compare(req: {
    imageA: ImageInput;
    imageB: ImageInput;
    threshold?: number;
    signal?: AbortSignal;
  }): Promise<CompareResult & { passed: boolean; threshold: number }>;
  liveness(input: ImageInput, opts?: { requireSingleFace?: boolean; signal?: AbortSignal }): Promise<LivenessResult>;
}

// ---- constants -----------------------------------------------------------------------------------------------

export const TOKEN_TTL_MS = 2 * 3600_000;
export const TOKEN_PATTERN = /^[A-Za-z0-9]{24}$/;
export const MIN_FRAMES = 4;
export const MAX_FRAMES = 40;
/** Time allowed after the challenge's own duration for uploading the frames. */
const CHALLENGE_UPLOAD_GRACE_MS = 120_000;
/** Keyring purpose of identities: encryption of the name and number, and the ID-number digest (blacklist, whitelist). */
export const IDENTITY_PURPOSE = 'identity';
/** Keyring purpose of client-address digests (sessions, attempts, blacklist entries). */
export const CLIENT_IP_PURPOSE = 'client-ip';
const HOUR = 3600_000;
export const DEMO_PLAN_NAME = 'H5 demo';
/** The H5 page's device id (x-shiren-device): a random UUID v4 kept in the browser's localStorage. */
export const DEVICE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const DEVICE_HEADER = 'x-shiren-device';
/** Keyring purpose of device digests (sessions, attempts, blacklist entries). */
export const DEVICE_PURPOSE = 'device';

/** The device id as the server keeps it (lower case); undefined when absent; invalid_request for anything else. */
export function normaliseDeviceId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!DEVICE_ID_PATTERN.test(v))
    throw new ShirenError('invalid_request', `${DEVICE_HEADER}: must be the page's device id (a UUID v4)`, {
      details: { field: DEVICE_HEADER },
    });
  return v;
}

/** Codes of a failed attempt (docs/sessions.md); the verifier of src/verify/liveness adds its own liveness_* codes. */
export const ATTEMPT_MESSAGES: Record<string, string> = {
  ok: 'Verification passed.',
  liveness_passive_failed: 'The face did not look live enough (photo, screen or mask suspected).',
  compare_failed: 'The face does not match the reference photo.',
  whitelisted:
    'Verification passed: the face did not match the reference photo, but this ID number is whitelisted for the plan.',
  face_not_found: 'No face was found in the captured frames.',
  multiple_faces: 'More than one face was in view.',
  quality_too_low: 'The face was too small or unclear.',
  liveness_failed: 'The liveness check did not pass.',
};

// ---- views ---------------------------------------------------------------------------------------------------

export interface AttemptView {
  order: number;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  code: string;
  message: string;
  score: number | null;
  threshold: number | null;
  livenessScore: number | null;
  engineCalls: number;
  /** The liveness mode of the attempt's challenge. */
  livenessMode: LivenessMode | null;
}

export interface SessionView {
  sessionId: string;
  token: string;
  planId: number;
  status: SessionStatus;
  outerOrderNo: string | null;
  createdAt: string;
  expiresAt: string;
  finishedAt: string | null;
  identity: { name: string; idNumber: string } | null;
  /** Document type of the identity (src/verify/certificates.ts), when the operator gave one. */
  certificateType: CertificateType | null;
  referenceImage: boolean;
  result: (SessionResult & { livenessThreshold: number | null }) | null;
  attempts: AttemptView[];
  attemptsLeft: number;
  charges: { engineCalls: number; compares: number };
  images: { best: boolean; env: boolean; availableUntil: string | null };
  resultAvailableUntil: string;
}

/** One line of a session search (GET /v1/sessions). */
export interface SessionSummary {
  token: string;
  planId: number;
  status: SessionStatus;
  outerOrderNo: string | null;
  createdAt: string;
  finishedAt: string | null;
  identity: { name: string; idNumber: string } | null;
  resultCode: string | null;
}

export interface H5View {
  status: SessionStatus;
  livenessMode: LivenessMode;
  actionCount: number;
  identityInput: PlanRow['identity_input'];
  needsIdentity: boolean;
  identity: { name: string; idNumber: string } | null;
  compareSource: PlanRow['compare_source'];
  attemptsLeft: number;
  expiresAt: string;
  redirectUrl: string | null;
  locale: string;
  /** How long the captured photos and the result are kept (shown on the consent screen). */
  mediaRetentionHours: number;
  resultRetentionHours: number;
}

export interface AttemptOutcome {
  outcome: 'passed' | 'failed' | 'retry';
  code: string;
  message: string;
  attemptsLeft: number;
  redirectUrl: string | null;
  /** Signed receipt of this decided attempt (src/verify/attempt-receipt.ts; Volcengine CertVerify's sdk_data). */
  receipt: string;
}

export interface SubmittedFrame {
  t: number;
  step: string;
  /** base64 JPEG (or a data URL). */
  image: string;
}

// ---- helpers -------------------------------------------------------------------------------------------------

const FINAL: readonly SessionStatus[] = ['passed', 'failed', 'expired'];

export function effectiveStatus(row: Pick<VerifySessionRow, 'status' | 'expires_at'>, now: Date): SessionStatus {
  if ((row.status === 'created' || row.status === 'in_progress') && now.getTime() >= new Date(row.expires_at).getTime())
    return 'expired';
  return row.status;
}

/** base64 or a data URL → bytes; invalid_request when it is neither. */
export function decodeBase64Image(field: string, value: unknown, maxBytes: number): Buffer {
  if (typeof value !== 'string' || value.length === 0)
    throw new ShirenError('invalid_request', `${field}: must be a base64 image`, { details: { field } });
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1;
  const b64 = (comma >= 0 ? value.slice(comma + 1) : value).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.length === 0)
    throw new ShirenError('invalid_request', `${field}: not valid base64`, { details: { field } });
  if ((b64.length * 3) / 4 > maxBytes + 3)
    throw new ShirenError('image_too_large', `${field}: the image exceeds ${maxBytes} bytes`, { details: { field } });
  return Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
}

function isJpeg(b: Uint8Array): boolean {
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

function withQuery(url: string | null, params: Record<string, string>): string | null {
  if (!url) return null;
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

function asResult(json: unknown): (SessionResult & { livenessThreshold?: number | null }) | null {
  return json && typeof json === 'object' ? (json as SessionResult & { livenessThreshold?: number | null }) : null;
}

/** Picks the best frame when no challenge verifier runs (liveness mode none): one face, largest and surest. */
export function pickBestFrame(features: FrameFeatures[]): ChallengeVerdict {
  let best = -1;
  let bestValue = -1;
  let multiple = false;
  features.forEach((f, i) => {
    if (f.faceCount > 1) multiple = true;
    if (f.faceCount !== 1 || !f.face) return;
    const v = f.face.box.width * f.face.box.height * f.face.score;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  });
  if (best >= 0) return { passed: true, message: 'a frame with one face was found', bestFrameIndex: best };
  const code = multiple ? 'multiple_faces' : 'face_not_found';
  return { passed: false, code, message: ATTEMPT_MESSAGES[code]!, bestFrameIndex: -1 };
}

// ---- the service ---------------------------------------------------------------------------------------------

export interface SessionServiceDeps {
  repos: Pick<Repos, 'plans' | 'sessions' | 'attempts' | 'challenges' | 'callbacks' | 'audit'>;
  transaction: Transactor;
  blobs: BlobStore;
  keyring: Keyring;
  faces: SessionFaces;
  /** Frame analysis in the face engine; absent until the server wires it (attempts then answer engine_unavailable). */
  analyser?: FrameAnalyser | undefined;
  /** Challenge generation and verification (src/verify/liveness); absent = only liveness mode none works. */
  challenges?: LivenessChallenges | undefined;
  publicUrl: string;
  limits: { ipFailureLimit: number; ipFailureWindowSeconds: number; maxImageBytes: number; h5DemoPerHour?: number };
  /** Finds or creates an app by name (the demo plan lives in the `default` app). */
  ensureApp?: (name: string) => Promise<{ id: string }>;
  /** The identity registry's photo of a person (compareSource registry; src/verify/identity/registry.ts photoKey). */
  registryPhotoKey?: (appId: string, identity: { name: string; idNumber: string }) => Promise<string | undefined>;
  /** Control strategies (src/verify/blacklist.ts): listed ID-number / client-IP / device digests are refused. */
  blacklist?: { isListed(appId: string, kind: BlacklistKind, digest: string, at: Date): Promise<boolean> };
  /**
   * Whitelist settings (src/verify/whitelist.ts): a failed face comparison of a whitelisted ID-number digest on the
   * plan does not fail the attempt (code `whitelisted`, result.whitelisted); liveness still has to pass. Absent = none.
   */
  whitelist?: { isWhitelisted(appId: string, planId: number, digest: string, at: Date): Promise<boolean> };
  /** Attempt limits (src/verify/strategies.ts): throws when a rule is reached; absent = none. */
  strategies?: { enforce(check: LimitCheck): Promise<void> };
  now?: () => Date;
}

export interface CreateSessionInput {
  planId: number;
  outerOrderNo?: string;
  identity?: { name: string; idNumber: string };
  referenceImage?: string;
  previousToken?: string;
}

export function createSessionService(deps: SessionServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const { repos } = deps;
  const identityBox = deps.keyring.box(IDENTITY_PURPOSE);
  const ipDigest = (ip: string) => deps.keyring.digest(CLIENT_IP_PURPOSE, ip);
  const deviceDigest = (raw: unknown) => {
    const id = normaliseDeviceId(raw);
    return id === undefined ? null : deps.keyring.digest(DEVICE_PURPOSE, id);
  };
  const enforceLimit = (c: LimitCheck) => deps.strategies?.enforce(c);
  const receipts = createAttemptReceipts(deps.keyring);

  async function planOf(session: VerifySessionRow): Promise<PlanRow> {
    const plan = await repos.plans.findById(session.plan_id);
    if (!plan) throw new ShirenError('not_found', 'the session has no plan');
    return plan;
  }

  /** The session behind a token; with appId, only that app's sessions are found. */
  async function byToken(token: string, appId?: string): Promise<VerifySessionRow> {
    const row = TOKEN_PATTERN.test(token) ? await repos.sessions.findByToken(token) : undefined;
    if (!row || (appId !== undefined && row.app_id !== appId))
      throw new ShirenError('not_found', 'no verification session with this token');
    return row;
  }

  function assertOpen(row: VerifySessionRow, at: Date) {
    const status = effectiveStatus(row, at);
    if (status === 'expired')
      throw new ShirenError('session_expired', 'This verification link has expired; ask for a new one.', {
        details: { expiresAt: new Date(row.expires_at).toISOString() },
      });
    if (FINAL.includes(status))
      throw new ShirenError('session_finished', `This verification session is already finished (${status}).`, {
        details: { status },
      });
  }

  function decodeIdentity(row: VerifySessionRow): { name: string; idNumber: string } | null {
    if (!row.identity_name_enc || !row.identity_number_enc) return null;
    return {
      name: identityBox.decryptString(row.identity_name_enc),
      idNumber: identityBox.decryptString(row.identity_number_enc),
    };
  }

  function maskedIdentity(row: VerifySessionRow) {
    const id = decodeIdentity(row);
    return id ? { name: maskName(id.name), idNumber: maskIdNumber(id.idNumber) } : null;
  }

  function identityColumns(input: { name?: unknown; idNumber?: unknown }) {
    const id = normaliseIdentity(input);
    return {
      identity_name_enc: identityBox.encrypt(id.name),
      identity_number_enc: identityBox.encrypt(id.idNumber),
      identity_number_digest: deps.keyring.digest(IDENTITY_PURPOSE, id.idNumber),
      id_province: provinceCode(id.idNumber),
    };
  }

  /** Validates a reference photo through the face engine (exactly one face) and returns its bytes. */
  async function validatedReference(image: unknown, controls?: ReferenceControls): Promise<Buffer> {
    const bytes = decodeBase64Image('referenceImage', image, deps.limits.maxImageBytes);
    const found = await deps.faces.detect(bytes, { requireSingleFace: true });
    if (found.faceCount === 0) throw new ShirenError('face_not_found', 'No face was found in the reference image.');
    if (controls) await applyReferenceControls(deps.faces, bytes, found, controls);
    return bytes;
  }

  const blobSuffix = () => randomBytes(6).toString('hex');

  function requireChallenges(): LivenessChallenges {
    if (!deps.challenges)
      throw new ShirenError('not_supported', 'liveness challenges are not available in this server (not wired)');
    return deps.challenges;
  }

  /** The reference to compare with, or undefined when the plan compares with nothing. */
  async function referenceKey(session: VerifySessionRow, plan: PlanRow): Promise<string | undefined> {
    switch (plan.compare_source) {
      case 'none':
        return undefined;
      case 'registry': {
        if (!deps.registryPhotoKey)
          throw new ShirenError('not_supported', 'the identity registry is not wired in this server');
        const identity = decodeIdentity(session);
        if (!identity)
          throw new ShirenError('identity_missing', 'The name and ID number are needed to find the photo.');
        const key = await deps.registryPhotoKey(session.app_id, identity);
        if (!key)
          throw new ShirenError(
            'reference_missing',
            'The identity registry has no photo for this name and ID number.',
            { details: { source: 'registry' } },
          );
        return key;
      }
      case 'uploaded':
        if (!session.reference_blob_key)
          throw new ShirenError('reference_missing', 'Upload the reference image (PUT /v1/sessions/:token/reference).');
        return session.reference_blob_key;
      case 'previous': {
        const prev = session.previous_session_id
          ? await repos.sessions.findById(session.previous_session_id)
          : undefined;
        if (!prev?.best_frame_key)
          throw new ShirenError(
            'reference_missing',
            "The previous session's face image is no longer available (deleted or past its media retention).",
          );
        return prev.best_frame_key;
      }
    }
  }

  async function checkIpLimit(digest: string, at: Date) {
    const windowMs = deps.limits.ipFailureWindowSeconds * 1000;
    const { count, oldest } = await repos.attempts.failuresByIpSince(digest, new Date(at.getTime() - windowMs));
    if (count >= deps.limits.ipFailureLimit) {
      const retryAfter = Math.max(1, Math.ceil(((oldest?.getTime() ?? at.getTime()) + windowMs - at.getTime()) / 1000));
      throw new ShirenError(
        'too_many_failures',
        `Too many failed attempts from this network (${count} in ${Math.round(windowMs / 60_000) || 1} min); ` +
          `try again in ${retryAfter < 60 ? `${retryAfter} s` : `${Math.ceil(retryAfter / 60)} min`}.`,
        { retryAfter, details: { retryAfterSeconds: retryAfter } },
      );
    }
  }

  /** Refuses a listed ID-number, client-IP or device digest (forbidden, details.blacklisted). */
  async function checkBlacklist(appId: string, kind: BlacklistKind, digest: string, at: Date) {
    if (!deps.blacklist || !(await deps.blacklist.isListed(appId, kind, digest, at))) return;
    throw new ShirenError(
      'forbidden',
      kind === 'ip'
        ? 'Verification from this network is not allowed.'
        : kind === 'device'
          ? 'Verification from this device is not allowed.'
          : 'Verification of this ID number is not allowed.',
      { details: { blacklisted: kind } },
    );
  }

  /**
   * The blacklist and the id_number attempt limit of an ID-number digest a session is about to get (create with
   * identity, setIdentity, the H5 identity step); the session being given it is not counted.
   */
  async function checkIdentity(appId: string, planId: number, digest: string, excludeSessionId?: string) {
    const at = now();
    await checkBlacklist(appId, 'id_number', digest, at);
    await enforceLimit({
      dimension: 'id_number',
      digest,
      appId,
      planId,
      at,
      ...(excludeSessionId !== undefined ? { excludeSessionId } : {}),
    });
  }

  /** The blacklist and the attempt limits of the H5 challenge and attempt: address, then device. */
  async function checkClient(row: VerifySessionRow, ip: string, device: string | null, at: Date) {
    await checkBlacklist(row.app_id, 'ip', ip, at);
    if (device) await checkBlacklist(row.app_id, 'device', device, at);
    await checkIpLimit(ip, at);
    const scope = { appId: row.app_id, planId: row.plan_id, at };
    await enforceLimit({ dimension: 'ip', digest: ip, ...scope });
    if (device) await enforceLimit({ dimension: 'device', digest: device, ...scope });
  }

  function needsIdentity(row: VerifySessionRow, plan: PlanRow) {
    return plan.identity_input !== 'none' && !row.identity_number_enc;
  }

  async function create(
    appId: string,
    input: CreateSessionInput,
    actor: string,
    extra: { clientIpDigest?: string; preview?: boolean } = {},
  ): Promise<{ sessionId: string; token: string; url: string; expiresAt: string }> {
    const plan = Number.isSafeInteger(input.planId) ? await repos.plans.findById(input.planId) : undefined;
    if (!plan || plan.app_id !== appId) throw new ShirenError('not_found', `no plan ${input.planId}`);
    if (plan.disabled_at) throw new ShirenError('conflict', `plan ${plan.id} is disabled`);
    if (plan.compare_source === 'registry' && !deps.registryPhotoKey)
      throw new ShirenError('not_supported', 'the identity registry is not wired in this server');
    if (input.outerOrderNo !== undefined && (typeof input.outerOrderNo !== 'string' || input.outerOrderNo.length > 128))
      throw new ShirenError('invalid_request', 'outerOrderNo: at most 128 characters', {
        details: { field: 'outerOrderNo' },
      });
    if (input.identity && plan.identity_input !== 'preset')
      throw new ShirenError(
        'invalid_request',
        `identity: plan ${plan.id} has identityInput ${plan.identity_input}; only a preset plan takes it from the operator`,
        { details: { field: 'identity' } },
      );
    if (input.referenceImage !== undefined && plan.compare_source !== 'uploaded')
      throw new ShirenError('invalid_request', `referenceImage: plan ${plan.id} compares with ${plan.compare_source}`, {
        details: { field: 'referenceImage' },
      });
    let previousSessionId: string | null = null;
    if (plan.compare_source === 'previous') {
      if (!input.previousToken)
        throw new ShirenError('invalid_request', 'previousToken: this plan compares with a previous passed session', {
          details: { field: 'previousToken' },
        });
      const prev = await byToken(input.previousToken, appId).catch(() => undefined);
      if (!prev || prev.status !== 'passed' || !prev.best_frame_key)
        throw new ShirenError(
          'invalid_request',
          'previousToken: must name a passed session of this app whose face image is still kept',
          { details: { field: 'previousToken' } },
        );
      previousSessionId = prev.id;
    } else if (input.previousToken !== undefined) {
      throw new ShirenError('invalid_request', `previousToken: plan ${plan.id} compares with ${plan.compare_source}`, {
        details: { field: 'previousToken' },
      });
    }
    const identity = input.identity ? identityColumns(input.identity) : undefined;
    if (identity) await checkIdentity(appId, plan.id, identity.identity_number_digest);
    const reference = input.referenceImage !== undefined ? await validatedReference(input.referenceImage) : undefined;

    const t = now();
    const id = newId('vs');
    const token = randomString(24);
    const expiresAt = new Date(t.getTime() + TOKEN_TTL_MS);
    const referenceKey = reference ? `sessions/${id}/reference-${blobSuffix()}.img` : null;
    if (reference && referenceKey) await deps.blobs.put(referenceKey, reference);
    try {
      await repos.sessions.insert({
        id,
        token,
        app_id: appId,
        plan_id: plan.id,
        status: 'created',
        outer_order_no: input.outerOrderNo ?? null,
        identity_name_enc: identity?.identity_name_enc ?? null,
        identity_number_enc: identity?.identity_number_enc ?? null,
        identity_number_digest: identity?.identity_number_digest ?? null,
        id_province: identity?.id_province ?? null,
        reference_blob_key: referenceKey,
        previous_session_id: previousSessionId,
        created_at: t,
        expires_at: expiresAt,
        finished_at: null,
        result: null,
        best_frame_key: null,
        env_frame_key: null,
        purge_at: new Date(expiresAt.getTime() + plan.result_retention_hours * HOUR),
        media_purge_at: new Date(expiresAt.getTime() + plan.media_retention_hours * HOUR),
        client_ip_digest: extra.clientIpDigest ?? null,
        user_agent: null,
        preview: extra.preview ?? false,
      });
    } catch (err) {
      if (referenceKey) await deps.blobs.delete(referenceKey).catch(() => undefined);
      throw err;
    }
    await repos.audit.record({
      actor,
      action: 'session.create',
      target: id,
      details: { planId: plan.id, ...(extra.preview ? { preview: true } : {}) },
    });
    return {
      sessionId: id,
      token,
      url: `${deps.publicUrl}/h5/?token=${token}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  async function attemptsLeft(row: VerifySessionRow, plan: PlanRow, at: Date): Promise<number> {
    if (FINAL.includes(effectiveStatus(row, at))) return 0;
    return Math.max(0, plan.max_attempts - (await repos.attempts.countBySession(row.id)));
  }

  function redirectFor(row: VerifySessionRow, plan: PlanRow, status: SessionStatus): string | null {
    const params = { token: row.token, status };
    if (status === 'passed') return withQuery(plan.success_url, params);
    if (status === 'failed' || status === 'expired') return withQuery(plan.failure_url, params);
    return null;
  }

  /** Writes frames, runs fn in a transaction; deletes the frames again when it fails. */
  async function withBlobs<T>(blobs: { key: string; data: Uint8Array }[], fn: () => Promise<T>): Promise<T> {
    const written: string[] = [];
    try {
      for (const b of blobs) {
        await deps.blobs.put(b.key, b.data);
        written.push(b.key);
      }
      return await fn();
    } catch (err) {
      for (const k of written) await deps.blobs.delete(k).catch(() => undefined);
      throw err;
    }
  }

  return {
    create,
    ipDigest,

    /** The operator sets the identity (preset plans); with a certificate type, the number must fit its format. */
    async setIdentity(
      appId: string,
      token: string,
      identity: { name?: unknown; idNumber?: unknown },
      actor: string,
      certificateType?: CertificateType,
    ) {
      const row = await byToken(token, appId);
      assertOpen(row, now());
      const plan = await planOf(row);
      if (plan.identity_input !== 'preset')
        throw new ShirenError(
          'conflict',
          `plan ${plan.id} has identityInput ${plan.identity_input}; only a preset plan takes it from the operator`,
        );
      const cols = identityColumns(identity);
      if (certificateType !== undefined) checkCertificateNumber(certificateType, normaliseIdentity(identity).idNumber);
      await checkIdentity(row.app_id, row.plan_id, cols.identity_number_digest, row.id);
      await repos.sessions.update(row.id, { ...cols, identity_type: certificateType ?? null });
      await repos.audit.record({ actor, action: 'session.identity', target: row.id });
    },

    /** Replaces the reference photo (uploaded plans); `controls` adds quality/liveness checks of the photo. */
    async setReference(appId: string, token: string, image: unknown, actor: string, controls?: ReferenceControls) {
      const row = await byToken(token, appId);
      assertOpen(row, now());
      const plan = await planOf(row);
      if (plan.compare_source !== 'uploaded')
        throw new ShirenError(
          'conflict',
          `plan ${plan.id} compares with ${plan.compare_source}, not an uploaded image`,
        );
      const bytes = await validatedReference(image, controls);
      const key = `sessions/${row.id}/reference-${blobSuffix()}.img`;
      await withBlobs([{ key, data: bytes }], () => repos.sessions.update(row.id, { reference_blob_key: key }));
      if (row.reference_blob_key) await deps.blobs.delete(row.reference_blob_key).catch(() => undefined);
      await repos.audit.record({ actor, action: 'session.reference', target: row.id });
    },

    async get(appId: string, token: string): Promise<SessionView> {
      const t = now();
      const row = await byToken(token, appId);
      const plan = await planOf(row);
      const attempts = await repos.attempts.listBySession(row.id);
      const status = effectiveStatus(row, t);
      const result = asResult(row.result);
      const mediaUntil = new Date(row.media_purge_at);
      return {
        sessionId: row.id,
        token: row.token,
        planId: row.plan_id,
        status,
        outerOrderNo: row.outer_order_no,
        createdAt: row.created_at.toISOString(),
        expiresAt: new Date(row.expires_at).toISOString(),
        finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
        identity: maskedIdentity(row),
        certificateType: (row.identity_type ?? null) as CertificateType | null,
        referenceImage: row.reference_blob_key !== null,
        result: result
          ? { ...result, livenessThreshold: result.livenessThreshold ?? null }
          : status === 'expired'
            ? {
                passed: false,
                code: 'session_expired',
                message: 'The session expired before a result.',
                score: null,
                threshold: null,
                livenessScore: null,
                livenessThreshold: null,
              }
            : null,
        attempts: attempts.map((a) => ({
          order: a.order,
          startedAt: new Date(a.started_at).toISOString(),
          finishedAt: new Date(a.finished_at).toISOString(),
          passed: a.passed,
          code: a.code,
          message: a.message,
          score: a.score,
          threshold: a.threshold,
          livenessScore: a.liveness_score,
          engineCalls: a.engine_calls,
          livenessMode: ((a.challenge as { mode?: LivenessMode } | null)?.mode ?? null) as LivenessMode | null,
        })),
        attemptsLeft: FINAL.includes(status) ? 0 : Math.max(0, plan.max_attempts - attempts.length),
        charges: {
          engineCalls: attempts.reduce((s, a) => s + a.engine_calls, 0),
          compares: attempts.filter((a) => a.score !== null).length,
        },
        images: {
          best: row.best_frame_key !== null,
          env: row.env_frame_key !== null,
          availableUntil: row.best_frame_key || row.env_frame_key ? mediaUntil.toISOString() : null,
        },
        resultAvailableUntil: new Date(row.purge_at).toISOString(),
      };
    },

    /** The identity in clear text, for apps configured to receive it unmasked (never logged). */
    async revealIdentity(appId: string, token: string): Promise<{ name: string; idNumber: string } | null> {
      return decodeIdentity(await byToken(token, appId));
    },

    async image(appId: string, token: string, kind: 'best' | 'env'): Promise<Buffer> {
      const row = await byToken(token, appId);
      const key = kind === 'best' ? row.best_frame_key : row.env_frame_key;
      const bytes = key ? await deps.blobs.get(key) : undefined;
      if (!bytes)
        throw new ShirenError(
          'not_found',
          `no ${kind} image: none was captured, or it was deleted after media retention`,
        );
      return bytes;
    },

    /** The app's sessions, newest first, found by OuterOrderNo, plan and status; identities masked. */
    async list(
      appId: string,
      filter: { outerOrderNo?: string; planId?: number; status?: SessionStatus; before?: string; limit?: number } = {},
    ): Promise<SessionSummary[]> {
      const t = now();
      let before: Date | undefined;
      if (filter.before !== undefined) {
        before = new Date(filter.before);
        if (Number.isNaN(before.getTime()))
          throw new ShirenError('invalid_request', 'before: must be an ISO 8601 time', {
            details: { field: 'before' },
          });
      }
      const rows = await repos.sessions.listByApp(appId, {
        ...(filter.outerOrderNo !== undefined ? { outerOrderNo: filter.outerOrderNo } : {}),
        ...(filter.planId !== undefined ? { planId: filter.planId } : {}),
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(before ? { before } : {}),
        limit: Math.min(Math.max(filter.limit ?? 50, 1), 500),
        now: t,
      });
      return rows.map((row) => ({
        token: row.token,
        planId: row.plan_id,
        status: effectiveStatus(row, t),
        outerOrderNo: row.outer_order_no,
        createdAt: row.created_at.toISOString(),
        finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
        identity: maskedIdentity(row),
        resultCode: asResult(row.result)?.code ?? null,
      }));
    },

    /**
     * The best frame of a passed session, as a picture for another face call (Cloudauth's CertifyId input):
     * image_unavailable when the session did not pass or its media were purged.
     */
    async passedImage(appId: string, token: string): Promise<Buffer> {
      const row = await byToken(token, appId).catch((err: unknown) => {
        if (isShirenError(err) && err.reason === 'not_found')
          throw new ShirenError('image_unavailable', 'There is no verification with this id for the app.');
        throw err;
      });
      if (row.status !== 'passed')
        throw new ShirenError('image_unavailable', `The verification did not pass (${effectiveStatus(row, now())}).`);
      const bytes = row.best_frame_key ? await deps.blobs.get(row.best_frame_key) : undefined;
      if (!bytes)
        throw new ShirenError('image_unavailable', 'The verification has no picture any more (media retention).');
      return bytes;
    },

    /** Deletes the session for real: rows (attempts, challenges, callbacks) and every blob under sessions/<id>/. */
    async delete(appId: string, token: string, actor: string): Promise<void> {
      const row = await byToken(token, appId);
      await deps.transaction(async (tx) => {
        const locked = await tx.sessions.lockById(row.id);
        if (!locked) throw new ShirenError('not_found', 'no verification session with this token');
        await deps.blobs.deletePrefix(`sessions/${row.id}/`);
        await tx.sessions.delete(row.id);
        await tx.audit.record({ actor, action: 'session.delete', target: row.id, details: { planId: row.plan_id } });
      });
    },

    // ---- H5 (authorised by the token alone) ----

    async h5State(token: string, acceptLanguage?: string): Promise<H5View> {
      const t = now();
      const row = await byToken(token);
      const plan = await planOf(row);
      const status = effectiveStatus(row, t);
      return {
        status,
        livenessMode: plan.liveness_mode,
        actionCount: plan.action_count,
        identityInput: plan.identity_input,
        needsIdentity: needsIdentity(row, plan),
        identity: maskedIdentity(row),
        compareSource: plan.compare_source,
        attemptsLeft: await attemptsLeft(row, plan, t),
        expiresAt: new Date(row.expires_at).toISOString(),
        redirectUrl: redirectFor(row, plan, status),
        locale: /^\s*zh/i.test(acceptLanguage ?? 'zh') ? 'zh-CN' : 'en',
        mediaRetentionHours: plan.media_retention_hours,
        resultRetentionHours: plan.result_retention_hours,
      };
    },

    async h5Identity(
      token: string,
      identity: { name?: unknown; idNumber?: unknown },
    ): Promise<{ identity: { name: string; idNumber: string } }> {
      const row = await byToken(token);
      assertOpen(row, now());
      const plan = await planOf(row);
      if (plan.identity_input !== 'user')
        throw new ShirenError('conflict', 'this session does not ask the person for their identity');
      if ((await repos.attempts.countBySession(row.id)) > 0)
        throw new ShirenError('conflict', 'the identity cannot change after an attempt');
      const cols = identityColumns(identity);
      await checkIdentity(row.app_id, row.plan_id, cols.identity_number_digest, row.id);
      await repos.sessions.update(row.id, cols);
      const id = normaliseIdentity(identity);
      return { identity: { name: maskName(id.name), idNumber: maskIdNumber(id.idNumber) } };
    },

    async issueChallenge(
      token: string,
      client: { ip: string; userAgent?: string; device?: string },
    ): Promise<ChallengeSpec & { challengeId: string; expiresAt: string }> {
      const t = now();
      const row = await byToken(token);
      assertOpen(row, t);
      const plan = await planOf(row);
      if ((await attemptsLeft(row, plan, t)) <= 0)
        throw new ShirenError('session_finished', 'No attempts are left on this session.');
      if (needsIdentity(row, plan))
        throw new ShirenError(
          'identity_missing',
          plan.identity_input === 'user'
            ? 'Enter the name and ID number first.'
            : 'The operator has not set the identity of this session yet.',
        );
      await referenceKey(row, plan);
      const digest = ipDigest(client.ip);
      const device = deviceDigest(client.device);
      await checkClient(row, digest, device, t);

      const challenges = plan.liveness_mode === 'none' ? deps.challenges : requireChallenges();
      const spec: ChallengeSpec =
        challenges === undefined
          ? { mode: 'none', actions: [], colours: [], stepMs: 0, colourMs: 0, maxDurationMs: 15_000 }
          : challenges.create(
              {
                mode: plan.liveness_mode,
                actionCount: plan.action_count,
                actionPool: plan.action_pool as string[],
              },
              t,
            );
      const challengeId = spec.id ?? randomBytes(32).toString('base64url');
      const expiresAt = spec.expiresAt
        ? new Date(spec.expiresAt)
        : new Date(t.getTime() + spec.maxDurationMs + CHALLENGE_UPLOAD_GRACE_MS);
      await deps.transaction(async (tx) => {
        await tx.challenges.insert({ id: challengeId, sessionId: row.id, spec, issuedAt: t, expiresAt });
        await tx.sessions.update(row.id, {
          ...(row.status === 'created' ? { status: 'in_progress' as const } : {}),
          client_ip_digest: digest,
          ...userAgentColumns(client.userAgent, row),
          ...(device ? { device_digest: device } : {}),
        });
      });
      return { ...spec, challengeId, expiresAt: expiresAt.toISOString() };
    },

    async submitAttempt(
      token: string,
      body: { challengeId?: unknown; frames?: unknown },
      client: { ip: string; userAgent?: string; device?: string },
      signal?: AbortSignal,
    ): Promise<AttemptOutcome> {
      const received = now();
      const row = await byToken(token);
      assertOpen(row, received);
      const plan = await planOf(row);
      const challengeId = typeof body.challengeId === 'string' ? body.challengeId : '';
      const challenge = challengeId ? await repos.challenges.findById(challengeId) : undefined;
      if (
        !challenge ||
        challenge.session_id !== row.id ||
        challenge.used_at !== null ||
        new Date(challenge.expires_at).getTime() <= received.getTime()
      )
        throw new ShirenError('challenge_invalid', 'This challenge is not valid any more; start again.');
      const digest = ipDigest(client.ip);
      const device = deviceDigest(client.device);
      await checkClient(row, digest, device, received);
      const refKey = await referenceKey(row, plan);

      // frames
      if (!Array.isArray(body.frames) || body.frames.length < MIN_FRAMES || body.frames.length > MAX_FRAMES)
        throw new ShirenError('invalid_request', `frames: send ${MIN_FRAMES}–${MAX_FRAMES} frames`, {
          details: { field: 'frames' },
        });
      const frames = (body.frames as SubmittedFrame[]).map((f, i) => {
        if (
          !f ||
          typeof f !== 'object' ||
          typeof f.t !== 'number' ||
          !Number.isFinite(f.t) ||
          typeof f.step !== 'string'
        )
          throw new ShirenError('invalid_request', `frames[${i}]: needs t (ms), step and image`, {
            details: { field: `frames[${i}]` },
          });
        const bytes = decodeBase64Image(`frames[${i}].image`, f.image, deps.limits.maxImageBytes);
        if (!isJpeg(bytes))
          throw new ShirenError('invalid_image', `frames[${i}].image: must be a JPEG`, {
            details: { field: `frames[${i}]` },
          });
        return { t: f.t, step: f.step.slice(0, 64), bytes };
      });

      const spec = challenge.spec as ChallengeSpec;
      let engineCalls = 0;
      if (!deps.analyser)
        throw new ShirenError('engine_unavailable', 'frame analysis is not available in this server (not wired)');
      const features = await deps.analyser.analyse(
        frames.map((f) => f.bytes),
        signal,
      );
      engineCalls += frames.length;
      if (features.length !== frames.length)
        throw new Error('the frame analyser returned a different number of frames');
      const verdict =
        spec.mode === 'none' && !deps.challenges
          ? pickBestFrame(features)
          : requireChallenges().verify(
              spec,
              frames.map((f, i) => ({ t: f.t, step: f.step, features: features[i]! })),
              { receivedAt: received },
            );
      const bestIndex =
        Number.isInteger(verdict.bestFrameIndex) &&
        verdict.bestFrameIndex >= 0 &&
        verdict.bestFrameIndex < frames.length
          ? verdict.bestFrameIndex
          : -1;

      let passed = verdict.passed && bestIndex >= 0;
      let code = passed ? 'ok' : (verdict.code ?? 'liveness_failed');
      let message = passed
        ? ATTEMPT_MESSAGES.ok!
        : verdict.message || (ATTEMPT_MESSAGES[code] ?? 'The check did not pass.');
      let score: number | null = null;
      let whitelisted = false;
      let livenessScore: number | null = null;
      const threshold = plan.compare_source === 'none' ? null : plan.threshold_score;
      const livenessThreshold = plan.passive_liveness_threshold;
      const fail = (c: string) => {
        passed = false;
        code = c;
        message = ATTEMPT_MESSAGES[c] ?? message;
      };
      const faceFailure = (err: unknown): string | undefined => {
        if (!isShirenError(err)) return undefined;
        if (err.reason === 'face_not_found' || err.reason === 'multiple_faces') return err.reason;
        if (err.reason === 'face_too_small') return 'quality_too_low';
        return undefined;
      };

      if (passed) {
        const best = frames[bestIndex]!.bytes;
        try {
          engineCalls++;
          const live = await deps.faces.liveness(best, { requireSingleFace: true, signal });
          livenessScore = Math.round(live.liveness.score * 1e4) / 1e4;
        } catch (err) {
          const f = faceFailure(err);
          if (f) fail(f);
          else if (isShirenError(err) && err.reason === 'not_supported' && livenessThreshold === null) engineCalls--;
          else throw err;
        }
        if (passed && livenessThreshold !== null && livenessScore !== null && livenessScore < livenessThreshold)
          fail('liveness_passive_failed');
        if (passed && refKey) {
          const reference = await deps.blobs.get(refKey);
          if (!reference) throw new ShirenError('reference_missing', 'The reference image is no longer available.');
          try {
            engineCalls += 2;
            const cmp = await deps.faces.compare({
              imageA: reference,
              imageB: best,
              threshold: plan.threshold_score,
              signal,
            });
            score = Math.round(cmp.score * 100) / 100;
            if (!cmp.passed) {
              const digest = row.identity_number_digest;
              whitelisted =
                digest !== null &&
                deps.whitelist !== undefined &&
                (await deps.whitelist.isWhitelisted(row.app_id, plan.id, digest, received));
              if (whitelisted) {
                code = 'whitelisted';
                message = ATTEMPT_MESSAGES.whitelisted!;
              } else fail('compare_failed');
            }
          } catch (err) {
            const f = faceFailure(err);
            if (f) fail(f);
            else throw err;
          }
        }
      }

      const suffix = blobSuffix();
      const blobs: { key: string; data: Uint8Array }[] = [];
      const envIndex = frames.reduce((m, f, i) => (f.t < frames[m]!.t ? i : m), 0);
      const bestKey = bestIndex >= 0 ? `sessions/${row.id}/best-${suffix}.jpg` : null;
      const envKey = `sessions/${row.id}/env-${suffix}.jpg`;
      if (bestKey) blobs.push({ key: bestKey, data: frames[bestIndex]!.bytes });
      blobs.push({ key: envKey, data: frames[envIndex]!.bytes });

      const finished = now();
      const result = await withBlobs(blobs, () =>
        deps.transaction(async (tx) => {
          const s = await tx.sessions.lockById(row.id);
          if (!s) throw new ShirenError('not_found', 'no verification session with this token');
          assertOpen(s, received);
          if (!(await tx.challenges.claim(challenge.id, s.id, received)))
            throw new ShirenError('challenge_invalid', 'This challenge is not valid any more; start again.');
          const order = (await tx.attempts.countBySession(s.id)) + 1;
          if (order > plan.max_attempts)
            throw new ShirenError('session_finished', 'No attempts are left on this session.');
          await tx.attempts.insert({
            session_id: s.id,
            order,
            started_at: new Date(challenge.issued_at),
            finished_at: finished,
            passed,
            code,
            message,
            score,
            threshold,
            liveness_score: livenessScore,
            challenge: JSON.stringify({ id: challenge.id, ...spec }),
            details: JSON.stringify({
              verifier: verdict.details ?? null,
              frames: frames.length,
              bestFrameIndex: bestIndex,
              livenessThreshold,
            }),
            engine_calls: engineCalls,
            client_ip_digest: digest,
            device_digest: device,
          });
          const final = passed || plan.invalidate_on_failure || order >= plan.max_attempts;
          const status: SessionStatus = passed ? 'passed' : final ? 'failed' : 'in_progress';
          const sessionResult: SessionResult & { livenessThreshold: number | null } = {
            passed,
            code,
            message,
            score,
            threshold,
            livenessScore,
            livenessThreshold,
            ...(whitelisted ? { whitelisted: true } : {}),
          };
          await tx.sessions.update(s.id, {
            status,
            best_frame_key: bestKey,
            env_frame_key: envKey,
            client_ip_digest: digest,
            ...userAgentColumns(client.userAgent, s),
            ...(device ? { device_digest: device } : {}),
            ...(final
              ? {
                  result: JSON.stringify(sessionResult),
                  finished_at: finished,
                  purge_at: new Date(finished.getTime() + plan.result_retention_hours * HOUR),
                  media_purge_at: new Date(finished.getTime() + plan.media_retention_hours * HOUR),
                }
              : {}),
          });
          if (final) await queueCallback(tx.callbacks, plan, s, status, sessionResult, finished);
          return { previous: s, status, order, final };
        }),
      );
      // The previous attempt's frames are replaced by this one's.
      for (const k of [result.previous.best_frame_key, result.previous.env_frame_key])
        if (k && k !== bestKey && k !== envKey) await deps.blobs.delete(k).catch(() => undefined);

      return {
        outcome: passed ? 'passed' : result.final ? 'failed' : 'retry',
        code,
        message,
        attemptsLeft: result.final ? 0 : plan.max_attempts - result.order,
        redirectUrl: redirectFor(row, plan, result.status),
        receipt: receipts.issue({
          token: row.token,
          order: result.order,
          outcome: passed ? 'passed' : result.final ? 'failed' : 'retry',
          code,
          finishedAt: finished.toISOString(),
        }),
      };
    },

    /** A session on the built-in demo plan of the `default` app, rate-limited per client address. */
    async demo(client: { ip: string }): Promise<{ token: string; url: string }> {
      if (!deps.ensureApp) throw new ShirenError('not_supported', 'the demo is not available');
      const app = await deps.ensureApp('default');
      let plan = await repos.plans.findByName(app.id, DEMO_PLAN_NAME);
      const t = now();
      if (!plan) {
        plan = await repos.plans.insert({
          app_id: app.id,
          ...newPlanColumns({
            name: DEMO_PLAN_NAME,
            livenessMode: 'action',
            actionCount: 2,
            actionPool: ['blink', 'mouth', 'turn_left', 'turn_right', 'nod'],
            compareSource: 'none',
            identityInput: 'none',
            threshold: { score: 70 },
            passiveLivenessThreshold: null,
            maxAttempts: 3,
            invalidateOnFailure: false,
            resultRetentionHours: 24,
            mediaRetentionHours: 1,
          }),
          callback_secret_enc: null,
          created_at: t,
          updated_at: t,
          disabled_at: null,
        });
      }
      const digest = ipDigest(client.ip);
      const perHour = deps.limits.h5DemoPerHour ?? 20;
      const { count, oldest } = await repos.sessions.countByIpSince(plan.id, digest, new Date(t.getTime() - HOUR));
      if (count >= perHour) {
        const retryAfter = Math.max(1, Math.ceil(((oldest?.getTime() ?? t.getTime()) + HOUR - t.getTime()) / 1000));
        throw new ShirenError(
          'rate_limited',
          `Too many demo sessions from this address; try again in ${Math.ceil(retryAfter / 60)} min.`,
          {
            retryAfter,
          },
        );
      }
      const s = await create(app.id, { planId: plan.id }, 'h5-demo', { clientIpDigest: digest });
      return { token: s.token, url: s.url };
    },
  };
}
export type SessionService = ReturnType<typeof createSessionService>;
