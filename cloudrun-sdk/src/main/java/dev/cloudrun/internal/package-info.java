/**
 * CloudRun's internals. Nothing here is API: it may change in any release, so do not depend on it.
 */
package dev.cloudrun.internal;
