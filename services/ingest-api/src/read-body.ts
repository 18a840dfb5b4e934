/**
 * Reads a request body from its stream (inflated already, when it came compressed) into a
 * ScannedBody, walking it as it arrives. Every limit that can stop a request before its end
 * does so at the chunk that passes it: MAX_REQUEST_BYTES, and the scanner's event count,
 * nesting and event size. The work then stops: the body stream is paused, so a decompressor
 * inflates no further than the chunk that passed the limit (its buffers fill and it waits).
 *
 * What the client still sends is read and dropped as it comes off the wire, undecompressed
 * and unparsed, and the 4xx goes out when the request has ended: a server that answers and
 * closes while the client is still sending resets the connection, and most clients then
 * report the reset instead of the answer. At most MAX_REQUEST_BYTES are dropped that way;
 * past that the answer goes out at once (`Connection: close`, as for every refused body).
 */
import type { Readable } from 'node:stream';
import { AppError } from '@eventlake/common';
import { BodyScanner, type BodyShape, type ScanLimits, type ScannedBody } from './body-scanner.js';

/** What a body is read against. */
export interface ReadBodyOptions extends ScanLimits {
  /** The request as it comes off the wire; `payload` is it, or a decompressor fed from it. */
  raw: Readable;
  shape: BodyShape;
  /** MAX_REQUEST_BYTES: the body's bytes, counted after decompression. */
  maxBytes: number;
  /** The request's Content-Length header, if any. */
  contentLength: string | undefined;
  /** The request's Content-Encoding header, if any, for the 413's message. */
  contentEncoding: string | undefined;
}

/** The 413 of a body past MAX_REQUEST_BYTES. */
export function requestTooLarge(maxBytes: number, encoding: string | undefined): AppError {
  return new AppError('ERR_REQUEST_TOO_LARGE', `the body exceeds ${maxBytes} bytes${encoding && encoding !== 'identity' ? ' once decompressed' : ''}`, {
    status: 413,
    hint: 'split the batch into several requests',
    details: { limit: 'MAX_REQUEST_BYTES', max: maxBytes },
  });
}

/** A stream a decompressor stands in for counts the compressed bytes it was given (@fastify/compress). */
type BodyStream = Readable & { receivedEncodedLength?: number };

/** Reads `payload` and calls `done` once: with the scanned body, or with the request's error. */
export function readBody(payload: BodyStream, opts: ReadBodyOptions, done: (err: Error | null, body?: ScannedBody) => void): void {
  const declared = opts.contentLength === undefined ? NaN : Number(opts.contentLength);
  if (declared > opts.maxBytes) return done(requestTooLarge(opts.maxBytes, opts.contentEncoding));
  const scanner = new BodyScanner(opts.shape, opts);
  let received = 0;

  const detach = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  const stop = (err: Error) => {
    detach();
    payload.pause();
    drain(opts.raw, payload, opts.maxBytes, () => done(err));
  };
  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > opts.maxBytes || (payload.receivedEncodedLength ?? 0) > opts.maxBytes) return stop(requestTooLarge(opts.maxBytes, opts.contentEncoding));
    try {
      scanner.feed(bytes);
    } catch (err) {
      stop(err as Error);
    }
  }
  function onEnd(err?: Error & { statusCode?: number }): void {
    detach();
    if (err) {
      // A stream error (a body that does not inflate, a connection reset) is the client's.
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      return done(err);
    }
    if (!Number.isNaN(declared) && (payload.receivedEncodedLength || received) !== declared) {
      return done(new AppError('ERR_BAD_REQUEST', 'the body is not as long as its Content-Length says', { status: 400, hint: 'send the Content-Length of the body as sent' }));
    }
    let body: ScannedBody;
    try {
      body = scanner.finish();
    } catch (e) {
      return done(e as Error);
    }
    done(null, body);
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}

/**
 * Reads what is left of `raw` and drops it, without passing it to `payload` (a decompressor
 * it fed), then calls `then`; at once if the request had ended, or once `maxBytes` were
 * dropped.
 */
function drain(raw: Readable, payload: Readable, maxBytes: number, then: () => void): void {
  if (payload !== raw) raw.unpipe(payload as unknown as NodeJS.WritableStream);
  if (raw.readableEnded || raw.destroyed) return then();
  let dropped = 0;
  const finish = () => {
    raw.removeListener('data', onData);
    raw.removeListener('end', finish);
    raw.removeListener('error', finish);
    raw.removeListener('close', finish);
    then();
  };
  function onData(chunk: Buffer): void {
    dropped += chunk.length;
    if (dropped <= maxBytes) return;
    raw.pause();
    finish();
  }
  raw.on('data', onData);
  raw.once('end', finish);
  raw.once('error', finish);
  raw.once('close', finish);
  raw.resume();
}
