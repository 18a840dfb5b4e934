/**
 * ECS container definitions as plain data: what each service is told (its environment
 * contract), how it logs and how long it gets to stop.
 */

/** The one writable path of every container (a task volume): the root filesystem is read-only. */
export const WRITABLE_PATH = '/tmp';

/** Inputs of one container definition. */
export interface ContainerSpec {
  name: string;
  image: string;
  port: number;
  environment: Record<string, string>;
  /** Env var name -> Secrets Manager ARN; ECS injects the value at start, never in the task definition. */
  secrets?: Record<string, string>;
  logGroupName: string;
  region: string;
  stopTimeoutSeconds: number;
  /** A container-level health check for services no load balancer checks. */
  healthCheckPath?: string;
}

/** The task definition's `containerDefinitions` entry for `spec`. */
export function containerDefinition(spec: ContainerSpec): Record<string, unknown> {
  const def: Record<string, unknown> = {
    name: spec.name,
    image: spec.image,
    essential: true,
    portMappings: [{ containerPort: spec.port, protocol: 'tcp' }],
    environment: Object.entries(spec.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    secrets: Object.entries(spec.secrets ?? {}).map(([name, valueFrom]) => ({ name, valueFrom })),
    // The image runs as a non-root user; nothing but WRITABLE_PATH needs to be writable.
    readonlyRootFilesystem: true,
    mountPoints: [{ sourceVolume: 'tmp', containerPath: WRITABLE_PATH, readOnly: false }],
    stopTimeout: spec.stopTimeoutSeconds,
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': spec.logGroupName, 'awslogs-region': spec.region, 'awslogs-stream-prefix': spec.name },
    },
  };
  if (spec.healthCheckPath) {
    // The slim image has no curl; Node 22's fetch does the probe.
    const probe = `fetch('http://127.0.0.1:${spec.port}${spec.healthCheckPath}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
    def.healthCheck = { command: ['CMD', 'node', '-e', probe], interval: 30, timeout: 5, retries: 3, startPeriod: 30 };
  }
  return def;
}
