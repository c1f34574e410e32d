/**
 * Connection URLs in messages and logs: `redactUrl` is the one function every log line
 * and error message that shows a database or Redis URL goes through.
 */

/** Query parameters whose value is a credential (`password`, `sslpassword`, `sslkey`, `token`, …). */
const SECRET_PARAM = /pass|secret|token|key|auth|cred/i;

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Is this database setting a URL (`scheme://…`) rather than a SQLite file path? A path
 * that merely contains `://` (`/srv/odd://x.sqlite3`) is a path.
 */
export const isUrl = (database: string): boolean => SCHEME.test(database);

/** Is this database setting a PostgreSQL URL? (Here, not beside `pg`: deciding loads no driver.) */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//i.test(database);

/**
 * The URL without its credentials, for messages and logs:
 * `postgres://app:***@db:5432/app?sslmode=require&password=***`.
 *
 * The user information runs to the LAST `@`, so a password holding `@`, `/`, `?`, `#` or
 * `:` (raw or percent-encoded) is hidden whole; only the user name before the first `:` is
 * kept (`redis://:***@host` for a password-only Redis URL). Every query parameter whose
 * name (percent-decoded) looks like a credential has its value replaced. A string that is
 * not a URL (a SQLite file path) is returned as is.
 */
export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme === undefined) return url;
  let rest = url.slice(scheme.length);
  let userinfo = '';
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const colon = rest.indexOf(':');
    userinfo = colon >= 0 && colon < at ? `${rest.slice(0, colon)}:***@` : `${rest.slice(0, at)}@`;
    rest = rest.slice(at + 1);
  }
  const query = rest.indexOf('?');
  if (query >= 0) rest = `${rest.slice(0, query + 1)}${redactQuery(rest.slice(query + 1))}`;
  return `${scheme}${userinfo}${rest}`;
}

/**
 * Is there an `@` after the end of the authority (the first `/`, `?` or `#`)? That is a
 * password holding a raw `/`, `?` or `#`: a URL parser ends the host early and takes part
 * of the password for the host name, which error messages ("getaddrinfo ENOTFOUND <part of
 * the password>") would print. Such a URL is refused before any connection (an `@` in a
 * path or query value is written `%40`).
 */
export function hasUnencodedUserinfo(url: string): boolean {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme === undefined) return false;
  const rest = url.slice(scheme.length);
  const authorityEnd = rest.search(/[/?#]/);
  return authorityEnd >= 0 && rest.indexOf('@', authorityEnd) >= 0;
}

/** The message for such a URL (redacted). */
export const unencodedUserinfoMessage = (url: string): string =>
  `${redactUrl(url)}: "@", "/", "?" or "#" in the user name or password must be percent-encoded (%40, %2F, %3F, %23)`;

/** A schema name Gatehouse accepts (unquoted in `search_path`, so lower case only). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A PostgreSQL URL taken apart for `pg`. */
export interface PostgresUrl {
  /** The URL without Gatehouse's `schema` and without `options` (both are in `startup`). */
  connectionString: string;
  /** `schemaOverride`, else the URL's `?schema=`, else null. */
  schema: string | null;
  /** The URL's `?options=` joined with `-c search_path=<schema>`, or null when neither. */
  startup: string | null;
}

/**
 * How every PostgreSQL URL is read (the stores' `database`, `import-django --from`): a
 * URL with a raw `@`, `/`, `?` or `#` in its user information is refused
 * (`hasUnencodedUserinfo`); `?schema=` is Gatehouse's and must be a lower-case name; the
 * URL's `?options=` is merged with the search path (pg would let the URL's `options`
 * replace the search path otherwise). Errors name the URL redacted.
 */
export function parsePostgresUrl(url: string, schemaOverride?: string): PostgresUrl {
  if (!isPostgresUrl(url)) throw new Error(`not a PostgreSQL URL: ${redactUrl(url)}`);
  if (hasUnencodedUserinfo(url)) throw new Error(`invalid PostgreSQL URL ${unencodedUserinfoMessage(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid PostgreSQL URL: ${redactUrl(url)}`);
  }
  const urlSchema = parsed.searchParams.get('schema');
  const urlOptions = parsed.searchParams.get('options');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  const schema = schemaOverride ?? urlSchema ?? null;
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lower-case letters, digits and "_" (at most 63 characters)`);
  }
  const startup = [urlOptions, schema !== null ? `-c search_path=${schema}` : null].filter((o): o is string => !!o).join(' ');
  return { connectionString: parsed.toString(), schema, startup: startup || null };
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq >= 0 ? pair.slice(0, eq) : pair;
      return SECRET_PARAM.test(decodeLoosely(name)) ? `${name}=***` : pair;
    })
    .join('&');
}

function decodeLoosely(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
