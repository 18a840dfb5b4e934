/** A Postman collection run with newman against a running API, as a client's CI would run it. */
import newman, { type NewmanRunSummary } from 'newman';

/** Runs `collection` against `baseUrl` with `apiKey` as the collection's variables; resolves with newman's summary. */
export function runNewman(collection: unknown, baseUrl: string, apiKey: string): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) =>
    newman.run(
      {
        collection: collection as never,
        envVar: [
          { key: 'baseUrl', value: baseUrl },
          { key: 'apiKey', value: apiKey },
        ],
        reporters: [],
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    ),
  );
}
