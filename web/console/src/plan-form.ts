/**
 * The plan (scene) form of the Plans screen (docs/console.md "Plans"): every setting of a plan, for a new plan on
 * #/plans and for an existing one on #/plans/<id>, and the preview that opens a real session of the plan on the H5
 * page. The server validates everything (src/verify/plans.ts); a refused setting is marked by the field the server
 * names in details.field. Labels in both languages are kept here so the shared i18n table stays as it is.
 */
import { api, ApiError, call, type AppView, type Me, type PlanView } from './api.js';
import { el, field, notice } from './dom.js';
import type { Lang } from './i18n.js';

const ACTIONS = ['blink', 'mouth', 'turn_left', 'turn_right', 'nod'] as const;
const FARS = ['1e-3', '1e-4', '1e-5', '1e-6'] as const;

const zh = {
  app: '应用',
  name: '方案名称',
  livenessMode: '活体方式',
  mode_action: '动作活体',
  mode_silent: '静默活体',
  mode_flash: '炫彩活体',
  mode_none: '不检测活体',
  actionCount: '动作个数',
  actionPool: '可选动作',
  action_blink: '眨眼',
  action_mouth: '张嘴',
  action_turn_left: '左转头',
  action_turn_right: '右转头',
  action_nod: '点头',
  compareSource: '比对来源',
  source_none: '不比对',
  source_uploaded: '接入方上传的照片',
  source_previous: '之前通过的认证',
  source_registry: '身份库照片',
  identityInput: '身份信息',
  input_none: '不需要',
  input_user: '用户在 H5 页填写',
  input_preset: '接入方创建时给出',
  identityProvider: '身份核验来源',
  provider_default: '应用默认',
  provider_registry: '身份库',
  provider_http: 'HTTP 服务',
  provider_none: '不核验',
  threshold: '比对阈值',
  far: (f: string) => `误识率 ${f}`,
  customScore: '自定义分数',
  score: '分数(0–100)',
  passive: '静默活体阈值(0–1,留空=只记录不判定)',
  maxAttempts: '最多尝试次数',
  invalidateOnFailure: '一次失败即结束',
  successUrl: '成功跳转地址',
  failureUrl: '失败跳转地址',
  callbackUrl: '结果回调地址',
  callbackSecret: '回调签名密钥(留空=保持/自动生成)',
  resultRetentionHours: '结果保留(小时)',
  mediaRetentionHours: '图像保留(小时)',
  create: '创建方案',
  save: '保存',
  saved: '已保存',
  secretOnce: '回调签名密钥(只显示这一次):',
  basics: '基本',
  livenessGroup: '活体',
  compareGroup: '比对与身份',
  flowGroup: '流程与回调',
  retentionGroup: '保留期限',
  preview: '预览',
  previewNote: '预览会创建一个真实的认证会话(在记录中标为预览,不计入统计和告警),并给出它的 H5 页面链接。',
  previewName: '姓名',
  previewIdNumber: '身份证号',
  previewReference: '比对照片',
  previewPrevious: '之前通过的令牌',
  startPreview: '打开预览',
  previewLink: '预览链接:',
  edit: '编辑',
  readOnly: '只读:只有管理员和操作员可以修改方案。',
};
type PlanTexts = typeof zh;
const en: PlanTexts = {
  app: 'App',
  name: 'Plan name',
  livenessMode: 'Liveness',
  mode_action: 'Actions',
  mode_silent: 'Silent',
  mode_flash: 'Flash (colours)',
  mode_none: 'No liveness',
  actionCount: 'Actions asked',
  actionPool: 'Actions to choose from',
  action_blink: 'Blink',
  action_mouth: 'Open mouth',
  action_turn_left: 'Turn left',
  action_turn_right: 'Turn right',
  action_nod: 'Nod',
  compareSource: 'Compare with',
  source_none: 'nothing',
  source_uploaded: 'a photo the app uploads',
  source_previous: 'a previous passed session',
  source_registry: 'the identity registry photo',
  identityInput: 'Identity',
  input_none: 'not needed',
  input_user: 'entered by the user on the H5 page',
  input_preset: 'given by the app at creation',
  identityProvider: 'Identity check source',
  provider_default: 'app default',
  provider_registry: 'registry',
  provider_http: 'HTTP service',
  provider_none: 'no check',
  threshold: 'Comparison threshold',
  far: (f) => `false-accept rate ${f}`,
  customScore: 'custom score',
  score: 'Score (0–100)',
  passive: 'Silent liveness threshold (0–1; empty = measure and report only)',
  maxAttempts: 'Attempts at most',
  invalidateOnFailure: 'End at the first failure',
  successUrl: 'Success redirect URL',
  failureUrl: 'Failure redirect URL',
  callbackUrl: 'Result callback URL',
  callbackSecret: 'Callback signing secret (empty = keep / generate)',
  resultRetentionHours: 'Keep results (hours)',
  mediaRetentionHours: 'Keep images (hours)',
  create: 'Create plan',
  save: 'Save',
  saved: 'Saved',
  secretOnce: 'Callback signing secret (shown this once only):',
  basics: 'Basics',
  livenessGroup: 'Liveness',
  compareGroup: 'Comparison and identity',
  flowGroup: 'Flow and callbacks',
  retentionGroup: 'Retention',
  preview: 'Preview',
  previewNote:
    'A preview starts a real verification session (marked preview in the records, left out of statistics and alerts) ' +
    'and gives the link of its H5 page.',
  previewName: 'Name',
  previewIdNumber: 'ID number',
  previewReference: 'Reference photo',
  previewPrevious: 'Previous passed token',
  startPreview: 'Open preview',
  previewLink: 'Preview link:',
  edit: 'Edit',
  readOnly: 'Read-only: only admins and operators change plans.',
};

export function planTexts(lang: Lang): PlanTexts {
  return lang === 'en' ? en : zh;
}

export interface PlanFormEnv {
  lang: Lang;
  me: Me;
  apps: AppView[];
  errorText: (err: unknown) => string;
  /** After a plan was created or saved. */
  done: (plan: PlanView) => void;
}

type Label = keyof PlanTexts;

/** A select of `values`, labelled by `prefix + value` from the texts. */
function choice(p: PlanTexts, name: string, values: readonly string[], prefix: string, selected: string) {
  return el(
    'select',
    { name },
    ...values.map((v) =>
      el(
        'option',
        { value: v, selected: v === selected },
        String((p as unknown as Record<string, string>)[`${prefix}${v}`] ?? v),
      ),
    ),
  );
}

function labelled(p: PlanTexts, key: Label, control: HTMLElement, attrs: Record<string, string> = {}): HTMLElement {
  return el('label', { 'data-field': control.getAttribute('name') ?? key, ...attrs }, String(p[key]), control);
}

function group(title: string, ...children: HTMLElement[]): HTMLElement {
  return el('fieldset', el('legend', title), ...children);
}

/** The settings the form holds, as the plan service takes them. */
function settingsOf(form: HTMLFormElement): Record<string, unknown> {
  const num = (name: string) => Number(field(form, name));
  const orNull = (name: string) => field(form, name) || null;
  const far = field(form, 'far');
  const passive = field(form, 'passiveLivenessThreshold');
  const secret = field(form, 'callbackSecret');
  return {
    name: field(form, 'name'),
    livenessMode: field(form, 'livenessMode'),
    actionCount: num('actionCount'),
    actionPool: [...form.querySelectorAll<HTMLInputElement>('input[name="actionPool"]:checked')].map((c) => c.value),
    compareSource: field(form, 'compareSource'),
    identityInput: field(form, 'identityInput'),
    identityProvider: field(form, 'identityProvider'),
    threshold: far === 'custom' ? { score: num('thresholdScore') } : { far },
    passiveLivenessThreshold: passive === '' ? null : Number(passive),
    maxAttempts: num('maxAttempts'),
    invalidateOnFailure: (form.elements.namedItem('invalidateOnFailure') as HTMLInputElement).checked,
    successUrl: orNull('successUrl'),
    failureUrl: orNull('failureUrl'),
    callbackUrl: orNull('callbackUrl'),
    ...(secret ? { callbackSecret: secret } : {}),
    resultRetentionHours: num('resultRetentionHours'),
    mediaRetentionHours: num('mediaRetentionHours'),
  };
}

/** Marks the control the server named in details.field ("threshold.far" → the far select). */
function markInvalid(form: HTMLFormElement, name: string | undefined): void {
  form.querySelectorAll('[aria-invalid]').forEach((n) => n.removeAttribute('aria-invalid'));
  if (!name) return;
  const root = name.split('.')[0]!;
  const target =
    name === 'threshold.far'
      ? 'far'
      : name === 'threshold.score'
        ? 'thresholdScore'
        : root === 'threshold'
          ? 'far'
          : root;
  const control = form.querySelector<HTMLElement>(`[name="${target}"]`);
  control?.setAttribute('aria-invalid', 'true');
  control?.closest('label')?.setAttribute('aria-invalid', 'true');
  control?.focus();
}

/** The form of every plan setting: a new plan when `plan` is absent, that plan's settings otherwise. */
export function planForm(env: PlanFormEnv, plan?: PlanView): HTMLFormElement {
  const p = planTexts(env.lang);
  const canOperate = env.me.capabilities.operate;
  const v = plan;
  const input = (name: string, attrs: Record<string, string | number | boolean | undefined> = {}) =>
    el('input', { name, ...attrs });
  const farValue = v ? (v.threshold.far ?? 'custom') : '1e-4';
  const farSelect = el(
    'select',
    { name: 'far' },
    ...FARS.map((f) => el('option', { value: f, selected: f === farValue }, `${p.far(f)}`)),
    el('option', { value: 'custom', selected: farValue === 'custom' }, p.customScore),
  );
  const pool = new Set<string>(v?.actionPool ?? ACTIONS);
  const form = el(
    'form.plan',
    { 'data-form': plan ? 'edit-plan' : 'create-plan', novalidate: true },
    group(
      p.basics,
      plan
        ? el('p.muted', `${p.app}: ${plan.app.name} · ID ${plan.id}`)
        : labelled(
            p,
            'app',
            el(
              'select',
              { name: 'app' },
              ...env.apps.map((a) => el('option', { value: a.name, selected: a.name === 'default' }, a.name)),
            ),
          ),
      labelled(p, 'name', input('name', { required: true, maxlength: 100, value: v?.name ?? '' })),
    ),
    group(
      p.livenessGroup,
      labelled(
        p,
        'livenessMode',
        choice(p, 'livenessMode', ['action', 'silent', 'flash', 'none'], 'mode_', v?.livenessMode ?? 'action'),
      ),
      labelled(p, 'actionCount', input('actionCount', { type: 'number', min: 1, max: 4, value: v?.actionCount ?? 2 })),
      el(
        'div.checks',
        { 'data-field': 'actionPool' },
        el('span', p.actionPool),
        ...ACTIONS.map((a) =>
          el(
            'label.check',
            input('actionPool', { type: 'checkbox', value: a, checked: pool.has(a) }),
            String((p as unknown as Record<string, string>)[`action_${a}`]),
          ),
        ),
      ),
      labelled(
        p,
        'passive',
        input('passiveLivenessThreshold', {
          type: 'number',
          min: 0,
          max: 1,
          step: 0.01,
          value: v?.passiveLivenessThreshold ?? '',
        }),
      ),
    ),
    group(
      p.compareGroup,
      labelled(
        p,
        'compareSource',
        choice(p, 'compareSource', ['none', 'uploaded', 'previous', 'registry'], 'source_', v?.compareSource ?? 'none'),
      ),
      labelled(p, 'threshold', farSelect),
      labelled(
        p,
        'score',
        input('thresholdScore', { type: 'number', min: 0, max: 100, step: 0.1, value: v?.threshold.score ?? 70 }),
      ),
      labelled(
        p,
        'identityInput',
        choice(p, 'identityInput', ['none', 'user', 'preset'], 'input_', v?.identityInput ?? 'none'),
      ),
      labelled(
        p,
        'identityProvider',
        choice(
          p,
          'identityProvider',
          ['default', 'registry', 'http', 'none'],
          'provider_',
          v?.identityProvider ?? 'default',
        ),
      ),
    ),
    group(
      p.flowGroup,
      labelled(p, 'maxAttempts', input('maxAttempts', { type: 'number', min: 1, max: 20, value: v?.maxAttempts ?? 3 })),
      el(
        'label.check',
        { 'data-field': 'invalidateOnFailure' },
        input('invalidateOnFailure', { type: 'checkbox', checked: v?.invalidateOnFailure ?? false }),
        p.invalidateOnFailure,
      ),
      labelled(p, 'successUrl', input('successUrl', { type: 'url', value: v?.successUrl ?? '' })),
      labelled(p, 'failureUrl', input('failureUrl', { type: 'url', value: v?.failureUrl ?? '' })),
      labelled(p, 'callbackUrl', input('callbackUrl', { type: 'url', value: v?.callbackUrl ?? '' })),
      labelled(p, 'callbackSecret', input('callbackSecret', { type: 'password', autocomplete: 'off' })),
    ),
    group(
      p.retentionGroup,
      labelled(
        p,
        'resultRetentionHours',
        input('resultRetentionHours', { type: 'number', min: 1, max: 8760, value: v?.resultRetentionHours ?? 72 }),
      ),
      labelled(
        p,
        'mediaRetentionHours',
        input('mediaRetentionHours', { type: 'number', min: 0, max: 8760, value: v?.mediaRetentionHours ?? 24 }),
      ),
    ),
    canOperate ? el('button', { type: 'submit' }, plan ? p.save : p.create) : el('p.muted', p.readOnly),
  ) as HTMLFormElement;
  if (!canOperate) form.querySelectorAll('input, select').forEach((c) => c.setAttribute('disabled', ''));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    form.querySelector(':scope > .notice')?.remove();
    const settings = settingsOf(form);
    try {
      const answer = plan
        ? await api.updatePlan(plan.id, settings)
        : await api.createPlan(field(form, 'app'), settings);
      markInvalid(form, undefined);
      (form.elements.namedItem('callbackSecret') as HTMLInputElement).value = '';
      env.done(answer.plan);
      if (answer.callbackSecret) {
        form.prepend(
          el(
            'p.notice.ok',
            { 'data-notice': 'ok' },
            p.secretOnce,
            ' ',
            el('code', { 'data-callback-secret': '' }, answer.callbackSecret),
          ),
        );
      } else if (plan) form.prepend(notice(p.saved, 'ok'));
    } catch (err) {
      const name = err instanceof ApiError ? (err.details?.field as string | undefined) : undefined;
      markInvalid(form, name);
      form.prepend(notice(env.errorText(err)));
    }
  });
  return form;
}

/** Reads a chosen file as base64 (no data: prefix). */
function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error ?? new Error('cannot read the file'));
    r.readAsDataURL(file);
  });
}

/** The preview of a plan: asks for what the plan needs at creation, then gives the H5 link of a preview session. */
export function planPreview(env: PlanFormEnv, plan: PlanView): HTMLElement {
  const p = planTexts(env.lang);
  const needs = {
    identity: plan.identityInput === 'preset',
    reference: plan.compareSource === 'uploaded',
    previous: plan.compareSource === 'previous',
  };
  const out = el('div', { 'data-preview': '' });
  const form = el(
    'form.inline',
    { 'data-form': 'preview-plan' },
    needs.identity ? el('label', p.previewName, el('input', { name: 'name', maxlength: 64 })) : null,
    needs.identity ? el('label', p.previewIdNumber, el('input', { name: 'idNumber', maxlength: 32 })) : null,
    needs.reference
      ? el('label', p.previewReference, el('input', { name: 'reference', type: 'file', accept: 'image/*' }))
      : null,
    needs.previous ? el('label', p.previewPrevious, el('input', { name: 'previousToken', maxlength: 128 })) : null,
    el('button', { type: 'submit' }, p.startPreview),
  ) as HTMLFormElement;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      const body: Record<string, unknown> = {};
      if (needs.identity) body.identity = { name: field(form, 'name'), idNumber: field(form, 'idNumber') };
      const file = (form.elements.namedItem('reference') as HTMLInputElement | null)?.files?.[0];
      if (needs.reference && file) body.referenceImage = await base64Of(file);
      if (needs.previous) body.previousToken = field(form, 'previousToken');
      const s = await call<{ token: string; url: string; expiresAt: string }>(
        'POST',
        `/plans/${plan.id}/preview`,
        body,
      );
      out.append(
        el(
          'p.notice.ok',
          p.previewLink,
          ' ',
          el('a', { href: s.url, target: '_blank', rel: 'noopener', 'data-preview-link': s.token }, s.url),
        ),
      );
    } catch (err) {
      out.append(notice(env.errorText(err)));
    }
  });
  return el('section', el('h2', p.preview), el('p.muted', p.previewNote), form, out);
}
