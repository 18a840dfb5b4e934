/**
 * Where lake files go. The sink talks to this port; `S3ObjectStore` is the production
 * adapter, `MemoryObjectStore` serves the benchmark and unit tests.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '@eventlake/common';

/** Writes whole objects; resolves only once the object is durably stored. */
export interface ObjectStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
}

/**
 * S3 via the client passed in. Single PutObject: a batch's files are bounded by the 64 MiB
 * buffer (and Parquet compresses them further), far below PutObject's 5 GB limit, so
 * multipart uploads would only add requests.
 */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw new AppError('ERR_LAKE_UPLOAD', `could not write s3://${this.bucket}/${key}: ${(err as Error).message}`, {
        hint: 'check the bucket exists and the task role may s3:PutObject on it; the batch stays buffered and flush() can be retried',
        cause: err,
      });
    }
  }
}

/** Keeps objects in a map (benchmarks, tests). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();

  put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    this.objects.set(key, { body, contentType });
    return Promise.resolve();
  }
}
