/**
 * Opening the front camera, with each failure classified into one fallback the page can explain:
 * insecure context, unsupported browser, permission denied, no camera, camera in use.
 */
export type CameraProblem = 'insecure' | 'unsupported' | 'denied' | 'no-camera' | 'in-use';

export class CameraError extends Error {
  constructor(
    readonly problem: CameraProblem,
    detail: string,
  ) {
    super(detail);
  }
}

export function cameraPrecheck(): CameraProblem | null {
  // getUserMedia exists only in secure contexts (https, localhost): check that first, so the message is right.
  if (typeof window.isSecureContext === 'boolean' && !window.isSecureContext) return 'insecure';
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') return 'unsupported';
  if (typeof HTMLCanvasElement === 'undefined' || typeof HTMLCanvasElement.prototype.toBlob !== 'function') {
    return 'unsupported';
  }
  return null;
}

export function classifyCameraError(err: unknown): CameraProblem {
  const name = (err as { name?: string } | null)?.name ?? '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'no-camera';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'in-use';
    default:
      return 'unsupported';
  }
}

export async function openCamera(video: HTMLVideoElement): Promise<MediaStream> {
  const pre = cameraPrecheck();
  if (pre) throw new CameraError(pre, 'precheck');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 15 } },
    });
  } catch (err) {
    throw new CameraError(classifyCameraError(err), String((err as Error)?.name ?? err));
  }
  video.muted = true;
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  video.srcObject = stream;
  await video.play().catch(() => undefined);
  if (video.readyState < 2 || video.videoWidth === 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new CameraError('in-use', 'no video frames')), 8000);
      video.addEventListener(
        'loadeddata',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
  return stream;
}

export function stopCamera(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

export function cameraLabel(stream: MediaStream | null): string {
  const track = stream?.getVideoTracks()[0];
  if (!track) return '';
  const s = track.getSettings();
  return `${track.label || 'camera'} ${s.width ?? '?'}x${s.height ?? '?'}@${Math.round(s.frameRate ?? 0)}`;
}
