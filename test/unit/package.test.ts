// The compiled package as users load it: its entry points resolve through package.json `exports`,
// each front end loads without the other framework, and the Spark key data ships with it.
// Runs in child processes against dist/ (the test task compiles first).
import { execFileSync } from 'child_process';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

/** Runs `script` with Node in the package root, where `require('sparkplane/...')` resolves to dist/ through `exports`. */
function node(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 }).trim();
}

const loadedFrameworks = `
  const loaded = Object.keys(require.cache);
  console.log(JSON.stringify({ pulumi: loaded.some((f) => f.includes('/@pulumi/')), cdk8s: loaded.some((f) => /node_modules\\/cdk8s(-plus-27)?\\//.test(f)) }));`;

describe('the compiled package', () => {
  it('renders from the core entry point with the Spark key data it ships, loading no framework', () => {
    const output = node(`
      const { renderSparkApplication } = require('sparkplane');
      const objects = renderSparkApplication({ name: 'pi', sparkVersion: '3.5.8', mainClass: 'a.B', mainApplicationFile: 'local:///a.jar', sparkConf: { 'spark.sql.shuffle.partitions': '8' } });
      console.log(objects.length);${loadedFrameworks}`);
    expect(output.split('\n')).toEqual(['7', JSON.stringify({ pulumi: false, cdk8s: false })]);
  });

  it('loads sparkplane/cdk8s without Pulumi', () => {
    expect(node(`require('sparkplane/cdk8s');${loadedFrameworks}`)).toBe(JSON.stringify({ pulumi: false, cdk8s: true }));
  });

  it('loads sparkplane/pulumi without cdk8s', () => {
    expect(node(`require('sparkplane/pulumi');${loadedFrameworks}`)).toBe(JSON.stringify({ pulumi: true, cdk8s: false }));
  });

  it('has a `sparkplane` command that runs on its own: one bundled file, no dependency to install', () => {
    const bin = require(path.join(root, 'package.json')).bin.sparkplane as string;
    expect(bin).toBe('dist/cli/sparkplane.js');
    // Run from outside the package: nothing in node_modules helps it.
    const output = execFileSync(process.execPath, [path.join(root, bin), 'stage', '--help'], { cwd: '/', encoding: 'utf8', timeout: 60_000 });
    expect(output).toMatch(/usage: sparkplane stage/);
  });
});
