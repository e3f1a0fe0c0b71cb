// `pulumi up` for real: the Pulumi CLI and the Kubernetes provider plugin built from the Go module
// proxy (scripts/pulumi/build, at the versions of the package's @pulumi/pulumi and @pulumi/kubernetes),
// driven through the Automation API with inline programs, so the examples' own program functions run
// as `pulumi up` runs them. State lives in a local file backend, secrets behind a passphrase, and the
// CLI makes no network call: no update check, no plugin download (the plugin is installed from the
// built binary), no version lookup.
// Each stack has a project folder under .cache/pulumi/projects, as a user's Pulumi project is: the
// package installed in its node_modules (a link to this repository, which `npm test` compiles), and
// @pulumi/pulumi found up the tree. Dynamic providers (the StagedFiles resource) run there: Pulumi
// starts them with that folder as their working directory, and they resolve modules from it.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from '@pulumi/pulumi/automation';
import { runBuildScript } from '../../support/build-script';
import { REPO_ROOT } from '../global-setup';
import { connection } from './cluster-env';

/** The folder holding bin/pulumi and bin/pulumi-resource-kubernetes (built once, then cached). */
export function pulumiToolsRoot(): { root: string; providerVersion: string } {
  const [root, providerVersion] = runBuildScript('pulumi', 45 * 60_000).split(' ');
  return { root, providerVersion };
}

/** A Pulumi home and file backend of its own, with the provider plugin installed from the built binary. */
export class PulumiSandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sp-pulumi-'));
  readonly home = path.join(this.dir, 'home');
  readonly state = path.join(this.dir, 'state');
  private command!: PulumiCommand;

  constructor(private readonly tools: { root: string; providerVersion: string }) {}

  /** The environment of every CLI run: offline, local, and the suite's cluster for the provider (its default kubeconfig). */
  get env(): Record<string, string> {
    return {
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.state}`,
      PULUMI_CONFIG_PASSPHRASE: 'sparkplane-integration',
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
      // A missing plugin fails at once instead of being downloaded; the one installed from the built
      // binary is used, not whatever pulumi-resource-* is on PATH.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PULUMI_DISABLE_REGISTRY_RESOLVE: 'true',
      PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
      KUBECONFIG: connection().kubeconfig!,
    };
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.home, { recursive: true });
    fs.mkdirSync(this.state, { recursive: true });
    const pulumi = path.join(this.tools.root, 'bin', 'pulumi');
    const install = spawnSync(pulumi, ['plugin', 'install', 'resource', 'kubernetes', this.tools.providerVersion, '--file', path.join(this.tools.root, 'bin', 'pulumi-resource-kubernetes')], { encoding: 'utf8', env: { ...process.env, ...this.env } });
    if (install.status !== 0) throw new Error(`pulumi plugin install failed: ${install.stderr}`);
    this.command = await PulumiCommand.get({ root: this.tools.root, skipVersionCheck: true });
  }

  /** A stack of an inline program (the project is named after it, and has its own folder). */
  async stack(project: string, program: PulumiFn): Promise<Stack> {
    const workDir = path.join(REPO_ROOT, '.cache', 'pulumi', 'projects', project);
    fs.mkdirSync(path.join(workDir, 'node_modules'), { recursive: true });
    const installed = path.join(workDir, 'node_modules', 'sparkplane');
    fs.rmSync(installed, { force: true });
    fs.symlinkSync(REPO_ROOT, installed, 'dir');
    return LocalWorkspace.createOrSelectStack(
      { stackName: 'integration', projectName: project, program },
      {
        workDir,
        pulumiCommand: this.command,
        pulumiHome: this.home,
        envVars: this.env,
        secretsProvider: 'passphrase',
        projectSettings: { name: project, runtime: 'nodejs', backend: { url: `file://${this.state}` } },
      },
    );
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
