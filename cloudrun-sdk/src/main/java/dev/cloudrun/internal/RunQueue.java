package dev.cloudrun.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The runs waiting for a slot: records, not threads. Runs are grouped by fairness key and the groups
 * are served in turn, one run each, so a group with 2,000 runs waiting does not hold up another
 * group's single run; within a group the order is first-come first-served. Runs without a key form
 * one group of their own, so a runner whose runs name no key is plain FIFO.
 *
 * <p>Not thread-safe: the engine calls it under its own lock.
 *
 * @param <T> what is queued
 */
final class RunQueue<T> {
    private static final String NO_KEY = "\u0000";

    private final Map<String, LinkedHashSet<T>> groups = new HashMap<>();
    /** Keys of non-empty groups, in the order they are served next. */
    private final ArrayDeque<String> turns = new ArrayDeque<>();
    private final Map<T, String> keyOf = new HashMap<>();

    /**
     * Adds a run at the end of its group.
     *
     * @param item the run
     * @param fairnessKey its group, or null
     */
    void add(T item, String fairnessKey) {
        String key = fairnessKey == null ? NO_KEY : fairnessKey;
        LinkedHashSet<T> group = groups.computeIfAbsent(key, k -> new LinkedHashSet<>());
        if (group.isEmpty()) {
            turns.addLast(key);
        }
        group.add(item);
        keyOf.put(item, key);
    }

    /** @return the next run to start (the first of the group whose turn it is), or null when empty */
    T poll() {
        String key = turns.pollFirst();
        if (key == null) {
            return null;
        }
        LinkedHashSet<T> group = groups.get(key);
        Iterator<T> first = group.iterator();
        T item = first.next();
        first.remove();
        keyOf.remove(item);
        if (group.isEmpty()) {
            groups.remove(key);
        } else {
            turns.addLast(key);
        }
        return item;
    }

    /**
     * Takes a run out of the queue (it was cancelled while waiting).
     *
     * @param item the run
     * @return whether it was waiting here
     */
    boolean remove(T item) {
        String key = keyOf.remove(item);
        if (key == null) {
            return false;
        }
        LinkedHashSet<T> group = groups.get(key);
        group.remove(item);
        if (group.isEmpty()) {
            groups.remove(key);
            turns.remove(key);
        }
        return true;
    }

    /** @return every waiting run, in no particular order, leaving the queue empty */
    List<T> drain() {
        List<T> all = new ArrayList<>(keyOf.keySet());
        groups.clear();
        turns.clear();
        keyOf.clear();
        return all;
    }

    /** @return how many runs are waiting */
    int size() {
        return keyOf.size();
    }
}
