// validateStagingServer: every problem of a staging server spec, collected into one error before
// anything renders. StagingRefChecker also checks the reference an application holds.
import { dnsLabelProblem } from '../kube-names';
import { imageProblem, isRecord, positiveQuantityProblem, PropsChecker } from '../props-checker';
import { sparkDurationMs } from '../quantity';
import { ProblemCollector } from '../validation';
import type { StagingServerRef, StagingServerSpec } from './spec';

/** Longest server name: `<name>-uploader` and `<name>-tokens` must stay DNS labels. */
const MAX_STAGING_SERVER_NAME_LENGTH = 50;

/** Throws `SparkplaneValidationError` listing every problem of `spec`; returns quietly when it is valid. */
export function validateStagingServer(spec: StagingServerSpec): void {
  const problems = new ProblemCollector();
  if (!isRecord(spec)) problems.add('(spec)', spec, 'must be an object with at least image and apiServerPeers');
  else new StagingServerChecker(spec, problems).check();
  problems.throwIfAny(`StagingServer ${typeof spec?.name === 'string' ? JSON.stringify(spec.name) : ''}`.trim());
}

/** The checks of a StagingServerRef, under `prefix` ("" for the server itself, "staging." for an application's). */
export class StagingRefChecker extends PropsChecker {
  /** Records every problem of `ref`. */
  public checkRef(prefix: string, ref: StagingServerRef): void {
    this.optional(`${prefix}name`, ref.name, (v) => dnsLabelProblem(v, MAX_STAGING_SERVER_NAME_LENGTH));
    const imageMessage = 'is required: the sparkplane image you built and pushed (images/README.md), e.g. "registry.example.com/sparkplane:0.1.0"';
    if (ref.image === undefined) this.problems.missing(`${prefix}image`, imageMessage);
    else this.optional(`${prefix}image`, ref.image, (v) => (imageProblem(v) ? imageMessage : undefined));
    this.pullPolicy(`${prefix}imagePullPolicy`, ref.imagePullPolicy);
  }
}

class StagingServerChecker extends StagingRefChecker {
  constructor(private readonly spec: StagingServerSpec, problems: ProblemCollector) {
    super(problems);
  }

  public check(): void {
    const { spec, problems } = this;
    this.checkRef('', spec);
    this.optional('namespace', spec.namespace, (v) => dnsLabelProblem(v));
    this.nameList('imagePullSecrets', spec.imagePullSecrets);
    this.optional('storageSize', spec.storageSize, (v) => positiveQuantityProblem(v, '"20Gi"'));
    this.optional('storageClassName', spec.storageClassName, (v) => dnsLabelProblem(v, 253));
    this.optional('maxFileSize', spec.maxFileSize, (v) => positiveQuantityProblem(v, '"2Gi"'));
    this.optional('retention', spec.retention, (v) => ((sparkDurationMs(v) ?? 0) >= 60_000 ? undefined : 'must be a Spark duration of at least a minute, e.g. "7d" or "12h"'));
    this.optional('cpuRequest', spec.cpuRequest, (v) => positiveQuantityProblem(v, '"100m"'));
    this.optional('memory', spec.memory, (v) => positiveQuantityProblem(v, '"256Mi"'));
    this.stringMap('labels', spec.labels, true);
    this.stringMap('nodeSelector', spec.nodeSelector, true);
    this.checkTolerations('tolerations', spec.tolerations);
    if (spec.apiServerPeers === undefined) {
      problems.missing('apiServerPeers', 'is required: where the API server\'s service proxy connects from (usually the addresses `kubectl get endpoints kubernetes -n default` lists, as { cidr: "<ip>/32" }); `sparkplane stage` uploads through it, and the NetworkPolicy admits nobody else but driver pods');
    } else this.networkPeers('apiServerPeers', spec.apiServerPeers, true);
    if (spec.metricsPeers !== undefined) this.networkPeers('metricsPeers', spec.metricsPeers, false);
    if (spec.uploaders !== undefined) {
      if (!Array.isArray(spec.uploaders)) problems.add('uploaders', spec.uploaders, 'must be a list of { kind, name }');
      else spec.uploaders.forEach((subject, i) => {
        if (!isRecord(subject) || !['User', 'Group', 'ServiceAccount'].includes(subject.kind as string) || typeof subject.name !== 'string' || !subject.name) {
          problems.add(`uploaders[${i}]`, subject, 'must be { kind: "User" | "Group" | "ServiceAccount", name, namespace? }');
        }
      });
    }
  }
}
