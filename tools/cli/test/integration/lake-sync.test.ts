import t, { type Test } from 'tap';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, localClientConfig, localS3Options, startS3 } from '@eventlake/local-stack';
import { syncLake } from '../../src/lake/lake-sync.js';

/** An s3rver started for the test in its own directory, and a client to it; both stopped in teardown. */
async function localS3(t: Test): Promise<{ s3: S3Client; root: string }> {
  const root = t.testdir();
  const emu = await startS3({ path: join(root, 's3') });
  const s3 = new S3Client({ ...localClientConfig(emu.endpoint), ...localS3Options() });
  t.teardown(async () => {
    s3.destroy();
    await emu.stop();
  });
  return { s3, root };
}

t.test('the mirror fetches only new or changed objects (by ETag) and drops deleted ones', async (t) => {
  const { s3, root } = await localS3(t);
  await ensureBucket(s3, 'lake');
  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: 'lake', Key, Body }));
  await put('events/type=clickstream/dt=2025-08-08/hour=13/a.parquet', 'A1');
  await put('events/type=telemetry/dt=2025-08-08/hour=13/b.parquet', 'B1');
  await put('errors/dt=2025-08-08/hour=13/e.ndjson.gz', 'E1');
  await put('raw/2025/08/08/ignored.gz', 'R');
  const cache = join(root, 'cache');

  const first = await syncLake(s3, 'lake', cache);
  t.equal(first.downloaded, 3, 'events/ and errors/ only');
  t.same(first.objects.map((o) => o.key).sort(), [
    'errors/dt=2025-08-08/hour=13/e.ndjson.gz',
    'events/type=clickstream/dt=2025-08-08/hour=13/a.parquet',
    'events/type=telemetry/dt=2025-08-08/hour=13/b.parquet',
  ]);
  t.equal(await readFile(join(cache, 'events/type=clickstream/dt=2025-08-08/hour=13/a.parquet'), 'utf8'), 'A1');

  const again = await syncLake(s3, 'lake', cache);
  t.equal(again.downloaded, 0, 'nothing changed, nothing fetched');

  await put('events/type=clickstream/dt=2025-08-08/hour=13/a.parquet', 'A2-changed');
  await s3.send(new DeleteObjectCommand({ Bucket: 'lake', Key: 'events/type=telemetry/dt=2025-08-08/hour=13/b.parquet' }));
  const third = await syncLake(s3, 'lake', cache);
  t.equal(third.downloaded, 1);
  t.equal(third.removed, 1);
  t.equal(await readFile(join(cache, 'events/type=clickstream/dt=2025-08-08/hour=13/a.parquet'), 'utf8'), 'A2-changed');
  await t.rejects(stat(join(cache, 'events/type=telemetry/dt=2025-08-08/hour=13/b.parquet')), { code: 'ENOENT' });
});

t.test('a missing bucket is a clear error', async (t) => {
  const { s3, root } = await localS3(t);
  await t.rejects(syncLake(s3, 'nope', join(root, 'cache')), { code: /^ERR_LAKE_(BUCKET|UNREACHABLE)$/ });
});
