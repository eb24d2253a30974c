// The stack moved to stack/ at the top level; this path stays for the unit tests of other folders
// that still import it. Import from ../../stack/ports.js instead; remove once none does.
export * from '../../stack/ports.js';
