import fp from 'fastify-plugin';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/** The Content-Encoding values a request body may be sent with (`identity`: not compressed). */
export const REQUEST_ENCODINGS = ['gzip', 'deflate', 'br', 'identity'] as const;

/**
 * Compressed request bodies (`Content-Encoding: gzip`, `deflate` or `br`), as browser and
 * mobile SDKs send their batches: @fastify/compress inflates the body as it arrives, before
 * the JSON parser reads it. MAX_REQUEST_BYTES bounds the inflated body, so a few kilobytes of
 * gzip cannot expand into gigabytes of memory; reading stops at the limit with a 413.
 *
 * Register inside the routes' own context: only the routes declared after it accept
 * compressed bodies. Responses are not compressed (a 202 is a few dozen bytes); those routes
 * set `compress: false` so no per-request hook is added for it.
 */
async function requestEncodingPlugin(fastify: FastifyInstance): Promise<void> {
  // Content codings are case-insensitive and x-gzip means gzip (RFC 9110 §8.4.1); the plugin
  // compares exactly. Instance hooks run before the route's, where the plugin's hook sits.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined) request.headers['content-encoding'] = canonicalEncoding(encoding);
    done(null, payload);
  });
  await fastify.register(compress, {
    globalCompression: false,
    globalDecompression: true,
    requestEncodings: [...REQUEST_ENCODINGS],
  });
}

/** `GZIP ` → `gzip`, `x-gzip` → `gzip`; anything else lower-cased and trimmed. */
export function canonicalEncoding(header: string): string {
  const e = header.trim().toLowerCase();
  return e === 'x-gzip' ? 'gzip' : e;
}

export default fp(requestEncodingPlugin, { name: 'request-encoding' });
