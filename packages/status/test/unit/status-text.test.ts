import t from 'tap';
import { stripVTControlCharacters } from 'node:util';
import { buildSnapshot } from '../../src/status-model.js';
import { formatAge, formatBytes, renderStatusText } from '../../src/status-text.js';
import { TARGETS, apiText, lease, shard, tick, workerText } from '../../src/synthetic.js';

const S0 = 'shardId-000000000000';

function sample() {
  const leases = [lease(S0, 'dev-worker-2')];
  return buildSnapshot({
    targets: TARGETS,
    ticks: [
      tick(100, { api: apiText({ accepted: { clickstream: 0 } }), 'worker-1': workerText({}), 'worker-2': workerText({ records: { [S0]: 0 } }) }, leases, [shard(S0)]),
      tick(110, { api: apiText({ accepted: { clickstream: 1234 }, inFlight: 2048 }), 'worker-1': workerText({ rss: 150 * 1024 * 1024 }), 'worker-2': null }, leases, [shard(S0)]),
    ],
    lake: { types: [{ type: 'clickstream', files: 3, bytes: 5000, newestWriteMs: 108_000 }], errorFiles: 1, latestErrors: [{ arrivalTime: '2025-08-08T13:45:12.000Z', stage: 'schema', reason: '$.longtitude: unknown field "longtitude"', shardId: S0 }] },
    moves: [{ atMs: 109_000, shardId: S0, from: 'dev-worker-2', to: 'dev-worker-1' }],
    aggregates: [],
    rateWindowMs: 10_000,
  });
}

t.test('the terminal view has the page\'s figures: ingest, shards and owners, the lake, workers', async (t) => {
  const text = renderStatusText(sample());
  for (const expected of [
    /accepted\s+123\/s\s+transaction 0\/s · clickstream 123\/s · telemetry 0\/s/,
    /in flight\s+2\.0 KiB/,
    new RegExp(`${S0}\\s+worker-2\\s+owner gone\\s+0\\s+–`),
    /moved 00:01:49\s+shardId-000000000000\s+worker-2 → worker-1/,
    /clickstream\s+0\s+0\s+3\s+4\.9 KiB\s+2\.0 s ago/,
    /errors\/\s+none in the last minute\s+\(1 files\)/,
    /13:45:12 schema\s+\$\.longtitude: unknown field "longtitude"/,
    /worker-1\s+up\s+0\s+150 MiB\s+0 \(0\/min\)/,
    /worker-2\s+gone since 00:01:50/,
  ]) {
    t.match(text, expected);
  }
  t.notMatch(text, /ONE-MINUTE AGGREGATES/, 'no aggregates section without aggregate tables');
});

t.test('with colour, states stand out and the columns still line up', async (t) => {
  const plain = renderStatusText(sample());
  const coloured = renderStatusText(sample(), { color: true });
  t.not(coloured, plain);
  t.equal(stripVTControlCharacters(coloured), plain);
});

t.test('units', async (t) => {
  t.equal(formatBytes(null), '–');
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  t.equal(formatAge(0.25), '250 ms');
  t.equal(formatAge(4.24), '4.2 s');
  t.equal(formatAge(125), '2 min');
});
