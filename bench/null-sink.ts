// A minimal `_bulk` endpoint on loopback that accepts everything: it counts the action lines of
// each request and answers a correct all-success response, so that the indexer's own cost can
// be measured without a search cluster's. Run as its own process; prints its port.
import { createServer } from 'node:http';

const newline = 0x0a;

const server = createServer((request, response) => {
  let lines = 0;
  request.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(newline); at !== -1; at = chunk.indexOf(newline, at + 1)) lines += 1;
  });
  request.on('end', () => {
    // The benchmark sends only index actions: two lines a document.
    const items = new Array<string>(Math.floor(lines / 2)).fill('{"index":{"status":201}}').join(',');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`{"errors":false,"items":[${items}]}`);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
