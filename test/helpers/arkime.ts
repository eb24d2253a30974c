// The Arkime fixture readers moved to stack/arkime.ts (bench/ and demo/ use them too); this path
// stays for the unit tests of other folders that still import it. Remove once none does.
export * from '../../stack/arkime.js';
