package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Gradient buffers shaped like a {@link FactorModel}'s parameters (same order as
 * {@link FactorModel#parameters()}): ∇U, ∇V and, with biases, ∇μ (1×1), ∇b (1×users), ∇c (1×items).
 * Allocate once per fit with {@link #like(FactorModel)}; every {@link Loss#evaluate} overwrites them.
 */
public final class Gradients implements AutoCloseable {

    private final List<DenseMatrix> parts;
    private final boolean biases;

    private Gradients(List<DenseMatrix> parts, boolean biases) {
        this.parts = Collections.unmodifiableList(parts);
        this.biases = biases;
    }

    /** Zero buffers with the shapes of {@code model}'s parameters. */
    public static Gradients like(FactorModel model) {
        Objects.requireNonNull(model, "model");
        List<DenseMatrix> parts = new ArrayList<>();
        try {
            for (DenseMatrix p : model.parameters()) {
                parts.add(DenseMatrix.zeros(p.rows(), p.cols()));
            }
        } catch (RuntimeException | Error e) {
            parts.forEach(DenseMatrix::close);
            throw e;
        }
        return new Gradients(parts, model.hasBiases());
    }

    /** ∇U. */
    public DenseMatrix userFactors() {
        return parts.get(0);
    }

    /** ∇V. */
    public DenseMatrix itemFactors() {
        return parts.get(1);
    }

    public boolean hasBiases() {
        return biases;
    }

    /** ∇μ (1×1), or null without biases. */
    public DenseMatrix globalBias() {
        return biases ? parts.get(2) : null;
    }

    /** ∇b (1×users), or null without biases. */
    public DenseMatrix userBiases() {
        return biases ? parts.get(3) : null;
    }

    /** ∇c (1×items), or null without biases. */
    public DenseMatrix itemBiases() {
        return biases ? parts.get(4) : null;
    }

    /** All buffers, in {@link FactorModel#parameters()} order. */
    public List<DenseMatrix> parts() {
        return parts;
    }

    /** Σ g² over every buffer, float row dots added in double in a fixed order. */
    public double normSquared(Kernels kernels) {
        double sum = 0;
        for (DenseMatrix g : parts) {
            sum += kernels.dot(g, g);
        }
        return sum;
    }

    /** Throws {@link IllegalArgumentException} unless these buffers have {@code model}'s shapes. */
    public void requireMatches(FactorModel model) {
        List<DenseMatrix> ps = model.parameters();
        if (ps.size() != parts.size()) {
            throw new IllegalArgumentException("the gradients were made for a model " + (biases ? "with" : "without")
                    + " biases but the model " + (model.hasBiases() ? "has" : "has no") + " biases");
        }
        String[] names = {"U", "V", "global bias", "user biases", "item biases"};
        for (int t = 0; t < ps.size(); t++) {
            DenseMatrix p = ps.get(t);
            DenseMatrix g = parts.get(t);
            if (p.rows() != g.rows() || p.cols() != g.cols()) {
                throw new IllegalArgumentException("the model's " + names[t] + " is " + p.shape()
                        + " but its gradient buffer is " + g.shape());
            }
        }
    }

    @Override
    public void close() {
        parts.forEach(DenseMatrix::close);
    }
}
