/**
 * Native identity endpoints (docs/identity.md): POST /v1/identity/checks runs one information check; the registry
 * routes import people from CSV, list them (masked), show and delete one; /v1/identity/settings chooses the app's
 * default provider and its http upstream. An app sees only its own registry.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/access-keys.js';
import { ShirenError } from '../../errors.js';
import type { CheckInput, IdentityChecks, IdentitySettingsInput } from '../../verify/identity/checks.js';
import type { RegistryService } from '../../verify/identity/registry.js';
import { CHECK_KINDS } from '../../verify/identity/types.js';
import { decodeBase64Image } from '../../verify/sessions.js';

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { hmac: [] }];
const errors = {
  400: { $ref: 'ErrorEnvelope#' },
  401: { $ref: 'ErrorEnvelope#' },
  404: { $ref: 'ErrorEnvelope#' },
  501: { $ref: 'ErrorEnvelope#' },
  503: { $ref: 'ErrorEnvelope#' },
  504: { $ref: 'ErrorEnvelope#' },
} as const;

const str = (description: string, maxLength = 256) => ({ type: 'string', maxLength, description }) as const;

const ruleSchema = {
  type: 'object',
  properties: {
    valid: { type: 'boolean' },
    reasons: { type: 'array', items: { type: 'string' } },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;

const personSchema = {
  type: 'object',
  description: 'A registry person, masked: the stored values are never returned in clear',
  properties: {
    id: { type: 'string' },
    name: { type: 'string', description: 'masked: 张*' },
    idNumber: { type: 'string', description: 'masked: 110***********4514' },
    mobile: { type: 'string', nullable: true },
    mobileIsp: { type: 'string', nullable: true },
    bankCard: { type: 'string', nullable: true },
    plate: { type: 'string', nullable: true },
    vehicleType: { type: 'string', nullable: true },
    vin: { type: 'string', nullable: true },
    validity: {
      type: 'object',
      nullable: true,
      properties: { from: { type: 'string' }, to: { type: 'string' } },
    },
    photo: { type: 'boolean' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const settingsSchema = {
  type: 'object',
  properties: {
    defaultProvider: { type: 'string' },
    http: {
      type: 'object',
      nullable: true,
      properties: {
        url: { type: 'string' },
        timeoutMs: { type: 'integer' },
        failureThreshold: { type: 'integer' },
        cooldownMs: { type: 'integer' },
        authorizationSet: { type: 'boolean' },
        breaker: { type: 'string', description: 'closed, open or half_open' },
      },
    },
  },
} as const;

function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new ShirenError('unauthorized');
  return request.principal;
}

interface CheckBody {
  check: CheckInput['kind'];
  paramType?: 'normal' | 'md5';
  planId?: number;
  elements?: 2 | 3 | 4;
  fields?: Record<string, string>;
}

export function identityRoutes(deps: { checks: IdentityChecks; registry: RegistryService; maxImageBytes: number }) {
  return (app: FastifyInstance) => {
    app.post(
      '/identity/checks',
      {
        schema: {
          tags: ['identity'],
          summary: 'Run one identity information check against the configured source',
          description:
            'The fields are validated first (a wrong check digit is invalid_request); then the plan’s provider ' +
            '(planId) or the app’s default answers consistent, inconsistent or no_record. Checks no configured ' +
            'source can answer are not_supported with details.code no_authoritative_source or source_cannot_answer.',
          security,
          body: {
            type: 'object',
            required: ['check'],
            additionalProperties: false,
            properties: {
              check: { type: 'string', enum: CHECK_KINDS },
              paramType: { type: 'string', enum: ['normal', 'md5'], description: 'default normal' },
              planId: { type: 'integer', minimum: 1, description: 'use this plan’s identityProvider' },
              elements: {
                type: 'integer',
                minimum: 2,
                maximum: 4,
                description: 'bank_card: 2 card+name, 3 +idNumber, 4 +mobile; vehicle_meta: 2 plate+name, 3 +idNumber',
              },
              fields: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  name: str('name (or its md5 form)'),
                  idNumber: str('ID number (or its md5 form)'),
                  mobile: str('mobile number (or md5)'),
                  bankCard: str('bank card number (or its md5 form)'),
                  plate: str('licence plate (or md5)'),
                  vehicleType: str('号牌种类, e.g. 02', 8),
                  vin: str('VIN (or md5)'),
                  validFrom: str('ID card validity start, yyyyMMdd', 16),
                  validTo: str('ID card validity end, yyyyMMdd or 长期', 16),
                  registerDate: str('mobile_recycled: when the person registered the number with you, yyyyMMdd', 16),
                  face: { type: 'string', description: 'id3: base64 face photo' },
                },
              },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                check: { type: 'string' },
                provider: { type: 'string' },
                result: { type: 'string', enum: ['consistent', 'inconsistent', 'no_record'] },
                bizCode: {
                  type: 'integer',
                  description: 'Cloudauth BizCode: 1 consistent, 2 inconsistent, 3 no record',
                },
                mismatched: { type: 'array', items: { type: 'string' } },
                isp: { type: 'string' },
                timeCode: { type: 'string' },
                subCode: { type: 'string' },
                vehicle: { type: 'object', additionalProperties: true },
                face: {
                  type: 'object',
                  properties: { score: { type: 'number' }, threshold: { type: 'number' }, passed: { type: 'boolean' } },
                },
                rules: { type: 'object', additionalProperties: ruleSchema },
              },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const p = principal(request);
        const body = request.body as CheckBody;
        const f = body.fields ?? {};
        const { face, ...text } = f;
        const input: CheckInput = {
          kind: body.check,
          ...(body.paramType ? { paramType: body.paramType } : {}),
          ...(body.elements ? { elements: body.elements } : {}),
          ...text,
          ...(face ? { face: decodeBase64Image('fields.face', face, deps.maxImageBytes) } : {}),
        };
        const o = await deps.checks.check(p.appId, input, body.planId ? { planId: body.planId } : {});
        const { kind, ...rest } = o;
        return {
          check: kind,
          ...rest,
          bizCode: o.result === 'consistent' ? 1 : o.result === 'inconsistent' ? 2 : 3,
        };
      },
    );

    app.post(
      '/identity/registry/import',
      {
        schema: {
          tags: ['identity'],
          summary: 'Import people into the identity registry from CSV',
          description:
            'A header row, then one person per row. Columns: name, id_number (required), mobile, bank_card, plate, ' +
            'vehicle_type, vin, valid_from, valid_to, photo (base64 or a data URL; file paths only in the CLI). ' +
            'A row with the ID number of a registered person replaces it. Bad rows are reported and skipped.',
          security,
          body: {
            type: 'object',
            required: ['csv'],
            additionalProperties: false,
            properties: { csv: { type: 'string', minLength: 1 } },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                rows: { type: 'integer' },
                created: { type: 'integer' },
                updated: { type: 'integer' },
                rejected: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { line: { type: 'integer' }, field: { type: 'string' }, reason: { type: 'string' } },
                  },
                },
                ignoredColumns: { type: 'array', items: { type: 'string' } },
              },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const p = principal(request);
        const { csv } = request.body as { csv: string };
        return deps.registry.importCsv(p.appId, csv, {
          photo: async (v) => {
            if (!v.startsWith('data:') && !/^[A-Za-z0-9+/_=\s-]+$/.test(v))
              throw new Error('give the photo as base64 (file paths are read only by the CLI)');
            return decodeBase64Image('photo', v, deps.maxImageBytes);
          },
        });
      },
    );

    app.get(
      '/identity/registry',
      {
        schema: {
          tags: ['identity'],
          summary: 'The app’s registry people, masked, by id',
          security,
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
              after: { type: 'string', maxLength: 64, description: 'the `next` of the previous page' },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                people: { type: 'array', items: personSchema },
                total: { type: 'integer' },
                next: { type: 'string', nullable: true },
              },
            },
            ...errors,
          },
        },
      },
      async (request) => {
        const q = request.query as { limit?: number; after?: string };
        return deps.registry.list(principal(request).appId, {
          ...(q.limit ? { limit: q.limit } : {}),
          ...(q.after ? { after: q.after } : {}),
        });
      },
    );

    const idParams = {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
    } as const;

    app.get(
      '/identity/registry/:id',
      {
        schema: {
          tags: ['identity'],
          summary: 'One registry person, masked',
          security,
          params: idParams,
          response: { 200: personSchema, ...errors },
        },
      },
      async (request) => deps.registry.get(principal(request).appId, (request.params as { id: string }).id),
    );

    app.delete(
      '/identity/registry/:id',
      {
        schema: {
          tags: ['identity'],
          summary: 'Delete a registry person with its look-up keys and its photo',
          security,
          params: idParams,
          response: {
            200: { type: 'object', properties: { deleted: { type: 'boolean' }, blobs: { type: 'integer' } } },
            ...errors,
          },
        },
      },
      async (request) => deps.registry.delete(principal(request).appId, (request.params as { id: string }).id),
    );

    app.get(
      '/identity/settings',
      {
        schema: {
          tags: ['identity'],
          summary: 'The app’s identity provider settings',
          security,
          response: { 200: settingsSchema, ...errors },
        },
      },
      async (request) => deps.checks.getSettings(principal(request).appId),
    );

    app.put(
      '/identity/settings',
      {
        schema: {
          tags: ['identity'],
          summary: 'Choose the app’s default identity provider',
          description:
            'The http upstream itself (URL, Authorization, timeout, breaker) is set by the operator with `shiren identity settings`: a tenant must not make the server call arbitrary addresses.',
          security,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              defaultProvider: { type: 'string', enum: ['registry', 'http', 'none'] },
            },
          },
          response: { 200: settingsSchema, ...errors },
        },
      },
      async (request) =>
        deps.checks.setSettings(principal(request).appId, (request.body ?? {}) as IdentitySettingsInput),
    );
  };
}
