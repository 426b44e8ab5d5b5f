package dev.cloudrun.internal.packages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.CloudRunException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which package provides an imported module, per ecosystem. Read from the SDK's
 * {@code dev/cloudrun/module-packages.json}, then every {@code META-INF/cloudrun/module-packages.json}
 * on the class path (applications extend or override entries there). The file maps an ecosystem to
 * {@code {"modules": {module: package}, "builtins": [module...]}}.
 */
public final class ModulePackageMap {
    /** The SDK's map. */
    public static final String BUILT_IN_RESOURCE = "dev/cloudrun/module-packages.json";
    /** Where applications extend it. */
    public static final String EXTENSION_RESOURCE = "META-INF/cloudrun/module-packages.json";

    private final Map<String, Map<String, String>> modules = new HashMap<>();
    private final Map<String, Set<String>> builtins = new HashMap<>();

    private ModulePackageMap() { }

    /** @return the SDK's map extended by the class path's */
    public static ModulePackageMap loadDefault() {
        ModulePackageMap map = new ModulePackageMap();
        ClassLoader loader = ModulePackageMap.class.getClassLoader();
        ObjectMapper json = new ObjectMapper();
        try (InputStream builtIn = loader.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (builtIn == null) {
                throw new CloudRunException(BUILT_IN_RESOURCE + " is missing from the class path");
            }
            map.merge(json.readTree(builtIn));
            Enumeration<URL> extensions = loader.getResources(EXTENSION_RESOURCE);
            while (extensions.hasMoreElements()) {
                try (InputStream in = extensions.nextElement().openStream()) {
                    map.merge(json.readTree(in));
                }
            }
        } catch (IOException e) {
            throw new CloudRunException("cannot read the module-to-package map: " + e.getMessage(), e);
        }
        return map;
    }

    private void merge(JsonNode root) {
        root.fields().forEachRemaining(ecosystem -> {
            Map<String, String> target = modules.computeIfAbsent(ecosystem.getKey(), k -> new HashMap<>());
            ecosystem.getValue().path("modules").fields()
                    .forEachRemaining(entry -> target.put(entry.getKey(), entry.getValue().asText()));
            Set<String> builtIn = builtins.computeIfAbsent(ecosystem.getKey(), k -> new HashSet<>());
            ecosystem.getValue().path("builtins").forEach(name -> builtIn.add(name.asText()));
        });
    }

    /**
     * Adds or replaces one entry.
     *
     * @param ecosystem {@code pypi} or {@code npm}
     * @param module the imported module
     * @param packageName the package that provides it
     * @return this map
     */
    public ModulePackageMap with(String ecosystem, String module, String packageName) {
        modules.computeIfAbsent(ecosystem, k -> new HashMap<>()).put(module, packageName);
        return this;
    }

    /**
     * @param ecosystem {@code pypi} or {@code npm}
     * @param module a module name as the error printed it
     * @return the package that provides it, or null when none can (relative path, built-in module)
     */
    public String packageFor(String ecosystem, String module) {
        Map<String, String> known = modules.getOrDefault(ecosystem, Map.of());
        if ("npm".equals(ecosystem)) {
            return npmPackage(module, known);
        }
        // Python: the longest dotted prefix the map knows (google.protobuf.x -> protobuf), else the top level.
        String candidate = module;
        while (true) {
            String mapped = known.get(candidate);
            if (mapped != null) {
                return mapped;
            }
            int dot = candidate.lastIndexOf('.');
            if (dot < 0) {
                break;
            }
            candidate = candidate.substring(0, dot);
        }
        String topLevel = module.split("\\.", 2)[0];
        if (topLevel.isEmpty() || builtins.getOrDefault(ecosystem, Set.of()).contains(topLevel)) {
            return null;
        }
        return topLevel;
    }

    private String npmPackage(String module, Map<String, String> known) {
        if (module.startsWith(".") || module.startsWith("/") || module.startsWith("node:") || module.contains("\\")
                || module.startsWith("file:") || module.startsWith("data:")) {
            return null;
        }
        String[] parts = module.split("/");
        String name = module.startsWith("@") ? (parts.length >= 2 ? parts[0] + "/" + parts[1] : null) : parts[0];
        if (name == null || builtins.getOrDefault("npm", Set.of()).contains(name)) {
            return null;
        }
        return known.getOrDefault(name, name);
    }
}
