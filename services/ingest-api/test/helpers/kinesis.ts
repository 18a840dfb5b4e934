/** Reading Kinesis records back the way the processor does: KPL de-aggregation. */
import { createRequire } from 'node:module';

interface DeaggregatedRecord {
  partitionKey: string;
  data: string;
}

const require = createRequire(import.meta.url);
const { deaggregateSync } = require('aws-kinesis-agg') as {
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    done: (err: Error | null, records?: DeaggregatedRecord[]) => void,
  ): void;
};

/** The user records inside one Kinesis record (itself when it is not an aggregate). */
export function deaggregate(data: Uint8Array, partitionKey: string, sequenceNumber = '0'): { partitionKey: string; data: Buffer }[] {
  let out: { partitionKey: string; data: Buffer }[] = [];
  deaggregateSync({ data: Buffer.from(data).toString('base64'), partitionKey, sequenceNumber }, true, (err, records) => {
    if (err) throw err;
    out = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') }));
  });
  return out;
}

/** True when `data` is a KPL aggregate (starts with the magic number). */
export function isAggregate(data: Uint8Array): boolean {
  return Buffer.from(data).subarray(0, 4).equals(Buffer.from('f3899ac2', 'hex'));
}
