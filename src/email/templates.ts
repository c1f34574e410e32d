/**
 * E-mail templates: every message kind has a subject, a plain-text body and, where the
 * original sends one, an HTML alternative (`./template-texts.ts`). A project overrides
 * any of them per file in the `email.templates` directory: `<kind>.subject.txt`,
 * `<kind>.txt`, `<kind>.html` (an `.html` file also adds an alternative to a text-only
 * kind). Each file is read once, stripped of surrounding whitespace (as
 * django-templated-mail strips each block), at most 64 KiB.
 *
 * The syntax is `{{name}}` and nothing else: values are inserted as they are in the
 * subject and the text, HTML-escaped in the HTML. Each kind knows a fixed set of names
 * (`EMAIL_VARIABLES`); an unknown name, a `{{` that is not a placeholder, a Django tag
 * (`{% … %}`), an unknown file name or an empty body is refused when the templates are
 * loaded — at start-up, never while mailing. Rendering is one pass over pre-split parts.
 *
 * A subject is one line: line breaks (from a value, say a site name) become spaces, as
 * allauth does; values are HTML-escaped in HTML (docs/security.md #117). allauth's kinds
 * get its `[<site name>] ` prefix in front of the subject, also of an overridden one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_TEXTS, type EmailKind, type TemplateTexts } from './template-texts.js';

export type { EmailKind } from './template-texts.js';

export const EMAIL_KINDS = Object.keys(TEMPLATE_TEXTS) as EmailKind[];

/** What every message about an account knows. */
const ACCOUNT = ['siteName', 'domain', 'protocol', 'username', 'email'] as const;
const WITH_LINK = [...ACCOUNT, 'url'] as const;

/** The names each kind's templates may use (and its context must give). `url` is the complete link. */
export const EMAIL_VARIABLES = {
  activation: WITH_LINK,
  confirmation: ACCOUNT,
  password_reset: WITH_LINK,
  password_changed: ACCOUNT,
  username_reset: WITH_LINK,
  username_changed: ACCOUNT,
  email_confirmation: WITH_LINK,
  allauth_password_reset: WITH_LINK,
  account_exists: ACCOUNT,
  test_email: ['hostname', 'date'],
} as const satisfies Record<EmailKind, readonly string[]>;

/** allauth's kinds: the subject gets `[<siteName>] ` in front (allauth `format_email_subject`). */
const SITE_PREFIXED: ReadonlySet<EmailKind> = new Set(['email_confirmation', 'allauth_password_reset']);

export type EmailContext<K extends EmailKind> = Record<(typeof EMAIL_VARIABLES)[K][number], string>;

export interface RenderedEmail {
  subject: string;
  text: string;
  html?: string;
}

/** A template directory or file that cannot be used; thrown at load time. */
export class EmailTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmailTemplateError';
  }
}

const MAX_TEMPLATE_BYTES = 64 * 1024;
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/y;
type Part = string | { name: string };

/** Split `source` into literal text and placeholders, refusing anything else that looks like template syntax. */
function compile(source: string, where: string, allowed: readonly string[]): Part[] {
  const tag = source.indexOf('{%');
  if (tag !== -1) throw new EmailTemplateError(`${where}: template tags ({% … %}) are not supported; use {{name}} placeholders only`);
  const parts: Part[] = [];
  let at = 0;
  for (let open = source.indexOf('{{'); open !== -1; open = source.indexOf('{{', at)) {
    PLACEHOLDER.lastIndex = open;
    const match = PLACEHOLDER.exec(source);
    const line = source.slice(0, open).split('\n').length;
    if (!match) throw new EmailTemplateError(`${where}, line ${line}: "{{" must start a placeholder such as {{siteName}}`);
    const name = match[1] as string;
    if (!allowed.includes(name)) throw new EmailTemplateError(`${where}, line ${line}: unknown placeholder {{${name}}}; this message knows ${allowed.map((n) => `{{${n}}}`).join(', ')}`);
    parts.push(source.slice(at, open), { name });
    at = PLACEHOLDER.lastIndex;
  }
  parts.push(source.slice(at));
  return parts.filter((p) => p !== '');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);

function fill(parts: Part[], context: Record<string, string>, escape: (v: string) => string): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = context[part.name];
    if (typeof value !== 'string') throw new TypeError(`e-mail context: "${part.name}" must be a string`);
    out += escape(value);
  }
  return out;
}

const oneLine = (subject: string) => subject.split(/\r\n|[\r\n\u2028\u2029]/).join(' ').trim();
const asIs = (v: string) => v;

interface Compiled {
  subject: Part[];
  text: Part[];
  html?: Part[];
}

/** The templates of every kind, compiled; build with `loadEmailTemplates`. */
export class EmailTemplates {
  constructor(private readonly compiled: ReadonlyMap<EmailKind, Compiled>) {}

  render<K extends EmailKind>(kind: K, context: EmailContext<K>): RenderedEmail {
    const t = this.compiled.get(kind);
    if (!t) throw new TypeError(`unknown e-mail kind "${kind}"`);
    const values = context as Record<string, string>;
    const subject = oneLine(fill(t.subject, values, asIs));
    return {
      subject: SITE_PREFIXED.has(kind) ? `[${oneLine(values.siteName ?? '')}] ${subject}` : subject,
      text: fill(t.text, values, asIs),
      ...(t.html ? { html: fill(t.html, values, escapeHtml) } : {}),
    };
  }
}

const FILE = /^([a-z_]+)\.(subject\.txt|txt|html)$/;

/** The override files of `dir`, by kind and part; unknown template-like names are refused. */
function readOverrides(dir: string): Map<EmailKind, Partial<TemplateTexts>> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new EmailTemplateError(`email.templates: cannot read the directory ${dir}: ${(e as Error).message}`);
  }
  const overrides = new Map<EmailKind, Partial<TemplateTexts>>();
  for (const name of names.sort()) {
    if (!/\.(txt|html)$/.test(name)) continue;
    const match = FILE.exec(name);
    const kind = match?.[1] as EmailKind | undefined;
    if (!match || !kind || !(kind in TEMPLATE_TEXTS)) {
      throw new EmailTemplateError(`email.templates: ${name} is not a template name: use <kind>.subject.txt, <kind>.txt or <kind>.html with a kind of ${EMAIL_KINDS.join(', ')}`);
    }
    const path = join(dir, name);
    const size = statSync(path).size;
    if (size > MAX_TEMPLATE_BYTES) throw new EmailTemplateError(`${path}: larger than ${MAX_TEMPLATE_BYTES} bytes`);
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw new EmailTemplateError(`${path}: empty`);
    const part = match[2] === 'subject.txt' ? 'subject' : match[2] === 'txt' ? 'text' : 'html';
    overrides.set(kind, { ...overrides.get(kind), [part]: text });
  }
  return overrides;
}

/**
 * Compile the built-in templates, with the overrides of `dir` (the `email.templates`
 * setting) in their place. Throws `EmailTemplateError` for any unusable file.
 */
export function loadEmailTemplates(dir: string | null = null): EmailTemplates {
  const overrides = dir === null ? new Map<EmailKind, Partial<TemplateTexts>>() : readOverrides(dir);
  const compiled = new Map<EmailKind, Compiled>();
  for (const kind of EMAIL_KINDS) {
    const texts: TemplateTexts = { ...TEMPLATE_TEXTS[kind], ...overrides.get(kind) };
    const where = (part: string) => (overrides.get(kind)?.[part as keyof TemplateTexts] !== undefined ? join(dir as string, `${kind}.${part === 'text' ? 'txt' : part === 'subject' ? 'subject.txt' : 'html'}`) : `built-in ${kind} ${part}`);
    const allowed = EMAIL_VARIABLES[kind];
    compiled.set(kind, {
      subject: compile(texts.subject, where('subject'), allowed),
      text: compile(texts.text, where('text'), allowed),
      ...(texts.html !== undefined ? { html: compile(texts.html, where('html'), allowed) } : {}),
    });
  }
  return new EmailTemplates(compiled);
}

let builtIn: EmailTemplates | undefined;

/** Render `kind` with the built-in templates (or `templates`, as loaded from `email.templates`). */
export function renderEmail<K extends EmailKind>(kind: K, context: EmailContext<K>, templates?: EmailTemplates): RenderedEmail {
  return (templates ?? (builtIn ??= loadEmailTemplates())).render(kind, context);
}
