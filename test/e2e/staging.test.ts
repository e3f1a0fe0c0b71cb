// The staging server (issue 7) with real Spark: the StagingServer as rendered runs on the process node
// (the sparkplane image, its claim bound to a hostPath PersistentVolume, restricted), fills its
// tokens Secret, and takes the e2e jobs jar as a local file of this machine, uploaded by digest.
// SparkPi then runs from that jar: the driver's fetch-staged init container downloads it with the
// read token into the driver pod, spark-submit runs it as a file: URI, and the executors get it
// from the driver's own file server, never from the staging server. A jar that was never uploaded
// fails the driver pod in its init container, before any JVM starts.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { blobPath, renderStagingServer, STAGING_DATA_PORT, STAGING_METRICS_PORT, STAGING_TOKEN_HEADER, type StagingServerSpec } from '../../lib/core';
import { apply, type KubeObj } from '../integration/support/kube';
import { PROCESS_NODE_SELECTOR } from './support/process-kubelet';
import { waitUntil } from './support/run';
import {
  createNamespace, finalDriver, jobOutcome, leftoverSparkJvms, processNodeSpec, recordFigures, runApplication, startProcessNode, stopProcessNode,
  type ProcessNode, type Timeline,
} from './support/spark-app';
import { ensureJobsJar, JOBS } from './support/spark-home';
import { ensureSparkplaneImage, SPARKPLANE_E2E_IMAGE } from './support/sparkplane-image';

const VERSION = '4.0.5';

let node: ProcessNode | undefined;
let namespace: string;
let server: StagingServerSpec;
let jar: string;
let uploadToken: string;

const sha256Of = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${STAGING_METRICS_PORT}/metrics`)).text();
}

beforeAll(async () => {
  const image = await ensureSparkplaneImage();
  node = await startProcessNode([VERSION], { [SPARKPLANE_E2E_IMAGE]: image });
  namespace = await createNamespace(node);
  server = { namespace, image: SPARKPLANE_E2E_IMAGE, storageSize: '1Gi', nodeSelector: PROCESS_NODE_SELECTOR, apiServerPeers: [{ cidr: '127.0.0.1/32' }] };
  const objects = renderStagingServer(server) as KubeObj[];
  // The claim's volume: a hostPath PersistentVolume on the process node, owned by the image's user
  // as an administrator would prepare it, bound to the rendered claim.
  const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
  const volumePath = `/var/lib/sparkplane-e2e/${namespace}/staging`;
  fs.mkdirSync(node.kubelet.hostPathDir(volumePath), { recursive: true });
  fs.chownSync(node.kubelet.hostPathDir(volumePath), 65532, 65532);
  await node.api.create('/api/v1/persistentvolumes', {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name: `${namespace}-staging` },
    spec: {
      capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '',
      hostPath: { path: volumePath, type: 'Directory' },
      claimRef: { namespace, name: claim.metadata.name },
    },
  });
  apply(objects, { namespace });
  await waitUntil(async () => {
    const pods = await node!.api.pods({ namespace });
    return pods.some((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'sparkplane-staging-server' && p.status?.containerStatuses?.[0]?.ready);
  }, 120_000, 'the staging server ready');
  const secret = await node.api.get(`/api/v1/namespaces/${namespace}/secrets/staging-server-tokens`);
  uploadToken = Buffer.from(secret.data['upload-token'], 'base64').toString();
  jar = await ensureJobsJar(node.dists[VERSION]);
}, 15 * 60_000);

afterAll(async () => {
  // Cluster-scoped: the namespace's removal does not take it.
  await node?.api.delete(`/api/v1/persistentvolumes/${namespace}-staging`).catch(() => undefined);
  await stopProcessNode(node);
});

/** Uploads `file` by digest, as `sparkplane stage` does through the API server (here straight to the server: every pod is 127.0.0.1). */
async function upload(file: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${STAGING_DATA_PORT}${blobPath(sha256Of(file))}`, {
    method: 'PUT', headers: { [STAGING_TOKEN_HEADER]: uploadToken, 'content-length': String(fs.statSync(file).size) }, body: fs.readFileSync(file),
  });
  return response.status;
}

it('fills its tokens Secret itself: nothing secret was in the manifests', async () => {
  const secret = await node!.api.get(`/api/v1/namespaces/${namespace}/secrets/staging-server-tokens`);
  expect(Object.keys(secret.data).sort()).toEqual(['read-token', 'upload-token']);
  expect(JSON.stringify(renderStagingServer(server))).not.toContain(uploadToken);
});

it('takes the jar once: 201, then 200 for the same digest', async () => {
  expect(await upload(jar)).toBe(201);
  expect(await upload(jar)).toBe(200);
});

describe('SparkPi from a staged jar', () => {
  let timeline: Timeline;
  let driverLog: string;

  beforeAll(async () => {
    timeline = await runApplication(node!, processNodeSpec({
      name: 'staged-pi',
      sparkVersion: VERSION,
      mainClass: JOBS.sparkPi,
      // A file of this machine: staged by digest, fetched by the driver pod.
      mainApplicationFile: path.relative(process.cwd(), jar),
      arguments: ['10'],
      driver: { retries: 0 },
      executor: { instances: 2 },
      staging: server,
    }), { namespace });
    driverLog = node!.kubelet.logOf(namespace, finalDriver(timeline).metadata.name);
    recordFigures('staged SparkPi', { seconds: timeline.seconds, jarBytes: fs.statSync(jar).size });
  }, 10 * 60_000);

  it('runs: the driver fetched the jar by digest, Spark ran it as a file: URI, Pi is computed', async () => {
    const driver = finalDriver(timeline);
    const fetchLog = node!.kubelet.logOf(namespace, driver.metadata.name, 'fetch-staged');
    expect(fetchLog).toContain(sha256Of(jar));
    expect(driver.spec.containers[0].args.slice(-2)).toEqual([`file:///opt/sparkplane/staged/${path.basename(jar)}`, '10']);
    expect(driverLog).toMatch(/Pi is roughly 3\.1/);
    expect(finalDriver(timeline).status.phase).toBe('Succeeded');
    expect(jobOutcome(timeline)).toBe('Complete');
  });

  it('gave the executors the jar from the driver, not from the staging server', async () => {
    const executors = [...timeline.executorsFirstSeen.keys()];
    expect(executors.length).toBe(2);
    for (const executor of executors) {
      expect(node!.kubelet.logOf(namespace, executor)).toMatch(new RegExp(`Fetching spark://.*/jars/${path.basename(jar).replace(/[.]/g, '\\.')}`));
    }
    const text = await metrics();
    expect(text).toMatch(/^sparkplane_staging_downloads_total\{result="ok"\} 1$/m);
  });

  it('leaves no JVM behind', async () => {
    expect(await leftoverSparkJvms()).toEqual([]);
  });
});

it('fails the driver pod in its init container, before any JVM, when a staged file was never uploaded', async () => {
  const missing = path.join(path.dirname(jar), `never-uploaded-${process.pid}.jar`);
  fs.writeFileSync(missing, `not uploaded ${Date.now()}`);
  try {
    const timeline = await runApplication(node!, processNodeSpec({
      name: 'missing-jar',
      sparkVersion: VERSION,
      mainClass: JOBS.sparkPi,
      mainApplicationFile: path.relative(process.cwd(), missing),
      driver: { retries: 0 },
      executor: { instances: 1 },
      staging: server,
    }), { namespace, timeoutMs: 180_000 });
    const driver = finalDriver(timeline);
    expect(driver.status.phase).toBe('Failed');
    expect(jobOutcome(timeline)).toBe('Failed');
    expect(driver.status.initContainerStatuses[0].state.terminated.exitCode).not.toBe(0);
    expect(node!.kubelet.logOf(namespace, driver.metadata.name, 'fetch-staged')).toMatch(new RegExp(`${sha256Of(missing)}.*(404|not found)`, 'i'));
    expect(timeline.executorsFirstSeen.size).toBe(0);
  } finally {
    fs.rmSync(missing, { force: true });
  }
}, 5 * 60_000);
