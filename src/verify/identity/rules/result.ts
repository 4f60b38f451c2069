/** The result shape shared by every offline rule check, and a small builder for it. */
import type { RuleReason, RuleWarning } from './codes.js';

/**
 * Outcome of one rule check. `valid` is false exactly when `reasons` is non-empty; `warnings` never make a value
 * invalid. Every entry of `reasons` and `warnings` is a stable lower snake_case code listed in docs/identity.md.
 */
export interface RuleResult<T = Record<string, unknown>> {
  valid: boolean;
  reasons: string[];
  warnings: string[];
  /** The value in its canonical form (trimmed, upper-cased, separators removed), when it could be normalised. */
  normalised?: string;
  info: T;
}

/** Builds a result; only codes of RULE_CODES (codes.ts) of the right kind compile. */
export function result<T>(reasons: RuleReason[], warnings: RuleWarning[], info: T, normalised?: string): RuleResult<T> {
  return {
    valid: reasons.length === 0,
    reasons,
    warnings,
    ...(normalised !== undefined ? { normalised } : {}),
    info,
  };
}

/** Removes ASCII/fullwidth spaces, hyphens and middle dots, converts fullwidth letters and digits, upper-cases. */
export function compact(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value
    .normalize('NFKC')
    .replace(/[\s\-·•.]/g, '')
    .toUpperCase();
}
