/**
 * README.md is the npm page, where relative links lead nowhere. Every link is absolute,
 * and each link into the package's own documentation points at the published package
 * (`https://unpkg.com/<name>/<path>`: docs/ and examples/ are in the tarball, package.json
 * `files`), so it works from the npm page whatever the repository's address; each names a
 * file that exists here and is published. The repository's address is written in one
 * place, package.json's `repository`; `homepage` and `bugs` are derived from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  files: string[];
  repository: { url: string };
  homepage: string;
  bugs: { url: string };
};
/** Where README links to the package's own files. */
const PUBLISHED = `https://unpkg.com/${pkg.name}/`;

test('every README link works from the npm page: links into the package name published files', () => {
  const links = [...readFileSync(`${root}README.md`, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
  assert.ok(links.length > 10);
  let own = 0;
  for (const link of links) {
    assert.match(link, /^https:\/\//, `relative link: ${link}`);
    assert.ok(!link.includes('/blob/main/'), `${link}: points at a repository branch, not at the published package`);
    if (!link.startsWith(PUBLISHED)) continue;
    own++;
    const file = link.slice(PUBLISHED.length).replace(/#.*$/, '');
    assert.ok(existsSync(`${root}${file}`), `${link}: no ${file} in the repository`);
    assert.ok(pkg.files.includes(file.split('/')[0] as string), `${link}: ${file} is not published (package.json files)`);
  }
  assert.ok(own > 10, 'the guides are linked');
});

test("the repository's address is written once (package.json repository); homepage and bugs follow it", () => {
  const repository = /^git\+(https:\/\/.+)\.git$/.exec(pkg.repository.url)?.[1];
  assert.ok(repository, pkg.repository.url);
  assert.equal(pkg.homepage, `${repository}#readme`);
  assert.equal(pkg.bugs.url, `${repository}/issues`);
});
