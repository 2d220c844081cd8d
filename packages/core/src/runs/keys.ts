/** The longest metric, param or tag name a run may use. */
export const MAX_KEY_LENGTH = 256;

/**
 * A newline or tab in a metric, param or tag name would break every table and log line that
 * shows it: the run protocol, the CLI and the API refuse such names alike.
 */
export const hasControlCharacters = (s: string): boolean => /[\x00-\x1f\x7f]/.test(s);
