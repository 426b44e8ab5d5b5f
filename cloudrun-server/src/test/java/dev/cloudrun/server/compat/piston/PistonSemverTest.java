package dev.cloudrun.server.compat.piston;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Version selectors, as node-semver's {@code satisfies} (which Piston uses) answers them. */
class PistonSemverTest {
    @ParameterizedTest(name = "{0} satisfies \"{1}\": {2}")
    @CsvSource(delimiter = ';', value = {
        "3.11.2;*;true",
        "3.11.2;x;true",
        "3.11.2;3.11.2;true",
        "3.11.2;=3.11.2;true",
        "3.11.2;v3.11.2;true",
        "3.11.2;3.11.3;false",
        "3.11.2;3;true",
        "3.11.2;3.x;true",
        "3.11.2;3.11;true",
        "3.11.2;3.11.x;true",
        "3.11.2;3.10;false",
        "3.11.2;2.x;false",
        "3.11.2;>3.11.1;true",
        "3.11.2;>3.11;false",
        "3.11.2;>3;false",
        "3.11.2;>=3.11;true",
        "3.11.2;>= 3.11.2;true",
        "3.11.2;<3.11.2;false",
        "3.11.2;<=3.11;true",
        "3.11.2;<4;true",
        "3.11.2;>=3.10 <3.12;true",
        "3.11.2;>=3.12 <4;false",
        "3.11.2;~3.11.0;true",
        "3.11.2;~3.10.0;false",
        "3.11.2;~3;true",
        "3.11.2;^3.9.1;true",
        "3.11.2;^3.11.3;false",
        "0.2.5;^0.2.3;true",
        "0.3.0;^0.2.3;false",
        "0.0.4;^0.0.3;false",
        "3.11.2;3.8 - 3.11;true",
        "3.12.0;3.8 - 3.11;false",
        "3.11.2;3.11.3 - 4;false",
        "3.11.2;<3 || >=3.11;true",
        "3.11.2;2.x || 4.x;false",
        "3.11.2;latest;false",
        "3.11.2;3.11.2.1;false",
        "3.11.2;>*;false",
    })
    void matches_like_node_semver(String version, String selector, boolean expected) {
        assertThat(SemverRange.parse(selector).map(range -> range.matches(version)).orElse(false)).isEqualTo(expected);
    }
}
