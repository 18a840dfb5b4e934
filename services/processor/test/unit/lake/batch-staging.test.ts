/**
 * `BatchStaging` owns one batch's temporary tables and files: whichever way the batch is
 * loaded (read strictly, or decoded in JavaScript and staged again), `dispose` leaves the
 * connection and the temp directory as they were.
 */
import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@eventlake/common';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BatchLines } from '../../../src/lake/batch-lines.js';
import { BatchStaging } from '../../../src/lake/batch-staging.js';
import { DuckdbSession } from '../../../src/lake/duckdb-session.js';
import { eventTimeRange } from '../../../src/lake/event-time-range.js';
import { SeenIds } from '../../../src/lake/seen-ids.js';
import { RECEIVED_AT_MS, seedRecords, seq } from './record-factory.js';

const logger = createLogger('processor-test', { level: 'silent' });

async function tempTables(conn: DuckDBConnection): Promise<string[]> {
  const rows = (await conn.runAndReadAll('SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name')).getRows() as [string][];
  return rows.map((r) => r[0]);
}

for (const poisoned of [false, true]) {
  t.test(`${poisoned ? 'a batch DuckDB cannot read strictly' : 'a batch read strictly'}: dispose drops every table and file the staging made`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-staging-'));
    const session = new DuckdbSession({ tempDir: dir });
    const conn = await session.connect();
    const lines = new BatchLines('shardId-000000000001', () => session.tempPath('.ndjson'), undefined);
    t.teardown(async () => {
      lines.close();
      conn.closeSync();
      await session.close();
      await rm(dir, { recursive: true, force: true });
    });
    const [click] = seedRecords('clickstream', 'clickstream.seed-001.json');
    const records: Record<string, unknown>[] = [{ ...click!, event_id: 'a' }, { ...click!, event_id: 'a' }, { ...click!, event_id: 'b', action: 'Not An Action' }];
    // Text where a number belongs fails DuckDB's strict read of the whole file.
    if (poisoned) records.push({ ...click!, event_id: 'c', price: 'cheap' });
    records.forEach((r, i) => lines.add(seq(i), 'pk', RECEIVED_AT_MS + i, Buffer.from(JSON.stringify(r))));
    const seen = new SeenIds(session, 60_000);
    await seen.ensure(conn);
    const before = await tempTables(conn);
    const filesBefore = (await readdir(join(dir, (await readdir(dir))[0]!))).sort();

    const staging = new BatchStaging(conn, session, eventTimeRange(), logger);
    const errors = await staging.load(lines);
    t.same(errors.map((e) => (JSON.parse(e.data) as { event_id: string }).event_id).sort(), poisoned ? ['b', 'c'] : ['b'], 'the invalid records are refused');
    const duplicates = await staging.markDuplicates(seen);
    t.same([...duplicates], [1], 'the repeated id is a duplicate');
    t.ok((await tempTables(conn)).length > before.length, 'the staging made its tables');

    await staging.dispose();
    t.same(await tempTables(conn), before, 'no table of the staging is left');
    t.same((await readdir(join(dir, (await readdir(dir))[0]!))).sort(), filesBefore, 'no file of the staging is left');
    await staging.dispose();
    t.pass('a second dispose is harmless');
  });
}
