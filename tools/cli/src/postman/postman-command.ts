/**
 * `pnpm postman`: regenerates the committed Postman collection from the API's OpenAPI document.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseCli } from '../args.js';
import { ingestOpenApi } from './openapi-document.js';
import { collectionText, fixtureExamples, postmanCollection } from './postman-collection.js';

/** Where the collection is committed, relative to the repository root. */
export const COLLECTION_PATH = 'postman/eventlake.postman_collection.json';
/** Where the seed fixtures are, relative to the repository root. */
export const FIXTURES_PATH = 'fixtures/seed-events';

/** The collection's text as the script generates it now. */
export async function generateCollectionText(fixturesDir: string): Promise<string> {
  return collectionText(postmanCollection(await ingestOpenApi(), await fixtureExamples(fixturesDir)));
}

/** Runs `pnpm postman` (from the repository root). */
export async function postmanMain(argv: string[]): Promise<number> {
  const { values } = parseCli('postman', argv, {
    out: { type: 'string', default: COLLECTION_PATH },
    fixtures: { type: 'string', default: FIXTURES_PATH },
  });
  const out = resolve(values.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await generateCollectionText(resolve(values.fixtures)));
  process.stdout.write(`wrote ${values.out}\n`);
  return 0;
}
