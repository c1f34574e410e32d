/**
 * README.md is the npm page, where relative links lead nowhere (docs/ is not in the
 * package): every link must be absolute, and each one into the repository must name a
 * file that exists here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REPOSITORY = 'https://github.com/gatehouse-auth/gatehouse/blob/main/';

test('every README link works from the npm page', () => {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { repository: { url: string }; homepage: string };
  assert.equal(pkg.repository.url, `git+${REPOSITORY.replace('/blob/main/', '.git')}`);
  const links = [...readFileSync(`${root}README.md`, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
  assert.ok(links.length > 10);
  for (const link of links) {
    assert.match(link, /^https:\/\//, `relative link: ${link}`);
    if (link.startsWith(REPOSITORY)) {
      const file = link.slice(REPOSITORY.length).replace(/#.*$/, '');
      assert.ok(existsSync(`${root}${file}`), `${link}: no ${file} in the repository`);
    }
  }
});
