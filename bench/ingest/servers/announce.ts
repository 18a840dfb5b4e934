/** How a bench child process tells its parent where it listens: one JSON line on stdout. */
export function announce(info: { url: string }): void {
  process.stdout.write(`${JSON.stringify({ event: 'listening', address: info.url })}\n`);
}
