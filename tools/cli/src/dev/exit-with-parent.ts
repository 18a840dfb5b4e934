/**
 * Preloaded into every service `startService` runs (`node --import`): when the process that
 * started it goes away, however it ended (a test runner's timeout, kill -9), the IPC channel
 * to it closes, and the service stops as on SIGTERM, gracefully, instead of running on as an
 * orphan that holds its ports and CPU. The channel itself keeps nothing alive.
 */
const stop = () => process.kill(process.pid, 'SIGTERM');

if (process.channel) {
  process.channel.unref();
  // The parent may be gone before this module runs (preloads load asynchronously).
  if (process.connected) process.once('disconnect', stop);
  else stop();
}

export {};
