// Monte Carlo estimate of Pi with Spark's Java API: the e2e suite's own SparkPi, since the
// spark-examples jar is not served by the registries this project can reach.
//
//   SparkPi [slices [more arguments...]]
//
// Prints each argument it got ("argument <i>: <value>"), then "Pi is roughly <x>" and the executors
// that ran its tasks.
package sparkplane.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

public final class SparkPi {
  private SparkPi() {}

  public static void main(String[] args) {
    for (int i = 0; i < args.length; i++) System.out.println("argument " + i + ": " + args[i]);
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int perSlice = 100_000;
    int n = perSlice * slices;
    // The application's settings all come from spark-submit (the properties file the library renders).
    try (JavaSparkContext sc = new JavaSparkContext(new SparkConf())) {
      List<Integer> seeds = new ArrayList<>(slices);
      for (int i = 0; i < slices; i++) seeds.add(i);
      JavaRDD<Integer> partitions = sc.parallelize(seeds, slices);
      // One task per slice: count the points of the slice that fall inside the unit circle.
      List<String> perTask = partitions.map(seed -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int inside = 0;
        for (int i = 0; i < perSlice; i++) {
          double x = random.nextDouble() * 2 - 1;
          double y = random.nextDouble() * 2 - 1;
          if (x * x + y * y <= 1) inside++;
        }
        return SparkEnv.get().executorId() + ":" + inside;
      }).collect();
      long count = 0;
      TreeSet<String> executors = new TreeSet<>();
      for (String result : perTask) {
        String[] parts = result.split(":");
        executors.add(parts[0]);
        count += Long.parseLong(parts[1]);
      }
      System.out.println("Pi is roughly " + 4.0 * count / n);
      System.out.println("tasks ran on executors " + executors);
    }
  }
}
