/**
 * The Node options the API server runs with, wherever it runs: the image's CMD (its test
 * holds the two equal), `pnpm dev` and the benchmark start it with these.
 *
 * `--max-semi-space-size=32` (MiB): under load a request's parsed body lives until its
 * records are stored, a few hundred milliseconds, and V8's default young generation (it
 * grows to 16 MiB semi-spaces, slowly) kept promoting those objects to the old generation,
 * where they died in full collections marked by helper threads. With 32 MiB they die young.
 * Measured side by side on two cores, 100-event batches at 256 connections: 70–82k events/s
 * without, 92–101k with; the GC helper threads' CPU fell by a third. 64 MiB measured the
 * same as 32 and 128 no better, at more memory (a young generation is three semi-spaces).
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=32'];
