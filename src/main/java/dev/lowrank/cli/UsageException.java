package dev.lowrank.cli;

/** Wrong arguments: {@link Main} prints the message and the command's usage to stderr and exits with 2. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The command whose usage to print, or null for the general usage. */
    private final String command;

    UsageException(String command, String message) {
        super(message);
        this.command = command;
    }

    String command() {
        return command;
    }
}
