// Load limits of the extension (no vscode import, so tests can read them without the runner).

/** Above this many components a run opens terminals on demand (Show Logs, a click in the Services view). */
export const EAGER_TERMINAL_LIMIT = 20;

/**
 * Pipeline documents larger than this (characters) are validated when opened or saved, not on every
 * keystroke, and completion reads their text without a full parse: the YAML parser needs about a
 * second per MB here, which would block the extension host while typing. (Files over
 * MAX_PIPELINE_FILE_BYTES, 10 MB, are refused outright by the core.)
 */
export const LIVE_VALIDATION_MAX_CHARS = 1024 * 1024;
