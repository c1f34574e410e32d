/**
 * The one definition of "the same e-mail address, ignoring case" for every store:
 * JavaScript's `toLowerCase()` of the address as stored (full Unicode lower-casing,
 * locale-independent). The SQL stores write this key into the indexed `email_key`
 * column with every address they store, so a lookup never depends on a database
 * collation or on SQL `lower()`, and all three stores answer alike.
 */
export const emailKey = (email: string): string => email.toLowerCase();
