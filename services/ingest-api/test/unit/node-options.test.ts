import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { SERVER_NODE_OPTIONS } from '../../src/node-options.js';

// `pnpm dev` and the benchmark start the server with SERVER_NODE_OPTIONS; the image cannot
// import it, so its CMD spells them out and this keeps the two from drifting apart.
t.test("the image's CMD runs the server with SERVER_NODE_OPTIONS", async (t) => {
  const dockerfile = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.ok(cmd, 'the Dockerfile has an exec-form CMD');
  t.same(JSON.parse(cmd![1]!), ['node', ...SERVER_NODE_OPTIONS, 'dist/server.js']);
});

t.test('node starts with them (an option it does not know exits 9)', async (t) => {
  const run = spawnSync(process.execPath, [...SERVER_NODE_OPTIONS, '-e', '0'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
});
