package dev.cloudrun.server.grading;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One delivery attempt of a submission's callback, as the submission view lists it.
 *
 * @param attempt its number, from 1 (the {@code X-CloudRun-Attempt} header sent)
 * @param attemptedAtMillis when it started
 * @param statusCode the receiver's HTTP status, or null when no answer came
 * @param error why it failed, or null when the receiver answered 2xx
 * @param durationMs how long it took
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CallbackAttempt(int attempt, long attemptedAtMillis, Integer statusCode, String error, long durationMs) { }
