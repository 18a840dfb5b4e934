import t from 'tap';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { putRecordsCommand, type PutRecordsEntry } from '../../../src/publisher/put-records-command.js';

interface Sent {
  body: string;
  headers: Record<string, string>;
}

/** A client whose HTTP handler keeps the request it would send and answers success. */
function capturingClient(): { client: KinesisClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = new KinesisClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: {
      handle: async (request: { body: unknown; headers: Record<string, string> }) => {
        const raw = request.body;
        const body = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') : String(raw);
        sent.push({ body, headers: { ...request.headers } });
        return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{"FailedRecordCount":0,"Records":[]}')]) } };
      },
    },
  });
  return { client, sent };
}

const records: PutRecordsEntry[] = [
  { PartitionKey: 'user-1', Data: Buffer.from('{"a":1}') },
  { PartitionKey: 'ключ "q"', ExplicitHashKey: '340282366920938463463374607431768211455', Data: Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0, 255, 1]) },
  // A view into a larger buffer: only its own bytes may be sent.
  { PartitionKey: 'view', Data: Buffer.from('xxHELLOxx').subarray(2, 7) },
  { PartitionKey: 'empty', Data: Buffer.alloc(0) },
];

t.test('the body is what the SDK serializer writes for the same records, and it is signed', async (t) => {
  const ours = capturingClient();
  const sdk = capturingClient();
  await ours.client.send(putRecordsCommand('events', records));
  await sdk.client.send(new PutRecordsCommand({ StreamName: 'events', Records: records }));
  t.equal(ours.sent[0]!.body, sdk.sent[0]!.body, 'byte for byte the same document');
  t.equal(JSON.parse(ours.sent[0]!.body).Records[2].Data, Buffer.from('HELLO').toString('base64'), 'a view sends its own bytes only');
  t.equal(ours.sent[0]!.headers['content-length'], String(Buffer.byteLength(ours.sent[0]!.body)), 'content-length counts UTF-8 bytes');
  t.equal(ours.sent[0]!.headers['x-amz-target'], 'Kinesis_20131202.PutRecords');
  t.ok(ours.sent[0]!.headers.authorization?.startsWith('AWS4-HMAC-SHA256'), 'signed');
  t.equal(ours.sent[0]!.headers['x-amz-content-sha256'], createHash('sha256').update(ours.sent[0]!.body).digest('hex'), 'the signature covers the body sent');
});

t.test('the command keeps its full input for mocks, logs and retries', async (t) => {
  const command = putRecordsCommand('events', records);
  t.equal(command.input.Records?.length, records.length);
  t.equal(command.input.StreamName, 'events');
});
