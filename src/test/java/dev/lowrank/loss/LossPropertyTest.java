package dev.lowrank.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every loss, on both providers, dense and CSR input, biases on and off: the value equals the naive
 * double loop over all m·n entries (so L4 through the Gramians equals the brute-force sum), and the
 * fused gradients equal central differences of that reference.
 */
class LossPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("loss-value-and-gradient", 160);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void valueAndGradientsMatchReference(Case c) {
        for (Backend backend : Backend.values()) {
            try (Gen g = c.gen()) {
                check(g, backend);
            }
        }
    }

    private static void check(Gen g, Backend backend) {
        int m = g.dim(1, 13);
        int n = g.dim(1, 11);
        int k = g.dim(1, 9);
        NaiveLoss.Kind kind = NaiveLoss.Kind.values()[g.nextInt(4)];
        boolean biases = g.nextBoolean();
        boolean dense = g.nextBoolean();
        double lambda1 = kind == NaiveLoss.Kind.SIGNED ? 1 : 0.5 + g.random().nextDouble();
        double lambda2 = kind == NaiveLoss.Kind.SQUARED && g.nextBoolean() ? 0.05 + g.random().nextDouble() : 0;
        double regF = g.nextBoolean() ? 0.1 * g.random().nextDouble() : 0;
        double regB = g.nextBoolean() ? 0.1 * g.random().nextDouble() : 0;
        double scale = kind == NaiveLoss.Kind.POISSON || kind == NaiveLoss.Kind.LOGISTIC ? 0.3 : 0.6;
        double density = g.random().nextDouble();
        double[][] a = new double[m][n];
        boolean[][] obs = new boolean[m][n];
        boolean explicitZeros = false;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                obs[i][j] = g.random().nextDouble() < density;
                if (obs[i][j]) {
                    a[i][j] = switch (kind) {
                        case SQUARED -> (float) g.random().nextGaussian();
                        case SIGNED -> 1 + g.nextInt(5);
                        case LOGISTIC -> g.nextInt(2);
                        case POISSON -> g.nextInt(4);
                    };
                    explicitZeros |= a[i][j] == 0;
                }
            }
        }
        String desc = g.describe() + " " + backend + " " + kind + " " + m + "x" + n + " k=" + k + " biases=" + biases
                + " dense=" + dense + " l1=" + lambda1 + " l2=" + lambda2 + " reg=" + regF + "/" + regB;
        NaiveLoss ref = new NaiveLoss(kind, a, obs, k, biases, lambda1, lambda2, regF, regB);
        double[] p = new double[ref.size()];
        for (int t = 0; t < p.length; t++) {
            p[t] = (float) (scale * g.random().nextGaussian());
        }
        Kernels kernels = Kernels.of(backend, Parallel.sequential());
        try (Data data = observations(a, obs, dense, explicitZeros);
             FactorModel model = model(p, m, n, k, biases, kernels);
             Loss loss = make(kind, data.obs(), (float) lambda1, (float) lambda2, new Regularization((float) regF, (float) regB), kernels);
             Gradients grads = Gradients.like(model)) {
            double[] abs = new double[1];
            double expected = ref.value(p, abs);
            double got = loss.evaluate(model, grads);
            double tol = 1e-5 * (abs[0] + 1) * (k + 2);
            if (!(Math.abs(got - expected) <= tol)) {
                fail(desc + ": loss " + got + " but the reference is " + expected + " (tolerance " + tol + ")");
            }
            double valueOnly = loss.value(model);
            assertTrue(valueOnly == got, desc + ": value() " + valueOnly + " differs from evaluate() " + got);
            // A loss whose first call asks for the value alone (its residual matrices are made later).
            try (Loss fresh = make(kind, data.obs(), (float) lambda1, (float) lambda2,
                    new Regularization((float) regF, (float) regB), kernels);
                 Gradients again = Gradients.like(model)) {
                double first = fresh.value(model);
                assertTrue(first == got, desc + ": a fresh loss's value() " + first + " differs from evaluate() " + got);
                double later = fresh.evaluate(model, again);
                assertTrue(later == got, desc + ": evaluate() after value() gives " + later + ", not " + got);
            }
            double[] fd = ref.numericGradient(p, 1e-4);
            double[] ours = flatten(grads, m, n, k, biases);
            double big = 1;
            for (double x : fd) {
                big = Math.max(big, Math.abs(x));
            }
            for (int t = 0; t < fd.length; t++) {
                double gtol = 2e-4 * big * (k + 2) + 1e-3 * Math.abs(fd[t]);
                if (!(Math.abs(ours[t] - fd[t]) <= gtol)) {
                    fail(desc + ": gradient " + name(t, m, n, k) + " is " + ours[t] + " but central differences give "
                            + fd[t] + " (tolerance " + gtol + ")");
                }
            }
        }
    }

    static Loss make(NaiveLoss.Kind kind, Observations data, float lambda1, float lambda2, Regularization reg,
                     Kernels kernels) {
        return switch (kind) {
            case SQUARED -> SquaredLoss.l4(data, lambda1, lambda2, reg, kernels);
            case SIGNED -> SignedLoss.create(data, reg, kernels);
            case LOGISTIC -> LogisticLoss.create(data, lambda1, reg, kernels);
            case POISSON -> PoissonLoss.create(data, lambda1, reg, kernels);
        };
    }

    static Data observations(double[][] a, boolean[][] obs, boolean dense, boolean explicitZeros) {
        int m = a.length;
        int n = a[0].length;
        if (dense) {
            float[] flat = new float[m * n];
            float[] mask = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    flat[i * n + j] = obs[i][j] ? (float) a[i][j] : 0f;
                    mask[i * n + j] = obs[i][j] ? 1f : 0f;
                }
            }
            try (DenseMatrix d = DenseMatrix.of(m, n, flat); DenseMatrix mk = DenseMatrix.of(m, n, mask)) {
                // Without explicit zeros the A != 0 rule gives the same Ω as the mask: use it then.
                return new Data(explicitZeros ? Observations.masked(d, mk) : Observations.nonZero(d), null);
            }
        }
        List<int[]> pos = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (obs[i][j]) {
                    pos.add(new int[] {i, j});
                }
            }
        }
        int[] r = new int[pos.size()];
        int[] c = new int[pos.size()];
        float[] v = new float[pos.size()];
        for (int t = 0; t < r.length; t++) {
            r[t] = pos.get(t)[0];
            c[t] = pos.get(t)[1];
            v[t] = (float) a[r[t]][c[t]];
        }
        CsrMatrix csr = CsrMatrix.fromCoo(m, n, r, c, v, DuplicatePolicy.ERROR);
        return new Data(Observations.of(csr), csr);
    }

    /** Observations plus, for CSR input, the A they borrow; closing closes both, in that order. */
    record Data(Observations obs, CsrMatrix borrowed) implements AutoCloseable {
        @Override
        public void close() {
            obs.close();
            if (borrowed != null) {
                borrowed.close();
            }
        }
    }

    static FactorModel model(double[] p, int m, int n, int k, boolean biases, Kernels kernels) {
        float[] u = new float[m * k];
        float[] v = new float[n * k];
        for (int t = 0; t < m * k; t++) {
            u[t] = (float) p[t];
        }
        for (int t = 0; t < n * k; t++) {
            v[t] = (float) p[m * k + t];
        }
        try (DenseMatrix um = DenseMatrix.of(m, k, u); DenseMatrix vm = DenseMatrix.of(n, k, v)) {
            FactorModel model = FactorModel.of(um, vm, biases, kernels);
            if (biases) {
                int off = (m + n) * k;
                model.setGlobalBias((float) p[off]);
                for (int i = 0; i < m; i++) {
                    model.userBiases().set(0, i, (float) p[off + 1 + i]);
                }
                for (int j = 0; j < n; j++) {
                    model.itemBiases().set(0, j, (float) p[off + 1 + m + j]);
                }
            }
            return model;
        }
    }

    static double[] flatten(Gradients g, int m, int n, int k, boolean biases) {
        double[] out = new double[(m + n) * k + (biases ? 1 + m + n : 0)];
        int t = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                out[t++] = g.userFactors().get(i, j);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                out[t++] = g.itemFactors().get(i, j);
            }
        }
        if (biases) {
            out[t++] = g.globalBias().get(0, 0);
            for (int i = 0; i < m; i++) {
                out[t++] = g.userBiases().get(0, i);
            }
            for (int j = 0; j < n; j++) {
                out[t++] = g.itemBiases().get(0, j);
            }
        }
        return out;
    }

    private static String name(int t, int m, int n, int k) {
        if (t < m * k) {
            return "dU(" + t / k + "," + t % k + ")";
        }
        t -= m * k;
        if (t < n * k) {
            return "dV(" + t / k + "," + t % k + ")";
        }
        t -= n * k;
        return t == 0 ? "dmu" : t <= m ? "db(" + (t - 1) + ")" : "dc(" + (t - 1 - m) + ")";
    }
}
