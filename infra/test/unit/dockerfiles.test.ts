/**
 * The service Dockerfiles, read as policy: what the image is built from, what it runs as and
 * what it runs. (Docker cannot run here; the bundle they copy is started by
 * test/integration/production-bundle.test.ts.)
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { execFormCmd } from '../helpers/dockerfile.js';

const repo = new URL('../../../', import.meta.url);
const CONTRACT = {
  'ingest-api': { pkg: '@eventlake/ingest-api', entry: 'dist/server.js', port: 3000 },
  processor: { pkg: '@eventlake/processor', entry: 'dist/main.js', port: 9090 },
} as const;

for (const [service, c] of Object.entries(CONTRACT)) {
  t.test(`services/${service}/Dockerfile: multi-stage Node 22 slim, locked install, pnpm deploy, non-root, no HEALTHCHECK`, async (t) => {
    const text = await readFile(new URL(`services/${service}/Dockerfile`, repo), 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    const froms = lines.filter((l) => /^FROM /.test(l));
    t.equal(froms.length, 2, 'a build stage and a runtime stage');
    for (const from of froms) t.match(from, /^FROM node:22(\.\d+)*-[a-z]+-slim\b/, 'Node 22 LTS slim');
    t.ok(lines.some((l) => /pnpm install --frozen-lockfile --filter "?@eventlake\//.test(l) && l.includes(c.pkg)), 'installs exactly what the lockfile says, for this service only');
    t.ok(lines.some((l) => /tsc --build/.test(l)), 'compiles with tsc --build');
    t.ok(lines.some((l) => l.includes(`--filter ${c.pkg} deploy --prod`)), 'pnpm deploy --prod');
    const runtime = lines.slice(lines.indexOf(froms[1]!));
    t.ok(runtime.some((l) => /^COPY --from=build /.test(l)), 'the runtime stage copies only the deployed folder');
    t.notOk(runtime.some((l) => /^RUN .*(pnpm|npm) (install|i) /.test(l)), 'no install in the runtime stage');
    t.ok(runtime.some((l) => /^USER (node|\d+)/.test(l) && !/^USER (root|0)\b/.test(l)), 'runs as a non-root user');
    t.notOk(lines.some((l) => /^HEALTHCHECK/.test(l)), 'ECS and the ALB check health');
    // Exec form, node options (services/ingest-api tests its own against SERVER_NODE_OPTIONS), then the entry.
    const args = execFormCmd(runtime.at(-1) ?? '');
    t.equal(args[0], 'node', 'the last line runs node, in exec form');
    t.equal(args.at(-1), c.entry);
    t.same(args.slice(1, -1).filter((a) => !a.startsWith('--')), [], 'only options between node and the entry');
    t.ok(runtime.some((l) => l === `EXPOSE ${c.port}`));
  });
}

t.test('.dockerignore keeps host builds and installs out of the context', async (t) => {
  const entries = (await readFile(new URL('.dockerignore', repo), 'utf8')).split('\n').map((l) => l.trim());
  for (const pattern of ['**/node_modules', '**/dist', '.git', '.env']) t.ok(entries.includes(pattern), pattern);
  t.ok(entries.includes('!infra/package.json'), 'every workspace manifest stays, or the frozen lockfile check fails');
});
