/**
 * The API's one error handler: every failure leaves as `AppError.toJSON()`. Client mistakes
 * that Fastify and @fastify/compress detect (content type, content coding) are given stable codes; anything
 * else is an internal fault, logged in full and answered without internals.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '@eventlake/common';
import { REQUEST_ENCODINGS } from '../external/request-encoding.js';
import { NDJSON_TYPES } from './json-body.js';

function fromFastify(err: FastifyError, request: FastifyRequest): AppError | undefined {
  const encoding = request.headers['content-encoding'];
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON or NDJSON', {
        status: 415,
        hint: `send Content-Type: application/json, or ${NDJSON_TYPES.join(' or ')} for one event per line`,
      });
    case 'FST_CP_ERR_INVALID_CONTENT_ENCODING':
      return new AppError('ERR_UNSUPPORTED_CONTENT_ENCODING', `the body's Content-Encoding ${JSON.stringify(encoding)} is not supported`, {
        status: 415,
        hint: `send the body as is, or compressed with one of: ${REQUEST_ENCODINGS.filter((e) => e !== 'identity').join(', ')}`,
        details: { supported: [...REQUEST_ENCODINGS] },
      });
    case 'FST_CP_ERR_INVALID_CONTENT':
      return new AppError('ERR_CONTENT_DECODING', `the body is not valid ${encoding} data`, {
        status: 400,
        hint: 'compress the whole body once with the encoding named in Content-Encoding, or send it uncompressed without that header',
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('ERR_EMPTY_BODY', 'the body is empty', { status: 400, hint: 'send a JSON event or array of events' });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError('ERR_BAD_REQUEST', err.message, { status: err.statusCode });
  }
  return undefined;
}

async function errorsPlugin(fastify: FastifyInstance): Promise<void> {
  const errors = fastify.metrics.counter('errors_total', 'Error responses by code', ['code']);
  const retryAfter = String(fastify.config.RETRY_AFTER_SECONDS);

  fastify.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = isAppError(err) ? err : fromFastify(err, request);
    if (!appError || appError.status >= 500) {
      if (!appError) request.log.error({ event: 'internal_error', err }, 'internal_error');
      const shown = appError ?? new AppError('ERR_INTERNAL', 'internal error', { status: 500, hint: 'retry; report the request id if it persists' });
      errors.inc({ code: shown.code });
      if (shown.status === 503) void reply.header('retry-after', retryAfter);
      return reply.code(shown.status).send(shown.toJSON());
    }
    errors.inc({ code: appError.code });
    request.log.info({ event: 'request_refused', code: appError.code }, 'request_refused');
    return reply.code(appError.status).send(appError.toJSON());
  });

  fastify.setNotFoundHandler((request, reply) => {
    errors.inc({ code: 'ERR_NOT_FOUND' });
    const e = new AppError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`, {
      status: 404,
      hint: 'see GET /openapi.json for the endpoints',
    });
    return reply.code(404).send(e.toJSON());
  });
}

export default fp(errorsPlugin, { name: 'errors', dependencies: ['metrics'] });
