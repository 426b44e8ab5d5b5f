package dev.cloudrun.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The nearest-rank percentiles and the ratios the benchmark reports. */
class PercentilesTest {

    @Test
    void tenRunsGiveTheFifthAsMedianAndTheSlowestAsP95() {
        List<Double> shuffled = List.of(7.0, 3.0, 10.0, 1.0, 9.0, 2.0, 8.0, 5.0, 4.0, 6.0);

        Percentiles figures = Percentiles.of(shuffled);

        assertThat(figures.count()).isEqualTo(10);
        assertThat(figures.p50()).isEqualTo(5.0);
        assertThat(figures.p95()).isEqualTo(10.0);
        assertThat(figures.max()).isEqualTo(10.0);
    }

    @Test
    void aHundredRunsGiveTheNinetyFifth() {
        List<Double> values = IntStream.rangeClosed(1, 100).asDoubleStream().boxed().toList();

        Percentiles figures = Percentiles.of(values);

        assertThat(figures.p50()).isEqualTo(50.0);
        assertThat(figures.p95()).isEqualTo(95.0);
        assertThat(figures.max()).isEqualTo(100.0);
    }

    @Test
    void oneRunIsEveryPercentile() {
        assertThat(Percentiles.of(List.of(42.0))).isEqualTo(new Percentiles(1, 42.0, 42.0, 42.0));
    }

    @Test
    void oddCountsTakeTheMiddleValue() {
        assertThat(Percentiles.of(List.of(30.0, 10.0, 20.0)).p50()).isEqualTo(20.0);
    }

    @Test
    void noValuesIsAnError() {
        assertThatThrownBy(() -> Percentiles.of(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ratiosNeedBothFiguresAndAPositiveDenominator() {
        assertThat(Percentiles.ratio(30.0, 10.0)).isEqualTo(3.0);
        assertThat(Percentiles.ratio(null, 10.0)).isNull();
        assertThat(Percentiles.ratio(30.0, null)).isNull();
        assertThat(Percentiles.ratio(30.0, 0.0)).isNull();
    }
}
