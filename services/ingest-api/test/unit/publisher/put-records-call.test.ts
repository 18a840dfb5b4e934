import t from 'tap';
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { KinesisClient, PutRecordsCommand, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { createLogger } from '@eventlake/common';
import { createKinesisClient } from '../../../src/kinesis.js';
import { KinesisPublisher } from '../../../src/publisher/kinesis-publisher.js';
import { KinesisCallError, directPutRecords, type PutRecordsEntry } from '../../../src/publisher/put-records-call.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Sent {
  protocol: string;
  hostname: string;
  port: number | undefined;
  method: string;
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  abortSignal: AbortSignal | undefined;
}

interface Answer {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

const OK: Answer = { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"FailedRecordCount":0,"Records":[]}' };

/** A client whose HTTP handler keeps each request it is given and answers from `answers` (then success). */
function capturingClient(config: Partial<KinesisClientConfig> = {}, answers: Answer[] = [], protocol = 'http/1.1') {
  const sent: Sent[] = [];
  const client = new KinesisClient({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: {
      metadata: { handlerProtocol: protocol },
      handle: async (
        request: { protocol: string; hostname: string; port?: number; method: string; path: string; body: unknown; headers: Record<string, string> },
        opts?: { abortSignal?: AbortSignal },
      ) => {
        const raw = request.body;
        const body = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : Buffer.from(String(raw));
        sent.push({ ...request, port: request.port, body, headers: { ...request.headers }, abortSignal: opts?.abortSignal });
        const a = answers.shift() ?? OK;
        return { response: { statusCode: a.statusCode, headers: a.headers ?? {}, body: Readable.from([Buffer.from(a.body)]) } };
      },
    } as unknown as KinesisClientConfig['requestHandler'],
    ...config,
  });
  t.teardown(() => client.destroy());
  return { client, sent };
}

const records: PutRecordsEntry[] = [
  { PartitionKey: 'user-1', Data: Buffer.from('{"a":1}') },
  { PartitionKey: 'ключ "q"', ExplicitHashKey: '340282366920938463463374607431768211455', Data: Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0, 255, 1]) },
  // A view into a larger buffer: only its own bytes may be sent.
  { PartitionKey: 'view', Data: Buffer.from('xxHELLOxx').subarray(2, 7) },
  { PartitionKey: 'empty', Data: Buffer.alloc(0) },
];

const signal = () => AbortSignal.timeout(5_000);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * The Authorization header AWS expects for `req`, computed here from the SigV4 specification
 * (not with the SDK's signer), over the headers the request says it signed.
 */
function expectedAuthorization(req: Sent, region: string, service: string): string {
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const amzDate = req.headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const value = (name: string) => Object.entries(req.headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${value(h).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [req.method, req.path, '', canonicalHeaders, signedHeaders, sha256(req.body)].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

t.test('the request is the one the SDK sends for the same records, and its signature is valid', async (t) => {
  const ours = capturingClient({ endpoint: 'http://127.0.0.1:4567' });
  const sdk = capturingClient({ endpoint: 'http://127.0.0.1:4567' });
  await directPutRecords(ours.client, 'events')(records, { abortSignal: signal() });
  await sdk.client.send(new PutRecordsCommand({ StreamName: 'events', Records: records }));
  const [o, s] = [ours.sent[0]!, sdk.sent[0]!];
  t.equal(o.body.toString('utf8'), s.body.toString('utf8'), 'the body is byte for byte the SDK serializer’s document');
  t.equal(JSON.parse(o.body.toString()).Records[2].Data, Buffer.from('HELLO').toString('base64'), 'a view sends its own bytes only');
  t.same([o.method, o.protocol, o.hostname, o.port, o.path], [s.method, s.protocol, s.hostname, s.port, s.path], 'same method, endpoint and path');
  for (const h of ['host', 'content-type', 'x-amz-target', 'content-length', 'x-amz-content-sha256']) {
    t.equal(o.headers[h], s.headers[h], `same ${h}`);
  }
  t.equal(o.headers['content-length'], String(o.body.length), 'content-length counts the bytes sent');
  t.equal(o.headers['x-amz-content-sha256'], sha256(o.body), 'the signature covers the body sent');
  const signed = /SignedHeaders=([^,]+)/.exec(o.headers.authorization ?? '')?.[1]?.split(';') ?? [];
  for (const h of ['host', 'content-type', 'x-amz-date', 'x-amz-target']) t.ok(signed.includes(h), `${h} is signed`);
  t.equal(o.headers.authorization, expectedAuthorization(o, 'us-east-1', 'kinesis'), 'the signature is what AWS computes from the request');
  t.equal(o.abortSignal?.aborted, false, 'the caller’s abort signal reaches the HTTP handler');
});

t.test('the endpoint comes from the SDK’s rules for the client’s region and options', async (t) => {
  const cases: [Partial<KinesisClientConfig>, string][] = [
    [{ region: 'eu-west-1' }, 'https://kinesis.eu-west-1.amazonaws.com/'],
    [{ region: 'us-east-1', useFipsEndpoint: true }, 'https://kinesis-fips.us-east-1.amazonaws.com/'],
    [{ region: 'cn-north-1' }, 'https://kinesis.cn-north-1.amazonaws.com.cn/'],
    [{ endpoint: 'http://localhost:4567/base' }, 'http://localhost:4567/base'],
  ];
  for (const [config, url] of cases) {
    const c = capturingClient(config);
    await directPutRecords(c.client, 'events')(records, { abortSignal: signal() });
    const r = c.sent[0]!;
    const port = r.port ? `:${r.port}` : '';
    t.equal(`${r.protocol}//${r.hostname}${port}${r.path}`, url, JSON.stringify(config));
    t.equal(r.headers.host, `${r.hostname}${port}`, 'the host header names it');
    const region = typeof config.region === 'string' ? config.region : 'us-east-1';
    t.equal(r.headers.authorization, expectedAuthorization(r, region, 'kinesis'), 'signed for its region');
  }
});

t.test('over HTTP/2 the host goes as :authority, as the SDK sends it', async (t) => {
  const c = capturingClient({ region: 'eu-west-1' }, [], 'h2');
  await directPutRecords(c.client, 'events')(records, { abortSignal: signal() });
  t.equal(c.sent[0]!.headers[':authority'], 'kinesis.eu-west-1.amazonaws.com');
  t.notOk('host' in c.sent[0]!.headers, 'no host header');
});

t.test('an answer of every entry comes back as Kinesis wrote it', async (t) => {
  const answer = {
    FailedRecordCount: 1,
    Records: [
      { SequenceNumber: '4960', ShardId: 'shardId-000000000000' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
    ],
  };
  const c = capturingClient({}, [{ statusCode: 200, body: JSON.stringify(answer) }]);
  t.same(await directPutRecords(c.client, 'events')(records.slice(0, 2), { abortSignal: signal() }), answer);
});

t.test('a refused call rejects with the Kinesis error code as its name', async (t) => {
  const cases: [Answer, string, number][] = [
    [
      { statusCode: 400, headers: { 'x-amzn-RequestId': 'req-1' }, body: '{"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException","message":"Stream events not found"}' },
      'ResourceNotFoundException',
      400,
    ],
    [{ statusCode: 400, headers: { 'x-amzn-ErrorType': 'ProvisionedThroughputExceededException:http://internal.amazon.com/' }, body: '{}' }, 'ProvisionedThroughputExceededException', 400],
    [{ statusCode: 502, body: '<html>Bad Gateway</html>' }, 'ServiceUnavailable', 502],
    [{ statusCode: 413, body: '' }, 'Http413', 413],
    [{ statusCode: 200, body: 'not json' }, 'InvalidResponse', 200],
    [{ statusCode: 200, body: '{"FailedRecordCount":0}' }, 'InvalidResponse', 200],
  ];
  for (const [answer, code, status] of cases) {
    const c = capturingClient({}, [answer]);
    const err = await directPutRecords(c.client, 'events')(records, { abortSignal: signal() }).catch((e: unknown) => e);
    t.ok(err instanceof KinesisCallError, `${answer.statusCode} ${answer.body.slice(0, 20)} rejects`);
    t.equal((err as KinesisCallError).name, code);
    t.equal((err as KinesisCallError).statusCode, status);
  }
  const c = capturingClient({}, [cases[0]![0]]);
  const err = (await directPutRecords(c.client, 'events')(records, { abortSignal: signal() }).catch((e: unknown) => e)) as KinesisCallError;
  t.equal(err.message, 'Stream events not found', 'the service’s message');
  t.equal(err.requestId, 'req-1', 'the request id, for support');
});

t.test('a refusal dated minutes from our clock moves the signing clock to the server’s', async (t) => {
  const hourAhead = new Date(Date.now() + 3_600_000);
  const c = capturingClient({}, [
    { statusCode: 400, headers: { date: hourAhead.toUTCString() }, body: '{"__type":"InvalidSignatureException","message":"Signature expired"}' },
  ]);
  const put = directPutRecords(c.client, 'events');
  await t.rejects(put(records, { abortSignal: signal() }), { name: 'InvalidSignatureException' });
  const offset = c.client.config.systemClockOffset;
  t.ok(Math.abs(offset - 3_600_000) < 5_000, `offset ${offset} ms`);
  await put(records, { abortSignal: signal() });
  const amz = c.sent[1]!.headers['x-amz-date']!;
  const signedAt = Date.parse(`${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 11)}:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`);
  t.ok(Math.abs(signedAt - hourAhead.getTime()) < 5_000, 'the retry is signed with the server’s time');

  const near = capturingClient({}, [{ statusCode: 500, headers: { date: new Date(Date.now() + 60_000).toUTCString() }, body: '{}' }]);
  await t.rejects(directPutRecords(near.client, 'events')(records, { abortSignal: signal() }));
  t.equal(near.client.config.systemClockOffset, 0, 'a minute apart is not skew');
});

t.test('a failure to resolve the endpoint fails that call only', async (t) => {
  let regionCalls = 0;
  const c = capturingClient({
    region: async () => {
      if (regionCalls++ === 0) throw new Error('no region yet');
      return 'eu-west-1';
    },
  });
  const put = directPutRecords(c.client, 'events');
  await t.rejects(put(records, { abortSignal: signal() }), /no region yet/);
  await put(records, { abortSignal: signal() });
  t.equal(c.sent[0]!.hostname, 'kinesis.eu-west-1.amazonaws.com', 'the next call resolves it');
});

t.test('an endpoint that stops answering: the call is abandoned at its deadline and the request gets 503', async (t) => {
  // One connection answers nothing; the next sends its headers and stalls half way through the body.
  let calls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (calls++ % 2 === 0) return;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': '1000' });
      res.write('{"FailedRecordCount":0,"Records":[');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = createKinesisClient({ AWS_REGION: 'us-east-1', KINESIS_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  t.teardown(() => client.destroy());
  const put = directPutRecords(client, 'events');
  for (const stage of ['before the headers', 'inside the body']) {
    await t.rejects(put(records, { abortSignal: AbortSignal.timeout(200) }), `abandoned ${stage}`);
  }
  t.equal(calls, 2, 'both calls reached the endpoint');

  const publisher = new KinesisPublisher({
    client,
    streamName: 'events',
    logger: createLogger('test', { level: 'silent' }),
    lingerMs: 1,
    deadlineMs: 400,
    aggregate: false,
    aggregationMaxBytes: 51_200,
    retryAfterSeconds: 1,
    retryBaseMs: 20,
    retryCapMs: 50,
  });
  t.teardown(() => publisher.close());
  await t.rejects(publisher.publish([{ partitionKey: 'k', data: Buffer.from('{"a":1}') }]), { code: 'ERR_STREAM_UNAVAILABLE', status: 503 });
});
