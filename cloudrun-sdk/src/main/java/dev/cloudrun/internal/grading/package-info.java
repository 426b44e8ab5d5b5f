/**
 * The grader's internals: built-in checkers, the verdict rules, checker programs, suite folders and
 * the grading of one submission. Nothing here is API: it may change in any release, so do not
 * depend on it; use {@link dev.cloudrun.Grader}.
 */
package dev.cloudrun.internal.grading;
