package dev.cloudrun.examples.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * p50, p95 and max of a list of timings, by the nearest-rank method: the p-th percentile of n
 * sorted values is the value at rank ⌈p/100 · n⌉ (1-based), always one of the measured values. With
 * 10 runs p50 is the 5th fastest and p95 the slowest.
 *
 * @param count how many values
 * @param p50 the median (the lower one for an even count)
 * @param p95 the 95th percentile
 * @param max the largest value
 */
public record Percentiles(int count, double p50, double p95, double max) {
    /**
     * Summarises values.
     *
     * @param values the values, in any order; not empty
     * @return the summary
     * @throws IllegalArgumentException if there are no values
     */
    public static Percentiles of(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return new Percentiles(sorted.size(), nearestRank(sorted, 50), nearestRank(sorted, 95), sorted.get(sorted.size() - 1));
    }

    /**
     * The nearest-rank percentile.
     *
     * @param sorted values in ascending order; not empty
     * @param percent between 0 (exclusive) and 100
     * @return the value at rank ⌈percent/100 · n⌉
     */
    static double nearestRank(List<Double> sorted, double percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return sorted.get(Math.max(1, Math.min(rank, sorted.size())) - 1);
    }

    /**
     * A ratio of two figures, or null when either is missing or the denominator is not positive.
     *
     * @param numerator the figure compared
     * @param denominator the figure it is compared with
     * @return numerator / denominator, or null
     */
    public static Double ratio(Double numerator, Double denominator) {
        return numerator == null || denominator == null || denominator <= 0 ? null : numerator / denominator;
    }
}
