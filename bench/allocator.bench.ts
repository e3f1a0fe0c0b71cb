// `npm run bench:allocator`: the allocator sidecar (the bundled image program, as a process) ramps
// an application to 1,000 executors on KWOK nodes of the test control plane, for the simulated bridge
// of the integration suite (test/integration/support/simulated-bridge.ts). Prints the time to the
// target against the ideal ceil(N / batch) * delay, API requests per created pod, the sidecar's peak
// RSS, and its CPU while idle at the target. Settings: BENCH_EXECUTORS (1000), BENCH_BATCH (10),
// BENCH_DELAY ("1s"). Starts the cluster if needed (scripts/cluster up) and leaves it running.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { publishConnection } from '../test/integration/support/cluster-env';
import { AllocatorFixture } from '../test/integration/support/allocator-fixture';
import { createRestrictedNamespace, deleteNamespace, kubectl } from '../test/integration/support/kube';
import { REPO_ROOT } from '../test/support/image-program';

const executors = Number(process.env.BENCH_EXECUTORS ?? 1000);
const batch = Number(process.env.BENCH_BATCH ?? 10);
const delay = process.env.BENCH_DELAY ?? '1s';
const delayMs = /ms$/.test(delay) ? Number(delay.slice(0, -2)) : Number(delay.replace(/s$/, '')) * 1000;
const BENCH_NODES = Math.ceil(executors / 200);

function benchNodes(): object[] {
  return Array.from({ length: BENCH_NODES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `sparkplane-bench-node-${i}`, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { 'type': 'kwok', 'sparkplane.dev/bench-node': 'true' } },
    status: { allocatable: { cpu: '64', memory: '512Gi', pods: '250' }, capacity: { cpu: '64', memory: '512Gi', pods: '250' } },
  }));
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function main(): Promise<void> {
  const up = spawnSync(path.join(REPO_ROOT, 'scripts', 'cluster'), ['up'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (up.status !== 0) throw new Error('scripts/cluster up failed');
  publishConnection({ mode: 'harness', kubectl: path.join(REPO_ROOT, '.cache', 'cluster', 'bin', 'kubectl'), kubeconfig: path.join(REPO_ROOT, '.cache', 'cluster', 'kubeconfig') });
  kubectl(['apply', '-f', '-'], { input: benchNodes().map((n) => JSON.stringify(n)).join('\n') });
  const namespace = await createRestrictedNamespace('sp-bench');
  const fixture = new AllocatorFixture({ namespace, name: 'bench', maxExecutors: executors, allocator: { batchSize: batch, batchDelay: delay } });
  try {
    await fixture.start();
    const pid = fixture.sidecar.child.pid!;
    const started = Date.now();
    fixture.bridge.setTarget(executors);
    while (fixture.bridge.registered().length < executors) {
      if (Date.now() - started > 30 * 60_000) throw new Error(`only ${fixture.bridge.registered().length} of ${executors} registered after 30 min`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsedMs = Date.now() - started;
    const ideal = Math.ceil(executors / batch) * delayMs;
    const created = await fixture.metric('sparkplane_allocator_pods_created_total');
    const writes = (await fixture.metric('sparkplane_allocator_api_requests_total', 'method="POST"')) + (await fixture.metric('sparkplane_allocator_api_requests_total', 'method="DELETE"'));
    const requests = await fixture.metric('sparkplane_allocator_api_requests_total');
    const heapUsedMiB = (await fixture.metric('nodejs_heap_size_used_bytes')) / 2 ** 20;
    const heapTotalMiB = (await fixture.metric('nodejs_heap_size_total_bytes')) / 2 ** 20;
    const idleFrom = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleCpu = (cpuSeconds(pid) - idleFrom) / 10;
    const figures = {
      executors, batchSize: batch, batchDelay: delay,
      secondsToTarget: +(elapsedMs / 1000).toFixed(1), idealSeconds: ideal / 1000, ratioToIdeal: +(elapsedMs / ideal).toFixed(3),
      podsCreated: created, writeRequestsPerCreatedPod: +(writes / created).toFixed(3), allRequestsPerCreatedPod: +(requests / created).toFixed(3),
      sidecarPeakRssMiB: +peakRssMiB(pid).toFixed(1), sidecarHeapUsedMiB: +heapUsedMiB.toFixed(1), sidecarHeapTotalMiB: +heapTotalMiB.toFixed(1), sidecarIdleCpuPercent: +(idleCpu * 100).toFixed(2), node: process.version,
    };
    console.log(`allocator bench: ${executors} executors, batch ${batch}, delay ${delay}`);
    console.log(`  time to target        ${figures.secondsToTarget} s (ideal ceil(N/batch)*delay = ${figures.idealSeconds} s, ratio ${figures.ratioToIdeal})`);
    console.log(`  write requests / pod  ${figures.writeRequestsPerCreatedPod} (all requests incl. lists ${figures.allRequestsPerCreatedPod}; ${created} pods created)`);
    console.log(`  sidecar peak RSS      ${figures.sidecarPeakRssMiB} MiB (Node ${process.version}); V8 heap at the target ${figures.sidecarHeapUsedMiB} MiB used of ${figures.sidecarHeapTotalMiB} MiB`);
    console.log(`  sidecar idle CPU      ${figures.sidecarIdleCpuPercent} % of one core over 10 s at the target`);
    fs.mkdirSync(path.join(REPO_ROOT, '.cache', 'bench'), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, '.cache', 'bench', 'allocator.json'), JSON.stringify(figures, null, 2));
  } finally {
    await fixture.stop();
    deleteNamespace(namespace);
    kubectl(['delete', 'nodes', '-l', 'sparkplane.dev/bench-node=true', '--wait=false'], { allowFailure: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
