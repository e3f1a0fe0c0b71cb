import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvConfigError } from '../../lib/allocator/config';
import { janitorConfigFromEnv } from '../../lib/shuffle-janitor/config';
import { driverVerdict, parseApplicationDirectory, ShuffleJanitor, type DriverLookup } from '../../lib/shuffle-janitor/janitor';

const UID_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UID_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('the shuffle janitor\'s reading of the API server', () => {
  it('parses H/apps/<namespace>/<driver pod>_<uid> and nothing else', () => {
    expect(parseApplicationDirectory('/h/apps', 'spark', `etl-driver-x7k2p_${UID_A}`)).toEqual({ namespace: 'spark', driverPod: 'etl-driver-x7k2p', driverUid: UID_A, path: '/h/apps/spark/etl-driver-x7k2p_' + UID_A });
    for (const [namespace, entry] of [['Spark', `p_${UID_A}`], ['spark', 'p'], ['spark', `p_${UID_A.toUpperCase()}`], ['spark', `../p_${UID_A}`], ['..', `p_${UID_A}`], ['spark', `p_${UID_A}x`]]) {
      expect(parseApplicationDirectory('/h/apps', namespace, entry)).toBeUndefined();
    }
  });

  it('calls a driver gone only on 404 or another UID, finished on a terminal phase, and never guesses on errors', () => {
    expect(driverVerdict({ status: 404 }, UID_A)).toBe('gone');
    expect(driverVerdict({ status: 200, uid: UID_B, phase: 'Running' }, UID_A)).toBe('gone');
    expect(driverVerdict({ status: 200, uid: UID_A, phase: 'Succeeded' }, UID_A)).toBe('finished');
    expect(driverVerdict({ status: 200, uid: UID_A, phase: 'Failed' }, UID_A)).toBe('finished');
    for (const phase of ['Pending', 'Running', 'Unknown']) expect(driverVerdict({ status: 200, uid: UID_A, phase }, UID_A)).toBe('alive');
    expect(driverVerdict({ status: 'error', detail: 'HTTP 403' }, UID_A)).toBe('unknown');
  });
});

describe('a janitor sweep on a real directory tree', () => {
  let root: string;
  let apps: string;
  let clock: number;
  let drivers: Map<string, DriverLookup>;
  const janitor = () => new ShuffleJanitor(apps, async (ns, pod) => drivers.get(`${ns}/${pod}`) ?? { status: 404 }, 600_000, () => clock);
  const appDir = (ns: string, pod: string, uid: string) => {
    const dir = path.join(apps, ns, `${pod}_${uid}`, 'spark-1234', 'blockmgr-1', '0c');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'shuffle_0_1_0.data'), 'map output');
    return path.join(apps, ns, `${pod}_${uid}`);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-janitor-'));
    apps = path.join(root, 'apps');
    fs.mkdirSync(apps);
    clock = 1_000_000;
    drivers = new Map();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('keeps a running application\'s files, deletes a gone one only after the grace period', async () => {
    const running = appDir('spark', 'etl-driver-a', UID_A);
    const gone = appDir('spark', 'pi-driver-b', UID_B);
    drivers.set('spark/etl-driver-a', { status: 200, uid: UID_A, phase: 'Running' });
    const j = janitor();
    expect(await j.sweep()).toMatchObject({ alive: 1, waiting: 1, deleted: [] });
    clock += 599_999;
    expect((await j.sweep()).deleted).toEqual([]);
    clock += 1;
    expect((await j.sweep()).deleted).toEqual([`spark/pi-driver-b_${UID_B}`]);
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(path.join(running, 'spark-1234', 'blockmgr-1', '0c', 'shuffle_0_1_0.data'))).toBe(true);
    expect(fs.readdirSync(path.join(apps, '.trash'))).toEqual([]);
  });

  it('never deletes while the API server cannot say (403, 5xx, timeouts), however long', async () => {
    const dir = appDir('spark', 'etl-driver-a', UID_A);
    drivers.set('spark/etl-driver-a', { status: 'error', detail: 'HTTP 503' });
    const j = janitor();
    for (let i = 0; i < 5; i++) {
      expect(await j.sweep()).toMatchObject({ unknown: 1, deleted: [] });
      clock += 3_600_000;
    }
    expect(fs.existsSync(dir)).toBe(true);
  });

  it('restarts the grace period when a driver comes back alive, and after a janitor restart', async () => {
    appDir('spark', 'etl-driver-a', UID_A);
    drivers.set('spark/etl-driver-a', { status: 200, uid: UID_A, phase: 'Succeeded' });
    let j = janitor();
    await j.sweep();
    clock += 300_000;
    drivers.set('spark/etl-driver-a', { status: 200, uid: UID_A, phase: 'Running' });
    await j.sweep();
    drivers.set('spark/etl-driver-a', { status: 200, uid: UID_A, phase: 'Failed' });
    clock += 300_000;
    expect((await j.sweep()).deleted).toEqual([]);
    j = janitor();
    clock += 599_000;
    expect((await j.sweep()).deleted).toEqual([]);
    clock += 600_000;
    expect((await j.sweep()).deleted).toHaveLength(1);
  });

  it('never follows a link and leaves what is not an application directory alone', async () => {
    const outside = path.join(root, 'precious');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'x');
    fs.mkdirSync(path.join(apps, 'spark'));
    fs.symlinkSync(outside, path.join(apps, 'spark', `linked-driver_${UID_A}`));
    fs.symlinkSync(outside, path.join(apps, 'elsewhere'));
    fs.mkdirSync(path.join(apps, 'spark', 'not-an-app'));
    fs.writeFileSync(path.join(apps, 'stray-file'), 'x');
    // A gone application whose files include a link out of the tree: the link goes, its target stays.
    const gone = appDir('spark', 'pi-driver-b', UID_B);
    fs.symlinkSync(outside, path.join(gone, 'spark-1234', 'escape'));
    const j = janitor();
    const first = await j.sweep();
    expect([...first.skipped].sort()).toEqual(['elsewhere', 'spark/linked-driver_' + UID_A, 'spark/not-an-app', 'stray-file'].sort());
    clock += 600_000;
    expect((await j.sweep()).deleted).toEqual([`spark/pi-driver-b_${UID_B}`]);
    expect(fs.readFileSync(path.join(outside, 'keep'), 'utf8')).toBe('x');
    expect(fs.existsSync(path.join(apps, 'spark', 'not-an-app'))).toBe(true);
    expect(fs.lstatSync(path.join(apps, 'spark', `linked-driver_${UID_A}`)).isSymbolicLink()).toBe(true);
  });

  it('finishes a removal that a restart interrupted, and removes emptied namespace folders', async () => {
    fs.mkdirSync(path.join(apps, '.trash', `spark_old_${UID_A}_1`, 'blockmgr-1'), { recursive: true });
    const gone = appDir('batch', 'pi-driver-b', UID_B);
    const j = janitor();
    await j.sweep();
    expect(fs.readdirSync(path.join(apps, '.trash'))).toEqual([]);
    clock += 600_000;
    await j.sweep();
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(path.join(apps, 'batch'))).toBe(false);
  });
});

describe('the janitor\'s StatsD relay settings', () => {
  const env = { SPARKPLANE_JANITOR_APPS_DIR: '/h/apps' };

  it('listens for StatsD on 7339 by default, on any free port for "0", and labels with NODE_NAME when set', () => {
    expect(janitorConfigFromEnv(env)).toMatchObject({ statsdPort: 7339, nodeName: undefined });
    expect(janitorConfigFromEnv({ ...env, SPARKPLANE_JANITOR_STATSD_PORT: '0', NODE_NAME: ' node-a ' })).toMatchObject({ statsdPort: 0, nodeName: 'node-a' });
    expect(janitorConfigFromEnv({ ...env, SPARKPLANE_JANITOR_STATSD_PORT: '8125' }).statsdPort).toBe(8125);
  });

  it('names a bad SPARKPLANE_JANITOR_STATSD_PORT, its value and the fix', () => {
    for (const value of ['70000', 'statsd', '-1', '7339.5']) {
      let error: unknown;
      try {
        janitorConfigFromEnv({ ...env, SPARKPLANE_JANITOR_STATSD_PORT: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EnvConfigError);
      expect((error as EnvConfigError).problems).toEqual([`SPARKPLANE_JANITOR_STATSD_PORT=${JSON.stringify(value)} is not a port number: set it to e.g. 7339`]);
    }
  });
});
