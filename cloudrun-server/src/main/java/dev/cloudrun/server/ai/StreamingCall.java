package dev.cloudrun.server.ai;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP call to a provider read line by line, with the timeouts every call needs: the client's
 * connect timeout, a silence timeout (before the response starts and between two lines) and an
 * overall deadline. The body's lines are pushed by the HTTP client into a queue that the caller's
 * thread polls, so a hanging provider never blocks the caller past a timeout. Closing cancels the call.
 */
final class StreamingCall implements AutoCloseable {
    private static final Object END = new Object();

    private final String provider;
    private final Duration silence;
    private final Duration overall;
    private final long deadlineNanos;
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final CompletableFuture<HttpResponse<Void>> response;
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private boolean ended;

    private record Status(int code) { }

    private StreamingCall(HttpClient client, HttpRequest request, String provider, Duration silence, Duration overall) {
        this.provider = provider;
        this.silence = silence;
        this.overall = overall;
        this.deadlineNanos = System.nanoTime() + overall.toNanos();
        this.response = client.sendAsync(request, info -> {
            events.add(new Status(info.statusCode()));
            return HttpResponse.BodySubscribers.fromLineSubscriber(new Flow.Subscriber<String>() {
                @Override
                public void onSubscribe(Flow.Subscription value) {
                    subscription = value;
                    if (closed) {
                        value.cancel();
                    } else {
                        value.request(Long.MAX_VALUE);
                    }
                }

                @Override
                public void onNext(String line) {
                    events.add(line);
                }

                @Override
                public void onError(Throwable failure) {
                    events.add(failure);
                }

                @Override
                public void onComplete() {
                    events.add(END);
                }
            });
        });
        response.whenComplete((ignored, failure) -> {
            if (failure != null) {
                events.add(failure);
            }
        });
    }

    /**
     * Sends the request.
     *
     * @param client the HTTP client (it holds the connect timeout)
     * @param request the request
     * @param provider the provider's name, for messages
     * @param silence the longest wait for the response to start and between two lines
     * @param overall the longest the whole call may take
     * @return the call; read {@link #status()} first
     */
    static StreamingCall send(HttpClient client, HttpRequest request, String provider, Duration silence, Duration overall) {
        return new StreamingCall(client, request, provider, silence, overall);
    }

    /**
     * @return the HTTP status
     * @throws ProviderException when the call fails or times out first
     */
    int status() throws ProviderException {
        Object event = next();
        if (event instanceof Status status) {
            return status.code();
        }
        throw new ProviderException(provider + " closed the connection without answering");
    }

    /**
     * @return the next line of the body, or null at its end
     * @throws ProviderException on a timeout or a broken connection
     */
    String nextLine() throws ProviderException {
        if (ended) {
            return null;
        }
        Object event = next();
        if (event == END) {
            ended = true;
            return null;
        }
        if (event instanceof String line) {
            return line;
        }
        throw new ProviderException(provider + " sent an unexpected event");
    }

    /**
     * Reads the rest of the body, up to a limit.
     *
     * @param maxChars how much to keep
     * @return the text read
     * @throws ProviderException on a timeout or a broken connection
     */
    String rest(int maxChars) throws ProviderException {
        StringBuilder text = new StringBuilder();
        for (String line = nextLine(); line != null; line = nextLine()) {
            if (text.length() < maxChars) {
                text.append(line).append('\n');
            }
        }
        return text.length() <= maxChars ? text.toString() : text.substring(0, maxChars);
    }

    private Object next() throws ProviderException {
        long remaining = deadlineNanos - System.nanoTime();
        long wait = Math.min(remaining, silence.toNanos());
        Object event;
        try {
            event = wait <= 0 ? null : events.poll(wait, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderException("interrupted while waiting for " + provider);
        }
        if (event == null) {
            throw new ProviderException(remaining <= silence.toNanos()
                    ? provider + " did not finish within " + describe(overall)
                    : provider + " sent nothing for " + describe(silence));
        }
        if (event instanceof Throwable failure) {
            throw new ProviderException(describe(failure));
        }
        return event;
    }

    private String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof HttpConnectTimeoutException) {
            return "could not connect to " + provider + " in time";
        }
        if (cause instanceof HttpTimeoutException) {
            return provider + " timed out";
        }
        if (cause instanceof ConnectException) {
            return "could not connect to " + provider + " (connection refused or unreachable)";
        }
        if (cause instanceof IOException) {
            return "the connection to " + provider + " failed (" + cause.getClass().getSimpleName() + ")";
        }
        return "the call to " + provider + " failed (" + cause.getClass().getSimpleName() + ")";
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    @Override
    public void close() {
        closed = true;
        Flow.Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
        response.cancel(true);
    }
}
