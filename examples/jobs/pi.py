# Estimates pi by sampling points in the unit square: the local file the staging examples ship.
import random
import sys

from pyspark.sql import SparkSession


def inside(_: int) -> int:
    x, y = random.random(), random.random()
    return 1 if x * x + y * y <= 1 else 0


if __name__ == "__main__":
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    spark = SparkSession.builder.appName("staged-pi").getOrCreate()
    hits = spark.sparkContext.parallelize(range(samples), 8).map(inside).sum()
    print(f"Pi is roughly {4.0 * hits / samples}")
    spark.stop()
