/**
 * Renders the settings reference (src/core/settings.ts `SETTINGS_DOC`) for docs/settings.md
 * and between the markers in README.md. `scripts/settings-doc.ts` writes them
 * (`npm run docs`); test/core/settings.test.ts renders them in memory and fails when a
 * file differs.
 */
import { SETTINGS_DOC } from '../src/core/settings.js';

/** The settings table, one row per `SETTINGS_DOC` entry. */
export const settingsTable = (): string =>
  [
    '| option | type | default | what it does | DRF / knox / simplejwt equivalent |',
    '|---|---|---|---|---|',
    ...SETTINGS_DOC.map((d) => `| \`${d.key}\` | ${d.type} | ${d.default} | ${d.doc} | ${d.equivalent} |`),
  ].join('\n');

/** docs/settings.md, whole. */
export const settingsMarkdown = (): string => `# Settings reference

Generated from \`src/core/settings.ts\` by \`npm run docs\`; do not edit by hand.

Settings come from, later ones winning: the defaults below → \`gatehouse.config.json\` in the
working directory (or the file named by \`--config FILE\` / \`GATEHOUSE_CONFIG\`) → environment
variables → command-line flags. Any option can be set from the environment as
\`GATEHOUSE_<NAME>\`, upper-case with \`_\` between words and \`__\` between levels:
\`GATEHOUSE_SECRET_KEY\`, \`GATEHOUSE_DATABASE\`, \`GATEHOUSE_TOKENS__TTL=1d\`,
\`GATEHOUSE_TOKENS__TOKEN_LIMIT_PER_USER=5\`. Values that parse as JSON are JSON (numbers,
booleans, \`null\`); string options always keep the raw text. An unknown \`GATEHOUSE_*\` variable is refused
(a typo must not pass silently), except the test suite's own: \`GATEHOUSE_TEST_*\`,
\`GATEHOUSE_REQUIRE_*\` and \`GATEHOUSE_ORACLE_*\`.

Durations are a number of seconds or a string of number+unit parts: \`"30s"\`, \`"5m"\`,
\`"1h30m"\`, \`"1d"\`, \`"2w"\` (\`ms\` also works). Every lifetime, TTL and timeout must be
longer than 0 (\`tokens.ttl\`, \`jwt.accessTokenLifetime\`, \`http.requestTimeout\`, …: a 0 would
mean "already expired" or, for a timeout, "never"); only \`tokens.minRefreshInterval\`,
\`jwt.jwkCooldown\`, \`jwt.leeway\` and \`jwt.reuseGrace\` may be 0. Every value is validated at
start; each bad value is reported on its own line, with the environment variable it came from
and, for an unknown option, the nearest known one ("did you mean …?"), and the process exits
with status 1.

${settingsTable()}

Example \`gatehouse.config.json\`:

\`\`\`json
{
  "database": "/var/lib/gatehouse/gatehouse.sqlite3",
  "port": 8000,
  "tokens": { "ttl": "10h", "autoRefresh": true, "maxLifetime": "30d", "tokenLimitPerUser": 10 },
  "passwords": { "algorithm": "argon2id" }
}
\`\`\`
`;

const BEGIN = '<!-- settings:begin -->';
const END = '<!-- settings:end -->';

/** README.md with the settings table between its markers replaced by the current one. */
export function readmeWithSettings(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error('README.md lacks the settings markers');
  return `${readme.slice(0, a + BEGIN.length)}\n${settingsTable()}\n${readme.slice(b)}`;
}
