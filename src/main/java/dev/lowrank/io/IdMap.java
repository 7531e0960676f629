package dev.lowrank.io;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * External ids (any string: "42", "tt0111161", "alice@example.com") to dense indices 0, 1, 2, … in
 * order of first appearance, and back. Numeric ids are kept as the text the file had.
 */
public final class IdMap {
    private final Map<String, Integer> indices = new HashMap<>();
    private final List<String> ids = new ArrayList<>();

    /** The index of {@code id}, adding it at the end if it is new. */
    public int add(String id) {
        Objects.requireNonNull(id, "id");
        Integer known = indices.get(id);
        if (known != null) {
            return known;
        }
        int index = ids.size();
        indices.put(id, index);
        ids.add(id);
        return index;
    }

    /** The index of {@code id}, or -1 if it is unknown. */
    public int indexOf(String id) {
        Integer known = indices.get(Objects.requireNonNull(id, "id"));
        return known == null ? -1 : known;
    }

    /** The index of {@code id}; throws {@link IllegalArgumentException} naming it if it is unknown. */
    public int index(String id) {
        int index = indexOf(id);
        if (index < 0) {
            throw new IllegalArgumentException("unknown id \"" + id + "\"");
        }
        return index;
    }

    /** The external id at {@code index}. */
    public String id(int index) {
        Objects.checkIndex(index, ids.size());
        return ids.get(index);
    }

    public int size() {
        return ids.size();
    }

    /** The ids in index order (an unmodifiable copy). */
    public List<String> ids() {
        return List.copyOf(ids);
    }
}
