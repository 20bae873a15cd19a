/**
 * Model directories, configs and the ONNX Runtime classifier session.
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API.
 */
package dev.dfd.internal.model;
