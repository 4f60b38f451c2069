/**
 * The hosted H5 capture page: loading → consent → identity (when the session needs it) → camera → live guidance →
 * challenge → result. Every screen carries a stable data-screen attribute. The page never sees or shows a score.
 */
import './style.css';
import { ApiError, createApi, type AttemptAnswer, type SessionView } from './api.js';
import { CameraError, cameraLabel, openCamera, stopCamera, type CameraProblem } from './camera.js';
import { captureChallenge } from './capture.js';
import { deviceId } from './device.js';
import type { Detector } from './detector.js';
import { h } from './dom.js';
import { createSteadiness, type GuidanceCode } from './guidance.js';
import { pickLang, reasonMessage, TEXTS } from './i18n.js';
import { normaliseIdNumber, validIdNumber, validName } from './identity.js';
import { planTimeline, type Segment } from './timeline.js';

const BASE = import.meta.env.BASE_URL; // '/h5/'
const params = new URLSearchParams(location.search);
const lang = pickLang(params.get('lang'), navigator.languages ?? [navigator.language]);
const t = TEXTS[lang];
const token = params.get('token') ?? '';
const api = createApi(
  BASE,
  token,
  fetch,
  deviceId(() => window.localStorage),
);

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
document.title = t.title;

const app = document.getElementById('app')!;
const video = h('video', { autoplay: true, muted: true, playsinline: true, class: 'preview' }) as HTMLVideoElement;
const ring = h('div.ring');
const stage = h('div.stage', video, ring);

let session: SessionView | null = null;
let stream: MediaStream | null = null;
let detectorLoad: Promise<Detector | null> | null = null;
/** Bumped whenever the screen changes, so loops of an old screen stop. */
let generation = 0;

/** Replaces the screen; data-screen (and data-* details set by callers) are stable hooks for tests. */
function show(name: string, ...children: (Node | string | null | false)[]): HTMLElement {
  generation++;
  const screen = h('section.screen', { 'data-screen': name }, ...children);
  app.replaceChildren(screen);
  // Moving the preview between screens takes it out of the document for a moment, which pauses it: resume, or the
  // captured frames would all be the same picture.
  if (screen.contains(video) && stream) void video.play().catch(() => undefined);
  return screen;
}

function header(title: string): HTMLElement {
  return h('h1', title);
}

function button(label: string, onclick: () => void, kind = 'primary', name?: string): HTMLElement {
  return h(`button.btn.${kind}`, { type: 'button', onclick, 'data-action': name }, label);
}

// ── loading and session problems ────────────────────────────────────────────────────────────────────────────

async function boot(): Promise<void> {
  show('loading', h('div.spinner'), h('p.muted', t.loading));
  if (!token) return sessionError(t.noToken);
  try {
    session = await api.session();
  } catch (err) {
    const code = err instanceof ApiError ? err.code : 'network';
    if (code === 'network' || (err instanceof ApiError && err.status >= 500)) {
      return sessionError(t.network, true);
    }
    return sessionError(
      code === 'session_expired'
        ? t.sessionExpired
        : code === 'session_finished'
          ? t.sessionFinished
          : t.sessionUnknown,
      false,
      code,
    );
  }
  if (session.status === 'passed' || session.status === 'failed') {
    return sessionError(t.sessionFinished, false, 'session_finished', safeRedirect(session.redirectUrl));
  }
  if (session.status === 'expired') return sessionError(t.sessionExpired, false, 'session_expired');
  showConsent();
}

function sessionError(message: string, canReload = false, code = 'no_token', back: string | null = null): void {
  const s = show(
    'session-error',
    h('div.icon.bad', '!'),
    header(t.title),
    h('p', message),
    canReload ? button(t.retryLoad, () => location.reload()) : null,
    back ? h('a.btn.secondary', { href: back, 'data-action': 'redirect' }, t.redirectNow) : null,
  );
  s.dataset.code = code;
}

// ── consent and identity ────────────────────────────────────────────────────────────────────────────────────

function showConsent(): void {
  show(
    'consent',
    header(t.consentTitle),
    h('p', t.consentIntro),
    h(
      'dl.facts',
      h('dt', t.consentWhatTitle),
      h('dd', t.consentWhat),
      h('dt', t.consentWhyTitle),
      h('dd', t.consentWhy),
      h('dt', t.consentKeepTitle),
      h('dd', t.consentKeep(session?.mediaRetentionHours ?? null, session?.resultRetentionHours ?? null)),
    ),
    h(
      'div.actions',
      button(
        t.consentAgree,
        () => (session?.identityRequired ? showIdentity() : void startCamera()),
        'primary',
        'agree',
      ),
      button(t.consentDecline, showDeclined, 'secondary', 'decline'),
    ),
  );
}

function showDeclined(): void {
  show(
    'declined',
    h('div.icon', 'i'),
    header(t.declinedTitle),
    h('p', t.declinedText),
    button(t.declinedBack, showConsent),
  );
}

function showIdentity(): void {
  const name = h('input', {
    name: 'name',
    autocomplete: 'name',
    placeholder: t.identityNamePh,
    maxlength: 50,
  }) as HTMLInputElement;
  const number = h('input', {
    name: 'idNumber',
    inputmode: 'text',
    autocomplete: 'off',
    placeholder: t.identityNumberPh,
    maxlength: 22,
  }) as HTMLInputElement;
  const error = h('p.error', { role: 'alert' });
  const submit = h(
    'button.btn.primary',
    { type: 'submit', 'data-action': 'submit' },
    t.identitySubmit,
  ) as HTMLButtonElement;
  const form = h(
    'form.form',
    { novalidate: true },
    h('label', h('span', t.identityName), name),
    h('label', h('span', t.identityNumber), number),
    error,
    submit,
  ) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void (async () => {
      error.textContent = '';
      if (!validName(name.value)) return void (error.textContent = t.identityNameBad);
      if (!validIdNumber(number.value)) return void (error.textContent = t.identityNumberBad);
      submit.disabled = true;
      try {
        await api.identity(name.value.trim(), normaliseIdNumber(number.value));
        await startCamera();
      } catch (err) {
        submit.disabled = false;
        const code = err instanceof ApiError ? err.code : 'network';
        error.textContent = code === 'network' ? t.network : reasonMessage(lang, code, (err as Error).message);
      }
    })();
  });
  show('identity', header(t.identityTitle), form);
}

// ── camera ──────────────────────────────────────────────────────────────────────────────────────────────────

async function startCamera(): Promise<void> {
  show('camera-request', h('div.icon', '◉'), header(t.cameraRequestTitle), h('p', t.cameraRequestText));
  // The detector loads while the user answers the permission prompt; failure only disables guidance.
  detectorLoad ??= import('./detector.js')
    .then((m) => m.loadDetector(BASE))
    .catch((err) => {
      console.warn('face detection unavailable', err);
      return null;
    });
  try {
    if (!stream) stream = await openCamera(video);
  } catch (err) {
    return cameraError(err instanceof CameraError ? err.problem : 'unsupported');
  }
  await guidance();
}

function cameraError(problem: CameraProblem): void {
  const text: Record<CameraProblem, string> = {
    denied: t.cameraDenied,
    'no-camera': t.cameraMissing,
    'in-use': t.cameraInUse,
    insecure: t.cameraInsecure,
    unsupported: t.cameraUnsupported,
  };
  const retryable = problem === 'denied' || problem === 'in-use' || problem === 'no-camera';
  const s = show(
    'camera-error',
    h('div.icon.bad', '✕'),
    header(t.cameraDeniedTitle),
    h('p', text[problem]),
    retryable ? button(t.cameraRetry, () => void startCamera(), 'primary', 'retry') : null,
  );
  s.dataset.reason = problem;
}

// ── live guidance ───────────────────────────────────────────────────────────────────────────────────────────

async function guidance(): Promise<void> {
  const hint = h('p.hint', { 'aria-live': 'polite' }, t.guideLoading);
  const screen = show('guidance', header(t.guidanceTitle), stage, hint);
  screen.dataset.guidance = 'loading';
  const mine = generation;
  const detector = await detectorLoad;
  if (mine !== generation) return;
  if (!detector) {
    screen.dataset.guidance = 'unavailable';
    hint.textContent = t.guideUnavailable;
    screen.append(button(t.start, () => void runChallenge(), 'primary', 'start'));
    return;
  }
  screen.dataset.backend = detector.backend;
  const steady = createSteadiness(3);
  for (;;) {
    let code: GuidanceCode;
    try {
      const reading = await detector.read(video);
      code = reading.code;
    } catch (err) {
      console.warn('detection failed', err);
      code = 'no_face';
    }
    if (mine !== generation) return;
    screen.dataset.guidance = code;
    hint.textContent = t[`guide_${code}`];
    ring.dataset.state = code === 'ok' ? 'ok' : 'warn';
    if (steady.push(code)) return runChallenge();
    await new Promise((r) => setTimeout(r, 150));
    if (mine !== generation) return;
  }
}

// ── the challenge ───────────────────────────────────────────────────────────────────────────────────────────

function instruction(seg: Segment): string {
  if (seg.step.startsWith('flash:')) return t.step_flash;
  const key = `step_${seg.step}` as keyof typeof t;
  return typeof t[key] === 'string' ? (t[key] as string) : t.step_neutral;
}

async function runChallenge(): Promise<void> {
  show('loading', h('div.spinner'), h('p.muted', t.loading));
  let answer: AttemptAnswer;
  try {
    const spec = await api.challenge();
    const timeline = planTimeline(spec);
    const text = h('p.instruction', { 'aria-live': 'assertive' });
    const progress = h('p.progress');
    const bar = h('div.bar-fill');
    const screen = show('challenge', stage, text, progress, h('div.bar', bar));
    screen.dataset.mode = spec.mode;
    ring.dataset.state = 'ok';
    const frames = await captureChallenge(video, timeline, {
      onSegment(seg) {
        screen.dataset.step = seg.step;
        text.textContent = instruction(seg);
        progress.textContent = seg.index > 0 ? t.progress(seg.index, timeline.stepCount) : '';
        screen.style.background = seg.colour ?? '';
        document.body.style.background = seg.colour ?? '';
        screen.classList.toggle('flash', !!seg.colour);
      },
      onProgress(f) {
        bar.style.width = `${Math.min(100, Math.round(f * 100))}%`;
      },
    });
    document.body.style.background = '';
    show('uploading', h('div.spinner'), h('p.muted', t.uploading));
    answer = await api.attempt({
      challengeId: spec.challengeId,
      frames,
      client: {
        userAgent: navigator.userAgent,
        screen: `${window.screen.width}x${window.screen.height}`,
        camera: cameraLabel(stream),
      },
    });
  } catch (err) {
    const code = err instanceof ApiError ? err.code : 'network';
    const final = ['session_expired', 'session_finished', 'attempts_exhausted', 'too_many_failures'].includes(code);
    answer = {
      outcome: final ? 'failed' : 'retry',
      code,
      message: code === 'network' ? t.network : reasonMessage(lang, code, (err as Error).message),
    };
  }
  showResult(answer);
}

// ── result ──────────────────────────────────────────────────────────────────────────────────────────────────

function safeRedirect(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The redirect URL with the attempt's receipt as sdk_data (the operator's page passes it to CertVerify). */
function withSdkData(url: string | null, receipt: string | undefined): string | null {
  if (!url || !receipt) return url;
  const u = new URL(url);
  u.searchParams.set('sdk_data', receipt);
  return u.href;
}

function showResult(answer: AttemptAnswer): void {
  const passed = answer.outcome === 'passed';
  const retry = answer.outcome === 'retry';
  if (!retry) {
    stopCamera(stream);
    video.srcObject = null;
    stream = null;
  }
  const redirect = withSdkData(retry ? null : safeRedirect(answer.redirectUrl), answer.receipt);
  // The attempt's signed receipt for the operator's app (Volcengine CertVerify sdk_data, docs/volcengine.md).
  if (answer.receipt)
    window.dispatchEvent(
      new CustomEvent('shiren:attempt', {
        detail: { outcome: answer.outcome, code: answer.code, sdkData: answer.receipt },
      }),
    );
  const message = passed
    ? ''
    : answer.code === 'network'
      ? t.network
      : reasonMessage(lang, answer.code, answer.message);
  const screen = show(
    'result',
    h(`div.icon.${passed ? 'good' : 'bad'}`, passed ? '✓' : '✕'),
    header(passed ? t.passedTitle : retry ? t.retryTitle : t.failedTitle),
    message ? h('p.message', message) : null,
    retry && typeof answer.attemptsLeft === 'number' ? h('p.muted', t.attemptsLeft(answer.attemptsLeft)) : null,
    retry ? button(t.retry, () => void guidance(), 'primary', 'retry') : null,
    redirect ? h('p.muted', t.redirecting) : !retry ? h('p.muted', t.done) : null,
    redirect ? h('a.btn.secondary', { href: redirect, 'data-action': 'redirect' }, t.redirectNow) : null,
  );
  screen.dataset.outcome = answer.outcome;
  screen.dataset.code = answer.code;
  if (redirect) {
    const mine = generation;
    setTimeout(() => {
      if (mine === generation) location.assign(redirect);
    }, 2500);
  }
}

void boot();
