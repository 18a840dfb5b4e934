/**
 * The Node options the API server runs with, wherever it runs: the image's CMD (its test
 * holds the two equal), `pnpm dev` and the benchmark start it with these.
 *
 * `--max-semi-space-size=32` (MiB): under load a request's parsed body lives until its
 * records are stored, a few hundred milliseconds, and V8's default young generation (it
 * grows to 16 MiB semi-spaces, slowly) promotes those objects to the old generation, where
 * they die in full collections marked by helper threads. With 32 MiB they die young; larger
 * buys no more and costs memory (a young generation is three semi-spaces). The measurements
 * are in docs/performance.md.
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=32'];
