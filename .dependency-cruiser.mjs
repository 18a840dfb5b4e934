// `pnpm lint` runs this after ESLint: the import graph of every TypeScript file, type-only
// imports included (they tie modules together for a reader and for tsc just as much).
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A module must not reach itself through its imports, type-only ones included: move the shared part to a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-src',
      comment: 'Shipped code must not import test code.',
      severity: 'error',
      from: { path: '^(packages/[^/]+|services/[^/]+|infra)/src/' },
      to: { path: '(^|/)test/' },
    },
    {
      name: 'bench-through-entry-points',
      comment: 'Benchmarks read the packages through their entry points (@eventlake/…), never their files.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^(packages|services|infra)/' },
    },
    {
      name: 'packages-below-services',
      comment:
        'Packages are what the services build on, so they do not import a service. packages/cli does (pnpm dev, lake replay and the OpenAPI export start or read the services): it is the composition root that is still to move above them.',
      severity: 'error',
      from: { path: '^packages/', pathNot: '^packages/cli/' },
      to: { path: '^(services/|@eventlake/(ingest-api|processor)($|/))' },
    },
  ],
  options: {
    // Other packages are read through their entry points, never followed into.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    exclude: { path: '(^|/)(\\.tap|coverage|\\.eventlake)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
  },
};
