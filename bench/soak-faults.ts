/**
 * A soak run's fault schedule, at fixed fractions of the load: a split, kill -9 of workers,
 * S3 and DynamoDB brownouts, a merge, closed parents passing retention, and Kinesis throttling
 * the API's writes record by record (so the API's own retries run, and requests past their
 * deadline are refused with part of their records already on the stream, for the client to
 * send again). After each fault, how long the pipeline took to heal is measured.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import type { Gate } from '@eventlake/local-stack';
import { healedSince } from './soak-checks.js';
import { STREAM, TABLE, sleep, type SoakStack } from './soak-stack.js';

/** One fault and how long the pipeline took to heal after it. */
export interface SoakFault {
  name: string;
  /** Seconds into the run it started. */
  atSeconds: number;
  /** From the fault's end until every open shard had checkpointed a record that arrived after it; null if that never came. */
  healSeconds: number | null;
}

/** When and how hard the faults come. */
export interface FaultScheduleOptions {
  /** How long the client sends (faults happen within it, at fixed fractions of it). */
  loadMs: number;
  /** Open shards at the start (doubled, then halved). */
  shards: number;
  /** How long each brownout lasts. */
  brownoutMs: number;
  /** When the run started (faults say their time from it). */
  started: number;
  /** When the load started (the fractions are of the load from it). */
  loadStart: number;
}

/** The faults run, their heal times filled in as they heal. */
export interface FaultSchedule {
  faults: SoakFault[];
  /** Resolves when every fault has healed or passed its deadline. */
  healed(): Promise<void>;
}

/** Runs every fault in turn; resolves when the load's time is over. */
export async function runFaultSchedule(stack: SoakStack, opts: FaultScheduleOptions, say: (line: string) => void): Promise<FaultSchedule> {
  const { kinesis, ddb, kinesisProxy, s3Gate, dynamoGate, killRandom } = stack;
  const { started, loadStart } = opts;
  const faults: SoakFault[] = [];
  const heals: Promise<void>[] = [];
  const measureHeal = (fault: SoakFault, endedMs: number, deadlineMs: number) => {
    heals.push(
      (async () => {
        while (Date.now() < deadlineMs) {
          if (await healedSince(stack, endedMs).catch(() => false)) {
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
    const remove = kinesisProxy.inject({ operation: 'PutRecords', action: 'throttle', records: () => Math.random() < share });
    await sleep(opts.brownoutMs);
    share = 1;
    await sleep(opts.brownoutMs);
    remove();
  });
  await at(1);
  return { faults, healed: async () => void (await Promise.all(heals)) };
}
