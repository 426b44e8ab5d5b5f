package dev.cloudrun.internal.packages;

import dev.cloudrun.Language;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the modules a program failed to import, from its error output, with the patterns of its
 * language descriptor, and maps them to installable package names.
 */
public final class MissingModules {
    private MissingModules() { }

    /**
     * @param language the program's language
     * @param errorOutput what the program printed on stderr
     * @return the module names the patterns caught, in order, without duplicates
     */
    public static List<String> modules(Language language, String errorOutput) {
        Set<String> modules = new LinkedHashSet<>();
        for (Pattern pattern : language.missingDependencyPatterns()) {
            Matcher matcher = pattern.matcher(errorOutput);
            while (matcher.find()) {
                if (matcher.groupCount() >= 1 && matcher.group(1) != null) {
                    modules.add(matcher.group(1));
                }
            }
        }
        return List.copyOf(modules);
    }

    /**
     * Maps missing modules to the packages that provide them, dropping what no package can provide
     * (relative paths, the runtime's built-in modules) and names that fail the ecosystem's grammar.
     *
     * @param language the program's language (it must have a package manager)
     * @param errorOutput what the program printed on stderr
     * @param map the module-to-package map
     * @return package names, in order, without duplicates
     */
    public static List<String> packages(Language language, String errorOutput, ModulePackageMap map) {
        if (language.packageManager().isEmpty()) {
            return List.of();
        }
        String ecosystem = language.packageManager().get().ecosystem();
        Set<String> packages = new LinkedHashSet<>();
        for (String module : modules(language, errorOutput)) {
            String name = map.packageFor(ecosystem, module);
            if (name != null && PackageNames.isValid(ecosystem, name)) {
                packages.add(name);
            }
        }
        return List.copyOf(packages);
    }
}
