// The examples run as a user runs them: `cdk8s synth` in examples/cdk8s, with the real cdk8s CLI.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const examples = path.join(__dirname, '..', '..', 'examples', 'cdk8s');

describe('examples/cdk8s', () => {
  it('synthesizes the SparkPi, PySpark, shuffle-service, staged PySpark, Zeppelin and monitoring manifests with `cdk8s synth`', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplane-synth-'));
    try {
      execFileSync(path.join(__dirname, '..', '..', 'node_modules', '.bin', 'cdk8s'), ['synth', '--output', outdir], { cwd: examples, stdio: 'pipe', timeout: 120_000 });
      expect(fs.readdirSync(outdir).sort()).toEqual(['monitoring.k8s.yaml', 'pyspark.k8s.yaml', 'shuffle-service.k8s.yaml', 'spark-pi.k8s.yaml', 'staged-pyspark.k8s.yaml', 'zeppelin.k8s.yaml']);
      for (const file of ['pyspark.k8s.yaml', 'spark-pi.k8s.yaml']) {
        const objects = parseAllDocuments(fs.readFileSync(path.join(outdir, file), 'utf8')).map((d) => d.toJSON());
        expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'Service', 'Job']);
        expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['spark-jobs']));
      }
      const shuffle = parseAllDocuments(fs.readFileSync(path.join(outdir, 'shuffle-service.k8s.yaml'), 'utf8')).map((d) => d.toJSON());
      expect(shuffle.map((o) => o.kind)).toEqual([
        'Namespace', 'Namespace', 'ServiceAccount', 'ClusterRole', 'RoleBinding', 'ConfigMap', 'DaemonSet',
        'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'Service', 'Job',
      ]);
      const staged = parseAllDocuments(fs.readFileSync(path.join(outdir, 'staged-pyspark.k8s.yaml'), 'utf8')).map((d) => d.toJSON());
      const driver = staged.find((o) => o.kind === 'Job').spec.template.spec;
      // The file's digest, not its path on this machine, is in the manifests.
      expect(driver.initContainers[0].args.at(-1)).toMatch(/^[0-9a-f]{64}=pi\.py$/);
      expect(JSON.stringify(staged)).not.toContain(path.dirname(examples));
      const zeppelin = parseAllDocuments(fs.readFileSync(path.join(outdir, 'zeppelin.k8s.yaml'), 'utf8')).map((d) => d.toJSON());
      expect(zeppelin.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['zeppelin-server']);
      expect(new Set(zeppelin.map((o) => o.metadata.namespace))).toEqual(new Set(['notebooks']));
      const monitoring = parseAllDocuments(fs.readFileSync(path.join(outdir, 'monitoring.k8s.yaml'), 'utf8')).map((d) => d.toJSON());
      const pusher = monitoring.find((o) => o.kind === 'Job').spec.template.spec.initContainers.find((c: { name: string }) => c.name === 'metrics-push');
      expect(pusher.env.find((e: { name: string }) => e.name === 'SPARKPLANE_PUSH_URL').value).toBe('http://prometheus-pushgateway.monitoring.svc:9091');
      expect(monitoring.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name)).toEqual(['prometheus', 'prometheus-pushgateway']);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
