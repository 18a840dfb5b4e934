/**
 * Entry point: reads the environment, listens, and shuts down gracefully on SIGTERM
 * (stop accepting, answer in-flight requests once their records are stored, exit).
 */
import { isAppError } from '@eventlake/common';
import { loadIngestConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadIngestConfig();
  } catch (err) {
    // A bad configuration is an operator's fix: say which variable, not a stack trace.
    process.stderr.write(`${isAppError(err) ? err.message : String(err)}\n`);
    process.exit(78);
  }
  // The app is loaded after the configuration checked out, so a bad variable fails fast.
  const [{ default: closeWithGrace }, { Metrics, createLogger }, { buildApp }, { buildMetricsApp }, { createServerPublisher }] = await Promise.all([
    import('close-with-grace'),
    import('@eventlake/common'),
    import('./app.js'),
    import('./metrics-app.js'),
    import('./kinesis.js'),
  ]);
  const logger = createLogger('ingest-api', { level: config.LOG_LEVEL });
  const metrics = new Metrics('eventlake_ingest');
  // A dead publisher thread is fatal like an uncaught error: logged, the server closes
  // gracefully and exits 1, so the orchestrator replaces the task.
  const { publisher, destroy, threaded } = createServerPublisher(config, logger, metrics, {
    onFailure: (err) =>
      setImmediate(() => {
        throw err;
      }),
  });
  await publisher.start();
  const app = await buildApp({ config, publisher, metrics, logger });
  const metricsApp = await buildMetricsApp(metrics);
  const stopEmf = config.EMF_NAMESPACE ? metrics.startEmf(config.EMF_NAMESPACE, { service: 'ingest-api' }) : undefined;

  closeWithGrace({ delay: config.PUBLISH_DEADLINE_MS + 5_000 }, async ({ signal, err }) => {
    if (err) logger.error({ event: 'shutdown_on_error', err }, 'shutdown_on_error');
    logger.info({ event: 'shutdown', signal: signal ?? null, inFlightBytes: publisher.admission.inFlight }, 'shutdown');
    await app.close();
    await metricsApp.close();
    await stopEmf?.();
    destroy();
    logger.info({ event: 'stopped' }, 'stopped');
  });

  const metricsAddress = await metricsApp.listen({ port: config.METRICS_PORT, host: config.HOST });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ event: 'listening', address, metricsAddress, stream: config.STREAM_NAME, aggregation: config.AGGREGATION, publisherThread: threaded }, 'listening');
}

await main();
