/**
 * A loopback proxy in front of an emulator that records every request as IAM would see it:
 * the action it is authorized as, what it targets and the headers IAM reads as condition keys.
 * The emulators check no IAM at all; the services' integration tests put this in front of them
 * to prove that the AWS calls each service declares (`AwsCall`) are the ones it really sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as it reached the emulator. */
export interface RecordedRequest {
  /** The IAM action (`kinesis:GetRecords`, `s3:PutObject`); `unknown:<METHOD> <path>` when the proxy cannot tell. */
  action: string;
  /** S3: the bucket. */
  bucket?: string;
  /** S3 object requests: the key. */
  key?: string;
  /** S3 listings: the prefix they are limited to (IAM's `s3:prefix`), when they name one. */
  prefix?: string;
  /** Kinesis and DynamoDB: the `StreamName`/`StreamARN` or `TableName` of the body, when it names one. */
  target?: string;
  /** The request's headers that IAM reads as `s3:` condition keys (SSE, ACL, copy source), keyed as the condition key. */
  context: Record<string, string>;
}

/** A running proxy. */
export interface RecordingProxy {
  /** Point the SDK client here instead of at the emulator. */
  endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

// JSON-protocol services name the operation in X-Amz-Target: `<prefix>.<Operation>`.
const TARGET_SERVICES: Record<string, string> = { Kinesis_20131202: 'kinesis', DynamoDB_20120810: 'dynamodb' };

// The request headers S3 exposes to policies as condition keys of the same name.
const S3_CONDITION_HEADERS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-acl',
  'x-amz-copy-source',
  'x-amz-storage-class',
  'x-amz-object-lock-mode',
];

/**
 * The IAM action of an S3 REST request (path-style: `/<bucket>/<key>`). Multipart steps are
 * authorized as the actions AWS documents: UploadPart and Complete as s3:PutObject.
 */
export function s3Action(method: string, path: string, searchParams: URLSearchParams): { action: string; bucket?: string; key?: string; prefix?: string } {
  // The SDK adds `x-id=<Operation>` to some requests; it names no sub-resource.
  const query = new URLSearchParams(searchParams);
  query.delete('x-id');
  const [bucket, ...rest] = path.replace(/^\//, '').split('/');
  // `/<bucket>/` (a trailing slash, as the SDK sends ListObjectsV2) names the bucket alone.
  const key = rest.join('/') === '' ? undefined : decodeURIComponent(rest.join('/'));
  const named = { ...(bucket ? { bucket } : {}), ...(key ? { key } : {}) };
  const m = method.toUpperCase();
  if (!bucket) return { action: m === 'GET' ? 's3:ListAllMyBuckets' : `unknown:${m} ${path}` };
  if (key === undefined) {
    if (m === 'GET' && query.has('uploads')) return { action: 's3:ListBucketMultipartUploads', ...named };
    if (m === 'GET' && query.has('location')) return { action: 's3:GetBucketLocation', ...named };
    if (m === 'GET' || m === 'HEAD') {
      const prefix = query.get('prefix');
      return { action: 's3:ListBucket', ...named, ...(prefix ? { prefix } : {}) };
    }
    if (m === 'PUT' && [...query.keys()].length === 0) return { action: 's3:CreateBucket', ...named };
    if (m === 'POST' && query.has('delete')) return { action: 's3:DeleteObject', ...named };
    return { action: `unknown:${m} ${path}?${query.toString()}`, ...named };
  }
  if (m === 'PUT' && query.has('uploadId')) return { action: 's3:PutObject', ...named };
  if (m === 'POST' && (query.has('uploads') || query.has('uploadId'))) return { action: 's3:PutObject', ...named };
  if (m === 'DELETE' && query.has('uploadId')) return { action: 's3:AbortMultipartUpload', ...named };
  if (m === 'GET' && query.has('uploadId')) return { action: 's3:ListMultipartUploadParts', ...named };
  if (m === 'PUT' && [...query.keys()].length === 0) return { action: 's3:PutObject', ...named };
  if ((m === 'GET' || m === 'HEAD') && [...query.keys()].length === 0) return { action: 's3:GetObject', ...named };
  if (m === 'DELETE' && [...query.keys()].length === 0) return { action: 's3:DeleteObject', ...named };
  return { action: `unknown:${m} ${path}?${query.toString()}`, ...named };
}

function describe(req: http.IncomingMessage, body: Buffer): RecordedRequest {
  const amzTarget = req.headers['x-amz-target'];
  if (typeof amzTarget === 'string') {
    const [prefix, operation] = amzTarget.split('.');
    const service = TARGET_SERVICES[prefix ?? ''] ?? `unknown(${prefix})`;
    let target: string | undefined;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const named = parsed.StreamName ?? parsed.StreamARN ?? parsed.TableName;
      if (typeof named === 'string') target = named;
    } catch {
      // not JSON: nothing to name
    }
    return { action: `${service}:${operation ?? '?'}`, ...(target ? { target } : {}), context: {} };
  }
  const url = new URL(req.url ?? '/', 'http://proxy');
  const context: Record<string, string> = {};
  for (const h of S3_CONDITION_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') context[`s3:${h}`] = v;
  }
  return { ...s3Action(req.method ?? 'GET', url.pathname, url.searchParams), context };
}

/** Starts a recording proxy on 127.0.0.1 (a free port) in front of `targetEndpoint`. */
export async function startRecordingProxy(targetEndpoint: string): Promise<RecordingProxy> {
  const target = new URL(targetEndpoint);
  const requests: RecordedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push(describe(req, body));
      // The body is already here: forward it whole, without asking the emulator to continue.
      const headers = { ...req.headers, 'content-length': String(body.length) };
      delete headers.expect;
      delete headers['transfer-encoding'];
      const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording proxy: ${err.message}`);
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
