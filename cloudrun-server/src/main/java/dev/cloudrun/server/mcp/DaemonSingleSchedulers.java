package dev.cloudrun.server.mcp;

import java.util.concurrent.ThreadFactory;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Makes Reactor's {@code Schedulers.newSingle} threads daemons. The MCP SDK's streamable HTTP
 * transport (2.1.0) sweeps idle MCP sessions on a {@code newSingle} scheduler, which is not a
 * daemon and which the transport's {@code closeGracefully} never disposes (it disposes only the
 * subscription): without this, every stopped server leaves a thread that keeps the JVM alive (a
 * benchmark's {@code main} returned and the JVM stayed). The sweeper itself is wanted: it bounds
 * the transport's session map by closing sessions idle for a sweep interval. Reactor's factory is
 * global, so this changes every {@code newSingle} scheduler of the JVM; they all stay single
 * threads, only as daemons.
 */
final class DaemonSingleSchedulers {
    private static boolean installed;

    private DaemonSingleSchedulers() { }

    /** Installs the factory once. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        Schedulers.setFactory(new Schedulers.Factory() {
            @Override
            public Scheduler newSingle(ThreadFactory threadFactory) {
                return Schedulers.Factory.super.newSingle(runnable -> {
                    Thread thread = threadFactory.newThread(runnable);
                    thread.setDaemon(true);
                    return thread;
                });
            }
        });
    }
}
