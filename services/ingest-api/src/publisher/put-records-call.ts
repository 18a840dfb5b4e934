/**
 * PutRecords as the publisher sends it: signed and sent with the Kinesis client's own parts
 * (its endpoint rules, signer, credentials, HTTP handler and stream collector), without
 * going through `client.send`.
 *
 * Why not `client.send(new PutRecordsCommand(…))`: for every call the SDK rebuilds and sorts
 * its middleware stack, evaluates the endpoint rules, walks the input with its schema
 * serializer and formats its user agent, a cost per call that does not shrink with the call's
 * size (docs/performance.md has the measurements). Here the endpoint and the signer are
 * resolved once per publisher; the signer keeps the
 * SDK's signing-key cache and calls the client's credential provider, which refreshes
 * expiring credentials as it does for the SDK's own calls. No library offers a lighter
 * Kinesis data-plane client, so the request itself (four headers and the JSON body) is
 * written here. The publisher retries by itself, so nothing of the SDK's retry layer is lost
 * (nor spent: the client's attempts apply to its control-plane calls only); clock skew is
 * corrected as the SDK does it.
 *
 * The body is written by `putRecordsBody` rather than a JSON serializer: each record's Data
 * is base64 in one native call, and the document is built as bytes, so the signer hashes and
 * the socket sends exactly the same buffer.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';

/** One PutRecords entry as the publisher sends it. */
export interface PutRecordsEntry {
  PartitionKey: string;
  ExplicitHashKey?: string | undefined;
  Data: Uint8Array;
}

/** What a PutRecords call answers: one result per entry, in order. */
export type PutRecordsResult = Pick<PutRecordsCommandOutput, 'FailedRecordCount' | 'Records'>;

/** Sends one PutRecords call; rejects when the call as a whole failed. */
export type PutRecordsCall = (records: PutRecordsEntry[], opts: { abortSignal: AbortSignal }) => Promise<PutRecordsResult>;

/** A PutRecords call that Kinesis (or the way to it) refused as a whole. */
export class KinesisCallError extends Error {
  /** The HTTP status, if an answer came. */
  readonly statusCode: number | undefined;
  /** Kinesis' request id, for support cases. */
  readonly requestId: string | undefined;

  constructor(code: string, message: string, statusCode?: number, requestId?: string) {
    super(message);
    // The error code is the name, as the SDK's exceptions have it: logs and the retry
    // metric's `code` label read it from there.
    this.name = code;
    this.statusCode = statusCode;
    this.requestId = requestId;
  }
}

/**
 * The PutRecords JSON body (Kinesis JSON 1.1 protocol: Data as base64), member order as the
 * SDK writes it, as bytes.
 */
export function putRecordsBody(streamName: string, records: readonly PutRecordsEntry[]): Buffer {
  const pieces: string[] = new Array<string>(records.length * 2);
  let bytes = '{"Records":['.length;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const data = Buffer.from(r.Data.buffer, r.Data.byteOffset, r.Data.byteLength).toString('base64');
    let tail = '"';
    if (r.ExplicitHashKey !== undefined) tail += `,"ExplicitHashKey":${JSON.stringify(r.ExplicitHashKey)}`;
    tail += `,"PartitionKey":${JSON.stringify(r.PartitionKey)}}`;
    pieces[2 * i] = data;
    pieces[2 * i + 1] = tail;
    bytes += (i === 0 ? 0 : 1) + '{"Data":"'.length + data.length + Buffer.byteLength(tail);
  }
  const end = `],"StreamName":${JSON.stringify(streamName)}}`;
  bytes += Buffer.byteLength(end);
  const body = Buffer.allocUnsafe(bytes);
  let at = body.write('{"Records":[', 0, 'latin1');
  for (let i = 0; i < records.length; i++) {
    at += body.write(i === 0 ? '{"Data":"' : ',{"Data":"', at, 'latin1');
    at += body.write(pieces[2 * i]!, at, 'latin1');
    at += body.write(pieces[2 * i + 1]!, at, 'utf8');
  }
  body.write(end, at, 'utf8');
  return body;
}

type Config = KinesisClient['config'];
type Signer = Awaited<ReturnType<Config['signer']>>;
type SignableRequest = Parameters<Signer['sign']>[0];

interface Resolved {
  url: URL;
  signer: Signer;
  /** The header that names the host: `host`, or `:authority` over HTTP/2 (as the SDK's host-header step). */
  hostHeader: 'host' | ':authority';
  authority: string;
}

/** How far the server's clock may be from ours before requests are signed with its time (as the SDK). */
const CLOCK_SKEW_MS = 300_000;

/**
 * A PutRecordsCall for `streamName` made with `client`'s endpoint, credentials and HTTP
 * handler. The endpoint and signer are resolved at the first call; a failure there is the
 * call's failure, and the next call tries again.
 */
export function directPutRecords(client: KinesisClient, streamName: string): PutRecordsCall {
  const config = client.config;
  let resolved: Promise<Resolved> | undefined;
  const resolve = async (): Promise<Resolved> => {
    // The SDK's own endpoint resolution for this operation: custom endpoints, FIPS,
    // dual-stack and partitions (amazonaws.com.cn) come out as they do for client.send.
    const endpoint = await getEndpointFromInstructions({ StreamName: streamName }, PutRecordsCommand, config);
    const url = new URL(endpoint.url.href);
    const h2 = ((config.requestHandler as { metadata?: { handlerProtocol?: string } }).metadata?.handlerProtocol ?? '').includes('h2');
    return {
      url,
      signer: await config.signer(),
      hostHeader: h2 ? ':authority' : 'host',
      authority: url.port ? `${url.hostname}:${url.port}` : url.hostname,
    };
  };

  return async (records, { abortSignal }) => {
    resolved ??= resolve().catch((err: unknown) => {
      resolved = undefined;
      throw err;
    });
    const { url, signer, hostHeader, authority } = await resolved;
    const body = putRecordsBody(streamName, records);
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Kinesis_20131202.PutRecords',
      'content-length': String(body.length),
      'user-agent': 'eventlake-ingest-api',
      [hostHeader]: authority,
    };
    const request = {
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      method: 'POST',
      path: url.pathname,
      query: {},
      headers,
      body,
    } as SignableRequest;
    const signed = await signer.sign(request, { signingDate: new Date(Date.now() + (config.systemClockOffset ?? 0)) });
    const { response } = (await config.requestHandler.handle(signed, { abortSignal })) as { response: HttpAnswer };
    const bytes = await config.streamCollector(response.body);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    const requestId = header(response, 'x-amzn-requestid');
    if (response.statusCode < 200 || response.statusCode >= 300) {
      correctClockSkew(config, header(response, 'date'));
      throw callError(response, text, requestId);
    }
    let out: PutRecordsResult;
    try {
      out = JSON.parse(text) as PutRecordsResult;
    } catch {
      throw new KinesisCallError('InvalidResponse', `PutRecords answered ${response.statusCode} with a body that is not JSON`, response.statusCode, requestId);
    }
    if (!Array.isArray(out.Records)) {
      throw new KinesisCallError('InvalidResponse', 'PutRecords answered without a Records list', response.statusCode, requestId);
    }
    return out;
  };
}

interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

function header(response: HttpAnswer, name: string): string | undefined {
  for (const [k, v] of Object.entries(response.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The error of a refused call: the code from `x-amzn-errortype` or the JSON `__type`, as the SDK reads it. */
function callError(response: HttpAnswer, text: string, requestId: string | undefined): KinesisCallError {
  let doc: { __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') doc = parsed as typeof doc;
  } catch {
    // Not JSON (a proxy's or load balancer's page): the status says what happened.
  }
  const raw = header(response, 'x-amzn-errortype') ?? (typeof doc.__type === 'string' ? doc.__type : undefined);
  // "com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException:http://…" → the bare name.
  const code = raw?.split(':')[0]?.split('#').pop() || (response.statusCode >= 500 ? 'ServiceUnavailable' : `Http${response.statusCode}`);
  const message = typeof doc.message === 'string' ? doc.message : typeof doc.Message === 'string' ? doc.Message : `PutRecords answered ${response.statusCode}`;
  return new KinesisCallError(code, message, response.statusCode, requestId);
}

/**
 * A refused call whose answer's Date is minutes from our clock (plus the offset in use) moves
 * the client's clock offset to the server's, so that the retry is signed with a time the
 * service accepts; the SDK's signer does the same with the same offset.
 */
function correctClockSkew(config: Config, date: string | undefined): void {
  if (!date) return;
  const server = Date.parse(date);
  if (Number.isNaN(server)) return;
  const now = Date.now();
  if (Math.abs(server - (now + (config.systemClockOffset ?? 0))) >= CLOCK_SKEW_MS) config.systemClockOffset = server - now;
}
