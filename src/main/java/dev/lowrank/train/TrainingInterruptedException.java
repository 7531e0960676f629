package dev.lowrank.train;

import java.util.concurrent.CancellationException;

/**
 * The thread running a fit was interrupted. The fit stopped at the first epoch (iteration) boundary after
 * the interrupt: the model holds the factors of the last completed epoch, the fit's workspaces are freed,
 * and the thread's interrupt flag is still set so that callers further up see it too.
 */
public final class TrainingInterruptedException extends CancellationException {

    private static final long serialVersionUID = 1L;

    private final int completedEpochs;

    TrainingInterruptedException(int completedEpochs) {
        super("training was interrupted after " + completedEpochs + " completed epoch(s); the model keeps the"
                + " factors of epoch " + completedEpochs + " and the thread's interrupt flag is left set");
        this.completedEpochs = completedEpochs;
    }

    /** How many epochs finished before the fit stopped (0 if the thread was interrupted before the first). */
    public int completedEpochs() {
        return completedEpochs;
    }
}
