package dev.cloudrun.internal.packages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class MissingModulesTest {
    private final LanguageRegistry languages = LanguageRegistry.loadDefault();
    private final Language python = languages.require("python");
    private final Language node = languages.require("javascript");
    private final ModulePackageMap map = ModulePackageMap.loadDefault();

    private static String traceback(String line) {
        return "Traceback (most recent call last):\n  File \"/work/main.py\", line 1, in <module>\n    import x\n" + line + "\n";
    }

    @Test
    void pythonModuleNotFoundGivesThePackage() {
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'requests'"), map))
                .containsExactly("requests");
    }

    @Test
    void pythonModulesWhosePackageHasAnotherNameAreMapped() {
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'cv2'"), map))
                .containsExactly("opencv-python-headless");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'sklearn'"), map))
                .containsExactly("scikit-learn");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'PIL'"), map))
                .containsExactly("Pillow");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'yaml'"), map))
                .containsExactly("PyYAML");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'bs4'"), map))
                .containsExactly("beautifulsoup4");
    }

    @Test
    void pythonDottedNamesUseTheLongestKnownPrefixOrTheTopLevel() {
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'google.protobuf'"), map))
                .containsExactly("protobuf");
        assertThat(MissingModules.packages(python,
                traceback("ModuleNotFoundError: No module named 'google.protobuf.internal'"), map)).containsExactly("protobuf");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'flask.ext'"), map))
                .containsExactly("flask");
    }

    @Test
    void pythonOlderImportErrorFormsAreCaught() {
        assertThat(MissingModules.packages(python, "ImportError: No module named requests\n", map)).containsExactly("requests");
        assertThat(MissingModules.packages(python,
                "ImportError: cannot import name 'x' from 'numpy' (unknown location)\n", map)).containsExactly("numpy");
    }

    @Test
    void pythonStandardLibraryIsNeverInstalled() {
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'tkinter'"), map)).isEmpty();
    }

    @Test
    void nodeCommonJsAndEsmErrorsAreCaught() {
        String commonJs = "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\nError: Cannot find module 'chalk'\n"
                + "Require stack:\n- /work/main.js\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15) {\n"
                + "  code: 'MODULE_NOT_FOUND',\n  requireStack: [ '/work/main.js' ]\n}\n";
        String esm = "node:internal/errors:496\n    ErrorCaptureStackTrace(err);\n    ^\n\n"
                + "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /work/main.mjs\n"
                + "    at packageResolve (node:internal/modules/esm/resolve:844:9) {\n  code: 'ERR_MODULE_NOT_FOUND'\n}\n";

        assertThat(MissingModules.packages(node, commonJs, map)).containsExactly("chalk");
        assertThat(MissingModules.packages(node, esm, map)).containsExactly("left-pad");
    }

    @Test
    void nodeSubpathsAndScopesMapToThePackage() {
        assertThat(MissingModules.packages(node, "Error: Cannot find module 'lodash/fp'\n", map)).containsExactly("lodash");
        assertThat(MissingModules.packages(node, "Error: Cannot find module '@babel/core'\n", map)).containsExactly("@babel/core");
        assertThat(MissingModules.packages(node, "Error: Cannot find module '@scope/pkg/sub/path.js'\n", map))
                .containsExactly("@scope/pkg");
    }

    @Test
    void nodeRelativePathsAndBuiltInsAreNeverPackages() {
        for (String module : List.of("./util", "../lib/x", "/work/abs.js", "node:fs", "fs", "path", "node:test")) {
            assertThat(MissingModules.packages(node, "Error: Cannot find module '" + module + "'\n", map)).as(module).isEmpty();
        }
    }

    @Test
    void severalMissingModulesAreReportedOnceEachInOrder() {
        String output = "Error: Cannot find module 'a-pkg'\nError: Cannot find module 'b-pkg/x'\nError: Cannot find module 'a-pkg'\n";
        assertThat(MissingModules.packages(node, output, map)).containsExactly("a-pkg", "b-pkg");
    }

    @Test
    void applicationsCanExtendTheMap() {
        ModulePackageMap extended = ModulePackageMap.loadDefault().with("pypi", "mycompany_utils", "mycompany-utils");
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named 'mycompany_utils'"), extended))
                .containsExactly("mycompany-utils");
    }

    @Test
    void maliciousNamesAreRefused() {
        for (String name : List.of("foo; rm -rf /", "--index-url=http://evil.example/simple", "../x", "-e", "a b",
                "$(id)", "x`id`", "", "foo\nbar")) {
            assertThat(PackageNames.isValid("pypi", name)).as(name).isFalse();
            assertThat(PackageNames.isValid("npm", name)).as(name).isFalse();
        }
        assertThat(PackageNames.isValid("npm", "Uppercase")).isFalse();
        assertThat(PackageNames.isValid("npm", "@scope/../x")).isFalse();
        assertThat(PackageNames.isValid("pypi", "python-dateutil")).isTrue();
        assertThat(PackageNames.isValid("npm", "@types/node")).isTrue();
        assertThatThrownBy(() -> PackageNames.requireValid("pypi", "foo; rm -rf /", "packages[0]"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("packages[0]"));
    }

    @Test
    void errorOutputThatNamesAnInvalidPackageProducesNothing() {
        assertThat(MissingModules.packages(python, traceback("ModuleNotFoundError: No module named '--index-url=x'"), map)).isEmpty();
    }
}
