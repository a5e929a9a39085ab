// Load limits of the extension (no vscode import, so tests can read them without the runner).

/** Above this many components a run opens terminals on demand (Show Logs, a click in the Services view). */
export const EAGER_TERMINAL_LIMIT = 20;
