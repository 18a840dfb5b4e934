/**
 * The KPL aggregate format, as the Kinesis Producer Library writes it and the KCL reads it:
 * the magic number 0xF3899AC2, a protobuf `AggregatedRecord` (`kpl.proto`), and the MD5 of
 * that protobuf as a 16-byte trailer.
 *
 *   AggregatedRecord { repeated string partition_key_table = 1;
 *                      repeated string explicit_hash_key_table = 2;
 *                      repeated Record records = 3; }
 *   Record { required uint64 partition_key_index = 1;
 *            optional uint64 explicit_hash_key_index = 2;
 *            required bytes data = 3;
 *            repeated Tag tags = 4; }
 *
 * The format has not changed since the KPL's first release, which is why both directions are
 * written by hand over buffers rather than through a general protobuf model.
 */

/** One user record of a Kinesis record: what a producer put, before or after aggregation. */
export interface UserRecord {
  partitionKey: string;
  /** The 128-bit hash key in decimal that routes this record instead of its partition key's MD5. */
  explicitHashKey?: string | undefined;
  data: Uint8Array;
}

/** The four bytes every KPL aggregate starts with. */
export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

/** Bytes of the MD5 trailer. */
export const KPL_DIGEST_BYTES = 16;

/** Bytes an aggregate adds around its protobuf: the magic number and the MD5 trailer. */
export const KPL_FRAMING_BYTES = KPL_MAGIC.length + KPL_DIGEST_BYTES;

/** True when `data` starts with the KPL magic number and is long enough to hold a trailer. */
export function isAggregate(data: Uint8Array): boolean {
  return (
    data.length >= KPL_FRAMING_BYTES &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}
