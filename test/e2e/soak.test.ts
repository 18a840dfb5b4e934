/**
 * The soak run of `pnpm bench:soak`, short: every fault of a stream's life once, through the
 * built API and processor workers, each fault shortened to seconds. It holds when every
 * acknowledged event is in the lake once and every poison record in errors/ once, whatever the
 * random draws (which worker is killed, which requests are resent, which records throttled).
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSoak, soakTable } from '../../bench/soak-run.js';

t.setTimeout(360_000);

t.test('a short soak: load with retries through reshards, retention, kill -9, brownouts and throttling leaves the lake exact', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'eventlake-soak-test-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true, maxRetries: 5 }));
  const report = await runSoak({
    dataDir,
    loadMs: 40_000,
    rate: 200,
    workers: 2,
    shards: 2,
    lateRetryMs: 15_000,
    brownoutMs: 5_000,
    leaseDurationMs: 5_000,
    // The run's timeline, in the TAP output: where the time went if it runs long.
    progress: (line) => t.comment(line),
  });
  t.comment(soakTable(report));

  t.ok(report.acknowledged > 1_000, `the client's events were acknowledged (${report.acknowledged})`);
  t.same(report.missing, [], 'no acknowledged event is missing from the lake');
  t.same(report.duplicated, [], 'no event is in the lake twice');
  t.ok(report.poisonSent > 0, 'poison records were sent around the API');
  t.same(report.poisonMissing, [], 'every poison record is in errors/');
  t.same(report.poisonDuplicated, [], 'no poison record is in errors/ twice');

  // The run exercised what it claims to: otherwise an exact lake proves little.
  t.ok(report.resentSoon > 0 && report.resentLate > 0, 'acknowledged requests were resent, soon and long after');
  t.ok(report.throttledRecords > 0, 'Kinesis throttled the API’s writes');
  t.ok(report.refusedAndRetried > 0, 'the API refused requests during the faults, and the client sent them again');
  t.equal(report.workers.filter((w) => w.end === 'killed').length, 3, 'three workers were killed with SIGKILL');
  t.same(
    report.faults.filter((f) => f.healSeconds === null).map((f) => f.name),
    [],
    'after every fault, every open shard checkpointed records that arrived after it',
  );
});
