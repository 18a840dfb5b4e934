/**
 * A minimal Kinesis endpoint that stores nothing and accepts every PutRecord(s): it shows
 * what the API does when the emulator is not the bottleneck. It speaks just enough of the
 * Kinesis JSON protocol for the publisher (ListShards, DescribeStreamSummary, PutRecord(s)).
 */
import http from 'node:http';
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { announce } from './announce.js';

const MAX = 2n ** 128n - 1n;
const HALF = (MAX + 1n) / 2n;
const SHARDS = [
  { ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(HALF - 1n) }, SequenceNumberRange: { StartingSequenceNumber: '0' } },
  { ShardId: 'shardId-000000000001', HashKeyRange: { StartingHashKey: String(HALF), EndingHashKey: String(MAX) }, SequenceNumberRange: { StartingSequenceNumber: '0' } },
];
let sequence = 0;

function shardOf(r: { PartitionKey: string; ExplicitHashKey?: string }): string {
  const hash = r.ExplicitHashKey ? BigInt(r.ExplicitHashKey) : BigInt(`0x${createHash('md5').update(r.PartitionKey).digest('hex')}`);
  return hash < HALF ? SHARDS[0]!.ShardId : SHARDS[1]!.ShardId;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    // It shares the benchmark's two cores with the API, so it spends as little as it can: a
    // body of base64 and plain keys is read as latin1, a copy rather than a UTF-8 decode.
    const bytes = Buffer.concat(chunks);
    const body = JSON.parse((isAscii(bytes) ? bytes.toString('latin1') : bytes.toString()) || '{}') as { Records?: { PartitionKey: string; ExplicitHashKey?: string }[]; PartitionKey?: string; ExplicitHashKey?: string };
    let out: unknown;
    switch (op) {
      case 'ListShards':
        out = { Shards: SHARDS };
        break;
      case 'DescribeStreamSummary':
        out = { StreamDescriptionSummary: { StreamName: 'events', StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events', StreamStatus: 'ACTIVE', RetentionPeriodHours: 24, StreamCreationTimestamp: 0, EnhancedMonitoring: [], OpenShardCount: 2 } };
        break;
      case 'PutRecords':
        out = { FailedRecordCount: 0, Records: (body.Records ?? []).map((r) => ({ SequenceNumber: String(++sequence), ShardId: shardOf(r) })) };
        break;
      case 'PutRecord':
        out = { SequenceNumber: String(++sequence), ShardId: shardOf(body as { PartitionKey: string }) };
        break;
      default:
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
    }
    const text = JSON.stringify(out);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) }).end(text);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
