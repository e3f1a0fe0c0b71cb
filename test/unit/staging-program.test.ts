// `sparkplane staging-server` and `sparkplane fetch-staged` as processes of the bundled image program
// (no cluster: the tokens come from files): the server reports ready, serves uploads and its metrics,
// refuses bad settings with every problem named, stops on SIGTERM; the init container fetches a file.
import { spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { STAGING_TOKEN_HEADER } from '../../lib/core/staging/protocol';
import { STAGING_METRIC_NAMES } from '../../lib/staging-server/metrics';
import { IMAGE_NODE_FLAGS } from '../../scripts/image/bundle';
import { bundleImageProgram, ImageProgramProcess } from '../support/image-program';

const UPLOAD = 'upload-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('the staging server and fetch-staged in the image program', () => {
  let bundle: string;
  let root: string;
  let server: ImageProgramProcess | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    bundle = await bundleImageProgram();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-staging-program-'));
    fs.writeFileSync(path.join(root, 'upload-token'), `${UPLOAD}\n`);
    fs.writeFileSync(path.join(root, 'read-token'), `${READ}\n`);
    env = {
      PATH: process.env.PATH,
      SPARKPLANE_STAGING_DIR: path.join(root, 'store'),
      SPARKPLANE_STAGING_PORT: '0',
      SPARKPLANE_STAGING_METRICS_PORT: '0',
      SPARKPLANE_STAGING_HOST: '127.0.0.1',
      SPARKPLANE_STAGING_UPLOAD_TOKEN_FILE: path.join(root, 'upload-token'),
      SPARKPLANE_STAGING_READ_TOKEN_FILE: path.join(root, 'read-token'),
      SPARKPLANE_STAGING_MIN_FREE: '0',
    };
  }, 60_000);

  afterAll(async () => {
    await server?.kill();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves uploads, is ready, exports its metrics, feeds fetch-staged, and stops on SIGTERM', async () => {
    server = new ImageProgramProcess(bundle, ['staging-server'], env);
    const started = (await server.waitForLog('staging server started')) as { port: number; metricsPort: number };
    const data = randomBytes(1_000_000);
    const put = await fetch(`http://127.0.0.1:${started.port}/v1/blobs/sha256/${sha(data)}`, { method: 'PUT', headers: { [STAGING_TOKEN_HEADER]: UPLOAD }, body: data });
    expect(put.status).toBe(201);
    expect((await fetch(`http://127.0.0.1:${started.metricsPort}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${started.metricsPort}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${started.metricsPort}/metrics`)).text();
    for (const name of STAGING_METRIC_NAMES) expect(metrics).toContain(`# TYPE ${name} `);
    expect(metrics).toMatch(/^sparkplane_staging_uploads_total\{result="created"\} 1$/m);
    expect(metrics).toMatch(/^sparkplane_staging_blobs 1$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes /m);

    const dir = path.join(root, 'staged');
    const fetched = spawnSync(process.execPath, [...IMAGE_NODE_FLAGS, bundle, 'fetch-staged', '--server', `http://127.0.0.1:${started.port}`, '--token-file', path.join(root, 'read-token'), '--dir', dir, `${sha(data)}=app.jar`], { encoding: 'utf8' });
    expect(fetched.status).toBe(0);
    expect(JSON.parse(fetched.stdout.trim().split('\n').at(-1)!)).toMatchObject({ component: 'fetch-staged', msg: 'staged files in place', fetched: 1 });
    expect(fs.readFileSync(path.join(dir, 'app.jar')).equals(data)).toBe(true);

    const wrongToken = path.join(root, 'wrong-token');
    fs.writeFileSync(wrongToken, 'not-the-read-token-0123456789');
    const refused = spawnSync(process.execPath, [...IMAGE_NODE_FLAGS, bundle, 'fetch-staged', '--server', `http://127.0.0.1:${started.port}`, '--token-file', wrongToken, '--dir', path.join(root, 'other'), `${sha(data)}=app.jar`], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('answered 401');
    const usage = spawnSync(process.execPath, [...IMAGE_NODE_FLAGS, bundle, 'fetch-staged', `${sha(data)}=../app.jar`], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('contains "/"');

    expect(await server.kill('SIGTERM')).toBe(0);
    const logs = JSON.stringify(server.logs);
    expect(logs).not.toContain(UPLOAD);
    expect(logs).not.toContain(READ);
  });

  it('is not ready while the volume has less free space than the floor', async () => {
    const low = new ImageProgramProcess(bundle, ['staging-server'], { ...env, SPARKPLANE_STAGING_MIN_FREE: '1Pi' });
    try {
      const started = (await low.waitForLog('staging server started')) as { metricsPort: number };
      const ready = await fetch(`http://127.0.0.1:${started.metricsPort}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/^not ready: the storage has \d+ bytes free, less than the floor of 1125899906842624/);
    } finally {
      await low.kill();
    }
  });

  it('refuses bad settings, naming every one, with exit code 2', async () => {
    const bad = new ImageProgramProcess(bundle, ['staging-server'], { PATH: process.env.PATH, SPARKPLANE_STAGING_DIR: 'relative', SPARKPLANE_STAGING_TTL: 'soon' });
    expect(await bad.exited).toBe(2);
    const error = JSON.parse(bad.stderr.join('')) as { problems: string[] };
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringContaining('SPARKPLANE_STAGING_DIR="relative"'), expect.stringContaining('SPARKPLANE_STAGING_TTL="soon"'), expect.stringContaining('no tokens')]));
  });
});
