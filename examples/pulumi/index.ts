// The Pulumi program of the examples, for `pulumi up`. Each example is a program function, so the
// integration tests run the very same code through the Automation API.
import { monitoringProgram } from './monitoring';
import { pySparkProgram } from './pyspark';
import { shuffleServiceProgram } from './shuffle-service';
import { sparkPiProgram } from './spark-pi';
import { stagedPySparkProgram } from './staged-pyspark';
import { zeppelinProgram } from './zeppelin';

export = async () => ({ sparkPi: await sparkPiProgram(), pyspark: await pySparkProgram(), shuffleService: await shuffleServiceProgram(), stagedPySpark: await stagedPySparkProgram(), zeppelin: await zeppelinProgram(), monitoring: await monitoringProgram() });
