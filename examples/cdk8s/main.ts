// The cdk8s app of the examples: `cdk8s synth` runs it, and so does `npm run example`, which
// prints the manifests it writes to dist/.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { MonitoringChart } from './monitoring';
import { PySparkChart } from './pyspark';
import { ShuffleServiceChart } from './shuffle-service';
import { SparkPiChart } from './spark-pi';
import { StagedPySparkChart } from './staged-pyspark';
import { ZeppelinChart } from './zeppelin';

// `cdk8s synth` says where to write through CDK8S_OUTDIR; `npm run example` writes beside this file.
const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? path.join(__dirname, 'dist') });
new SparkPiChart(app, 'spark-pi');
new PySparkChart(app, 'pyspark');
new ShuffleServiceChart(app, 'shuffle-service');
new StagedPySparkChart(app, 'staged-pyspark');
new ZeppelinChart(app, 'zeppelin');
new MonitoringChart(app, 'monitoring');
app.synth();

if (require.main === module) {
  for (const file of fs.readdirSync(app.outdir).sort()) {
    process.stdout.write(`# ${path.join(app.outdir, file)}\n${fs.readFileSync(path.join(app.outdir, file), 'utf8')}`);
  }
}
