// The real monitoring programs for the tests, built from the Go module proxy by
// scripts/prometheus/build: a Prometheus server, a Pushgateway and kube-state-metrics, each started on
// loopback as a process with its own temporary folder, and the HTTP APIs the tests read them by.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { runBuildScript } from './build-script';
import { freeLoopbackPort } from './free-port';

/** The folder of promtool, prometheus, pushgateway and kube-state-metrics (built once, then cached). */
export function monitoringToolsDir(): string {
  return runBuildScript('prometheus', 30 * 60_000);
}

/** One of the programs, running on loopback until `stop`. */
export class LoopbackProgram {
  readonly output: string[] = [];
  private readonly child: ChildProcess;

  constructor(readonly name: string, binary: string, args: readonly string[], readonly url: string, readonly dir: string) {
    this.child = spawn(binary, [...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
  }

  /** Resolves once `path` answers 200; rejects with the program's output if it exits or the time runs out. */
  async ready(readyPath: string, timeoutMs = 60_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.output.join('').slice(-3000)}`);
      try {
        if ((await fetch(`${this.url}${readyPath}`, { signal: AbortSignal.timeout(2000) })).ok) return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready at ${readyPath} in ${timeoutMs} ms:\n${this.output.join('').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function programDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sp-${name}-`));
}

/** A Prometheus server on loopback with this configuration (and these rule files, by name). */
export async function startPrometheus(tools: string, config: Record<string, unknown>, ruleFiles: Record<string, string> = {}): Promise<PrometheusServer> {
  const dir = programDir('prometheus');
  for (const [name, text] of Object.entries(ruleFiles)) fs.writeFileSync(path.join(dir, name), text);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const port = await freeLoopbackPort();
  const server = new PrometheusServer('prometheus', path.join(tools, 'prometheus'), [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
  ], `http://127.0.0.1:${port}`, dir);
  return server.ready('/-/ready');
}

/** Prometheus' HTTP API. */
export class PrometheusServer extends LoopbackProgram {
  private async api<T>(apiPath: string): Promise<T> {
    const response = await fetch(`${this.url}/api/v1/${apiPath}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${apiPath}: ${body.error}`);
    return body.data;
  }

  /** An instant query's series, as labels and value. */
  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const data = await this.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`query?query=${encodeURIComponent(expr)}`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** A range query's series over [start, end] (Unix seconds), each with its values. */
  async queryRange(expr: string, start: number, end: number, step = 1): Promise<Array<{ metric: Record<string, string>; values: number[] }>> {
    const data = await this.api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(
      `query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${step}`,
    );
    return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([, v]) => Number(v)) }));
  }

  /** The active targets, with their health and last error. */
  async targets(): Promise<Array<{ labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }>> {
    return (await this.api<{ activeTargets: Array<{ labels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }> }>('targets?state=active')).activeTargets;
  }

  /** Pending and firing alerts. */
  async alerts(): Promise<Array<{ labels: Record<string, string>; state: string }>> {
    return (await this.api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('alerts')).alerts;
  }
}

/** A Pushgateway on loopback. */
export async function startPushgateway(tools: string): Promise<LoopbackProgram> {
  const dir = programDir('pushgateway');
  const port = await freeLoopbackPort();
  return new LoopbackProgram('pushgateway', path.join(tools, 'pushgateway'), [`--web.listen-address=127.0.0.1:${port}`], `http://127.0.0.1:${port}`, dir).ready('/-/ready');
}

/** kube-state-metrics on loopback, watching these namespaces' Jobs and Deployments through `kubeconfig`. */
export async function startKubeStateMetrics(tools: string, kubeconfig: string, namespaces: readonly string[], labelsAllowlist: string): Promise<LoopbackProgram> {
  const dir = programDir('kube-state-metrics');
  const [port, telemetryPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  return new LoopbackProgram('kube-state-metrics', path.join(tools, 'kube-state-metrics'), [
    `--kubeconfig=${kubeconfig}`, '--host=127.0.0.1', `--port=${port}`, '--telemetry-host=127.0.0.1', `--telemetry-port=${telemetryPort}`,
    '--resources=jobs,deployments', `--namespaces=${namespaces.join(',')}`, `--metric-labels-allowlist=${labelsAllowlist}`,
  ], `http://127.0.0.1:${port}`, dir).ready('/healthz');
}
