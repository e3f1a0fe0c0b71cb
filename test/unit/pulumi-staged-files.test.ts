// `pulumi up` stages an application's local files (issue 7): the Pulumi front end registers one
// StagedFiles resource per application with local files, and the driver's Job waits for it. The
// dependencies are read from what the SDK sends the (mock) engine, as `pulumi up` would get them.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { SparkApplication, StagingServer, type SparkApplicationArgs } from '../../lib/pulumi';
import { capturePulumiResources, type CapturedResource } from '../support/pulumi-mocks';

const STAGED_FILES_TYPE = 'pulumi-nodejs:dynamic/sparkplane:StagedFiles';

/** The explicit and implicit dependencies (URNs) of each registered resource, by logical name. */
const dependencies = new Map<string, string[]>();
const monitor = pulumi.runtime.getMonitor() as any;
const registerResource = monitor.registerResource.bind(monitor);
monitor.registerResource = (request: any, callback: unknown) => {
  dependencies.set(request.getName(), request.getDependenciesList());
  return registerResource(request, callback);
};
const urnNamed = (name: string) => (urn: string) => urn.endsWith(`::${name}`);

let dir: string;
let cwd: string;
beforeAll(() => {
  cwd = process.cwd();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-pulumi-staged-'));
  process.chdir(dir);
  fs.writeFileSync('etl.jar', Buffer.alloc(2 ** 20, 3));
  fs.mkdirSync('lib');
  fs.writeFileSync('lib/dep.jar', 'dependency');
  fs.writeFileSync('lookup.csv', 'a,b\n');
});
afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const stagingServerArgs = { namespace: 'batch', image: 'registry.example.com/sparkplane:0.1.0', apiServerPeers: [{ cidr: '10.0.0.10/32' }] };
const etl = (extra: Partial<SparkApplicationArgs> = {}): SparkApplicationArgs => ({
  namespace: 'batch', sparkVersion: '4.0.5', mainClass: 'com.example.Etl', mainApplicationFile: 'etl.jar', ...extra,
});

/** Runs the program and waits until every resource of `app` is registered (the provider's serialization is asynchronous). */
async function capture(program: () => SparkApplication): Promise<CapturedResource[]> {
  dependencies.clear();
  return capturePulumiResources(async () => {
    const app = program();
    const children = [...app.resources, ...(app.stagedFiles ? [app.stagedFiles] : [])];
    await new Promise((resolve) => pulumi.all(children.map((child) => child.urn)).apply(resolve));
  });
}

describe('a Pulumi SparkApplication with local files', () => {
  it('registers one StagedFiles resource with each local file\'s name, digest, size and absolute path, the fetch-staged container\'s digests', async () => {
    const resources = await capture(() => {
      const staging = new StagingServer('staging', stagingServerArgs);
      return new SparkApplication('etl', etl({ jars: ['lib/dep.jar', 'https://repo.example.com/x.jar'], files: ['lookup.csv'], staging }));
    });
    const staged = resources.filter((r) => r.type === STAGED_FILES_TYPE);
    expect(staged).toHaveLength(1);
    const { __provider: provider, ...inputs } = staged[0].inputs;
    expect(staged[0].name).toBe('etl-staged-files');
    expect(inputs).toEqual({
      namespace: 'batch',
      service: 'staging-server',
      secret: 'staging-server-tokens',
      files: [
        { name: 'etl.jar', sha256: sha256('etl.jar'), size: 2 ** 20, source: path.join(fs.realpathSync(dir), 'etl.jar') },
        { name: 'dep.jar', sha256: sha256('lib/dep.jar'), size: 10, source: path.join(fs.realpathSync(dir), 'lib', 'dep.jar') },
        { name: 'lookup.csv', sha256: sha256('lookup.csv'), size: 4, source: path.join(fs.realpathSync(dir), 'lookup.csv') },
      ],
    });
    // The driver fetches exactly what is uploaded.
    const job = resources.find((r) => r.type === 'kubernetes:batch/v1:Job')!;
    expect(job.inputs.spec.template.spec.initContainers[0].args.slice(7)).toEqual(inputs.files.map((f: any) => `${f.sha256}=${f.name}`));
    // The provider travels as serialized code that loads the staging client only when it runs.
    expect(typeof provider).toBe('string');
    expect(provider).toContain('exports.handler');
    expect(provider).not.toContain('client-node');
  });

  it('creates the driver\'s Job after the files are staged, and stages them after a StagingServer of the program is deployed', async () => {
    const resources = await capture(() => {
      const staging = new StagingServer('staging', stagingServerArgs);
      return new SparkApplication('etl', etl({ staging }));
    });
    const job = resources.find((r) => r.type === 'kubernetes:batch/v1:Job')!.name;
    expect(dependencies.get(job)).toContainEqual(expect.stringMatching(/::etl-staged-files$/));
    // A component in dependsOn stands for all its children: the server's Deployment, Service and tokens Secret among them.
    expect(dependencies.get('etl-staged-files')).toEqual(expect.arrayContaining([
      expect.stringMatching(/sparkplane:spark:StagingServer\$kubernetes:apps\/v1:Deployment::staging-staging-server$/),
      expect.stringMatching(/sparkplane:spark:StagingServer\$kubernetes:core\/v1:Service::staging-staging-server$/),
      expect.stringMatching(/sparkplane:spark:StagingServer\$kubernetes:core\/v1:Secret::staging-staging-server-tokens$/),
    ]));
    // Nothing else waits for the upload.
    for (const [name, urns] of dependencies) {
      if (name !== job) expect({ name, urns: urns.filter(urnNamed('etl-staged-files')) }).toEqual({ name, urns: [] });
    }
  });

  it('depends on no server resource when staging is a reference to a server deployed elsewhere', async () => {
    const resources = await capture(() => new SparkApplication('etl', etl({ staging: { name: 'shared-staging', image: 'registry.example.com/sparkplane:0.1.0' } })));
    expect(resources.find((r) => r.type === STAGED_FILES_TYPE)!.inputs).toMatchObject({ service: 'shared-staging', secret: 'shared-staging-tokens' });
    expect(dependencies.get('etl-staged-files')).toEqual([]);
    expect(dependencies.get(resources.find((r) => r.type === 'kubernetes:batch/v1:Job')!.name)).toContainEqual(expect.stringMatching(/::etl-staged-files$/));
  });

  it('passes a given kubeconfig and context to the upload, the kubeconfig as a secret', async () => {
    const kubeconfig = 'apiVersion: v1\nkind: Config\ncurrent-context: ci-uploader\n';
    let stagedFiles: pulumi.CustomResource | undefined;
    const resources = await capture(() => {
      const app = new SparkApplication('etl', etl({ staging: { image: 'sparkplane:1' }, stagingUpload: { kubeconfig, context: 'ci' } }));
      stagedFiles = app.stagedFiles;
      return app;
    });
    expect(resources.find((r) => r.type === STAGED_FILES_TYPE)!.inputs).toMatchObject({
      kubeconfig: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: kubeconfig },
      context: 'ci',
    });
    // And so is the output the state keeps for `pulumi refresh`.
    expect(await (stagedFiles as any).kubeconfig.isSecret).toBe(true);
    // Pulumi-only: nothing of it reaches the core's objects.
    expect(JSON.stringify(resources.filter((r) => r.type.startsWith('kubernetes:')))).not.toContain('ci-uploader');
  });

  it('registers no StagedFiles resource when every dependency is a URI', async () => {
    const resources = await capture(() => new SparkApplication('etl', etl({ mainApplicationFile: 'local:///opt/app/etl.jar', staging: { image: 'sparkplane:1' } })));
    expect(resources.filter((r) => r.type === STAGED_FILES_TYPE)).toEqual([]);
    expect(resources.filter((r) => r.type === 'kubernetes:batch/v1:Job')).toHaveLength(1);
  });
});
