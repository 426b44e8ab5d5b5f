package dev.cloudrun;

/** Which stream a chunk of output came from. */
public enum StreamKind {
    /** The program's standard output. */
    STDOUT,
    /** The program's standard error. */
    STDERR,
    /** The compiler's output (standard output and error together) during {@link Phase#COMPILING}. */
    COMPILER,
    /** A package installer's output during {@link Phase#INSTALLING}. */
    INSTALL
}
