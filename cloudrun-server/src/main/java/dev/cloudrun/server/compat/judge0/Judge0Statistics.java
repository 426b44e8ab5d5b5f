package dev.cloudrun.server.compat.judge0;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Judge0's {@code GET /statistics} (InfoController#statistics): submissions in total, today and on each of
 * the 30 days before, per language and per status, and the database's size; counted from
 * {@code judge0_submissions} with grouped counts (no row is read) and kept for 10 minutes, as Judge0 caches it
 * ({@code invalidate_cache=true} counts again).
 */
final class Judge0Statistics {
    private static final Duration CACHE = Duration.ofMinutes(10);
    private static final DateTimeFormatter RAILS_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final long DAY_MILLIS = 86_400_000L;

    private final Judge0Store store;
    private final Judge0Languages languages;
    private final Clock clock;
    private Map<String, Object> cached;
    private long cachedUntil;

    Judge0Statistics(Judge0Store store, Judge0Languages languages, Clock clock) {
        this.store = store;
        this.languages = languages;
        this.clock = clock;
    }

    /** @param invalidate whether to count again even if the last count is fresh */
    synchronized Map<String, Object> answer(boolean invalidate) {
        long now = clock.millis();
        if (invalidate || cached == null || now >= cachedUntil) {
            cached = count(now);
            cachedUntil = now + CACHE.toMillis();
        }
        return cached;
    }

    private Map<String, Object> count(long now) {
        long today = Math.floorDiv(now, DAY_MILLIS);
        Map<Long, Long> perDay = store.countPerDaySince((today - 30) * DAY_MILLIS);
        Map<String, Object> lastDays = new LinkedHashMap<>();
        // Judge0's (today-30...today): the 30 days before today, newest first; today is counted on its own.
        for (long day = today - 1; day >= today - 30; day--) {
            lastDays.put(LocalDate.ofEpochDay(day).toString(), perDay.getOrDefault(day, 0L));
        }
        Map<String, Object> submissions = new LinkedHashMap<>();
        submissions.put("total", store.total());
        submissions.put("today", perDay.getOrDefault(today, 0L));
        submissions.put("last_30_days", lastDays);

        List<Map<String, Object>> byLanguage = new ArrayList<>();
        store.countBy("language_id").forEach((id, count) -> {
            Map<String, Object> language = new LinkedHashMap<>();
            language.put("id", id);
            language.put("name", languages.find(id).map(Judge0Languages.Entry::name).orElse(null));
            byLanguage.add(counted("language", language, count));
        });
        List<Map<String, Object>> byStatus = new ArrayList<>();
        store.countBy("status_id").forEach((id, count) -> {
            Map<String, Object> status = new LinkedHashMap<>();
            status.put("id", id);
            status.put("name", Judge0Status.byId(id).description);
            byStatus.add(counted("status", status, count));
        });
        Comparator<Map<String, Object>> mostFirst = Comparator.comparingLong(entry -> -((Long) entry.get("count")));
        byLanguage.sort(mostFirst);
        byStatus.sort(mostFirst);

        long bytes = store.databaseBytes();
        Map<String, Object> database = new LinkedHashMap<>();
        database.put("size_pretty", pretty(bytes));
        database.put("size_in_bytes", bytes);

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("created_at", RAILS_TIME.format(Instant.ofEpochMilli(now)));
        body.put("cached_until", RAILS_TIME.format(Instant.ofEpochMilli(now + CACHE.toMillis())));
        body.put("submissions", submissions);
        body.put("languages", byLanguage);
        body.put("statuses", byStatus);
        body.put("database", database);
        return body;
    }

    private static Map<String, Object> counted(String name, Map<String, Object> what, long count) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put(name, what);
        entry.put("count", count);
        return entry;
    }

    /** PostgreSQL's {@code pg_size_pretty}: bytes, then kB, MB, GB, TB, each while under 10240 of the unit. */
    static String pretty(long bytes) {
        String[] units = {"bytes", "kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = 0;
        while (unit < units.length - 1 && Math.abs(value) >= 10 * 1024 - 0.5) {
            value /= 1024;
            unit++;
        }
        return Math.round(value) + " " + units[unit];
    }
}
