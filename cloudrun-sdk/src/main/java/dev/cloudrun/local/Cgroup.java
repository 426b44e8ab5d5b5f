package dev.cloudrun.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One step's or one workspace's cgroup: limits set at creation, kernel measurements, and a way to
 * kill all inside. A workspace's cgroup holds its steps' and terminals' cgroups below it, so its
 * limits hold for all of them together; killing or destroying it covers those too.
 */
interface Cgroup {
    /** @return the {@code cgroup.procs} files a process writes its pid to, to join */
    List<Path> procsFiles();

    /** @return CPU time used so far by all processes that were inside */
    Duration cpuTime();

    /** @return the peak memory usage, in bytes */
    long peakMemoryBytes();

    /** @return the memory its processes use now (page cache and tmpfs pages included), in bytes */
    long currentMemoryBytes();

    /** @return whether the kernel's OOM killer killed a process inside */
    boolean oomKilled();

    /** @return how many processes and threads are inside, and in the cgroups below, now */
    long processCount();

    /** @return whether any process is still inside (or in a cgroup below) */
    boolean hasProcesses();

    /** Kills every process inside (freezing first where possible, so that none can fork meanwhile). */
    void killAll();

    /** Kills what is left and removes the cgroup. */
    void destroy();
}
