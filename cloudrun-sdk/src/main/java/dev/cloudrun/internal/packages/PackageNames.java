package dev.cloudrun.internal.packages;

import dev.cloudrun.InvalidRequestException;
import java.util.regex.Pattern;

/**
 * The name grammar of each package ecosystem. A name that does not match is refused before
 * anything runs: names reach the installer as separate arguments, never through a shell, and this
 * check also keeps out option look-alikes ({@code --index-url=...}) and paths ({@code ../x}).
 */
public final class PackageNames {
    /** PEP 508 / PEP 426 distribution names. */
    private static final Pattern PYPI = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");
    /** npm names: lower case, URL-safe, optionally scoped, not starting with . or _. */
    private static final Pattern NPM = Pattern.compile("(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*");
    /** Version constraints we pass on: PEP 440 specifiers and npm ranges, without spaces or shell characters. */
    private static final Pattern PYPI_VERSION = Pattern.compile("(?:(?:==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!-]+)(?:,(?:==|>=|<=|~=|!=|<|>)[A-Za-z0-9.*+!-]+)*");
    private static final Pattern NPM_VERSION = Pattern.compile("[A-Za-z0-9.^~*xX<>=|+ -]{1,64}");
    private static final int MAX_LENGTH = 214;

    private PackageNames() { }

    /**
     * Checks a package name.
     *
     * @param ecosystem {@code pypi} or {@code npm}
     * @param name the name
     * @param field the request field, for the error
     * @return the name
     * @throws InvalidRequestException if the name does not fit the ecosystem's grammar
     */
    public static String requireValid(String ecosystem, String name, String field) {
        if (!isValid(ecosystem, name)) {
            throw new InvalidRequestException(field, "'" + name + "' is not a valid " + ecosystem + " package name");
        }
        return name;
    }

    /**
     * @param ecosystem {@code pypi} or {@code npm}
     * @param name the name
     * @return whether it fits the ecosystem's grammar
     */
    public static boolean isValid(String ecosystem, String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
            return false;
        }
        switch (ecosystem) {
            case "pypi":
                return PYPI.matcher(name).matches();
            case "npm":
                return NPM.matcher(name).matches() && !name.contains("..");
            default:
                return false;
        }
    }

    /**
     * @param ecosystem {@code pypi} or {@code npm}
     * @param constraint a version constraint such as {@code >=2.0} or {@code ^4.17.0}
     * @return whether it is a plain version constraint
     */
    public static boolean isValidVersion(String ecosystem, String constraint) {
        if (constraint == null || constraint.isEmpty()) {
            return true;
        }
        return "pypi".equals(ecosystem) ? PYPI_VERSION.matcher(constraint).matches()
                : NPM_VERSION.matcher(constraint).matches() && !constraint.startsWith("-");
    }
}
