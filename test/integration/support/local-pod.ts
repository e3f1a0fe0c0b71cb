// A pod of a KWOK node whose container really runs, as a process on this machine, so the API
// server's service proxy reaches a real server through the pod's own Service and Endpoints: what
// `pulumi up` needs to upload to the StagingServer a stack deploys (docs/staging-server-research.md
// §5.6 has why the proxy cannot reach a loopback or KWOK address).
// - A MutatingAdmissionPolicy (admissionregistration.k8s.io/v1, a real API server feature) rewrites
//   the status KWOK writes for the selected pods: their address becomes this machine's first
//   non-loopback IPv4 address, and they stay not ready (container waiting), as a kubelet reports a
//   container that has not passed its readiness probe. Nothing else of the cluster changes.
// - For each such pod, `start` runs its container here, listening on that address; once the process
//   answers its readiness probe, the pod's status says Ready, as the kubelet would set it. So the
//   Deployment becomes available only when the server can serve, and the endpoint controllers list
//   the address as ready only then.
// - A pod that is deleted (KWOK removes it) gets its process stopped.
import type { KubeApi } from '../../e2e/support/kube-api';
import { waitFor } from './kube';

/** What runs a pod's container here: ready when `readyProbe` answers 200. */
export interface LocalContainer {
  /** Where its readiness probe is served (http://…). */
  readonly readyProbe: string;
  stop(): Promise<void>;
}

/** Starts the container of `pod` listening on `address`. */
export type LocalContainerStarter = (pod: any, address: string) => Promise<LocalContainer>;

export class LocalPods {
  private readonly running = new Map<string, LocalContainer>();
  private readonly failures: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: KubeApi,
    private readonly namespace: string,
    private readonly labelSelector: Record<string, string>,
    private readonly address: string,
    private readonly start: LocalContainerStarter,
    private readonly policy: string,
  ) {}

  /** Every problem met starting or readying a pod (a test should expect none). */
  get problems(): readonly string[] {
    return this.failures;
  }

  /** Installs the policy for pods of `namespace` matching `labelSelector`, then runs each as `start` says. */
  static async run(admin: KubeApi, options: { namespace: string; labelSelector: Record<string, string>; address: string; start: LocalContainerStarter }): Promise<LocalPods> {
    const policy = `sparkplane-local-pods-${options.namespace}`;
    await admin.delete(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings/${policy}`);
    await admin.delete(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies/${policy}`);
    await admin.create('/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies', localAddressPolicy(policy, options.namespace, options.labelSelector, options.address));
    await admin.create('/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings', { metadata: { name: policy }, spec: { policyName: policy } });
    const pods = new LocalPods(admin, options.namespace, options.labelSelector, options.address, options.start, policy);
    try {
      await waitForPolicy(admin, options.namespace, options.labelSelector, options.address);
    } catch (error) {
      await pods.stop();
      throw error;
    }
    pods.schedule();
    return pods;
  }

  /** Stops every process and removes the policy. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.all([...this.running.values()].map((container) => container.stop()));
    this.running.clear();
    await this.admin.delete(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings/${this.policy}`);
    await this.admin.delete(`/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies/${this.policy}`);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.polling = this.poll().catch((error) => void this.failures.push(String(error))).finally(() => {
        if (this.timer) this.schedule();
      });
    }, 100);
  }

  private async poll(): Promise<void> {
    const selector = Object.entries(this.labelSelector).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await this.admin.pods({ namespace: this.namespace, labelSelector: selector });
    const live = new Set<string>();
    for (const pod of pods) {
      const uid: string = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp || pod.status?.podIP !== this.address) continue;
      live.add(uid);
      if (this.running.has(uid)) continue;
      const container = await this.start(pod, this.address);
      this.running.set(uid, container);
      await waitForReady(container.readyProbe);
      await this.markReady(pod);
    }
    for (const [uid, container] of this.running) {
      if (live.has(uid)) continue;
      this.running.delete(uid);
      await container.stop();
    }
  }

  /** The status the kubelet writes once the container's readiness probe passes. */
  private async markReady(pod: any): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.admin.patch(`/api/v1/namespaces/${this.namespace}/pods/${pod.metadata.name}/status`, {
      status: {
        conditions: ['Ready', 'ContainersReady'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
        containerStatuses: pod.spec.containers.map((c: any) => ({
          name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } },
        })),
      },
    }, 'strategic');
  }
}

/**
 * The policy: on a status write that gives a selected pod another address (KWOK's), the address
 * becomes `address` and the pod is not ready. The pod's own later writes (ours) keep `address`, so
 * the policy leaves them alone.
 */
function localAddressPolicy(name: string, namespace: string, labels: Record<string, string>, address: string): object {
  const notReady = ['Ready', 'ContainersReady'];
  return {
    metadata: { name },
    spec: {
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['pods/status'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        objectSelector: { matchLabels: labels },
      },
      matchConditions: [{ name: 'another-address', expression: `object.status.?podIP.orValue("") != "" && object.status.podIP != "${address}"` }],
      failurePolicy: 'Fail',
      reinvocationPolicy: 'Never',
      mutations: [{
        patchType: 'JSONPatch',
        jsonPatch: {
          expression: `[
            JSONPatch{op: "replace", path: "/status/podIP", value: "${address}"},
            JSONPatch{op: "replace", path: "/status/podIPs", value: [{"ip": "${address}"}]},
            JSONPatch{op: "replace", path: "/status/conditions", value: object.status.?conditions.orValue([]).map(c, {
              "type": dyn(c.type), "status": dyn(c.type in ${JSON.stringify(notReady)} ? "False" : c.status), "lastTransitionTime": dyn(string(c.lastTransitionTime))})},
            JSONPatch{op: "replace", path: "/status/containerStatuses", value: object.status.?containerStatuses.orValue([]).map(s, {
              "name": dyn(s.name), "image": dyn(s.image), "imageID": dyn(""), "ready": dyn(false), "restartCount": dyn(0),
              "state": dyn({"waiting": {"reason": "ContainerCreating"}})})}
          ]`,
        },
      }],
    },
  };
}

/**
 * Waits until the API server applies the policy (admission policies take effect through an informer,
 * a moment after they are created): a scratch pod with the selected labels, gated so that no
 * scheduler or KWOK touches it, gets a dry-run status write with another address until the answer
 * carries `address`.
 */
async function waitForPolicy(admin: KubeApi, namespace: string, labels: Record<string, string>, address: string): Promise<void> {
  const name = 'sparkplane-local-pods-probe';
  const pods = `/api/v1/namespaces/${namespace}/pods`;
  await admin.create(pods, {
    metadata: { name, labels },
    spec: {
      schedulingGates: [{ name: 'sparkplane.dev/policy-probe' }],
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'probe', image: 'sparkplane:policy-probe', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    },
  });
  try {
    // A policy just replaced may still answer in its old form for a moment: its errors are retried too.
    await waitFor(async () => {
      const answer = await admin.raw('PATCH', `${pods}/${name}/status`, {
        query: { dryRun: 'All' },
        body: { status: { podIP: '10.255.255.254', podIPs: [{ ip: '10.255.255.254' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } },
        contentType: 'application/merge-patch+json',
      });
      if (answer.status === 200 && answer.body.status?.podIP === address) return true;
      throw new Error(`the last probe: HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 2000)}`);
    }, 30_000, `the admission policy for namespace ${namespace} to take effect`, 100);
  } finally {
    await admin.request('DELETE', `${pods}/${name}`, { query: { gracePeriodSeconds: 0 } });
  }
}

/** Polls `url` (a readiness probe) until it answers 200: at most 60 s. */
async function waitForReady(url: string): Promise<void> {
  await waitFor(async () => (await fetch(url)).status === 200, 60_000, `${url} to answer 200`, 100);
}
