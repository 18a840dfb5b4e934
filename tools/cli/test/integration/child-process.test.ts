import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHILD_PROCESS = fileURLToPath(new URL('../../dist/dev/child-process.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('a service whose parent dies without stopping it (kill -9) stops itself, gracefully', async (t) => {
  const dir = t.testdir();
  const service = join(dir, 'service.mjs');
  const stopped = join(dir, 'stopped');
  // Stops on SIGTERM as the services do, leaving a mark that it shut down on its own terms.
  await writeFile(service, `import { writeFileSync } from 'node:fs';\nsetInterval(() => {}, 1000);\nprocess.on('SIGTERM', () => { writeFileSync(${JSON.stringify(stopped)}, 'yes'); process.exit(0); });\nconsole.log('ready');\n`);
  // A parent that starts the service, prints its pid once it is ready, then hangs until killed.
  const parentScript = join(dir, 'parent.mjs');
  await writeFile(
    parentScript,
    `import { startService } from ${JSON.stringify(CHILD_PROCESS)};
const s = startService('svc', ${JSON.stringify(service)}, {}, (_, line) => {
  if (line === 'ready') console.log(s.child.pid);
});
setInterval(() => {}, 1000);
`,
  );
  const parent = spawn(process.execPath, [parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
  const pid = Number(line);
  t.teardown(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  t.ok(alive(pid), 'the service runs');
  parent.kill('SIGKILL');
  await once(parent, 'exit');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(alive(pid), 'gone once its parent was killed');
  t.equal(await readFile(stopped, 'utf8').catch(() => 'no'), 'yes', 'through its own SIGTERM handler');
});
