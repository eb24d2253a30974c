// `npm run docs`: writes the configuration table and the list of deviations from the Go
// indexer, generated from src/config/schema.ts, into README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReference } from '../src/config/reference.js';

const readme = new URL('../../README.md', import.meta.url);
writeFileSync(readme, withReference(readFileSync(readme, 'utf8')));
