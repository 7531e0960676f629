package dev.lowrank.model;

import dev.lowrank.io.IdMap;
import dev.lowrank.matrix.CsrMatrix;
import java.lang.foreign.Arena;

/**
 * A model read by {@link ModelFile#load}: the factor model, its id maps and, when the file has one, the
 * pattern of the training interactions ({@link #seen()}).
 *
 * <p>The model's U, V and biases wrap a private (copy-on-write) mapping of the file without copying:
 * training or fold-in may write to them, which changes this process's pages only, never the file.
 * {@link #close()} closes the model and the seen matrix and unmaps the file; afterwards every use of the
 * model or its matrices throws {@link IllegalStateException}. Do not close the model alone and keep
 * using this object: close this object instead (closing it twice is harmless).
 */
public final class SavedModel implements AutoCloseable {

    private final FactorModel model;
    private final IdMap users;
    private final IdMap items;
    private final CsrMatrix seen;
    private final Arena mapping;
    private boolean closed;

    SavedModel(FactorModel model, IdMap users, IdMap items, CsrMatrix seen, Arena mapping) {
        this.model = model;
        this.users = users;
        this.items = items;
        this.seen = seen;
        this.mapping = mapping;
    }

    /** The model; its matrices live in the mapping, so it must not be used after {@link #close()}. */
    public FactorModel model() {
        checkOpen();
        return model;
    }

    /** External user ids by index ("0".."users−1" when the model was saved without ids). */
    public IdMap users() {
        checkOpen();
        return users;
    }

    /** External item ids by index ("0".."items−1" when the model was saved without ids). */
    public IdMap items() {
        checkOpen();
        return items;
    }

    /**
     * The training interactions' pattern (users × items, every stored value 1), or null when the file
     * has no seen section. Owned by this object: do not close it.
     */
    public CsrMatrix seen() {
        checkOpen();
        return seen;
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the saved model is closed");
        }
    }

    /** Closes the model and the seen matrix, then unmaps the file. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            model.close();
            if (seen != null) {
                seen.close();
            }
        } finally {
            mapping.close();
        }
    }

    @Override
    public String toString() {
        return closed ? "SavedModel[closed]" : "SavedModel[" + model + (seen != null ? ", seen nnz " + seen.nnz() + "]" : "]");
    }
}
