// A job for dynamic allocation: a backlog of slow tasks (each sleeps), so Spark asks for more
// executors; then the application stays idle until Spark has released every executor, and ends.
//
//   Backlog <tasks> <taskMillis> <maxIdleSeconds> <lingerSeconds>
//
// Prints "backlog done: ..." after the job, "executors: N" each second while idle, then
// "scaled down to 0 executors after <s> s of idleness"; it lingers <lingerSeconds> more (so an
// observer can see the executor pods gone while the application still runs) and exits 0. If the
// executors are still there after <maxIdleSeconds>, it exits with status 3.
package sparkplane.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

public final class Backlog {
  private Backlog() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 4) throw new IllegalArgumentException("usage: Backlog <tasks> <taskMillis> <maxIdleSeconds> <lingerSeconds>");
    int tasks = Integer.parseInt(args[0]);
    long taskMillis = Long.parseLong(args[1]);
    int maxIdleSeconds = Integer.parseInt(args[2]);
    int lingerSeconds = Integer.parseInt(args[3]);
    int status = 0;
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf())) {
      List<Integer> ids = new ArrayList<>(tasks);
      for (int i = 0; i < tasks; i++) ids.add(i);
      long started = System.nanoTime();
      List<String> ranOn = sc.parallelize(ids, tasks).map(i -> {
        Thread.sleep(taskMillis);
        return SparkEnv.get().executorId();
      }).collect();
      System.out.printf("backlog done: %d tasks of %d ms in %.1f s on executors %s%n",
          tasks, taskMillis, (System.nanoTime() - started) / 1e9, new TreeSet<>(ranOn));
      long idleSince = System.nanoTime();
      for (;;) {
        // The status tracker lists the driver too.
        int executors = sc.sc().statusTracker().getExecutorInfos().length - 1;
        double idle = (System.nanoTime() - idleSince) / 1e9;
        System.out.printf("executors: %d (idle %.0f s)%n", executors, idle);
        if (executors == 0) {
          System.out.printf("scaled down to 0 executors after %.1f s of idleness%n", idle);
          Thread.sleep(lingerSeconds * 1000L);
          break;
        }
        if (idle > maxIdleSeconds) {
          System.out.printf("still %d executors after %d s of idleness%n", executors, maxIdleSeconds);
          status = 3;
          break;
        }
        Thread.sleep(1000);
      }
    }
    System.exit(status);
  }
}
