/**
 * Evaluation over labelled image sets: {@link dev.dfd.eval.Evaluation} streams a {@link dev.dfd.eval.Dataset}
 * through a detector; {@link dev.dfd.eval.EvalMetrics}, {@link dev.dfd.eval.BinaryMetrics} and
 * {@link dev.dfd.eval.ClassificationReport} follow scikit-learn's definitions; {@link dev.dfd.eval.Bootstrap} and
 * {@link dev.dfd.eval.Protocol} give the intervals and tables of the generalisation protocol.
 */
package dev.dfd.eval;
