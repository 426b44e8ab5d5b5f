package dev.cloudrun;

/**
 * A runner's queue already holds as many waiting runs as it may ({@code CodeRunner.Config#maxQueuedRuns}),
 * so the run was not accepted. Nothing was started and no listener was called: try again later, or
 * answer the caller that the service is busy (HTTP 503).
 */
public class QueueFullException extends CloudRunException {
    private static final long serialVersionUID = 1L;

    /** How many runs the queue holds at most. */
    private final int capacity;

    /**
     * Creates the exception.
     *
     * @param capacity how many runs the queue holds at most
     */
    public QueueFullException(int capacity) {
        super("the run queue is full (" + capacity + " runs are waiting); try again later");
        this.capacity = capacity;
    }

    /** @return how many runs the queue holds at most */
    public int capacity() {
        return capacity;
    }
}
