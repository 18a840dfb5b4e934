/**
 * The folder each Dockerfile copies into its final image is built the same way
 * (`pnpm --filter <service> deploy --prod --legacy`), started with plain node against the
 * local emulators, and must answer GET /healthz with 200. Docker cannot run here; this is
 * the part of the image that can break (a dependency missing from `dependencies`, a
 * workspace package without its dist/, a wrong entry point).
 */
import t, { type Test } from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm, rmdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { ensureBucket, ensureStream, localClientConfig, localS3Options, startDynamo, startKinesis, startS3 } from '@eventlake/local-stack';
import { execFormCmd } from '../helpers/dockerfile.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const HEALTHY_WITHIN_MS = 45_000;

/** What the Dockerfile says about a service: its package, the deploy flags, and the node options and entry its CMD runs. */
async function dockerfileContract(service: string): Promise<{ pkg: string; nodeOptions: string[]; entry: string }> {
  const dockerfile = await readFile(join(repoRoot, 'services', service, 'Dockerfile'), 'utf8');
  const deploy = /pnpm --filter (\S+) deploy --prod --legacy --ignore-scripts \/out/.exec(dockerfile);
  const [node, ...args] = execFormCmd(dockerfile);
  const entry = args.pop();
  if (!deploy?.[1] || node !== 'node' || !entry) throw new Error(`services/${service}/Dockerfile no longer has the deploy step or CMD this test mirrors`);
  return { pkg: deploy[1], nodeOptions: args, entry };
}

async function bundle(pkg: string, dir: string): Promise<void> {
  // The Dockerfile's flags, plus: --prefer-offline (the store holds the packages already) and
  // hardlinks from the store instead of copies (same bytes, a fraction of the time).
  // --ignore-scripts matters most here: deploy would otherwise run the root's `prepare`
  // (tap build) and rewrite tap's own files under every test running in parallel.
  await run('pnpm', ['--filter', pkg, 'deploy', '--prod', '--legacy', '--ignore-scripts', '--prefer-offline', '--config.package-import-method=hardlink', dir], {
    cwd: repoRoot,
    env: { ...process.env, CI: 'true' },
    timeout: 150_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the CMD (`node [options] <entry>`) in `dir` and resolves once /healthz answers; rejects with its output if it exits or stays unhealthy. */
async function startHealthy(
  t: Test,
  dir: string,
  cmd: { nodeOptions: string[]; entry: string },
  env: Record<string, string>,
  port: number,
): Promise<{ status: number; child: ChildProcess }> {
  const { nodeOptions, entry } = cmd;
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeOptions, entry], {
    cwd: dir,
    // Only what the task definition would pass, plus PATH: nothing leaks in from the workspace.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped) child.kill('SIGKILL');
    }
  });
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${entry} exited with ${String(exitCode)}:\n${output.slice(-4000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        // Informational (cold start of the bundle on this machine), never asserted.
        t.comment(`${entry}: healthy ${Date.now() - started} ms after spawn`);
        return { status: res.status, child };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${entry} did not answer /healthz with 200 within ${HEALTHY_WITHIN_MS} ms:\n${output.slice(-4000)}`);
}

const work = await mkdtemp(join(tmpdir(), 'eventlake-bundle-'));
// pnpm's legacy deploy also links the ingest API's bin (pino) into a stray copy of the target:
// the target's path taken relative to the workspace, resolved from the package's folder (from a
// checkout at /work/repo, /tmp/x lands in /work/repo/tmp/x; from /tmp/repo, in
// /tmp/repo/services/x). Removing it too keeps test runs from leaving files in the checkout;
// its first folder under the checkout goes only if that leaves it empty.
const stray = resolve(repoRoot, 'services', 'ingest-api', relative(repoRoot, work));
const strayTop = relative(repoRoot, stray).split(sep)[0]!;
t.teardown(async () => {
  await Promise.all([rm(work, { recursive: true, force: true }), rm(stray, { recursive: true, force: true })]);
  if (strayTop !== '..' && !isAbsolute(strayTop)) await rmdir(join(repoRoot, strayTop)).catch(() => undefined);
});

// Both bundles at once: each is mostly file copying from the pnpm store.
const services = { api: await dockerfileContract('ingest-api'), processor: await dockerfileContract('processor') };
for (const s of Object.values(services)) {
  const built = join(repoRoot, 'services', s.pkg.replace('@eventlake/', ''), s.entry);
  await access(built).catch(() => {
    throw new Error(`${built} is missing: run \`npx tsc --build\` first (pnpm test does)`);
  });
}
const bundles = { api: join(work, 'ingest-api'), processor: join(work, 'processor') };
const bundling = Date.now();
await Promise.all([bundle(services.api.pkg, bundles.api), bundle(services.processor.pkg, bundles.processor)]);
t.comment(`both bundles built in ${Date.now() - bundling} ms`);

t.test('the ingest API bundle starts with node, answers /healthz and stores events', async (t) => {
  const kinesisEmu = await startKinesis();
  const kinesis = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
  t.teardown(async () => {
    kinesis.destroy();
    await kinesisEmu.stop();
  });
  await ensureStream(kinesis, 'events', 1);
  const port = await freePort();
  const metricsPort = await freePort();
  const { status } = await startHealthy(
    t,
    bundles.api,
    services.api,
    {
      STREAM_NAME: 'events',
      AWS_REGION: 'us-east-1',
      KINESIS_ENDPOINT: kinesisEmu.endpoint,
      API_KEY_HASHES: `ci:${createHash('sha256').update('bundle-key').digest('hex')}`,
      CORS_ORIGINS: '',
      LOG_LEVEL: 'warn',
      EMF_NAMESPACE: 'eventlake',
      // The thread's module must be in the bundle: the server answers only once it started.
      PUBLISHER_THREAD: 'true',
      METRICS_PORT: String(metricsPort),
    },
    port,
  );
  t.equal(status, 200);
  // A single event (sent from the HTTP thread) and batches (sent from the publisher thread,
  // about half of them parsed there too): 202 means the bundle's own PutRecords path
  // stored them in the stream.
  const event = (i: number) => ({ user_id: `u-${i}`, session_id: 's-1', action: 'page_view', page: '/', timestamp: '2025-08-08T13:45:12Z' });
  for (const body of [event(0), ...Array.from({ length: 6 }, () => Array.from({ length: 30 }, (_, i) => event(i)))]) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/clickstream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'bundle-key' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { event_ids?: string[] };
    t.equal(res.status, 202, JSON.stringify(answer).slice(0, 200));
    t.equal(answer.event_ids?.length, Array.isArray(body) ? body.length : 1, 'an id per event');
  }
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const handedOver = Number(/^eventlake_ingest_bodies_handed_over_total (\d+)$/m.exec(metrics)?.[1]);
  t.ok(handedOver >= 1, `the publisher thread parsed ${handedOver} of the batches: the route's code is in its bundle`);
});

t.test('the processor bundle starts with node and answers /healthz', async (t) => {
  const s3Dir = join(work, 's3');
  const [kinesisEmu, dynamoEmu, s3Emu] = await Promise.all([startKinesis(), startDynamo(), startS3({ path: s3Dir })]);
  const kinesis = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
  const ddb = new DynamoDBClient(localClientConfig(dynamoEmu.endpoint));
  const s3 = new S3Client({ ...localClientConfig(s3Emu.endpoint), ...localS3Options() });
  t.teardown(async () => {
    kinesis.destroy();
    ddb.destroy();
    s3.destroy();
    await Promise.all([kinesisEmu.stop(), dynamoEmu.stop(), s3Emu.stop()]);
  });
  await ensureStream(kinesis, 'events', 1);
  await ensureBucket(s3, 'lake');
  await ddb.send(
    new CreateTableCommand({
      TableName: 'leases',
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const { status } = await startHealthy(
    t,
    bundles.processor,
    services.processor,
    {
      STREAM_NAME: 'events',
      LEASE_TABLE: 'leases',
      LAKE_BUCKET: 'lake',
      AWS_REGION: 'us-east-1',
      KINESIS_ENDPOINT: kinesisEmu.endpoint,
      DYNAMODB_ENDPOINT: dynamoEmu.endpoint,
      S3_ENDPOINT: s3Emu.endpoint,
      FLUSH_MAX_AGE_MS: '5000',
      FLUSH_MAX_BYTES: '1048576',
      DEDUPE_WINDOW_MS: '60000',
      LEASE_DURATION_MS: '10000',
      EMF_NAMESPACE: 'eventlake',
      LOG_LEVEL: 'warn',
    },
    await freePort(),
  );
  t.equal(status, 200);
});
