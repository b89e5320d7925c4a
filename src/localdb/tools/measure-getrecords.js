'use strict'
// Measures how many records/s GetRecords serves: generates N records over S shards, then drains every shard
// through the Streams API over HTTP with one sequential reader per shard.
// usage: node tools/measure-getrecords.js <port> [records=100000] [shards=8] [payloadBytes=100]
const http = require('http')
const [ port, total = 100000, shardCount = 8, payloadBytes = 100 ] = process.argv.slice(2).map(Number)
const agent = new http.Agent({ keepAlive: true })

function post (path, headers, body) {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body)
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(text),
        'Authorization': 'AWS4-HMAC-SHA256 Credential=x', ...headers } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const out = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        if (res.statusCode !== 200) reject(new Error(JSON.stringify(out)))
        else resolve(out)
      })
    })
    req.on('error', reject)
    req.end(text)
  })
}
const ddb = (op, body) => post('/', { 'X-Amz-Target': 'DynamoDB_20120810.' + op }, body)
const str = (op, body) => post('/', { 'X-Amz-Target': 'DynamoDBStreams_20120810.' + op }, body)

async function main () {
  const table = 'measure-' + Date.now()
  const created = await ddb('CreateTable', { TableName: table, BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [ { AttributeName: 'pk', KeyType: 'HASH' } ],
    AttributeDefinitions: [ { AttributeName: 'pk', AttributeType: 'S' } ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } })
  const arn = created.TableDescription.LatestStreamArn
  await post('/_local/split', {}, { table, shards: shardCount })
  let t0 = Date.now()
  await post('/_local/generate', {}, { table, count: total, payloadBytes })
  console.log(`generate: ${total} records in ${Date.now() - t0} ms`)
  const shards = []
  let start
  do {
    const d = (await str('DescribeStream', { StreamArn: arn, ExclusiveStartShardId: start })).StreamDescription
    shards.push(...d.Shards.filter((s) => !s.SequenceNumberRange.EndingSequenceNumber))
    start = d.LastEvaluatedShardId
  } while (start)
  t0 = Date.now()
  let read = 0
  let calls = 0
  await Promise.all(shards.map(async (s) => {
    let it = (await str('GetShardIterator', { StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator
    for (;;) {
      const r = await str('GetRecords', { ShardIterator: it, Limit: 1000 })
      calls++
      read += r.Records.length
      if (!r.Records.length || !r.NextShardIterator) break
      it = r.NextShardIterator
    }
  }))
  const ms = Date.now() - t0
  console.log(`GetRecords: ${read} records from ${shards.length} shards in ${ms} ms, ${calls} calls: ` +
    `${Math.round(read / ms * 1000)} records/s (client-side JSON parsing included)`)
}
main().catch((e) => { console.error(e); process.exit(1) })
