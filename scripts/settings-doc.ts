/**
 * Writes the settings reference (src/core/settings.ts `SETTINGS_DOC`) into
 * docs/settings.md and between the markers in README.md. `npm run docs`.
 * A test fails when either file is not what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readmeWithSettings, settingsMarkdown } from './settings-doc-render.js';

const root = new URL('../', import.meta.url);
writeFileSync(new URL('docs/settings.md', root), settingsMarkdown());
writeFileSync(new URL('README.md', root), readmeWithSettings(readFileSync(new URL('README.md', root), 'utf8')));
console.log('docs/settings.md and README.md settings table written');
