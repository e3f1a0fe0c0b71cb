// The staging server as a local process behind a real Service, so requests through the API server's
// service proxy reach it (docs/staging-server-research.md §5.6). The proxy dials only addresses an
// Endpoints object lists with a targetRef to a Pod whose status.podIPs holds that address, and
// Endpoints refuse loopback addresses. So:
// - the server itself listens on 127.0.0.1, as every local test server does;
// - a recording HTTP relay listens on the machine's own non-loopback IPv4 address (its first one,
//   from os.networkInterfaces(); no network configuration is changed) and forwards to it, keeping
//   a log of every request's method, path and headers, so tests see what the proxy delivers;
// - a bare Pod that never runs (a scheduling gate keeps every scheduler and KWOK away from it, and
//   nothing bound to a missing node is there for the pod garbage collector to delete) gets that
//   address through its status subresource, and the Service's Endpoints point at it by targetRef.
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { blobPath, READ_TOKEN_KEY, STAGING_DATA_PORT, STAGING_PORT_NAME, STAGING_TOKEN_HEADER, UPLOAD_TOKEN_KEY } from '../../../lib/core/staging/protocol';
import { KubeApi, loadKubeconfig } from '../../e2e/support/kube-api';
import { bundleImageProgram, ImageProgramProcess } from '../../support/image-program';
import type { LocalContainerStarter } from './local-pod';
import { writeServiceAccountKubeconfig } from './service-account-kubeconfig';

/** The first IPv4 address of this machine that is not loopback: where the API server can reach a local process. */
export function nonLoopbackIPv4(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('169.254.')) return address.address;
    }
  }
  throw new Error(
    'this machine has no non-loopback IPv4 address, and the API server\'s service proxy refuses loopback endpoints: ' +
      'add one (as root: `ip addr add 10.254.254.254/32 dev lo`, removed afterwards with `ip addr del`)',
  );
}

/** One request as the backend received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A request relay on `host` that forwards to 127.0.0.1:`upstreamPort` and records each request; 100-continue is passed through. */
export class RecordingRelay {
  readonly requests: RecordedRequest[] = [];
  private readonly server: http.Server;

  private constructor(upstreamPort: number) {
    const forward = (req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
      const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers });
      upstream.on('continue', () => {
        res.writeContinue();
        req.pipe(upstream);
      });
      if (!expectsContinue) req.pipe(upstream);
      // Headers at once, as the API server's proxy sends them: the server may refuse before the body.
      upstream.flushHeaders();
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      // The server closing the connection after its answer (a refusal) is no error of the answer.
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
      });
      req.on('error', () => upstream.destroy());
    };
    this.server = http.createServer();
    this.server.on('request', (req, res) => forward(req, res, false));
    this.server.on('checkContinue', (req, res) => forward(req, res, true));
  }

  static async start(host: string, upstreamPort: number): Promise<RecordingRelay> {
    const relay = new RecordingRelay(upstreamPort);
    await new Promise<void>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(0, host, resolve);
    });
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Makes `service` in `namespace` (data port named "http") proxy to `address:port`: the Service
 * without selector, a gated Pod whose status carries the address, and Endpoints naming that Pod.
 */
export async function exposeThroughServiceProxy(admin: KubeApi, namespace: string, service: string, address: string, port: number): Promise<void> {
  const pod = `${service}-local-process`;
  await admin.create(`/api/v1/namespaces/${namespace}/services`, {
    metadata: { name: service },
    spec: { ports: [{ name: STAGING_PORT_NAME, port: STAGING_DATA_PORT, targetPort: port }] },
  });
  await admin.create(`/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name: pod, labels: { 'sparkplane.dev/stands-for': 'a-local-process' } },
    spec: {
      // Never scheduled, so nothing (scheduler, KWOK, pod garbage collector) touches it.
      schedulingGates: [{ name: 'sparkplane.dev/local-process' }],
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'staging-server', image: 'sparkplane:local-process', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });
  await admin.patch(`/api/v1/namespaces/${namespace}/pods/${pod}/status`, { status: { podIP: address, podIPs: [{ ip: address }] } });
  await admin.create(`/api/v1/namespaces/${namespace}/endpoints`, {
    metadata: { name: service },
    subsets: [{ addresses: [{ ip: address, targetRef: { kind: 'Pod', name: pod, namespace } }], ports: [{ name: STAGING_PORT_NAME, port }] }],
  });
}

/** The tokens Secret as the StagingServer would hold it. */
/**
 * Waits until the kubeconfig's user may read the tokens Secret: RoleBindings take effect through the
 * authorizer's informer, a moment after they are created.
 */
export async function waitForSecretAccess(kubeconfig: string, namespace: string, secret: string): Promise<void> {
  const api = new KubeApi(loadKubeconfig(kubeconfig));
  try {
    for (let attempt = 0; (await api.raw('GET', `/api/v1/namespaces/${namespace}/secrets/${secret}`)).status !== 200; attempt++) {
      if (attempt > 100) throw new Error('the uploader\'s Role never took effect');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    api.close();
  }
}

export async function createTokensSecret(admin: KubeApi, namespace: string, name: string, tokens: { upload: string; read: string }): Promise<void> {
  await admin.create(`/api/v1/namespaces/${namespace}/secrets`, {
    metadata: { name },
    type: 'Opaque',
    stringData: { [UPLOAD_TOKEN_KEY]: tokens.upload, [READ_TOKEN_KEY]: tokens.read },
  });
}

/** The real staging server (lib/staging-server, run as the image runs it) behind a recording relay, reachable through the API server. */
export class StagingBackend {
  private constructor(
    readonly server: ImageProgramProcess,
    readonly relay: RecordingRelay,
    /** The server's own port on 127.0.0.1. */
    readonly serverPort: number,
    /** Where the relay listens (the Endpoints address). */
    readonly address: string,
    readonly storageDir: string,
    readonly tokens: { readonly upload: string; readonly read: string },
  ) {}

  /** Every request that reached the backend, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.relay.requests;
  }

  /**
   * Starts the server with its tokens in files under `workDir`, puts the relay in front, creates the
   * tokens Secret `secret` with the same tokens, and exposes the relay as `service` in `namespace`.
   * `maxUpload`: the server's upload limit, a Kubernetes quantity (its default otherwise).
   */
  static async start(admin: KubeApi, options: { namespace: string; service: string; secret: string; workDir: string; maxUpload?: string }): Promise<StagingBackend> {
    const tokens = { upload: `upload-${randomHex()}`, read: `read-${randomHex()}` };
    const storageDir = path.join(options.workDir, 'storage');
    fs.mkdirSync(storageDir, { recursive: true });
    const uploadTokenFile = path.join(options.workDir, 'upload-token');
    const readTokenFile = path.join(options.workDir, 'read-token');
    fs.writeFileSync(uploadTokenFile, `${tokens.upload}\n`, { mode: 0o600 });
    fs.writeFileSync(readTokenFile, `${tokens.read}\n`, { mode: 0o600 });
    const server = new ImageProgramProcess(await bundleImageProgram(), ['staging-server'], {
      PATH: process.env.PATH,
      SPARKPLANE_STAGING_DIR: storageDir,
      SPARKPLANE_STAGING_HOST: '127.0.0.1',
      SPARKPLANE_STAGING_PORT: '0',
      SPARKPLANE_STAGING_METRICS_PORT: '0',
      SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE: uploadTokenFile,
      SPARKPLANE_STAGING_READ_TOKEN_FILE: readTokenFile,
      SPARKPLANE_STAGING_MIN_FREE: '0',
      ...(options.maxUpload ? { SPARKPLANE_STAGING_MAX_UPLOAD: options.maxUpload } : {}),
    });
    let relay: RecordingRelay | undefined;
    try {
      const started = (await server.waitForLog('staging server started')) as { port?: number };
      if (typeof started.port !== 'number') throw new Error(`the staging server's start line has no port: ${JSON.stringify(started)}`);
      const address = nonLoopbackIPv4();
      relay = await RecordingRelay.start(address, started.port);
      await createTokensSecret(admin, options.namespace, options.secret, tokens);
      await exposeThroughServiceProxy(admin, options.namespace, options.service, address, relay.port);
      return new StagingBackend(server, relay, started.port, address, storageDir, tokens);
    } catch (error) {
      await relay?.close();
      await server.kill();
      throw error;
    }
  }

  /** The SHA-256 and size of a stored blob, downloaded from the server directly with the read token. */
  async storedBlob(sha256: string): Promise<{ sha256: string; size: number } | undefined> {
    return new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: this.serverPort, path: blobPath(sha256), headers: { [STAGING_TOKEN_HEADER]: this.tokens.read } }, (response) => {
        if (response.statusCode === 404) {
          response.resume();
          return resolve(undefined);
        }
        if (response.statusCode !== 200) return reject(new Error(`GET blob ${sha256}: HTTP ${response.statusCode}`));
        const hash = createHash('sha256');
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
        });
        response.on('end', () => resolve({ sha256: hash.digest('hex'), size }));
        response.on('error', reject);
      });
      request.on('error', reject);
    });
  }

  async stop(): Promise<void> {
    await this.relay.close();
    await this.server.kill();
  }
}

/**
 * Runs a StagingServer pod's container here (see support/local-pod.ts): the image's program with the
 * pod's arguments and environment, reaching its tokens Secret as the pod's ServiceAccount (so the
 * rendered Role is what lets it fill the Secret), its data port on `address` at the container port,
 * its storage a fresh folder under `workDir`.
 */
export function localStagingServer(admin: KubeApi, workDir: string): LocalContainerStarter {
  return async (pod, address) => {
    const [container] = pod.spec.containers;
    const fieldOf = (fieldPath: string): string => {
      const value = ({ 'metadata.namespace': pod.metadata.namespace, 'metadata.name': pod.metadata.name } as Record<string, string>)[fieldPath];
      if (value === undefined) throw new Error(`the local staging server resolves no fieldRef ${fieldPath}`);
      return value;
    };
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      else if (variable.valueFrom?.fieldRef) env[variable.name] = fieldOf(variable.valueFrom.fieldRef.fieldPath);
      else throw new Error(`the local staging server resolves no ${JSON.stringify(variable)}`);
    }
    const dir = fs.mkdtempSync(path.join(workDir, `${pod.metadata.name}-`));
    const storageDir = path.join(dir, 'storage');
    fs.mkdirSync(storageDir);
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeServiceAccountKubeconfig(admin, pod.metadata.namespace, pod.spec.serviceAccountName, kubeconfig);
    const dataPort = container.ports.find((port: { name: string }) => port.name === STAGING_PORT_NAME).containerPort;
    const server = new ImageProgramProcess(await bundleImageProgram(), container.args, {
      ...env,
      PATH: process.env.PATH,
      KUBECONFIG: kubeconfig,
      SPARKPLANE_STAGING_DIR: storageDir,
      SPARKPLANE_STAGING_HOST: address,
      SPARKPLANE_STAGING_PORT: String(dataPort),
      SPARKPLANE_STAGING_METRICS_PORT: '0',
    });
    const started = (await server.waitForLog('staging server started')) as { metricsPort?: number };
    return {
      readyProbe: `http://${address}:${started.metricsPort}${container.readinessProbe.httpGet.path}`,
      stop: async () => {
        await server.kill();
      },
    };
  };
}

function randomHex(): string {
  return randomBytes(16).toString('hex');
}
