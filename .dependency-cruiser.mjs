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
      from: { path: '^(packages/[^/]+|services/[^/]+|tools/[^/]+|infra)/src/' },
      to: { path: '(^|/)test/' },
    },
    {
      name: 'bench-through-entry-points',
      comment: 'Benchmarks read the packages through their entry points (@eventlake/…), never their files.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^(packages|services|tools|infra)/' },
    },
    {
      name: 'packages-below-services',
      comment:
        'The layers, bottom up: packages, services, tools. Packages are what the services and the tools build on, so a package imports neither a service nor a tool.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(services|tools)/|^@eventlake/(ingest-api|processor|cli)($|/)' },
    },
    {
      name: 'services-below-tools',
      comment:
        "The tools (tools/cli: pnpm dev, lake replay, the OpenAPI export) start and read the services through the services' entry points, so a service never imports a tool.",
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^tools/|^@eventlake/cli($|/)' },
    },
    {
      name: 'tools-through-entry-points',
      comment:
        "The tools start and read the services and packages through their entry points (@eventlake/…), never their files. One test reaches test code: the status page's end-to-end test drives Chromium with the status tests' helper.",
      severity: 'error',
      from: { path: '^tools/' },
      to: {
        path: '^(packages|services|infra)/',
        pathNot: '^packages/status/test/support/chromium[.]ts$',
      },
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
