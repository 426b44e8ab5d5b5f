package dev.cloudrun;

import java.util.List;
import java.util.Objects;

/**
 * A group of cases that scores its points only when every one of them is accepted, as a
 * contest's subtasks do. Its cases' own points do not count.
 *
 * @param name the group's name, unique in its suite
 * @param points what the group is worth, at least 0
 * @param cases the names of its cases, at least one
 */
public record TestGroup(String name, double points, List<String> cases) {
    /** Checks the components. */
    public TestGroup {
        Objects.requireNonNull(name, "name");
        if (!(points >= 0) || Double.isInfinite(points)) {
            throw new InvalidRequestException("groups[" + name + "].points", "must be 0 or more, was " + points);
        }
        cases = List.copyOf(cases);
        if (cases.isEmpty()) {
            throw new InvalidRequestException("groups[" + name + "].cases", "is empty");
        }
    }

    /**
     * @param name the group's name
     * @param points what it is worth
     * @param cases its cases' names
     * @return the group
     */
    public static TestGroup of(String name, double points, String... cases) {
        return new TestGroup(name, points, List.of(cases));
    }
}
