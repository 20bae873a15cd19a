/**
 * Internal to dfd: the stages behind {@link dev.dfd.Detector} ({@code io} decoding, {@code face} detection and
 * cropping, {@code preprocess}, {@code model}, {@code postprocess}, {@code report}) and shared helpers. Public only
 * for dfd's own modules; not an API, and it may change without notice.
 */
package dev.dfd.internal;
