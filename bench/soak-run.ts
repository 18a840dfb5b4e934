/**
 * A soak run: weeks of a stream's life in minutes, through the built services. The ingest API
 * and processor workers run as child processes (as tasks do), in front of kinesalite, dynalite
 * and s3rver behind proxies that answer as AWS does where the emulators are generous. While a
 * client sends a steady load, retrying refused requests and resending some acknowledged ones
 * (a few long after the first attempt), the run splits and merges the stream, lets closed
 * parents pass retention, kills workers with SIGKILL (restarted as ECS would), browns S3 and
 * DynamoDB out, throttles the API's writes to Kinesis record by record (so the API's own
 * retries run, and requests past their deadline are refused with part of their records
 * already on the stream, for the client to send again), and writes poison records straight to the stream as a producer that skips
 * the API would. It ends when every shard has read past its last record, and reports whether
 * every acknowledged event is in the lake exactly once and every poison record in errors/
 * exactly once, with the peak RSS of every worker and how long each fault took to heal.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, PutRecordsCommand, UpdateShardCountCommand, type Shard } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  ensureBucket,
  ensureStream,
  localClientConfig,
  localS3Options,
  startDynamo,
  startKinesis,
  startKinesisProxy,
  startS3,
  startS3Gate,
  startServiceGate,
  type Emulator,
  type Gate,
  type KinesisProxy,
} from '@eventlake/local-stack';
import { SERVER_NODE_OPTIONS } from '@eventlake/ingest-api/node-options';
import { listAllShards } from '@eventlake/kinesis';
import { ensureLeaseTable } from '@eventlake/processor';
import { EVENT_TYPE_OF, EventFactory, LakeSession, apiKeyHash, probePort, startService, type LogSink, type ServiceProcess } from '@eventlake/cli';

/** How long and how hard a soak run goes. */
export interface SoakOptions {
  dataDir: string;
  /** How long the client sends (faults happen within it, at fixed fractions of it). */
  loadMs: number;
  /** Events a second. */
  rate: number;
  workers: number;
  /** Open shards at the start (doubled, then halved, during the run). */
  shards: number;
  /** How long after its first attempt a late resend comes. */
  lateRetryMs: number;
  /** How long each brownout lasts. */
  brownoutMs: number;
  /** The workers' LEASE_DURATION_MS (failover within 1.5× it). */
  leaseDurationMs: number;
  /** Where service log lines go (dropped when absent). */
  sink?: LogSink;
  /** Progress lines. */
  progress?: (line: string) => void;
}

/** One fault and how long the pipeline took to heal after it. */
export interface SoakFault {
  name: string;
  /** Seconds into the run it started. */
  atSeconds: number;
  /** From the fault's end until every open shard had checkpointed a record that arrived after it; null if that never came. */
  healSeconds: number | null;
}

/** One worker process (a restarted worker is a new incarnation). */
export interface SoakWorker {
  name: string;
  peakRssMiB: number;
  /** How it ended: killed (SIGKILL by the run) or stopped at the end. */
  end: 'killed' | 'stopped';
}

/** What a soak run found. */
export interface SoakReport {
  acknowledged: number;
  missing: string[];
  duplicated: string[];
  requests: number;
  /** Requests refused (503, 429, a dropped connection) and sent again until accepted. */
  refusedAndRetried: number;
  /** Kinesis records the throttle refused the API (each retry counts). */
  throttledRecords: number;
  /** Acknowledged requests sent again: soon after, and long after. */
  resentSoon: number;
  resentLate: number;
  poisonSent: number;
  poisonMissing: string[];
  poisonDuplicated: string[];
  faults: SoakFault[];
  workers: SoakWorker[];
  seconds: number;
}

const STREAM = 'soak-events';
const TABLE = 'soak-leases';
const BUCKET = 'soak-lake';
const BATCH = 20;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const API_MAIN = join(root, 'services', 'ingest-api', 'dist', 'server.js');
const WORKER_MAIN = join(root, 'services', 'processor', 'dist', 'main.js');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function vmHwmMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs a soak; see the module comment. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const say = (line: string) => opts.progress?.(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const sink: LogSink = opts.sink ?? (() => undefined);
  const emulators: Emulator[] = [];
  const proxies: { stop(): Promise<void> }[] = [];
  const services: ServiceProcess[] = [];
  const clients: { destroy(): void }[] = [];
  try {
    const kinesisEmu = await startKinesis({ path: join(opts.dataDir, 'kinesis') });
    const dynamoEmu = await startDynamo();
    const s3Emu = await startS3({ path: join(opts.dataDir, 's3') });
    emulators.push(kinesisEmu, dynamoEmu, s3Emu);
    const kinesisProxy: KinesisProxy = await startKinesisProxy(kinesisEmu.endpoint);
    // Gates: S3 refuses lake and errors/ uploads as it does when unavailable
    // (503 SlowDown), DynamoDB every call (500), while a brownout lasts.
    const s3Gate = await startS3Gate(s3Emu.endpoint, Number.POSITIVE_INFINITY, ['events', 'errors']);
    s3Gate.open();
    const dynamoGate = await startServiceGate(dynamoEmu.endpoint);
    proxies.push(kinesisProxy, { stop: () => s3Gate.close() }, { stop: () => dynamoGate.close() });
    const kinesis = new KinesisClient(localClientConfig(kinesisProxy.endpoint));
    const direct = new KinesisClient(localClientConfig(kinesisEmu.endpoint));
    const ddb = new DynamoDBClient(localClientConfig(dynamoEmu.endpoint));
    const s3 = new S3Client({ ...localClientConfig(s3Emu.endpoint), ...localS3Options() });
    clients.push(kinesis, direct, ddb, s3);
    await ensureStream(direct, STREAM, opts.shards);
    await ensureLeaseTable(ddb, TABLE);
    await ensureBucket(s3, BUCKET);

    const common = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STREAM_NAME: STREAM,
      KINESIS_ENDPOINT: kinesisProxy.endpoint,
      LOG_LEVEL: 'warn',
    };
    const apiKey = 'soak-key';
    const apiPort = await probePort(0);
    const api = startService(
      'api',
      API_MAIN,
      { ...common, PORT: String(apiPort), HOST: '127.0.0.1', API_KEY_HASHES: `soak:${apiKeyHash(apiKey)}`, RATE_LIMIT_MAX: '100000000' },
      sink,
      SERVER_NODE_OPTIONS,
    );
    services.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;

    // Workers, each restartable as a new incarnation.
    const workers: SoakWorker[] = [];
    const live: { slot: number; proc: ServiceProcess; report: SoakWorker }[] = [];
    let incarnation = 0;
    const startWorker = async (slot: number) => {
      const name = `worker-${slot + 1}.${++incarnation}`;
      const proc = startService(
        name,
        WORKER_MAIN,
        {
          ...common,
          LEASE_TABLE: TABLE,
          LAKE_BUCKET: BUCKET,
          DYNAMODB_ENDPOINT: dynamoGate.endpoint,
          S3_ENDPOINT: s3Gate.endpoint,
          WORKER_ID: name,
          PORT: String(await probePort(0)),
          FLUSH_MAX_AGE_MS: '1000',
          LEASE_DURATION_MS: String(opts.leaseDurationMs),
          POLL_IDLE_MS: '200',
        },
        sink,
      );
      services.push(proc);
      const report: SoakWorker = { name, peakRssMiB: 0, end: 'stopped' };
      workers.push(report);
      live.push({ slot, proc, report });
    };
    for (let i = 0; i < opts.workers; i++) await startWorker(i);
    const rssTimer = setInterval(() => {
      for (const w of live) w.report.peakRssMiB = Math.max(w.report.peakRssMiB, vmHwmMiB(w.proc.child.pid));
    }, 500);
    const killRandom = async (why: string): Promise<void> => {
      const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
      victim.report.peakRssMiB = Math.max(victim.report.peakRssMiB, vmHwmMiB(victim.proc.child.pid));
      victim.report.end = 'killed';
      victim.proc.child.kill('SIGKILL');
      await victim.proc.exited;
      say(`kill -9 ${victim.report.name} (${why})`);
      // ECS starts a replacement task a little later.
      await sleep(2_000);
      await startWorker(victim.slot);
    };
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${apiUrl}/readyz`).catch(() => null);
      if (res?.ok) break;
      await sleep(200);
    }
    say(`API and ${opts.workers} workers up`);

    // The client: steady load, refused requests sent again until accepted, and some
    // acknowledged ones sent again, soon and long after.
    const factory = new EventFactory({ seed: 42 });
    const acked = new Set<string>();
    const stats = { requests: 0, refused: 0, soon: 0, late: 0 };
    const send = async (events: Record<string, unknown>[]): Promise<void> => {
      for (;;) {
        stats.requests++;
        try {
          const res = await fetch(`${apiUrl}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
            body: JSON.stringify({ events }),
            signal: AbortSignal.timeout(30_000),
          });
          await res.body?.cancel();
          if (res.status === 202) {
            for (const e of events) acked.add(String(e.event_id));
            return;
          }
          if (res.status !== 503 && res.status !== 429) throw new Error(`the API answered ${res.status}`);
        } catch (err) {
          if (err instanceof Error && /answered/.test(err.message)) throw err;
        }
        stats.refused++;
        await sleep(500);
      }
    };
    const pending = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    let seq = 0;
    let sending = true;
    const load = (async () => {
      const interval = (BATCH / opts.rate) * 1000;
      while (sending) {
        const events = Array.from({ length: BATCH }, () => {
          const g = factory.next('mix');
          return { type: EVENT_TYPE_OF[g.kind], ...g.body, event_id: `soak-${++seq}` };
        });
        track(
          send(events).then(() => {
            const r = Math.random();
            if (r < 0.05) {
              stats.soon++;
              track(sleep(200 + Math.random() * 2_000).then(() => send(events)));
            } else if (r < 0.08) {
              stats.late++;
              track(sleep(opts.lateRetryMs).then(() => send(events)));
            }
          }),
        );
        await sleep(interval);
      }
    })();

    // Poison from a producer that skips the API: each record carries its own marker.
    const poison: string[] = [];
    let poisoning = true;
    const poisonLoop = (async () => {
      while (poisoning) {
        await sleep(3_000);
        const n = poison.length;
        const markers = [`soak-poison-${n}`, `soak-poison-${n + 1}`];
        const records = [
          { PartitionKey: markers[0]!, Data: Buffer.from(`not json at all ${markers[0]}`) },
          { PartitionKey: markers[1]!, Data: Buffer.from(JSON.stringify({ type: 'clickstream', event_id: markers[1], action: 'view_item' })) },
        ];
        const out = await direct.send(new PutRecordsCommand({ StreamName: STREAM, Records: records })).catch(() => null);
        if (out && !out.FailedRecordCount) poison.push(...markers);
      }
    })();

    // Heal: every open shard has checkpointed a record that arrived after `sinceMs`.
    const openShards = async (): Promise<Shard[]> => (await listAllShards(direct, STREAM)).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
    const checkpointArrivals = async (): Promise<Map<string, number>> => {
      const items = (await ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? [];
      return new Map(items.map((i) => [i.leaseKey!.S!, Number(i.checkpointArrivalMs?.N ?? 0)]));
    };
    const healedSince = async (sinceMs: number): Promise<boolean> => {
      const arrivals = await checkpointArrivals();
      return (await openShards()).every((s) => (arrivals.get(s.ShardId!) ?? 0) >= sinceMs);
    };
    const faults: SoakFault[] = [];
    let throttledRecords = 0;
    const heals: Promise<void>[] = [];
    const measureHeal = (fault: SoakFault, endedMs: number, deadlineMs: number) => {
      heals.push(
        (async () => {
          while (Date.now() < deadlineMs) {
            if (await healedSince(endedMs).catch(() => false)) {
              fault.healSeconds = (Date.now() - endedMs) / 1000;
              say(`${fault.name}: healed in ${fault.healSeconds.toFixed(1)} s`);
              return;
            }
            await sleep(500);
          }
        })(),
      );
    };
    const fault = async (name: string, run: () => Promise<void>) => {
      const f: SoakFault = { name, atSeconds: (Date.now() - started) / 1000, healSeconds: null };
      faults.push(f);
      say(name);
      await run();
      measureHeal(f, Date.now(), Date.now() + opts.loadMs + 120_000);
    };
    const brownout = (gate: Gate) => async () => {
      gate.refuse();
      await sleep(opts.brownoutMs);
      gate.open();
    };
    const loadStart = Date.now();
    const at = async (fraction: number) => {
      const wait = loadStart + fraction * opts.loadMs - Date.now();
      if (wait > 0) await sleep(wait);
    };

    await at(0.1);
    await fault(`split: UpdateShardCount ${opts.shards} → ${opts.shards * 2}`, async () => {
      await kinesis.send(new UpdateShardCountCommand({ StreamName: STREAM, TargetShardCount: opts.shards * 2, ScalingType: 'UNIFORM_SCALING' }));
    });
    await at(0.2);
    await fault('kill -9 of a worker', () => killRandom('random'));
    await at(0.3);
    await fault(`S3 brownout (uploads refused for ${opts.brownoutMs / 1000} s)`, brownout(s3Gate));
    await at(0.4);
    await fault(`DynamoDB brownout (every call refused for ${opts.brownoutMs / 1000} s)`, brownout(dynamoGate));
    await at(0.5);
    await fault(`merge: UpdateShardCount ${opts.shards * 2} → ${opts.shards}`, async () => {
      await kinesis.send(new UpdateShardCountCommand({ StreamName: STREAM, TargetShardCount: opts.shards, ScalingType: 'UNIFORM_SCALING' }));
    });
    await at(0.65);
    await fault('closed parents pass retention, then kill -9 of a worker', async () => {
      const finished = ((await ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? []).filter((i) => i.checkpoint?.S === 'SHARD_END').map((i) => i.leaseKey!.S!);
      for (const id of finished) kinesisProxy.expireShard(id);
      say(`expired ${finished.join(', ')}`);
      await killRandom('leases move to children whose parents are gone');
    });
    await at(0.8);
    await fault('kill -9 of a worker', () => killRandom('random'));
    await at(0.9);
    await fault(`Kinesis throttles writes (19 records in 20 refused for ${opts.brownoutMs / 1000} s, then all for as long)`, async () => {
      let share = 0.95;
      const remove = kinesisProxy.inject({
        operation: 'PutRecords',
        action: 'throttle',
        records: () => {
          const refuse = Math.random() < share;
          if (refuse) throttledRecords++;
          return refuse;
        },
      });
      await sleep(opts.brownoutMs);
      share = 1;
      await sleep(opts.brownoutMs);
      remove();
    });
    await at(1);
    sending = false;
    await load;
    say(`load stopped after ${((Date.now() - loadStart) / 1000).toFixed(0)} s; waiting for late resends`);
    await Promise.all([...pending]);
    while (pending.size > 0) await Promise.all([...pending]);
    poisoning = false;
    await poisonLoop;

    // A last record on every open shard (it goes to errors/), so that each one's checkpoint
    // shows it read everything before.
    const endMs = Date.now();
    for (const shard of await openShards()) {
      const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
      await direct.send(
        new PutRecordsCommand({ StreamName: STREAM, Records: [{ PartitionKey: 'soak-end', ExplicitHashKey: start.toString(), Data: Buffer.from(`soak end marker for ${shard.ShardId}`) }] }),
      );
    }
    for (let i = 0; !(await healedSince(endMs).catch(() => false)); i++) {
      if (i > 600) throw new Error('the workers never read past the last records');
      await sleep(500);
    }
    say('every shard read past its last record');
    await Promise.all(heals);
    clearInterval(rssTimer);
    for (const w of live) w.report.peakRssMiB = Math.max(w.report.peakRssMiB, vmHwmMiB(w.proc.child.pid));

    // The lake, read back.
    const lake = await LakeSession.open({ s3, bucket: BUCKET, cacheDir: join(opts.dataDir, 'lake-cache') });
    let counts: Map<string, number>;
    let poisonCounts: Map<string, number>;
    try {
      const ids = await lake.query(
        `SELECT event_id, count(*) AS n FROM (SELECT event_id FROM clickstream UNION ALL SELECT event_id FROM transaction UNION ALL SELECT event_id FROM telemetry) GROUP BY 1`,
      );
      counts = new Map(ids.rows.map((r) => [String(r.event_id), Number(r.n)]));
      const errs = await lake.query(`SELECT regexp_extract(data, 'soak-poison-[0-9]+') AS m, count(*) AS n FROM errors GROUP BY 1`);
      poisonCounts = new Map(errs.rows.map((r) => [String(r.m), Number(r.n)]));
    } finally {
      lake.close();
    }
    const ackedIds = [...acked];
    return {
      acknowledged: ackedIds.length,
      missing: ackedIds.filter((id) => !counts.has(id)),
      duplicated: [...counts].filter(([id, n]) => n > 1 && id.startsWith('soak-')).map(([id]) => id),
      requests: stats.requests,
      refusedAndRetried: stats.refused,
      throttledRecords,
      resentSoon: stats.soon,
      resentLate: stats.late,
      poisonSent: poison.length,
      poisonMissing: poison.filter((m) => !poisonCounts.has(m)),
      poisonDuplicated: poison.filter((m) => (poisonCounts.get(m) ?? 0) > 1),
      faults,
      workers,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await Promise.all(services.map((s) => s.stop(20_000)));
    for (const c of clients) c.destroy();
    for (const p of proxies) await p.stop();
    await Promise.all(emulators.map((e) => e.stop()));
  }
}

/** The report as a table (Markdown), faults and workers. */
export function soakTable(r: SoakReport): string {
  const lines = [
    `| | |`,
    `|---|---|`,
    `| acknowledged events | ${r.acknowledged} (${r.requests} requests; ${r.throttledRecords} Kinesis records throttled; ${r.refusedAndRetried} requests refused and sent again; ${r.resentSoon} resent soon after, ${r.resentLate} long after) |`,
    `| in the lake exactly once | ${r.missing.length === 0 && r.duplicated.length === 0 ? 'all' : `${r.missing.length} missing, ${r.duplicated.length} twice`} |`,
    `| poison records in errors/ exactly once | ${r.poisonMissing.length === 0 && r.poisonDuplicated.length === 0 ? `all ${r.poisonSent}` : `${r.poisonMissing.length} missing, ${r.poisonDuplicated.length} twice, of ${r.poisonSent}`} |`,
    '',
    '| fault | at s | healed in s |',
    '|---|---|---|',
    ...r.faults.map((f) => `| ${f.name} | ${f.atSeconds.toFixed(0)} | ${f.healSeconds === null ? 'never' : f.healSeconds.toFixed(1)} |`),
    '',
    '| worker | peak RSS MiB | end |',
    '|---|---|---|',
    ...r.workers.map((w) => `| ${w.name} | ${w.peakRssMiB.toFixed(0)} | ${w.end} |`),
  ];
  return lines.join('\n');
}
