package dev.cloudrun.internal.packages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.PackageManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the dependencies a program declares ({@code requirements.txt}, {@code package.json}) into
 * installer arguments. Only plain names with version constraints pass: no installer options, URLs,
 * paths or git references, since those would let the file steer the installer.
 */
public final class DeclaredDependencies {
    private static final Pattern REQUIREMENT = Pattern.compile(
            "([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\\[[A-Za-z0-9._,-]+\\])?\\s*([<>=!~][<>=!~0-9A-Za-z.*+!, -]*)?");

    private DeclaredDependencies() { }

    /**
     * @param manager the language's package manager
     * @param files the run's files
     * @return installer arguments (such as {@code requests>=2} or {@code chalk@^5}), empty when
     *     the manifest is absent or declares nothing
     * @throws InvalidRequestException naming {@code files[MANIFEST]} when an entry is not allowed
     */
    public static List<String> from(PackageManager manager, Map<String, byte[]> files) {
        if (manager.manifest() == null) {
            return List.of();
        }
        byte[] manifest = files.get(manager.manifest());
        if (manifest == null) {
            return List.of();
        }
        String field = "files[" + manager.manifest() + "]";
        String text = new String(manifest, StandardCharsets.UTF_8);
        return "npm".equals(manager.ecosystem()) ? fromPackageJson(text, field) : fromRequirements(text, field);
    }

    private static List<String> fromRequirements(String text, String field) {
        List<String> requirements = new ArrayList<>();
        String[] lines = text.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].replaceAll("\\s+#.*$", "").strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher matcher = REQUIREMENT.matcher(line);
            if (!matcher.matches()) {
                throw new InvalidRequestException(field, "line " + (i + 1) + " ('" + line + "') is not a plain "
                        + "'name[extras] version' requirement; options, URLs and paths are not allowed");
            }
            String constraint = matcher.group(3) == null ? "" : matcher.group(3).replace(" ", "");
            if (!PackageNames.isValidVersion("pypi", constraint)) {
                throw new InvalidRequestException(field, "line " + (i + 1) + " has an invalid version constraint: " + constraint);
            }
            requirements.add(matcher.group(1) + (matcher.group(2) == null ? "" : matcher.group(2)) + constraint);
        }
        return requirements;
    }

    private static List<String> fromPackageJson(String text, String field) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidRequestException(field, "is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidRequestException(field, "cannot be read: " + e.getMessage());
        }
        List<String> packages = new ArrayList<>();
        JsonNode dependencies = root == null ? null : root.path("dependencies");
        if (dependencies == null || dependencies.isMissingNode() || dependencies.isNull()) {
            return packages;
        }
        if (!dependencies.isObject()) {
            throw new InvalidRequestException(field, "'dependencies' must be an object");
        }
        Iterator<Map.Entry<String, JsonNode>> entries = dependencies.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            String name = entry.getKey();
            String range = entry.getValue().asText("");
            if (!PackageNames.isValid("npm", name)) {
                throw new InvalidRequestException(field, "dependency '" + name + "' is not a valid npm package name");
            }
            if (!PackageNames.isValidVersion("npm", range)) {
                throw new InvalidRequestException(field, "dependency '" + name + "' has a version that is not a plain "
                        + "range (URLs, paths and git references are not allowed): " + range);
            }
            packages.add(range.isEmpty() || range.equals("*") ? name : name + "@" + range);
        }
        return packages;
    }
}
