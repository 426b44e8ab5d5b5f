package dev.cloudrun.cli;

import dev.cloudrun.BackendKind;
import dev.cloudrun.cli.CloudRunCli.UsageException;
import java.util.List;

/** The command-line values every command reads the same way. */
final class Arguments {
    private Arguments() { }

    /**
     * @param args the arguments
     * @param index where the option's value should be
     * @param option the option, for the error
     * @return the value
     * @throws UsageException if the option is the last argument
     */
    static String value(List<String> args, int index, String option) {
        if (index >= args.size()) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(index);
    }

    /**
     * @param name {@code auto}, {@code local} or {@code docker}
     * @return the backend kind
     * @throws UsageException for another name
     */
    static BackendKind backend(String name) {
        return switch (name) {
            case "auto" -> BackendKind.AUTO;
            case "local" -> BackendKind.LOCAL;
            case "docker" -> BackendKind.DOCKER;
            default -> throw new UsageException("--backend must be auto, local or docker, not '" + name + "'");
        };
    }
}
