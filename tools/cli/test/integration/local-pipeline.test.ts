import t from 'tap';
import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { startLocalPipeline } from '../../src/dev/local-pipeline.js';
import { LakeSession, lakeLocationOf } from '../../src/lake/lake-session.js';
import { testPipelineOptions } from '../support/test-pipeline.js';

const options = (dataDir: string, lines: string[]) => testPipelineOptions(dataDir, lines, { shards: 1, workers: 1 });

async function postClick(api: string, key: string, eventId: string): Promise<number> {
  const res = await fetch(`${api}/v1/clickstream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ event_id: eventId, user_id: 'u1', action: 'view_item', item_id: 300, price: 9.5 }),
  });
  await res.body?.cancel();
  return res.status;
}

async function lakeIds(facts: { s3_endpoint: string; bucket: string }, dataDir: string, want: number): Promise<string[]> {
  const location = lakeLocationOf(facts, dataDir);
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const session = await LakeSession.open(location);
      try {
        const { rows } = await session.query('SELECT event_id FROM clickstream ORDER BY event_id');
        if (rows.length >= want || Date.now() > deadline) return rows.map((r) => String(r.event_id));
      } finally {
        session.close();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    location.s3.destroy();
  }
}

t.test('a second start on the same data dir resumes: same key, same lake, the stream keeps flowing', async (t) => {
  const dataDir = t.testdir();
  const lines: string[] = [];
  const first = await startLocalPipeline(options(dataDir, lines));
  t.equal(await postClick(first.facts.api_url, first.facts.api_key, 'resume-1'), 202);
  t.same(await lakeIds(first.facts, dataDir, 1), ['resume-1']);
  await first.stop();
  t.not(first.api.child.exitCode, null, 'the API exited');
  t.ok(first.workers.every((w) => w.child.exitCode !== null), 'the workers exited');

  const second = await startLocalPipeline(options(dataDir, lines));
  t.teardown(() => second.stop());
  t.equal(second.facts.api_key, first.facts.api_key, 'the development key is kept');
  t.equal(JSON.parse(await readFile(second.devJson, 'utf8')).api_url, second.facts.api_url, 'dev.json rewritten with the new endpoints');
  t.equal(await postClick(second.facts.api_url, second.facts.api_key, 'resume-2'), 202);
  t.same(await lakeIds(second.facts, dataDir, 2), ['resume-1', 'resume-2'], 'old data kept, new data added, nothing twice');
  if (!t.passing()) t.comment(lines.slice(-30).join('\n'));
});

t.test('a taken emulator port fails fast with ERR_PORT_IN_USE naming the flag that moves it', async (t) => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as net.AddressInfo).port;
  const dataDir = t.testdir();
  const opts = options(dataDir, []);
  opts.ports = { ...opts.ports, dynamodb: port };
  await t.rejects(startLocalPipeline(opts), { code: 'ERR_PORT_IN_USE', hint: /--dynamodb-port/ });
});
