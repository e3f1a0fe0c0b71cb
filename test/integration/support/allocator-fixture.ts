// One application with the allocator on the real control plane: the rendered objects applied (so the
// sidecar runs with the driver's ServiceAccount and Role, nothing more), the driver pod the Job
// creates on a KWOK node, the sidecar as a process of the bundled image program with a kubeconfig
// holding that ServiceAccount's token (through a TCP proxy the test can cut), and a simulated bridge.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderSparkApplication, type SparkApplicationSpec } from '../../../lib/core';
import { loadKubeconfig, KubeApi } from '../../e2e/support/kube-api';
import { bundleImageProgram, ImageProgramProcess, REPO_ROOT } from '../../support/image-program';
import { TcpProxy } from '../../support/tcp-proxy';
import { connection } from './cluster-env';
import { apply, FIELD_MANAGER, kubectl, manifestStream, waitFor, type KubectlResult, type KubeObj } from './kube';
import { writeServiceAccountKubeconfig } from './service-account-kubeconfig';
import { SimulatedBridge } from './simulated-bridge';
import { RenderedApplication } from './spark';

export interface AllocatorFixtureOptions {
  readonly namespace: string;
  readonly name: string;
  readonly maxExecutors: number;
  /** Extra sidecar environment (SPARKPLANE_ALLOCATOR_*). @default - the rendered values */
  readonly env?: Record<string, string>;
  /** Changes each minted pod. @default - none */
  readonly customizePod?: (pod: KubeObj) => void;
  /** Allocator props. @default - batch 20, delay 1s */
  readonly allocator?: Partial<NonNullable<SparkApplicationSpec['allocator']>>;
}

let bundle: string | undefined;

export class AllocatorFixture {
  readonly admin = new KubeApi(loadKubeconfig(connection().kubeconfig));
  app!: RenderedApplication;
  driverPod!: KubeObj;
  proxy!: TcpProxy;
  sidecar!: ImageProgramProcess;
  bridge!: SimulatedBridge;
  metricsUrl = '';
  /** kubectl's result of the Job's strict server-side dry run (stderr carries PodSecurity warnings). */
  jobDryRun!: KubectlResult;
  private kubeconfigPath = '';
  private sidecarEnv: NodeJS.ProcessEnv = {};
  private readonly sidecarLogs: Array<Record<string, unknown>> = [];

  constructor(readonly options: AllocatorFixtureOptions) {}

  async start(): Promise<void> {
    const { namespace, name, maxExecutors } = this.options;
    const objects = renderSparkApplication({
      name,
      namespace,
      sparkVersion: '4.0.5',
      mainClass: 'org.example.Main',
      mainApplicationFile: 'local:///opt/app.jar',
      dynamicAllocation: { maxExecutors },
      executor: { coreRequest: '100m', memory: '512m' },
      allocator: { image: 'sparkplane:dev', batchSize: 20, batchDelay: '1s', ...this.options.allocator },
    }) as KubeObj[];
    this.app = new RenderedApplication(objects);
    // Everything but the Job: KWOK completes a Job's pods at once, and this driver must stay
    // Running. Its pod is the Job's pod template as a bare pod, with the same account and spec.
    apply(objects.filter((o) => o.kind !== 'Job'), { namespace });
    // The Job itself (its native sidecar, probes, mounts) still goes through strict validation and
    // PodSecurity admission, as a dry run.
    this.jobDryRun = kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', `--field-manager=${FIELD_MANAGER}`, '-n', namespace, '-f', '-'], { input: manifestStream([this.app.job]) });
    const template = this.app.job.spec.template;
    await this.admin.create(`/api/v1/namespaces/${namespace}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: `${name}-driver-0`, namespace }, spec: template.spec });
    this.driverPod = await waitFor(
      async () => {
        const pod = await this.admin.get(`/api/v1/namespaces/${namespace}/pods/${name}-driver-0`);
        return pod.status?.phase === 'Running' ? (pod as KubeObj) : undefined;
      },
      60_000,
      `a Running driver pod of ${name}`,
    );

    // The sidecar's credentials: a token of the driver's ServiceAccount, as the pod would mount it.
    const server = this.admin.credentials.server;
    this.proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port) });
    this.kubeconfigPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sp-alloc-')), 'kubeconfig');
    await writeServiceAccountKubeconfig(this.admin, namespace, this.app.driverServiceAccount, this.kubeconfigPath, `https://127.0.0.1:${this.proxy.port}`);

    // The sidecar's environment as rendered into the Job, with the downward API filled in.
    const rendered = this.app.job.spec.template.spec.initContainers.find((c: { name: string }) => c.name === 'allocator');
    const env: Record<string, string> = {};
    for (const variable of rendered.env) if (variable.value !== undefined) env[variable.name] = variable.value;
    this.sidecarEnv = {
      PATH: process.env.PATH,
      ...(process.env.SPARKPLANE_SIDECAR_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SPARKPLANE_SIDECAR_NODE_OPTIONS } : {}),
      KUBECONFIG: this.kubeconfigPath,
      ...env,
      SPARKPLANE_NAMESPACE: namespace,
      SPARKPLANE_DRIVER_POD_NAME: this.driverPod.metadata.name,
      // Tests run several sidecars on one machine: any free ports.
      SPARKPLANE_ALLOCATOR_BRIDGE_PORT: '0',
      SPARKPLANE_ALLOCATOR_METRICS_PORT: '0',
      SPARKPLANE_ALLOCATOR_METRICS_HOST: '127.0.0.1',
      ...this.options.env,
    };
    const started = await this.startSidecar();
    this.bridge = new SimulatedBridge({
      api: this.admin,
      app: this.app,
      driverPod: this.driverPod,
      sidecarUrl: `http://127.0.0.1:${started.bridgePort}`,
      customizePod: this.options.customizePod,
    });
    await this.bridge.start();
  }

  /** Starts (or restarts) the sidecar process; resolves to its "allocator started" log line. */
  async startSidecar(bridgePort?: number): Promise<{ bridgePort: number; metricsPort: number }> {
    bundle ??= await bundleImageProgram();
    if (this.sidecar) this.sidecarLogs.push(...this.sidecar.logs, { msg: '--- sidecar restarted ---' });
    this.sidecar = new ImageProgramProcess(bundle, ['allocator'], {
      ...this.sidecarEnv,
      ...(bridgePort ? { SPARKPLANE_ALLOCATOR_BRIDGE_PORT: String(bridgePort) } : {}),
    });
    const started = (await this.sidecar.waitForLog('allocator started')) as unknown as { bridgePort: number; metricsPort: number };
    this.metricsUrl = `http://127.0.0.1:${started.metricsPort}/metrics`;
    return started;
  }

  /** The sidecar's metrics, as name{labels} → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(this.metricsUrl)).text();
    const values = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (match) values.set(match[1], Number(match[2]));
    }
    return values;
  }

  /** Sum of a metric over all its label sets, filtered by a label matcher. */
  async metric(name: string, labels = ''): Promise<number> {
    let sum = 0;
    for (const [key, value] of await this.metrics()) {
      if ((key === name || key.startsWith(`${name}{`)) && key.includes(labels)) sum += value;
    }
    return sum;
  }

  /** The application's executor pods in the API. */
  async executorPods(): Promise<KubeObj[]> {
    const pods = await this.admin.pods({ namespace: this.options.namespace, labelSelector: 'spark-role=executor' });
    return pods.filter((pod: KubeObj) => pod.metadata.ownerReferences?.[0]?.uid === this.driverPod.metadata.uid);
  }

  /** Where the sidecar's log lines go at stop, for a failure's post-mortem. */
  get logFile(): string {
    return path.join(REPO_ROOT, '.cache', 'allocator-it', `${this.options.name}.log`);
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    await this.sidecar?.kill();
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    fs.writeFileSync(this.logFile, [...this.sidecarLogs, ...(this.sidecar?.logs ?? [])].map((line) => JSON.stringify(line)).join('\n') + '\n' + (this.sidecar?.stderr.join('') ?? ''));
    await this.proxy?.close();
    this.admin.close();
  }
}
