// validatePrometheus: every problem of a Prometheus spec, collected into one error.
import { dnsLabelProblem, dnsSubdomainProblem } from '../kube-names';
import { imageProblem, isRecord, positiveQuantityProblem, PropsChecker } from '../props-checker';
import { ProblemCollector } from '../validation';
import type { PrometheusSpec } from './prometheus-spec';

/** A Prometheus duration, e.g. "15s", "1h30m", "15d". */
const PROMETHEUS_DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
/** A Prometheus byte size, e.g. "8GB". */
const PROMETHEUS_SIZE = /^\d+(B|KB|MB|GB|TB|PB|EB)$/;

/** Throws `SparkplaneValidationError` listing every problem of `spec`; returns quietly when it is valid. */
export function validatePrometheus(spec: PrometheusSpec): void {
  const problems = new ProblemCollector();
  if (!isRecord(spec)) problems.add('(spec)', spec, 'must be an object with at least targetNamespaces');
  else new PrometheusChecker(spec, problems).check();
  problems.throwIfAny(`Prometheus ${typeof spec?.name === 'string' ? JSON.stringify(spec.name) : ''}`.trim());
}

class PrometheusChecker extends PropsChecker {
  constructor(private readonly spec: PrometheusSpec, problems: ProblemCollector) {
    super(problems);
  }

  public check(): void {
    const { spec, problems } = this;
    this.optional('name', spec.name, (v) => dnsLabelProblem(v, 40));
    this.optional('namespace', spec.namespace, (v) => dnsLabelProblem(v));
    const targets = spec.targetNamespaces;
    if (targets === undefined) problems.missing('targetNamespaces', 'is required: the namespaces whose Spark applications and sparkplane programs it scrapes (it gets pod discovery rights in each), or "*" for all');
    else if (targets !== '*') {
      if (!Array.isArray(targets) || targets.length === 0) problems.add('targetNamespaces', targets, 'must be a non-empty list of namespaces, or "*" for all');
      else targets.forEach((t, i) => this.optional(`targetNamespaces[${i}]`, t, (v) => dnsLabelProblem(v)));
    }
    this.optional('image', spec.image, imageProblem);
    this.pullPolicy('imagePullPolicy', spec.imagePullPolicy);
    for (const field of ['scrapeInterval', 'retention'] as const) {
      this.optional(field, spec[field], (v) => (typeof v === 'string' && PROMETHEUS_DURATION.test(v) ? undefined : 'must be a Prometheus duration, e.g. "15s", "12h" or "15d"'));
    }
    this.optional('retentionSize', spec.retentionSize, (v) => (typeof v === 'string' && PROMETHEUS_SIZE.test(v) ? undefined : 'must be a Prometheus size, e.g. "8GB" (units B, KB, MB, GB, TB)'));
    this.optional('storageSize', spec.storageSize, (v) => positiveQuantityProblem(v, '"20Gi"'));
    this.optional('storageClassName', spec.storageClassName, (v) => dnsSubdomainProblem(v));
    this.optional('cpuRequest', spec.cpuRequest, (v) => positiveQuantityProblem(v, '"250m"'));
    this.optional('memory', spec.memory, (v) => positiveQuantityProblem(v, '"2Gi"'));
    if (spec.queryPeers !== undefined) this.networkPeers('queryPeers', spec.queryPeers, false);
    if (spec.pushgateway !== undefined) {
      if (!isRecord(spec.pushgateway)) problems.add('pushgateway', spec.pushgateway, 'must be an object, e.g. {}');
      else this.optional('pushgateway.image', spec.pushgateway.image, imageProblem);
    }
    this.optional('kubeStateMetrics', spec.kubeStateMetrics, (v) => (typeof v === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$/.test(v) ? undefined : 'must be the host:port of kube-state-metrics\' metrics, e.g. "kube-state-metrics.kube-system.svc:8080"'));
    this.nameList('imagePullSecrets', spec.imagePullSecrets);
    this.stringMap('labels', spec.labels, true);
    this.stringMap('nodeSelector', spec.nodeSelector, true);
    this.checkTolerations('tolerations', spec.tolerations);
  }
}
