/**
 * Writes the reference pages generated from code: docs/errors.md (reason codes) and docs/configuration.md
 * (settings). `npx tsx scripts/gen-docs.ts`; src/docs.test.ts fails when they are out of date.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../src/config.js';
import { REASONS } from '../src/errors.js';

export function errorsPage(): string {
  const rows = Object.entries(REASONS).map(([code, r]) => `| \`${code}\` | ${r.status} | ${r.message} |`);
  return `# Error codes

Every error of the native API has one envelope, with the HTTP status below; the same \`request_id\` is in the
\`x-request-id\` response header:

\`\`\`json
{ "error": { "code": "face_not_found", "message": "No face was found in the image.", "details": {} }, "request_id": "…" }
\`\`\`

Codes are stable and never renamed (\`src/errors.ts\`). Vendor protocols map each code to the vendor's own code in
their adapters. Outcomes such as "different person" or "spoof" are results with scores, not errors. \`engine_busy\`
and \`rate_limited\` answers carry a \`Retry-After\` header. \`internal\` never echoes the underlying message; look the
request id up in the logs.

| code | HTTP | meaning |
|---|---|---|
${rows.join('\n')}
`;
}

export function configurationPage(): string {
  const rows = Object.entries(SETTINGS).map(([name, text]) => `| \`${name}\` | ${text} |`);
  return `# Configuration

Settings come from environment variables, or from a JSON file named by \`SHIREN_CONFIG\` holding the same names
(\`{"PORT": 9000}\`); the environment wins. They are validated at start: every problem is reported in one line and
the process exits with a non-zero code before opening anything.

| setting | meaning |
|---|---|
${rows.join('\n')}

**Runtime settings.** The three \`SHIREN_IMAGE_FETCH_*\` settings are start-up values: an admin can override them
on the console's Settings page (docs/console.md, "Settings"), and a value saved there wins over the environment
until it is reset; every process picks a change up within 30 seconds. The same page holds the defaults of new plans
(thresholds, retention) and retention limits, which have no environment variable.

Exit codes of \`shiren\`: 78 bad configuration; 75 the embedded database is held by another process; 69 database
unreachable, master key mismatch or port in use; 77 permission denied; 1 anything else.
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  writeFileSync(path.join(root, 'docs/errors.md'), errorsPage());
  writeFileSync(path.join(root, 'docs/configuration.md'), configurationPage());
}
