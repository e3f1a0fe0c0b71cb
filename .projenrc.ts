// The project definition: projen renders package.json, tsconfig*.json, .gitignore, .npmignore and the
// task runner (.projen/tasks.json) from this file. Change it here, then run `npx projen`.
import { JsonFile, javascript, typescript } from 'projen';

const cdk8sVersion = '2.70.106';
const cdk8sPlusVersion = '2.9.5';
const constructsVersion = '10.8.1';
// @pulumi/pulumi >= 3.249 declares Node >= 22; 3.248.0 is the newest that installs on Node 20.
// Users get any 3.x through the peer range.
const pulumiVersion = '3.248.0';
const pulumiKubernetesVersion = '4.34.2';

const project = new typescript.TypeScriptProject({
  name: 'sparkplane',
  description:
    'Apache Spark and Apache Zeppelin on Kubernetes as code: typed cdk8s constructs and Pulumi components from one framework-free core.',
  keywords: ['spark', 'kubernetes', 'cdk8s', 'pulumi', 'zeppelin', 'infrastructure-as-code'],
  license: 'Apache-2.0',
  authorName: 'sparkplane maintainers',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  entrypoint: 'dist/index.js',
  entrypointTypes: 'dist/index.d.ts',
  minNodeVersion: '20.0.0',
  // typescript@latest is 7.x (the native compiler), which ts-jest does not support.
  typescriptVersion: '~5.9.3',
  srcdir: 'lib',
  libdir: 'dist',
  testdir: 'test',
  sampleCode: false,
  github: false,
  release: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  eslint: false,
  // Peers: a cdk8s user must not need Pulumi, and the reverse, so all framework peers are optional.
  peerDeps: [
    `cdk8s@^${cdk8sVersion.split('.').slice(0, 2).join('.')}.0`,
    `cdk8s-plus-27@^${cdk8sPlusVersion.split('.').slice(0, 1).join('.')}.0.0`,
    `constructs@^10.0.0`,
    '@pulumi/pulumi@^3.0.0',
    '@pulumi/kubernetes@^4.0.0',
  ],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    `cdk8s@${cdk8sVersion}`,
    `cdk8s-plus-27@${cdk8sPlusVersion}`,
    `constructs@${constructsVersion}`,
    `@pulumi/pulumi@${pulumiVersion}`,
    `@pulumi/kubernetes@${pulumiKubernetesVersion}`,
    // 4.5.1 is the last kubernetes-models that declares Node 20.
    'kubernetes-models@4.5.1',
    'fast-check@^4.10.2',
    'tsx@^4.23.0',
    'yaml@^2.8.0',
    // `cdk8s synth` in examples/cdk8s, run by the tests as a user would.
    'cdk8s-cli@^2.207.0',
    // The image's program (lib/image): bundled by esbuild into the image, so the published package
    // does not depend on them. client-node 2.x needs Node >= 22.19 (undici 8); 1.4 runs on Node 20.
    '@kubernetes/client-node@~1.4.0',
    'prom-client@^15.1.3',
    // Pinned exactly: the image's bundle bytes (and so its digest) depend on esbuild's output.
    'esbuild@0.28.2',
    // node-fetch 2 (client-node's HTTP) requires Node's deprecated punycode module; the bundle
    // aliases it to this package so the sidecar starts without a deprecation warning.
    'punycode@^2.3.1',
  ],
  jestOptions: {
    jestVersion: '^29',
    junitReporting: false,
    // A test run never rewrites a snapshot: a changed rendering must fail until someone looks at it.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      collectCoverage: false,
      testEnvironment: 'node',
      reporters: [new javascript.JestReporter('<rootDir>/test/support/summary-reporter.js')],
      // .cache holds the test cluster's etcd data, whose *.snap files Jest would take for snapshots.
      modulePathIgnorePatterns: ['<rootDir>/.cache/'],
      // Examples import the package by name, as users do; tests resolve it to the sources.
      moduleNameMapper: { '^sparkplane$': '<rootDir>/lib/index.ts', '^sparkplane/(cdk8s|pulumi)$': '<rootDir>/lib/$1/index.ts' },
    },
  },
  // ts-jest only transpiles (test/tsconfig.json sets isolatedModules), which keeps the suites fast;
  // type checking is the `typecheck` task's job.
  tsJestOptions: {},
  gitignore: ['/.cache/', '/examples/cdk8s/dist/', '*.tsbuildinfo'],
  tsconfig: {
    compilerOptions: {
      resolveJsonModule: true,
      esModuleInterop: true,
      skipLibCheck: true,
      lib: ['es2022'],
      target: 'ES2022',
      // Examples and benchmarks import `sparkplane` by name, as users do; tsx resolves it to the sources.
      paths: { 'sparkplane': ['./lib/index.ts'], 'sparkplane/*': ['./lib/*/index.ts'] },
    },
  },
  tsconfigDev: {
    compilerOptions: { isolatedModules: true },
    // Relative to test/, where projen writes this tsconfig.
    include: ['../examples/**/*.ts', '../bench/**/*.ts', '../scripts/**/*.ts'],
  },
});

// The unit suite is the default `jest` run; the integration and e2e suites have tasks of their own.
project.package.file.addOverride('jest.testMatch', ['<rootDir>/test/unit/**/*.test.ts']);

// The published package holds dist/ (and the docs); development folders stay out.
project.npmignore?.exclude('/.cache/', '/examples/', '/bench/', '/scripts/', '/jvm/', '/images/', '/.ci/', '/API.md.tmp');

// Peer dependencies are optional per front end.
project.package.addField('peerDependenciesMeta', {
  'cdk8s': { optional: true },
  'cdk8s-plus-27': { optional: true },
  'constructs': { optional: true },
  '@pulumi/pulumi': { optional: true },
  '@pulumi/kubernetes': { optional: true },
});

// Subpath exports: the core, and one entry point per front end. typesVersions serves resolvers
// that predate `exports` (moduleResolution node10).
const entryPoints: Record<string, string> = { '.': 'index', './cdk8s': 'cdk8s/index', './pulumi': 'pulumi/index' };
project.package.addField(
  'exports',
  Object.fromEntries(
    Object.entries(entryPoints).map(([subpath, file]) => [
      subpath,
      { types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` },
    ]),
  ),
);
project.package.addField('typesVersions', {
  '*': { cdk8s: ['dist/cdk8s/index.d.ts'], pulumi: ['dist/pulumi/index.d.ts'] },
});

// API.md is generated from doc comments; `docgen:check` fails the tests when it is stale.
const docgen = project.addTask('docgen', {
  description: 'Generate API.md from the doc comments of the public entry points',
  exec: 'tsx scripts/api-docs.ts',
});
const docgenCheck = project.addTask('docgen:check', {
  description: 'Fail when API.md is stale or a public prop lacks a doc comment with @default',
  exec: 'tsx scripts/api-docs.ts --check',
});
// The Spark configuration keys are JSON data read at run time: ship them beside the compiled core.
project.compileTask.exec(
  `node -e "require('fs').cpSync('lib/core/spark/conf-keys', 'dist/core/spark/conf-keys', { recursive: true, filter: (f) => !f.endsWith('.md') })"`,
);
// `npx sparkplane stage`: the CLI as one bundled file (scripts/cli/bundle.ts says why).
project.compileTask.exec('tsx scripts/cli/bundle.ts');
project.addBins({ sparkplane: 'dist/cli/sparkplane.js' });
project.postCompileTask.spawn(docgen);
// Tests run from the sources through ts-jest, which only transpiles; this type-checks them, the
// examples, the benchmarks and the scripts.
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the library, tests, examples, benchmarks and scripts',
  exec: 'tsc --noEmit -p test/tsconfig.json',
});
// The unit suite checks the compiled package too (entry points, shipped data), so it compiles first.
project.testTask.prependSpawn(project.compileTask);
project.testTask.prependSpawn(docgenCheck);
project.testTask.prependSpawn(typecheck);

// The integration suite runs against a real control plane (scripts/cluster), started by its global
// setup and stopped by its teardown; one worker, since the suites share the cluster.
const sharedJestConfig = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  moduleNameMapper: { '^sparkplane$': '<rootDir>/lib/index.ts', '^sparkplane/(cdk8s|pulumi)$': '<rootDir>/lib/$1/index.ts' },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The cluster's etcd data (*.snap) is not a Jest snapshot.
  modulePathIgnorePatterns: ['<rootDir>/.cache/'],
  maxWorkers: 1,
};
/** A suite on the real control plane: its Jest config (the cluster's global setup) and its task. */
function clusterSuite(name: string, description: string, testTimeout: number) {
  new JsonFile(project, `test/${name}/jest.config.json`, {
    obj: {
      ...sharedJestConfig,
      rootDir: '../..',
      testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      testTimeout,
    },
  });
  return project.addTask(`test:${name}`, { description, exec: `jest -c test/${name}/jest.config.json`, env: { SPARKPLANE_SUITE: name } });
}
project.testTask.spawn(
  clusterSuite('integration', 'Integration tests against a real kube-apiserver, controller manager and scheduler with KWOK nodes', 300_000),
);
// The end-to-end suite runs real Spark (driver and executor JVMs) against the same control plane,
// through a test-only process kubelet (test/e2e/README.md).
project.testTask.spawn(clusterSuite('e2e', 'End-to-end tests: real Spark running what the library renders, on the real control plane', 600_000));

project.addTask('bench', {
  description: 'Render 1,000 distinct applications through the core and both front ends; print figures',
  exec: 'tsx bench/render.bench.ts',
});

// The project's container image (images/README.md): without a container engine as an OCI archive,
// or with one through docker/podman/buildah.
project.addTask('image', {
  description: 'Build the sparkplane image as an OCI archive (.cache/image/sparkplane-oci.tar), no container engine needed',
  exec: 'scripts/allocator-bridge/build && scripts/image/build-oci',
});
project.addTask('image:docker', { description: 'Build the sparkplane image with docker, podman or buildah', exec: 'scripts/image/build-docker' });

project.addTask('bench:allocator', {
  description: 'Ramp the allocator sidecar to 1,000 executors on KWOK nodes of the test control plane; print figures',
  exec: 'tsx bench/allocator.bench.ts',
});

project.addTask('bench:staging', {
  description: 'Upload and download 100 files (up to 200 MB) with 20 clients through the staging server and a plain static file server on loopback; print figures',
  exec: 'tsx bench/staging.bench.ts',
});

project.addTask('example', {
  description: 'Synthesize the main example (SparkPi with cdk8s) and print the manifests',
  exec: 'tsx examples/cdk8s/main.ts',
});

project.synth();
