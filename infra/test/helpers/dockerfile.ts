/** Reading the service Dockerfiles in tests. */

/** The arguments of a Dockerfile's exec-form `CMD ["node", …]` line, or [] when it has none. */
export function execFormCmd(dockerfile: string): string[] {
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  return cmd?.[1] ? (JSON.parse(cmd[1]) as string[]) : [];
}
