/**
 * Text, JSON and HTML renderings of results and evaluations.
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API.
 */
package dev.dfd.internal.report;
