/**
 * Page texts in zh-CN (default) and English. The language comes from ?lang=zh|en, else the browser's languages.
 * Reason codes from the server map to a human message here; the server's own message is the fallback.
 */
export type Lang = 'zh' | 'en';

export function pickLang(query: string | null, browserLangs: readonly string[]): Lang {
  const q = query?.toLowerCase();
  if (q?.startsWith('en')) return 'en';
  if (q?.startsWith('zh')) return 'zh';
  for (const l of browserLangs) {
    const v = l.toLowerCase();
    if (v.startsWith('zh')) return 'zh';
    if (v.startsWith('en')) return 'en';
  }
  return 'zh';
}

const zh = {
  title: '实人认证',
  loading: '正在加载…',
  retryLoad: '重新加载',
  // session problems
  noToken: '链接不完整:缺少认证令牌。请回到原应用重新发起认证。',
  sessionUnknown: '认证链接无效或已过期,请回到原应用重新发起认证。',
  sessionFinished: '该认证已完成,无法再次认证。',
  sessionExpired: '认证链接已过期,请回到原应用重新发起认证。',
  network: '网络异常,请检查网络后重试。',
  // consent
  consentTitle: '人脸信息采集授权',
  consentIntro: '为确认是您本人在操作,接下来将通过摄像头采集您的人脸图像。',
  consentWhatTitle: '采集什么',
  consentWhat: '认证过程中的若干张人脸照片;如需核验身份,还包括您填写的姓名和身份证号。',
  consentWhyTitle: '用途',
  consentWhy: '仅用于本次实人认证:活体检测与人脸比对。结果会告知发起认证的服务方。',
  consentKeepTitle: '保存多久',
  consentKeep: (mediaHours: number | null, resultHours: number | null) =>
    mediaHours !== null && resultHours !== null
      ? `人脸照片最长保存 ${mediaHours} 小时,认证结果最长保存 ${resultHours} 小时,到期自动删除。`
      : '人脸照片和认证结果只保存服务方设定的有限时间(默认照片 24 小时、结果 72 小时),到期自动删除。',
  consentAgree: '同意并继续',
  consentDecline: '不同意',
  declinedTitle: '您已拒绝授权',
  declinedText: '未经您同意,我们不会采集任何信息。如需完成认证,请返回并同意授权。',
  declinedBack: '返回',
  // identity
  identityTitle: '填写身份信息',
  identityName: '姓名',
  identityNamePh: '与身份证一致的姓名',
  identityNumber: '身份证号',
  identityNumberPh: '18 位居民身份证号码',
  identityNameBad: '请输入正确的姓名',
  identityNumberBad: '身份证号格式不正确',
  identitySubmit: '下一步',
  // camera
  cameraRequestTitle: '请允许使用摄像头',
  cameraRequestText: '浏览器会询问是否允许访问摄像头,请选择"允许"。',
  cameraDeniedTitle: '无法使用摄像头',
  cameraDenied: '摄像头权限被拒绝。请在浏览器或系统设置中允许本页面使用摄像头,然后重试。',
  cameraMissing: '未检测到可用的摄像头。请换一台带摄像头的设备完成认证。',
  cameraInUse: '摄像头正被其他应用占用,请关闭其他应用后重试。',
  cameraInsecure: '当前连接不安全(非 HTTPS),浏览器不允许使用摄像头。请通过 https 链接打开本页面。',
  cameraUnsupported: '当前浏览器不支持摄像头采集。请使用最新版的微信、Safari、Chrome 或系统浏览器打开。',
  cameraRetry: '重试',
  // guidance
  guidanceTitle: '请正对屏幕',
  guideLoading: '正在准备人脸检测…',
  guide_no_face: '未检测到人脸,请将脸部移入框内',
  guide_multiple_faces: '检测到多张人脸,请确保只有您一人',
  guide_too_far: '请靠近一点',
  guide_too_close: '请离远一点',
  guide_off_centre: '请将脸部移到框的中央',
  guide_too_dark: '光线太暗,请到明亮处',
  guide_too_bright: '光线过强,请避免逆光或强光直射',
  guide_ok: '很好,请保持不动',
  guideUnavailable: '无法在本设备上进行实时检测,您仍可以开始认证。',
  start: '开始认证',
  // challenge
  step_neutral: '请正对屏幕,保持不动',
  step_blink: '请眨眨眼',
  step_mouth: '请张张嘴',
  step_turn_left: '请向左转头',
  step_turn_right: '请向右转头',
  step_nod: '请点点头',
  step_flash: '请保持不动,屏幕将闪烁颜色',
  progress: (i: number, n: number) => `第 ${i}/${n} 步`,
  uploading: '正在认证,请稍候…',
  // result
  passedTitle: '认证通过',
  failedTitle: '认证未通过',
  retryTitle: '本次未通过',
  retry: '再试一次',
  attemptsLeft: (n: number) => `还可以尝试 ${n} 次`,
  redirecting: '正在返回…',
  redirectNow: '立即返回',
  done: '您可以关闭本页面了。',
} as const;

export type Texts = {
  [K in keyof typeof zh]: (typeof zh)[K] extends (...a: infer A) => string ? (...a: A) => string : string;
};

const en: Texts = {
  title: 'Identity verification',
  loading: 'Loading…',
  retryLoad: 'Reload',
  noToken: 'This link is incomplete: the verification token is missing. Please start again from the app.',
  sessionUnknown: 'This verification link is invalid or has expired. Please start again from the app.',
  sessionFinished: 'This verification is already finished.',
  sessionExpired: 'This verification link has expired. Please start again from the app.',
  network: 'Network problem. Please check your connection and try again.',
  consentTitle: 'Consent to face capture',
  consentIntro: 'To confirm that it is really you, the camera will now take pictures of your face.',
  consentWhatTitle: 'What is collected',
  consentWhat:
    'A few photos of your face during the check and, if identity is checked, the name and ID number you enter.',
  consentWhyTitle: 'Why',
  consentWhy:
    'Only for this verification: liveness detection and face comparison. The result is shared with the service that asked for it.',
  consentKeepTitle: 'How long it is kept',
  consentKeep: (mediaHours, resultHours) =>
    mediaHours !== null && resultHours !== null
      ? `Face photos are kept at most ${mediaHours} hours and the result at most ${resultHours} hours, then deleted automatically.`
      : 'Face photos and the result are kept only for the period the service set (by default 24 hours for photos, 72 hours for the result), then deleted automatically.',
  consentAgree: 'Agree and continue',
  consentDecline: 'Decline',
  declinedTitle: 'You declined',
  declinedText: 'Nothing is collected without your consent. To complete the verification, go back and agree.',
  declinedBack: 'Back',
  identityTitle: 'Your identity',
  identityName: 'Name',
  identityNamePh: 'Name as on your ID card',
  identityNumber: 'ID number',
  identityNumberPh: '18-character resident ID number',
  identityNameBad: 'Please enter a valid name',
  identityNumberBad: 'This ID number is not valid',
  identitySubmit: 'Next',
  cameraRequestTitle: 'Allow the camera',
  cameraRequestText: 'Your browser will ask for access to the camera. Please choose "Allow".',
  cameraDeniedTitle: 'Camera not available',
  cameraDenied:
    'Camera access was denied. Allow this page to use the camera in the browser or system settings, then try again.',
  cameraMissing: 'No camera was found. Please use a device with a camera.',
  cameraInUse: 'The camera is in use by another app. Close it and try again.',
  cameraInsecure:
    'This connection is not secure (not HTTPS), so the browser does not allow the camera. Please open the https link.',
  cameraUnsupported:
    'This browser cannot use the camera. Please open the link in an up-to-date Safari, Chrome or your system browser.',
  cameraRetry: 'Try again',
  guidanceTitle: 'Face the screen',
  guideLoading: 'Preparing face detection…',
  guide_no_face: 'No face found: move your face into the frame',
  guide_multiple_faces: 'More than one face: make sure you are alone',
  guide_too_far: 'Move closer',
  guide_too_close: 'Move back a little',
  guide_off_centre: 'Centre your face in the frame',
  guide_too_dark: 'Too dark: find a brighter place',
  guide_too_bright: 'Too bright: avoid backlight and direct light',
  guide_ok: 'Good, hold still',
  guideUnavailable: 'Live guidance is not available on this device; you can still start.',
  start: 'Start',
  step_neutral: 'Look at the screen and hold still',
  step_blink: 'Blink your eyes',
  step_mouth: 'Open your mouth',
  step_turn_left: 'Turn your head left',
  step_turn_right: 'Turn your head right',
  step_nod: 'Nod your head',
  step_flash: 'Hold still: the screen will flash colours',
  progress: (i, n) => `Step ${i} of ${n}`,
  uploading: 'Checking, please wait…',
  passedTitle: 'Verified',
  failedTitle: 'Verification failed',
  retryTitle: 'Not passed this time',
  retry: 'Try again',
  attemptsLeft: (n) => `${n} ${n === 1 ? 'attempt' : 'attempts'} left`,
  redirecting: 'Returning…',
  redirectNow: 'Return now',
  done: 'You can close this page now.',
};

export const TEXTS: Record<Lang, Texts> = { zh: zh as unknown as Texts, en };

/** Human messages for the reason codes of docs/sessions.md (plus transport-level codes). */
const REASONS: Record<Lang, Record<string, string>> = {
  zh: {
    liveness_action_missing: '未检测到要求的动作,请按提示完成动作。',
    liveness_action_order: '动作顺序不正确,请按提示依次完成。',
    liveness_timeout: '操作超时,请在规定时间内完成。',
    liveness_flash_mismatch: '活体检测未通过,请在光线正常处正对屏幕重试。',
    liveness_passive_failed: '活体检测未通过,请本人正对摄像头重试。',
    liveness_failed: '活体检测未通过,请按提示重试。',
    face_not_found: '未检测到人脸,请正对摄像头。',
    multiple_faces: '检测到多张人脸,请确保画面中只有您一人。',
    face_changed: '认证过程中人脸发生变化,请本人全程完成认证。',
    quality_too_low: '照片质量不佳,请到光线充足处正对摄像头。',
    compare_failed: '人脸比对未通过。',
    reference_missing: '缺少比对照片,请联系服务方。',
    challenge_invalid: '本次认证已失效,请重新开始。',
    session_expired: '认证链接已过期,请回到原应用重新发起认证。',
    session_finished: '该认证已完成,无法再次认证。',
    attempts_exhausted: '认证次数已用完。',
    too_many_failures: '失败次数过多,请稍后再试。',
    rate_limited: '请求过于频繁,请稍后再试。',
    engine_busy: '系统繁忙,请稍后再试。',
    engine_unavailable: '系统暂时不可用,请稍后再试。',
    invalid_identity: '身份信息格式不正确。',
    identity_missing: '请先填写身份信息。',
  },
  en: {
    liveness_action_missing: 'The requested movement was not seen. Please follow the instructions.',
    liveness_action_order: 'The movements were not done in the requested order.',
    liveness_timeout: 'Time ran out. Please complete the steps in time.',
    liveness_flash_mismatch: 'The liveness check failed. Face the screen in normal light and try again.',
    liveness_passive_failed: 'The liveness check failed. Please face the camera yourself and try again.',
    liveness_failed: 'The liveness check failed. Please follow the instructions and try again.',
    face_not_found: 'No face was found. Please face the camera.',
    multiple_faces: 'More than one face was seen. Make sure you are alone.',
    face_changed: 'The face changed during the check. The same person must complete every step.',
    quality_too_low: 'The pictures were not good enough. Find good light and face the camera.',
    compare_failed: 'The face did not match.',
    reference_missing: 'No reference photo is available. Please contact the service.',
    challenge_invalid: 'This check is no longer valid. Please start again.',
    session_expired: 'This verification link has expired. Please start again from the app.',
    session_finished: 'This verification is already finished.',
    attempts_exhausted: 'No attempts are left.',
    too_many_failures: 'Too many failures. Please try again later.',
    rate_limited: 'Too many requests. Please try again later.',
    engine_busy: 'The service is busy. Please try again later.',
    engine_unavailable: 'The service is temporarily unavailable. Please try again later.',
    invalid_identity: 'The identity details are not valid.',
    identity_missing: 'Please enter your identity details first.',
  },
};

export function reasonMessage(lang: Lang, code: string | undefined, serverMessage?: string): string {
  if (code && REASONS[lang][code]) return REASONS[lang][code]!;
  if (serverMessage) return serverMessage;
  return lang === 'zh' ? '认证未通过,请重试。' : 'Verification failed. Please try again.';
}
