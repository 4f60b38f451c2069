/**
 * Native face endpoints: /v1/faces/detect, /v1/faces/compare, /v1/faces/liveness.
 * Images are JSON fields holding base64 or a data URL.
 */
import { abortWhenClientGone } from '../common/abort.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ShirenError } from '../../errors.js';
import type { FaceService } from '../../verify/face-service.js';

const box = {
  type: 'object',
  required: ['x', 'y', 'width', 'height'],
  properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } },
} as const;

const quality = {
  type: 'object',
  description: 'Volcengine image_face_detail fields (docs/quality.md)',
  additionalProperties: { type: 'number' },
} as const;

const face = {
  type: 'object',
  properties: {
    box,
    score: { type: 'number', description: 'detector confidence 0–1' },
    landmarks5: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    quality,
  },
} as const;

const image = {
  type: 'object',
  properties: {
    width: { type: 'integer' },
    height: { type: 'integer' },
    rotation: { type: 'integer', description: 'degrees the image was turned to find the face (0/90/180/270)' },
  },
  additionalProperties: true,
} as const;

const imageField = {
  type: 'string',
  minLength: 1,
  description: 'the image as base64 or a data URL (JPEG, PNG, WebP, BMP)',
} as const;

const commonOptions = {
  requireSingleFace: { type: 'boolean', description: 'fail with multiple_faces when more than one face is present' },
  crop: { ...box, description: 'analyse only this rectangle' },
} as const;

const errors = {
  400: { $ref: 'ErrorEnvelope#' },
  401: { $ref: 'ErrorEnvelope#' },
  413: { $ref: 'ErrorEnvelope#' },
  422: { $ref: 'ErrorEnvelope#' },
  503: { $ref: 'ErrorEnvelope#' },
} as const;

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { hmac: [] }];

interface SingleImageBody {
  image?: string;
  requireSingleFace?: boolean;
  crop?: { x: number; y: number; width: number; height: number };
}

function singleImage(request: FastifyRequest): { input: string; opts: Omit<SingleImageBody, 'image'> } {
  const { image, ...opts } = request.body as SingleImageBody;
  if (!image) throw new ShirenError('invalid_request', 'the image field is required', { details: { field: 'image' } });
  return { input: image, opts };
}

const singleImageBody = {
  type: 'object',
  required: ['image'],
  properties: { image: imageField, ...commonOptions },
  additionalProperties: false,
} as const;

export function faceRoutes(faces: FaceService) {
  return (app: FastifyInstance) => {
    app.post(
      '/faces/detect',
      {
        schema: {
          tags: ['faces'],
          summary: 'Detect faces, with landmarks and quality',
          description: 'Several faces: all are returned, largest first.',
          security,
          body: singleImageBody,
          response: {
            200: {
              type: 'object',
              properties: { image, faceCount: { type: 'integer' }, faces: { type: 'array', items: face } },
            },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { input, opts } = singleImage(request);
        const r = await faces.detect(input, { ...opts, signal: abortWhenClientGone(reply) });
        return { image: r.image, faceCount: r.faceCount, faces: r.faces };
      },
    );

    app.post(
      '/faces/compare',
      {
        schema: {
          tags: ['faces'],
          summary: '1:1 comparison with a calibrated score',
          description:
            "score is 0–100 on the vendors' scale: 60/70/80/90 at false-accept rates 1e-3/1e-4/1e-5/1e-6 " +
            '(docs/calibration.md). passed = score ≥ threshold; the default threshold is 70 (FAR 1e-4).',
          security,
          body: {
            type: 'object',
            required: ['imageA', 'imageB'],
            additionalProperties: false,
            properties: {
              imageA: imageField,
              imageB: imageField,
              far: { type: 'string', enum: ['1e-3', '1e-4', '1e-5', '1e-6'], description: 'decide at this FAR' },
              threshold: {
                type: 'number',
                minimum: 0,
                maximum: 100,
                description: 'decide at this score (wins over far)',
              },
              requireSingleFace: commonOptions.requireSingleFace,
              cropA: box,
              cropB: box,
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                passed: { type: 'boolean' },
                score: { type: 'number' },
                similarity: { type: 'number' },
                threshold: { type: 'number' },
                far: { type: 'string', nullable: true },
                thresholds: { type: 'object', additionalProperties: { type: 'number' } },
                source: { type: 'object', properties: { image, faceCount: { type: 'integer' }, face } },
                target: { type: 'object', properties: { image, faceCount: { type: 'integer' }, face } },
              },
            },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const b = request.body as {
          imageA: string;
          imageB: string;
          far?: '1e-3' | '1e-4' | '1e-5' | '1e-6';
          threshold?: number;
          requireSingleFace?: boolean;
          cropA?: { x: number; y: number; width: number; height: number };
          cropB?: { x: number; y: number; width: number; height: number };
        };
        const r = await faces.compare({ ...b, signal: abortWhenClientGone(reply) });
        return {
          passed: r.passed,
          score: Math.round(r.score * 100) / 100,
          similarity: Math.round(r.similarity * 1e6) / 1e6,
          threshold: r.threshold,
          far: r.far,
          thresholds: r.thresholds,
          source: r.source,
          target: r.target,
        };
      },
    );

    app.post(
      '/faces/liveness',
      {
        schema: {
          tags: ['faces'],
          summary: 'Passive (single-image) liveness: a low-risk check',
          description:
            'One photo cannot prove liveness against a good replay; use the H5 action/flash flow for strong checks ' +
            '(docs/liveness.md).',
          security,
          body: singleImageBody,
          response: {
            200: {
              type: 'object',
              properties: {
                isLive: { type: 'boolean' },
                score: { type: 'number', description: '0–1, higher = more likely live' },
                threshold: { type: 'number' },
                models: { type: 'object', additionalProperties: { type: 'number' } },
                faceCount: { type: 'integer' },
                face,
                image,
              },
            },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { input, opts } = singleImage(request);
        const r = await faces.liveness(input, { ...opts, signal: abortWhenClientGone(reply) });
        return {
          isLive: r.isLive,
          score: r.liveness.score,
          threshold: r.threshold,
          models: r.liveness.models,
          faceCount: r.faceCount,
          face: r.face,
          image: r.image,
        };
      },
    );
  };
}
