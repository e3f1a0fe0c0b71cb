// A job whose shuffle outlives the executors that wrote it (issue 6): stage 1 maps 1..n into
// partitions and shuffles them by key; the application then waits until dynamic allocation has
// removed every executor; a second action on the same shuffled RDD then runs on a new executor,
// which can only read the map output through the node's external shuffle service. An accumulator
// counts the map calls: if Spark had lost the output and recomputed it, the count would double.
//
//   ShuffleOutlives <n> <partitions> <maxIdleSeconds>
//
// Prints "stage 1: sum=… keys=… mapCalls=… executors=[…]", "executors gone after … s",
// "stage 2: sum=… keys=… mapCalls=… executors=[…]", and "result: ok" when both sums are n(n+1)/2
// and the map ran exactly n times; otherwise "result: wrong" and exit status 4. Exit status 3 when
// the executors are still there after <maxIdleSeconds>.
package sparkplane.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

public final class ShuffleOutlives {
  private ShuffleOutlives() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) throw new IllegalArgumentException("usage: ShuffleOutlives <n> <partitions> <maxIdleSeconds>");
    int n = Integer.parseInt(args[0]);
    int partitions = Integer.parseInt(args[1]);
    int maxIdleSeconds = Integer.parseInt(args[2]);
    long expected = (long) n * (n + 1) / 2;
    int status = 0;
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf())) {
      LongAccumulator mapCalls = sc.sc().longAccumulator("mapCalls");
      List<Integer> numbers = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) numbers.add(i);
      JavaPairRDD<Integer, Long> sums = sc.parallelize(numbers, partitions)
          .mapToPair(i -> {
            mapCalls.add(1);
            return new Tuple2<>(i % 97, (long) i);
          })
          .reduceByKey(Long::sum, partitions);

      long[] first = sumAndKeys(sums);
      System.out.printf("stage 1: sum=%d keys=%d mapCalls=%d executors=%s%n", first[0], first[1], mapCalls.value(), executorsOf(sums));

      long idleSince = System.nanoTime();
      for (;;) {
        // The status tracker lists the driver too.
        int executors = sc.sc().statusTracker().getExecutorInfos().length - 1;
        double idle = (System.nanoTime() - idleSince) / 1e9;
        if (executors == 0) {
          System.out.printf("executors gone after %.1f s%n", idle);
          break;
        }
        if (idle > maxIdleSeconds) {
          System.out.printf("still %d executors after %d s%n", executors, maxIdleSeconds);
          System.exit(3);
        }
        Thread.sleep(500);
      }

      long[] second = sumAndKeys(sums);
      System.out.printf("stage 2: sum=%d keys=%d mapCalls=%d executors=%s%n", second[0], second[1], mapCalls.value(), executorsOf(sums));
      boolean ok = first[0] == expected && second[0] == expected && first[1] == 97 && second[1] == 97 && mapCalls.value() == n;
      System.out.println(ok ? "result: ok" : "result: wrong (expected sum " + expected + ", 97 keys, " + n + " map calls)");
      if (!ok) status = 4;
    }
    System.exit(status);
  }

  /** Sum of the values and number of keys of the shuffled RDD: a result stage reading the shuffle. */
  private static long[] sumAndKeys(JavaPairRDD<Integer, Long> sums) {
    List<Tuple2<Integer, Long>> rows = sums.collect();
    long total = 0;
    for (Tuple2<Integer, Long> row : rows) total += row._2();
    return new long[] {total, rows.size()};
  }

  /** The executors that ran the reduce side (a third read of the same shuffle). */
  private static TreeSet<String> executorsOf(JavaPairRDD<Integer, Long> sums) {
    return new TreeSet<>(sums.mapPartitions(rows -> java.util.Collections.singletonList(SparkEnv.get().executorId()).iterator()).collect());
  }
}
