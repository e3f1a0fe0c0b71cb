// Prints the run's counts as one plain line ("unit: N passed, N failed[, N skipped]") that CI reads,
// after Jest's own summary. The suite name comes from SPARKPLANE_SUITE.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const suite = process.env.SPARKPLANE_SUITE || 'jest';
    const skipped = results.numPendingTests + results.numTodoTests;
    // Suites that fail to load count as failures too.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`${suite}: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
module.exports = SummaryReporter;
