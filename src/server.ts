/**
 * `shiren serve`: open the core, create first-run credentials, start the face engine, listen, and shut down
 * gracefully on SIGTERM/SIGINT (no new requests, in-flight ones finish within SHIREN_SHUTDOWN_GRACE_MS).
 */
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { revealIdentityFromSettings } from './api/baidu/index.js';
import { bootstrapFirstRun, type FirstRunCredentials } from './auth/bootstrap.js';
import type { Config } from './config.js';
import { openCore, type Core } from './core.js';
import { faceRoutes } from './api/native/face-routes.js';
import { planRoutes } from './api/native/plan-routes.js';
import { sessionRoutes } from './api/native/session-routes.js';
import { consoleDeps } from './api/native/console-deps.js';
import { createTransactor } from './store/repos/index.js';
import { createCallbackSender } from './verify/callbacks.js';
import { createJobs } from './verify/jobs.js';
import { createAlertService } from './verify/alerts.js';
import { createPlanService } from './verify/plans.js';
import { createRetention } from './verify/retention.js';
import { createSessionService } from './verify/sessions.js';
import { createSettingsService } from './verify/settings.js';
import { createIdentityChecks } from './verify/identity/checks.js';
import { createCheckRecords } from './verify/identity/check-records.js';
import { createRegistryService } from './verify/identity/registry.js';
import { createIdCardOcr, type IdCardOcr } from './verify/identity/ocr/index.js';
import { identityRoutes } from './api/native/identity-routes.js';
import { createAttemptReceipts } from './verify/attempt-receipt.js';
import { createFaceEngine } from './engine/index.js';
import { loadEngineInBackground, type LoadingEngine } from './verify/engine-holder.js';
import { createEngineFrameAnalyser } from './verify/engine-frame-analyser.js';
import { createFaceService } from './verify/face-service.js';
import { createImageSources } from './verify/image-source.js';
import { livenessChallenges } from './verify/liveness-challenges.js';
import { createStrategyService } from './verify/strategies.js';

export interface RunningServer {
  app: FastifyInstance;
  core: Core;
  engine: LoadingEngine;
  url: string;
  close(): Promise<void>;
}

function banner(config: Readonly<Config>, core: Core, creds: FirstRunCredentials | undefined): string {
  const base = config.publicUrl;
  const lines = [
    '',
    `Shiren is running on ${base}  (database: ${core.store.kind} ${core.store.location})`,
    `  API docs      ${base}/docs   (OpenAPI: ${base}/openapi.json)`,
    `  Console       ${base}/console/`,
    `  H5 demo       ${base}/h5/demo`,
    `  Health        ${base}/healthz  ${base}/readyz  ${base}/metrics`,
  ];
  if (creds) {
    lines.push(
      '',
      'First run: these credentials are shown once. Store them now.',
      `  Console admin      username ${creds.admin.username}   password ${creds.admin.password}`,
      `  Access key (app ${creds.accessKey.appName})`,
      `    AccessKeyId      ${creds.accessKey.accessKeyId}`,
      `    AccessKeySecret  ${creds.accessKey.accessKeySecret}`,
      `  Try it: curl -H "Authorization: Bearer ${creds.accessKey.accessKeyId}:${creds.accessKey.accessKeySecret}" ${base}/v1/whoami`,
    );
  }
  if (core.masterKey.origin === 'generated') {
    lines.push(
      '',
      `A new master key was written to ${core.masterKey.file}: back it up; without it the stored secrets are lost.`,
    );
  }
  return lines.join('\n') + '\n\n';
}

export async function startServer(
  config: Readonly<Config>,
  opts: { print?: (text: string) => void } = {},
): Promise<RunningServer> {
  const print = opts.print ?? ((t: string) => process.stdout.write(t));
  const core = await openCore(config, { holder: 'shiren serve' });
  let app: FastifyInstance | undefined;
  const e = config.engine;
  // Models load in the background: the server listens at once and /readyz says "not ready" until they are loaded.
  const engine = loadEngineInBackground(
    e.enabled,
    createFaceEngine,
    {
      workers: e.workers,
      queueLimit: e.queueLimit,
      maxImageBytes: e.maxImageBytes,
      maxPixels: e.maxPixels,
      minFaceSize: e.minFaceSize,
      timeoutMs: e.timeoutMs,
    },
    (err) => app?.log.error({ err }, 'the face engine failed to load'),
  );
  try {
    const creds = await bootstrapFirstRun({ repos: core.repos, accessKeys: core.accessKeys });
    const faces = createFaceService({ engines: engine });
    // Warnings of the services and jobs go to the server's log (once it is built).
    const log = { warn: (obj: object, msg: string) => app?.log.warn(obj, msg) };
    const transaction = createTransactor(core.store.db);
    // Runtime settings (console "Settings"): new plans' defaults, retention limits, the image fetch guard.
    const settings = createSettingsService({ repo: core.repos.consoleSettings, transaction, config });
    const plans = createPlanService({
      plans: core.repos.plans,
      audit: core.repos.audit,
      keyring: core.keyring,
      defaults: settings.planDefaults,
    });
    const registry = createRegistryService({
      repo: core.repos.registry,
      keyring: core.keyring,
      blobs: core.blobs,
      faces,
      maxPhotoBytes: config.engine.maxImageBytes,
    });
    // The ID-card OCR loads its models on the first …WithOCR call only (and again after a failed load).
    let idCardOcr: Promise<IdCardOcr> | undefined;
    const loadOcr = () =>
      (idCardOcr ??= createIdCardOcr({ maxImageBytes: config.engine.maxImageBytes }).catch((err: unknown) => {
        idCardOcr = undefined;
        throw err;
      }));
    const checkRecords = createCheckRecords({
      repo: core.repos.checkRecords,
      apps: core.repos.apps,
      keyring: core.keyring,
    });
    const identityChecks = createIdentityChecks({
      registry: registry.provider,
      settings: core.repos.settings,
      plans: core.repos.plans,
      keyring: core.keyring,
      records: checkRecords,
      log,
    });
    const strategies = createStrategyService({
      strategies: core.repos.strategies,
      apps: core.repos.apps,
      plans: core.repos.plans,
      audit: core.repos.audit,
    });
    const sessions = createSessionService({
      repos: core.repos,
      transaction,
      blobs: core.blobs,
      keyring: core.keyring,
      faces,
      analyser: createEngineFrameAnalyser(faces),
      challenges: livenessChallenges,
      publicUrl: config.publicUrl,
      limits: { ...config.sessions, maxImageBytes: config.engine.maxImageBytes },
      ensureApp: (name) => core.accessKeys.ensureApp(name),
      registryPhotoKey: (appId, identity) => registry.photoKey(appId, identity),
      blacklist: core.repos.blacklist,
      whitelist: {
        isWhitelisted: (appId, planId, digest, at) => core.repos.whitelist.isListed(appId, planId, digest, at),
      },
      strategies,
    });
    const images = createImageSources({
      policy: () => settings.fetchPolicy(config.engine.maxImageBytes),
      blobs: core.blobs,
      sessionImage: (appId, token) => sessions.passedImage(appId, token),
    });
    // One alert service for the jobs that evaluate the rules and the console that edits them.
    const alerts = createAlertService({
      alerts: core.repos.alerts,
      plans: core.repos.plans,
      audit: core.repos.audit,
      transaction,
      keyring: core.keyring,
      log,
    });
    const consoleApi = consoleDeps({
      core,
      sessions,
      plans,
      settings,
      strategies,
      alerts,
      checkRecords,
      exports: { log },
    });
    const jobs = createJobs({
      callbacks: createCallbackSender({
        transaction,
        callbacks: core.repos.callbacks,
        sessions: core.repos.sessions,
        plans: core.repos.plans,
        keyring: core.keyring,
        log,
      }),
      retention: createRetention({ transaction, blobs: core.blobs, limits: settings.retentionLimits }),
      alerts,
      // CSV exports: runs queued (or abandoned) exports and deletes expired ones.
      extra: [
        { name: 'exports', run: async () => consoleApi.exports?.runDue() },
        // Identity check records past their retention period (src/verify/identity/check-records.ts).
        { name: 'check-records', run: async () => void (await checkRecords.purge()) },
      ],
      log,
    });
    app = await buildApp({
      core,
      nativeRoutes: [
        faceRoutes(faces),
        planRoutes(plans),
        sessionRoutes(sessions),
        identityRoutes({ checks: identityChecks, registry, maxImageBytes: config.engine.maxImageBytes }),
      ],
      h5: { sessions, demo: config.sessions.h5Demo },
      console: consoleApi,
      volcengine: {
        keys: core.accessKeys,
        windowSeconds: config.signatureWindowSeconds,
        faces,
        plans,
        sessions,
        receipts: createAttemptReceipts(core.keyring),
      },
      aliyun: {
        keys: core.accessKeys,
        nonces: core.repos.nonces,
        windowSeconds: config.signatureWindowSeconds,
        faces,
        plans,
        sessions,
        images,
        identity: identityChecks,
        registryPhoto: (appId, identity) => registry.lookupPhoto(appId, identity),
        ocr: { readFront: async (image, options) => (await loadOcr()).readFront(image, options) },
        statistics: consoleApi.statistics,
        whitelist: consoleApi.whitelist,
      },
      baidu: {
        keys: core.accessKeys,
        keyring: core.keyring,
        sessions,
        plans,
        publicUrl: config.publicUrl,
        revealIdentity: revealIdentityFromSettings(core.repos.settings),
      },
      readiness: [engineReadiness(engine)],
      onMetrics: (m) => {
        m.gauge(
          'shiren_engine_queue_depth',
          'Face engine jobs waiting for a worker',
          () => engine.current()?.stats().queued ?? 0,
        );
        m.gauge(
          'shiren_engine_busy_workers',
          'Face engine workers running a job',
          () => engine.current()?.stats().busy ?? 0,
        );
      },
    });
    const purge = setInterval(() => {
      core.repos.nonces.purgeExpired(new Date()).catch((err: unknown) => app?.log.warn({ err }, 'nonce purge failed'));
    }, 10 * 60_000);
    purge.unref();
    app.addHook('onClose', async () => clearInterval(purge));
    jobs.start();
    app.addHook('onClose', async () => {
      await jobs.stop();
      await consoleApi.exports?.idle();
    });
    app.addHook('onClose', async () => {
      if (idCardOcr) await (await idCardOcr.catch(() => undefined))?.close();
    });
    await app.listen({ port: config.port, host: config.host });
    print(banner(config, core, creds));
  } catch (err) {
    await app?.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    await core.close();
    throw err;
  }
  const running = app;
  let closing: Promise<void> | undefined;
  return {
    app: running,
    core,
    engine,
    url: `http://127.0.0.1:${config.port}`,
    close() {
      closing ??= (async () => {
        try {
          await running.close();
        } finally {
          await engine.close().catch(() => undefined);
          await core.close();
        }
      })();
      return closing;
    },
  };
}

/** Runs until SIGTERM/SIGINT, then closes gracefully; exits non-zero if closing fails or takes too long. */
export async function serveForever(config: Readonly<Config>): Promise<void> {
  const server = await startServer(config);
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) server.app.log.error({ err }, 'shutting down after an error');
    else server.app.log.info({ signal }, 'shutting down');
    await server.close();
  });
}

export function engineReadiness(engine: LoadingEngine) {
  return {
    name: 'engine',
    check: async () => {
      const s = engine.state();
      // A deployment that switched the engine off is ready for everything else it serves.
      return {
        ok: s.status === 'ready' || s.status === 'disabled',
        detail: s.detail ? `${s.status}: ${s.detail}` : s.status,
      };
    },
  };
}
