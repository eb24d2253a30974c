export { IndexerProcess } from '../../stack/indexer-process.js';
