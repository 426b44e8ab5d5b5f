package dev.cloudrun.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** One step's cgroup: limits set at creation, kernel measurements, and a way to kill all inside. */
interface Cgroup {
    /** @return the {@code cgroup.procs} files a process writes its pid to, to join */
    List<Path> procsFiles();

    /** @return CPU time used so far by all processes that were inside */
    Duration cpuTime();

    /** @return the peak memory usage, in bytes */
    long peakMemoryBytes();

    /** @return whether the kernel's OOM killer killed a process inside */
    boolean oomKilled();

    /** @return whether any process is still inside */
    boolean hasProcesses();

    /** Kills every process inside (freezing first where possible, so that none can fork meanwhile). */
    void killAll();

    /** Kills what is left and removes the cgroup. */
    void destroy();
}
