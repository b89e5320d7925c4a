'use strict';
// Serves the Powertools handler of partial-batch.js over HTTP, as dynamo-stream's HTTP destination calls it:
// POST / with the {"Records": [...]} event answers 200 with the handler's result as JSON, or 500 when it throws
// (a function error). GET /processed lists the sequence numbers processed so far. Usage: node partial-batch-server.js
// <port>; listens on 127.0.0.1 and prints "listening" when ready.
const http = require('http');
const batch = require('./partial-batch');

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.method === 'GET' && req.url === '/processed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(batch.processed()));
      return;
    }
    try {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const result = await batch.handler(event, { functionName: 'partial-batch', awsRequestId: 'local' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(result === undefined ? '' : JSON.stringify(result));
    } catch (e) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
