package dev.cloudrun.internal.grading;

import dev.cloudrun.InvalidRequestException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the time and memory amounts people write: {@code 0.5s}, {@code 500ms}, {@code 128m}, {@code 1g}. */
public final class Quantities {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?");
    private static final Pattern BYTES = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmg])?(?:i?b)?");

    private Quantities() { }

    /**
     * @param field the field, for the error
     * @param text {@code 500ms}, {@code 0.5s}, {@code 2m}, or a number of seconds
     * @return the duration
     * @throws InvalidRequestException naming the field if it is not one, or not positive
     */
    public static Duration duration(String field, String text) {
        Matcher matcher = DURATION.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new InvalidRequestException(field, "must be a duration such as 500ms, 0.5s or 2s, was " + text);
        }
        BigDecimal amount = new BigDecimal(matcher.group(1));
        String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        BigDecimal millis = switch (unit) {
            case "ms" -> amount;
            case "m" -> amount.multiply(BigDecimal.valueOf(60_000));
            default -> amount.multiply(BigDecimal.valueOf(1000));
        };
        Duration duration = Duration.ofNanos(millis.multiply(BigDecimal.valueOf(1_000_000)).longValue());
        if (duration.isZero()) {
            throw new InvalidRequestException(field, "must be positive, was " + text);
        }
        return duration;
    }

    /**
     * @param field the field, for the error
     * @param text {@code 128m}, {@code 1g}, {@code 65536k}, or a number of bytes
     * @return the bytes
     * @throws InvalidRequestException naming the field if it is not one, or not positive
     */
    public static long bytes(String field, String text) {
        Matcher matcher = BYTES.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new InvalidRequestException(field, "must be an amount such as 128m, 1g or 65536k, was " + text);
        }
        BigDecimal amount = new BigDecimal(matcher.group(1));
        long unit = matcher.group(2) == null ? 1 : switch (matcher.group(2)) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            default -> 1L << 30;
        };
        long bytes = amount.multiply(BigDecimal.valueOf(unit)).longValue();
        if (bytes <= 0) {
            throw new InvalidRequestException(field, "must be positive, was " + text);
        }
        return bytes;
    }
}
