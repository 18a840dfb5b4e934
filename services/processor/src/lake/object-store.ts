/**
 * Where lake files go. The sink talks to this port; `S3ObjectStore` is the production
 * adapter, `MemoryObjectStore` serves the benchmark and unit tests.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '@eventlake/common';

/** Writes whole objects; resolves only once the object is durably stored. */
export interface ObjectStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** An object's bytes. */
  get(key: string): Promise<Uint8Array>;
  /** Keys under `prefix` that sort after `startAfter`, in order. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
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

  async get(key: string): Promise<Uint8Array> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await res.Body!.transformToByteArray();
    } catch (err) {
      throw new AppError('ERR_LAKE_READ', `could not read s3://${this.bucket}/${key}: ${(err as Error).message}`, {
        hint: 'check the task role may s3:GetObject under dedupe/ (warm-up reads the ids earlier batches wrote)',
        cause: err,
      });
    }
  }

  async list(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}) }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw new AppError('ERR_LAKE_READ', `could not list s3://${this.bucket}/${prefix}: ${(err as Error).message}`, {
        hint: 'check the task role may s3:ListBucket with the dedupe/ prefix',
        cause: err,
      });
    }
    return keys;
  }
}

/** Keeps objects in a map (benchmarks, tests). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();

  put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    this.objects.set(key, { body, contentType });
    return Promise.resolve();
  }

  get(key: string): Promise<Uint8Array> {
    const o = this.objects.get(key);
    return o ? Promise.resolve(o.body) : Promise.reject(new AppError('ERR_LAKE_READ', `no object ${key}`, { hint: 'it was never written' }));
  }

  list(prefix: string, startAfter = ''): Promise<string[]> {
    return Promise.resolve([...this.objects.keys()].filter((k) => k.startsWith(prefix) && k > startAfter).sort());
  }
}
