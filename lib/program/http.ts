// HTTP plumbing the image's programs share (allocator, shuffle janitor, staging server): listening,
// and the /healthz, /readyz and /metrics endpoints. No Kubernetes client here, so Jest can load it.
import type * as http from 'http';

/** What the health endpoints report. */
export interface HealthProbes {
  /** Whether the program works at all (/healthz). */
  healthy(): boolean;
  /** Why the program cannot serve yet, or undefined when it can (/readyz). */
  notReadyBecause(): string | undefined;
  /** The Prometheus registry behind /metrics. */
  readonly metrics: { readonly registry: { readonly contentType: string; metrics(): Promise<string> } };
}

/** Serves /healthz, /readyz and /metrics; 404 for anything else. */
export async function serveHealthAndMetrics(req: http.IncomingMessage, res: http.ServerResponse, probes: HealthProbes): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  const text = (status: number, body: string, type = 'text/plain') => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
  if (path === '/healthz') return probes.healthy() ? text(200, 'ok\n') : text(503, 'unhealthy\n');
  if (path === '/readyz') {
    const reason = probes.notReadyBecause();
    return reason === undefined ? text(200, 'ok\n') : text(503, `not ready: ${reason}\n`);
  }
  if (path === '/metrics') return text(200, await probes.metrics.registry.metrics(), probes.metrics.registry.contentType);
  text(404, 'not found\n');
}

/** Starts `server` on `host:port`; rejects when the port cannot be bound. */
export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
