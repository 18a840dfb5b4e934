/**
 * The processor task's entry point: configuration from the environment, one worker, the
 * health server, and graceful shutdown on SIGTERM (how Fargate stops a task) or SIGINT.
 */
import { createLogger, isAppError } from '@eventlake/common';
import { loadProcessorConfig } from './config.js';
import { createClients, destroyClients, startProcessor } from './index.js';

const log = createLogger('processor');

async function main(): Promise<void> {
  const config = loadProcessorConfig();
  const clients = createClients(config);
  const processor = await startProcessor(config, clients, { http: true, log: createLogger('processor', { level: config.LOG_LEVEL }) });
  log.info({ port: processor.port, workerId: config.WORKER_ID }, 'listening');
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutdown_started');
    processor.stop().then(
      () => {
        destroyClients(clients);
        log.info({ signal }, 'shutdown_complete');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown_failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (isAppError(err)) log.fatal({ code: err.code, hint: err.hint, err: err.message }, 'startup_failed');
  else log.fatal({ err }, 'startup_failed');
  process.exit(1);
});
