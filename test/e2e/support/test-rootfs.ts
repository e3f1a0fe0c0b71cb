// A tiny image root filesystem for the process kubelet's own tests: a few of this machine's
// programs (bash as `sh` too, some coreutils, node) with exactly the shared libraries `ldd` says they
// load, at the same paths, hard-linked (copied across file systems), plus an /etc of its own. It
// stands for a real unpacked image (no registry, no image tooling), and is self-contained: nothing of
// the host is visible in a container that runs with it as its root.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { OciImageConfig, RootfsImage } from './process-kubelet';

/** The programs the test image holds (looked up on PATH; node is the running one). */
const PROGRAMS = ['bash', 'cat', 'cp', 'id', 'ls', 'mkdir', 'rm', 'sleep', 'touch'];

/** The `NAME=` line of the test image's /etc/os-release. */
export const TEST_ROOTFS_OS_NAME = 'sparkplane-test-rootfs';

/** Builds the test image in `dir` (which must not exist or be empty) and returns it with `config`. */
export function buildTestRootfs(dir: string, config: OciImageConfig = {}): RootfsImage {
  fs.mkdirSync(dir, { recursive: true });
  const place = (file: string) => {
    const target = path.join(dir, file);
    if (fs.existsSync(target)) return;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const real = fs.realpathSync(file);
    try {
      fs.linkSync(real, target);
    } catch {
      fs.copyFileSync(real, target);
      fs.chmodSync(target, fs.statSync(real).mode);
    }
  };
  const programs = PROGRAMS.map((name) => {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`the test image needs ${name} on this machine`);
    return found;
  });
  // Merged /usr as Debian's: /bin, /lib, /lib64 are links into /usr, so every path resolves both ways.
  for (const dirName of ['bin', 'sbin', 'lib', 'lib64']) {
    fs.mkdirSync(path.join(dir, 'usr', dirName), { recursive: true });
    fs.symlinkSync(`usr/${dirName}`, path.join(dir, dirName));
  }
  for (const program of [...programs.map((p) => fs.realpathSync(p)), fs.realpathSync(process.execPath)]) {
    const target = path.join('/usr/bin', path.basename(program));
    fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
    if (!fs.existsSync(path.join(dir, target))) {
      try {
        fs.linkSync(program, path.join(dir, target));
      } catch {
        fs.copyFileSync(program, path.join(dir, target));
        fs.chmodSync(path.join(dir, target), 0o755);
      }
    }
    const ldd = spawnSync('ldd', [program], { encoding: 'utf8' });
    for (const library of ldd.stdout.matchAll(/(\/[^\s)]+)/g)) place(canonical(library[1]));
  }
  fs.symlinkSync('bash', path.join(dir, 'usr', 'bin', 'sh'));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc', 'os-release'), `NAME=${TEST_ROOTFS_OS_NAME}\nID=sparkplane-test\n`);
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\n');
  fs.mkdirSync(path.join(dir, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.mkdirSync(path.join(dir, 'root'), { mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'home', 'app'), { recursive: true });
  fs.chownSync(path.join(dir, 'home', 'app'), 1000, 1000);
  return { rootfs: dir, config };
}

/** A library path as it lies under merged /usr (/lib/x.so → /usr/lib/x.so), so the rootfs' links lead to it. */
function canonical(file: string): string {
  return /^\/(lib|lib64|bin|sbin)\//.test(file) && fs.lstatSync('/' + file.split('/')[1]).isSymbolicLink() ? `/usr${file}` : file;
}
