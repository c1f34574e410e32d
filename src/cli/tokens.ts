/**
 * `gatehouse tokens revoke <id-or-prefix>`: a token named by its id, or by the prefix
 * `tokens list` prints (`3fa2b1c0…`; the first 8 characters of the key, which are not
 * secret). A trailing `…` or `...` marks a prefix; eight digits without it are an id when
 * such a token exists, else a prefix — and refused when they name one token as an id and
 * another as a prefix. A prefix shared by several tokens is refused too: revoke by id.
 */
import { PREFIX_LENGTH } from '../tokens/keys.js';
import type { Gatehouse } from '../server/app.js';
import type { TokenRecord } from '../stores/types.js';
import { CliError } from './errors.js';

const PREFIX = new RegExp(`^[0-9A-Za-z]{${PREFIX_LENGTH}}$`);

/** The token `which` names; throws `CliError` when none or several match. */
async function findToken(app: Gatehouse, which: string): Promise<TokenRecord> {
  const marked = /(…|\.\.\.)$/.test(which);
  const text = which.replace(/(…|\.\.\.)$/, '');
  const asId = !marked && /^\d{1,15}$/.test(text) ? await app.stores.tokens.get(Number(text)) : null;
  const byPrefix = PREFIX.test(text) && (marked || asId === null || /[^0-9]/.test(text)) ? (await app.stores.tokens.findByPrefix(text)).map((t) => t.token) : [];
  if (asId && PREFIX.test(text)) {
    const other = (await app.stores.tokens.findByPrefix(text)).filter((t) => t.token.id !== asId.id);
    if (other.length > 0) throw new CliError(`"${which}" is token ${asId.id}'s id and the prefix of token ${other.map((t) => t.token.id).join(', ')}: pass "${text}…" for the prefix, or the other id`);
  }
  if (asId) return asId;
  if (byPrefix.length === 1) return byPrefix[0] as TokenRecord;
  if (byPrefix.length > 1) throw new CliError(`the prefix ${text}… is shared by tokens ${byPrefix.map((t) => t.id).join(', ')}: revoke by id`);
  if (!PREFIX.test(text) && !/^\d{1,15}$/.test(text)) {
    throw new CliError(`"${which}" is neither a token id nor a token prefix (${PREFIX_LENGTH} characters, as \`gatehouse tokens list USER\` shows them)`, 2);
  }
  throw new CliError(`no token ${PREFIX.test(text) && (marked || /[^0-9]/.test(text)) ? `with prefix ${text}…` : which}`);
}

/** Revoke the token `which` names; returns the line to print. */
export async function revokeToken(app: Gatehouse, which: string): Promise<string> {
  const token = await findToken(app, which);
  const user = await app.stores.users.getById(token.userId);
  if (!(await app.tokens.revoke(token.id))) throw new CliError(`token ${token.id} does not exist (revoked meanwhile?)`);
  return `Revoked token ${token.id} (${token.prefix}…) of user ${user?.username ?? `id ${token.userId}`}.\n`;
}
