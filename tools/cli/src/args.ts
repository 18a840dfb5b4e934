/**
 * Argument parsing shared by the commands: node's `util.parseArgs` (strict), with every
 * mistake turned into an `ERR_ARGS` AppError that names the flag and what it accepts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AppError, isAppError } from '@eventlake/common';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` against `options`; unknown flags and missing values are ERR_ARGS errors. */
export function parseCli<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new AppError('ERR_ARGS', `${command}: ${(err as Error).message}`, { hint: `run \`pnpm ${command} --help\` for the flags` });
  }
}

/** An integer flag within bounds, or its default when absent. */
export function intFlag(command: string, name: string, raw: string | undefined, fallback: number, bounds: { min?: number; max?: number } = {}): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
    const range = [bounds.min !== undefined ? `≥ ${bounds.min}` : '', bounds.max !== undefined ? `≤ ${bounds.max}` : ''].filter(Boolean).join(' and ');
    throw new AppError('ERR_ARGS', `${command}: --${name} must be an integer${range ? ` ${range}` : ''}, got ${JSON.stringify(raw)}`, {
      hint: `for example --${name} ${fallback}`,
    });
  }
  return value;
}

/** A fraction between 0 and 1 inclusive (`0.05`, `5e-2`), or its default when absent. */
export function fractionFlag(command: string, name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new AppError('ERR_ARGS', `${command}: --${name} must be a fraction from 0 to 1, got ${JSON.stringify(raw)}`, { hint: `for example --${name} 0.05` });
  }
  return value;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as `30s`, `2m`, `500ms` or a bare number of seconds, in milliseconds. */
export function durationFlag(command: string, name: string, raw: string): number {
  const m = DURATION.exec(raw.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new AppError('ERR_ARGS', `${command}: --${name} must be a positive duration like 30s, 2m or 500ms, got ${JSON.stringify(raw)}`, {
      hint: `for example --${name} 30s`,
    });
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!);
}

/** Runs a command's main; AppErrors print as `error ERR_…: message` and a hint, with exit code 1 (2 for bad arguments). */
export function runMain(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err: unknown) => {
      if (isAppError(err)) {
        process.stderr.write(`error ${err.code}: ${err.message}\n`);
        if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
        process.exitCode = err.code === 'ERR_ARGS' ? 2 : 1;
      } else {
        process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
