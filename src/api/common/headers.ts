/** Request header helpers shared by the vendor-protocol adapters (src/api/aliyun, src/api/volcengine). */
import type { IncomingHttpHeaders } from 'node:http';

/** The first value of header `name` (lower-case), or undefined when the request has none. */
export function header(request: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
