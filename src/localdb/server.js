'use strict'
// Local DynamoDB + DynamoDB Streams server for dynamo-stream's tests, dev mode and benchmark.
//
// An in-process dynalite (in-memory) is the table engine; this thin front proxies the DynamoDB API to it, keeps
// stream metadata itself, captures item images around every write and serves the DynamoDB Streams API plus a
// few test hooks under /_local. See README.md.

const http = require('http')
const crypto = require('crypto')
const dynalite = require('dynalite')

const REGION = 'us-east-1'
const ACCOUNT = '000000000000'
const ERR_PREFIX = 'com.amazonaws.dynamodb.v20120810#'
const MAX_RESPONSE_BYTES = 1024 * 1024
const DEFAULT_ITERATOR_EXPIRY_MS = 15 * 60 * 1000
// DynamoDB deletes expired items within days; locally within seconds
const DEFAULT_TTL_SWEEP_MS = 1000
// DynamoDB ignores TTL values more than five years in the past (they are taken for something else than a deadline)
const TTL_MAX_PAST_SECONDS = 5 * 365 * 24 * 3600
// who a TTL delete is attributed to in its stream record, as the Streams API writes it (GetRecords: PrincipalId, Type;
// Lambda's event spells the same fields principalId and type)
const TTL_IDENTITY = { PrincipalId: 'dynamodb.amazonaws.com', Type: 'Service' }

// ---------------------------------------------------------------------------------------------------------------
// state

const tables = new Map() // name -> { name, keyNames: [hash, range?], keySchema, attrTypes, stream (current or null), queue }
const streams = [] // every stream ever created, in creation order
const streamsByArn = new Map()
let nextSeq = 10n ** 20n + 100n // decimal strings of >= 21 digits
let shardCounter = BigInt(Date.now()) * 1000n
let recordClockOffset = 0 // seconds added to ApproximateCreationDateTime (hook /_local/record-clock)
let lastLabelMs = 0
let iteratorExpiryMs = DEFAULT_ITERATOR_EXPIRY_MS
let faults = [] // { operation, error, count }
let ttlSweepMs = DEFAULT_TTL_SWEEP_MS // how often expired items are deleted (--ttl-sweep-ms, hook /_local/ttl-sweep)
let ttlTimer = null
let sweeping = null // the sweep in progress (a Promise), so two never overlap
let counts = freshCounts()
let generated = 0

function freshCounts () {
  // Connections: TCP connections accepted on the public port (HTTP keep-alive reuses one for many calls)
  return { GetRecords: {}, GetShardIterator: {}, DescribeStream: 0, ListStreams: 0, Connections: 0 }
}

// ---------------------------------------------------------------------------------------------------------------
// errors

class ApiError extends Error {
  constructor (type, message, status = 400) {
    super(message)
    this.type = type
    this.status = status
  }
}
const validation = (msg) => new ApiError('ValidationException', msg)
const notFound = (msg) => new ApiError('ResourceNotFoundException', msg)

function sendJson (res, status, body, extraHeaders) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const headers = {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': crypto.randomUUID(),
    ...extraHeaders,
  }
  res.writeHead(status, headers)
  res.end(text)
}

function sendError (res, err) {
  if (err instanceof ApiError) {
    sendJson(res, err.status, { __type: ERR_PREFIX + err.type, message: err.message }, { 'x-amzn-ErrorType': err.type })
  } else {
    console.error('[localdb] internal error', err)
    sendJson(res, 500, { __type: ERR_PREFIX + 'InternalServerError', message: String(err && err.message || err) },
      { 'x-amzn-ErrorType': 'InternalServerError' })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// dynalite backend

let backendPort
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })
const FAKE_AUTH = 'AWS4-HMAC-SHA256 Credential=x/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x'

/** Calls dynalite; resolves { status, body (string), data (parsed or undefined), requestId }. */
function dyn (op, payload) {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: backendPort, method: 'POST', path: '/', agent,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.' + op,
        'X-Amz-Date': '20200101T000000Z',
        'Authorization': FAKE_AUTH,
        'Content-Length': Buffer.byteLength(text),
      },
    }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        let data
        try { data = body ? JSON.parse(body) : undefined } catch { data = undefined }
        resolve({ status: res.statusCode, body, data, requestId: res.headers['x-amzn-requestid'] })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(text)
  })
}

/** Like dyn, but throws an ApiError built from a dynalite error response. */
async function dynOk (op, payload) {
  const r = await dyn(op, payload)
  if (r.status !== 200) throw backendError(r)
  return r.data
}

function backendError (r) {
  const type = String((r.data && r.data.__type) || 'InternalServerError').split('#').pop()
  return new ApiError(type, (r.data && (r.data.message || r.data.Message)) || '', r.status)
}

// ---------------------------------------------------------------------------------------------------------------
// table metadata and per-table write serialisation

function rememberTable (desc) {
  let t = tables.get(desc.TableName)
  if (!t) {
    t = { name: desc.TableName, stream: null, queue: Promise.resolve() }
    tables.set(desc.TableName, t)
  }
  t.keySchema = desc.KeySchema
  t.keyNames = [ 'HASH', 'RANGE' ].map((k) => (desc.KeySchema.find((e) => e.KeyType === k) || {}).AttributeName)
    .filter(Boolean)
  t.attrTypes = {}
  for (const a of desc.AttributeDefinitions || []) t.attrTypes[a.AttributeName] = a.AttributeType
  return t
}

async function tableInfo (name) {
  const t = tables.get(name)
  if (t && t.keySchema) return t
  const d = await dynOk('DescribeTable', { TableName: name })
  return rememberTable(d.Table)
}

function lockTable (name) {
  let t = tables.get(name)
  if (!t) {
    t = { name, stream: null, queue: Promise.resolve() }
    tables.set(name, t)
  }
  let release
  const held = new Promise((r) => { release = r })
  const prev = t.queue
  t.queue = prev.then(() => held)
  return prev.then(() => release)
}

async function withLocks (names, fn) {
  const sorted = [ ...new Set(names) ].sort()
  const releases = []
  try {
    for (const n of sorted) releases.push(await lockTable(n))
    return await fn()
  } finally {
    for (const r of releases) r()
  }
}

function keyOf (t, item) {
  const k = {}
  for (const n of t.keyNames) if (item && item[n] !== undefined) k[n] = item[n]
  return k
}

async function getItem (tableName, key) {
  const d = await dynOk('GetItem', { TableName: tableName, Key: key, ConsistentRead: true })
  return d && d.Item
}

function canonical (v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']'
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

function streamOf (tableName) {
  const t = tables.get(tableName)
  return t && t.stream && t.stream.status === 'ENABLED' ? t.stream : null
}

// ---------------------------------------------------------------------------------------------------------------
// streams, shards, records

function streamLabel () {
  let ms = Date.now()
  if (ms <= lastLabelMs) ms = lastLabelMs + 1
  lastLabelMs = ms
  return new Date(ms).toISOString().replace('Z', '')
}

function newShardId () {
  shardCounter += 1n
  return 'shardId-' + shardCounter.toString().padStart(20, '0') + '-' + crypto.randomBytes(4).toString('hex')
}

// Each shard owns a range [lo, hi) of the 32-bit key-hash space, as DynamoDB partitions own key ranges: a rollover
// child keeps its parent's range and a split halves it, so a key's records always stay in one shard lineage and
// per-key order survives rollovers and splits.
function newShard (stream, parentId, lo = 0, hi = 2 ** 32) {
  const shard = {
    id: newShardId(),
    parentId: parentId || null,
    lo,
    hi,
    startSeq: nextSeq,
    endSeq: null,
    seqs: [], // BigInt sequence numbers, ascending
    json: [], // pre-serialised records, same index
    trimHorizon: null, // BigInt: first sequence number not trimmed (null = nothing trimmed)
  }
  stream.shards.push(shard)
  stream.shardById.set(shard.id, shard)
  return shard
}

function createStream (t, viewType) {
  const label = streamLabel()
  const stream = {
    arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${t.name}/stream/${label}`,
    label,
    tableName: t.name,
    viewType,
    status: 'ENABLED',
    created: Date.now() / 1000,
    keySchema: t.keySchema,
    shards: [],
    shardById: new Map(),
    open: [],
  }
  stream.open.push(newShard(stream))
  streams.push(stream)
  streamsByArn.set(stream.arn, stream)
  t.stream = stream
  return stream
}

function closeShard (shard) {
  if (shard.endSeq !== null) return
  if (shard.seqs.length) {
    shard.endSeq = shard.seqs[shard.seqs.length - 1]
  } else {
    // an empty closed shard reserves its starting number so that its range stays valid
    shard.endSeq = shard.startSeq
    if (nextSeq <= shard.startSeq) nextSeq = shard.startSeq + 1n
  }
}

function disableStream (stream) {
  for (const s of stream.open) closeShard(s)
  stream.open = []
  stream.status = 'DISABLED'
}

function hashKey (keyJson) {
  // FNV-1a, 32 bit: stable routing of a key to an open shard
  let h = 0x811c9dc5
  for (let i = 0; i < keyJson.length; i++) {
    h ^= keyJson.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

function appendRecord (stream, eventName, keys, newImage, oldImage, userIdentity) {
  const keyJson = canonical(keys)
  const h = hashKey(keyJson)
  const shard = stream.open.find((o) => h >= o.lo && h < o.hi)
  const seq = nextSeq
  nextSeq += 1n
  const vt = stream.viewType
  const d = { ApproximateCreationDateTime: Math.floor(Date.now() / 1000) + recordClockOffset, Keys: keys }
  if (newImage && (vt === 'NEW_IMAGE' || vt === 'NEW_AND_OLD_IMAGES')) d.NewImage = newImage
  if (oldImage && (vt === 'OLD_IMAGE' || vt === 'NEW_AND_OLD_IMAGES')) d.OldImage = oldImage
  d.SequenceNumber = seq.toString()
  d.SizeBytes = approximateSize(d)
  d.StreamViewType = vt
  const record = {
    eventID: crypto.randomUUID().replace(/-/g, ''),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: d,
  }
  if (userIdentity) record.userIdentity = userIdentity
  shard.seqs.push(seq)
  shard.json.push(JSON.stringify(record))
  return record
}

function approximateSize (d) {
  let n = 0
  for (const part of [ d.Keys, d.NewImage, d.OldImage ]) {
    if (part) n += Buffer.byteLength(JSON.stringify(part)) - 2
  }
  return Math.max(n, 1)
}

/**
 * Emits the stream record (if any) for one item whose images before and after a write are known; userIdentity only
 * for a delete by the service itself (TTL).
 */
function emitChange (tableName, key, before, after, userIdentity) {
  const stream = streamOf(tableName)
  if (!stream) return
  if (!before && !after) return
  if (before && after && canonical(before) === canonical(after)) return
  const eventName = !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY'
  appendRecord(stream, eventName, key, after, before, userIdentity)
}

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB API (proxy + stream capture)

function addStreamFields (desc) {
  if (!desc || !desc.TableName) return desc
  const t = tables.get(desc.TableName)
  const s = t && t.stream
  if (!s) return desc
  if (s.status === 'ENABLED') desc.StreamSpecification = { StreamEnabled: true, StreamViewType: s.viewType }
  desc.LatestStreamArn = s.arn
  desc.LatestStreamLabel = s.label
  return desc
}

const VIEW_TYPES = [ 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY' ]

function checkStreamSpec (spec) {
  if (typeof spec !== 'object' || spec === null || typeof spec.StreamEnabled !== 'boolean') {
    throw validation('StreamSpecification.StreamEnabled is required')
  }
  if (spec.StreamEnabled && !VIEW_TYPES.includes(spec.StreamViewType)) {
    throw validation('One or more parameter values were invalid: StreamViewType must be one of ' + VIEW_TYPES.join(', '))
  }
  if (!spec.StreamEnabled && spec.StreamViewType) {
    throw validation('One or more parameter values were invalid: StreamViewType is not allowed when StreamEnabled is false')
  }
}

async function dynamoOp (op, body, res) {
  let req
  try { req = body ? JSON.parse(body) : {} } catch { return sendJson(res, 400, { __type: 'com.amazon.coral.service#SerializationException' }) }
  switch (op) {
    case 'CreateTable': return createTable(req, res)
    case 'UpdateTable': return updateTable(req, res)
    case 'DescribeTable': return describeTable(req, res)
    case 'DeleteTable': return deleteTable(req, res)
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem': return singleWrite(op, req, body, res)
    case 'BatchWriteItem': return batchWrite(req, body, res)
    case 'TransactWriteItems': return transactWrite(req, res)
    case 'TransactGetItems': return transactGet(req, res)
    case 'UpdateTimeToLive': return updateTimeToLive(req, res)
    case 'DescribeTimeToLive': return describeTimeToLive(req, res)
    default: return passThrough(op, body, res)
  }
}

async function passThrough (op, body, res) {
  const r = await dyn(op, body)
  relay(res, r)
}

function relay (res, r, data) {
  const text = data !== undefined ? JSON.stringify(data) : r.body
  const headers = {}
  if (r.status !== 200 && r.data && r.data.__type) headers['x-amzn-ErrorType'] = String(r.data.__type).split('#').pop()
  if (r.requestId) headers['x-amzn-RequestId'] = r.requestId
  sendJson(res, r.status, text, headers)
}

async function createTable (req, res) {
  const spec = req.StreamSpecification
  if (spec !== undefined) checkStreamSpec(spec)
  delete req.StreamSpecification
  const r = await dyn('CreateTable', req)
  if (r.status !== 200) return relay(res, r)
  const desc = r.data.TableDescription
  const old = tables.get(desc.TableName)
  if (old && old.stream && old.stream.status === 'ENABLED') disableStream(old.stream)
  tables.delete(desc.TableName)
  const t = rememberTable(desc)
  if (spec && spec.StreamEnabled) createStream(t, spec.StreamViewType)
  addStreamFields(desc)
  relay(res, r, r.data)
}

async function updateTable (req, res) {
  const spec = req.StreamSpecification
  delete req.StreamSpecification
  if (spec === undefined) {
    const r = await dyn('UpdateTable', req)
    if (r.status === 200) addStreamFields(r.data.TableDescription)
    return relay(res, r, r.status === 200 ? r.data : undefined)
  }
  checkStreamSpec(spec)
  const t = await tableInfo(req.TableName)
  const current = t.stream && t.stream.status === 'ENABLED' ? t.stream : null
  if (spec.StreamEnabled && current) {
    throw validation('Table already has an enabled stream: ' + current.arn)
  }
  if (!spec.StreamEnabled && !current) {
    throw validation('Table ' + req.TableName + ' does not have an enabled stream')
  }
  let r
  const others = Object.keys(req).filter((k) => k !== 'TableName')
  if (others.length) {
    r = await dyn('UpdateTable', req)
    if (r.status !== 200) return relay(res, r)
  }
  // serialise with writes, so every write lands wholly before or after the change
  await withLocks([ t.name ], async () => {
    if (spec.StreamEnabled) createStream(t, spec.StreamViewType)
    else disableStream(current)
  })
  const d = await dynOk('DescribeTable', { TableName: req.TableName })
  const desc = r ? r.data.TableDescription : d.Table
  addStreamFields(desc)
  sendJson(res, 200, { TableDescription: desc })
}

async function describeTable (req, res) {
  const r = await dyn('DescribeTable', JSON.stringify(req))
  if (r.status !== 200) return relay(res, r)
  if (!tables.has(r.data.Table.TableName) || !tables.get(r.data.Table.TableName).keySchema) rememberTable(r.data.Table)
  addStreamFields(r.data.Table)
  relay(res, r, r.data)
}

async function deleteTable (req, res) {
  const name = req.TableName
  const t = tables.get(name)
  const run = async () => {
    const r = await dyn('DeleteTable', req)
    if (r.status === 200) {
      addStreamFields(r.data.TableDescription)
      if (t && t.stream && t.stream.status === 'ENABLED') disableStream(t.stream)
      if (r.data.TableDescription.StreamSpecification) {
        r.data.TableDescription.StreamSpecification = { StreamEnabled: false }
      }
      tables.delete(name)
    }
    return r
  }
  const r = t ? await withLocks([ name ], run) : await run()
  relay(res, r, r.status === 200 ? r.data : undefined)
}

async function singleWrite (op, req, body, res) {
  const name = req.TableName
  if (!streamOf(name)) return passThrough(op, body, res)
  const t = await tableInfo(name)
  const r = await withLocks([ name ], async () => {
    const key = keyOf(t, op === 'PutItem' ? req.Item : req.Key)
    const complete = Object.keys(key).length === t.keyNames.length
    const before = complete ? await getItem(name, key) : undefined
    const r = await dyn(op, body)
    if (r.status === 200 && complete) {
      const after = await getItem(name, key)
      emitChange(name, key, before, after)
    }
    return r
  })
  relay(res, r)
}

async function batchWrite (req, body, res) {
  const requestItems = req.RequestItems || {}
  const names = Object.keys(requestItems).filter((n) => streamOf(n))
  if (!names.length) return passThrough('BatchWriteItem', body, res)
  const infos = {}
  for (const n of names) infos[n] = await tableInfo(n)
  const r = await withLocks(names, async () => {
    const entries = []
    for (const n of names) {
      for (const w of requestItems[n] || []) {
        const item = w && (w.PutRequest ? w.PutRequest.Item : w.DeleteRequest ? w.DeleteRequest.Key : null)
        const key = keyOf(infos[n], item)
        if (Object.keys(key).length === infos[n].keyNames.length) entries.push({ table: n, key })
      }
    }
    await Promise.all(entries.map(async (e) => { e.before = await getItem(e.table, e.key) }))
    const r = await dyn('BatchWriteItem', body)
    if (r.status === 200) {
      await Promise.all(entries.map(async (e) => { e.after = await getItem(e.table, e.key) }))
      for (const e of entries) emitChange(e.table, e.key, e.before, e.after)
    }
    return r
  })
  relay(res, r)
}

// dynalite has no transactions: run the actions one by one under the table locks, undo on failure.
async function transactWrite (req, res) {
  const items = req.TransactItems
  if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
    throw validation('TransactItems must have between 1 and 100 items')
  }
  const actions = items.map((ti) => {
    const kind = [ 'ConditionCheck', 'Put', 'Delete', 'Update' ].find((k) => ti && ti[k])
    if (!kind) throw validation('Each TransactItem must have exactly one of ConditionCheck, Put, Delete, Update')
    return { kind, a: ti[kind] }
  })
  const names = actions.map((x) => x.a.TableName)
  const infos = {}
  for (const n of new Set(names)) infos[n] = await tableInfo(n)
  const seen = new Set()
  for (const x of actions) {
    x.key = keyOf(infos[x.a.TableName], x.kind === 'Put' ? x.a.Item : x.a.Key)
    const id = x.a.TableName + '|' + canonical(x.key)
    if (seen.has(id)) {
      throw validation('Transaction request cannot include multiple operations on one item')
    }
    seen.add(id)
  }
  await withLocks(names, async () => {
    for (const x of actions) x.before = await getItem(x.a.TableName, x.key)
    const done = []
    for (let i = 0; i < actions.length; i++) {
      const x = actions[i]
      const a = x.a
      const common = { TableName: a.TableName }
      if (a.ConditionExpression) common.ConditionExpression = a.ConditionExpression
      if (a.ExpressionAttributeNames) common.ExpressionAttributeNames = a.ExpressionAttributeNames
      if (a.ExpressionAttributeValues) common.ExpressionAttributeValues = a.ExpressionAttributeValues
      let op, payload
      if (x.kind === 'Put') { op = 'PutItem'; payload = { ...common, Item: a.Item } }
      else if (x.kind === 'Delete') { op = 'DeleteItem'; payload = { ...common, Key: a.Key } }
      else if (x.kind === 'Update') { op = 'UpdateItem'; payload = { ...common, Key: a.Key, UpdateExpression: a.UpdateExpression } }
      else if (x.before) { op = 'PutItem'; payload = { ...common, Item: x.before } } // a no-op write that checks
      else { op = 'DeleteItem'; payload = { ...common, Key: a.Key } }
      const r = await dyn(op, payload)
      if (r.status !== 200) {
        await undo(done)
        const type = String((r.data && r.data.__type) || '').split('#').pop()
        if (type === 'ConditionalCheckFailedException') {
          const reasons = actions.map((_, j) => j === i
            ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }
            : { Code: 'None' })
          const err = new ApiError('TransactionCanceledException', 'Transaction cancelled, please refer cancellation reasons for specific reasons ['
            + reasons.map((c) => c.Code).join(', ') + ']')
          err.extra = { CancellationReasons: reasons }
          throw err
        }
        throw backendError(r)
      }
      if (x.kind !== 'ConditionCheck') done.push(x)
    }
    for (const x of done) {
      x.after = await getItem(x.a.TableName, x.key)
      emitChange(x.a.TableName, x.key, x.before, x.after)
    }
  })
  sendJson(res, 200, {})
}

async function undo (done) {
  for (const x of done.reverse()) {
    if (x.before) await dyn('PutItem', { TableName: x.a.TableName, Item: x.before })
    else await dyn('DeleteItem', { TableName: x.a.TableName, Key: x.key })
  }
}

async function transactGet (req, res) {
  const items = req.TransactItems
  if (!Array.isArray(items) || items.length === 0 || items.length > 100) {
    throw validation('TransactItems must have between 1 and 100 items')
  }
  const responses = []
  for (const ti of items) {
    const g = ti && ti.Get
    if (!g) throw validation('Each TransactItem must have Get')
    const p = { TableName: g.TableName, Key: g.Key, ConsistentRead: true }
    if (g.ProjectionExpression) p.ProjectionExpression = g.ProjectionExpression
    if (g.ExpressionAttributeNames) p.ExpressionAttributeNames = g.ExpressionAttributeNames
    const d = await dynOk('GetItem', p)
    responses.push(d && d.Item ? { Item: d.Item } : {})
  }
  sendJson(res, 200, { Responses: responses })
}

// ---------------------------------------------------------------------------------------------------------------
// time to live (dynalite has none): the setting per table, and a sweeper that deletes expired items like DynamoDB,
// each delete a REMOVE record attributed to the service (userIdentity)

async function updateTimeToLive (req, res) {
  const spec = req.TimeToLiveSpecification
  if (typeof spec !== 'object' || spec === null || typeof spec.Enabled !== 'boolean'
    || typeof spec.AttributeName !== 'string' || spec.AttributeName.length < 1 || spec.AttributeName.length > 255) {
    throw validation('TimeToLiveSpecification needs Enabled (boolean) and AttributeName (1 to 255 characters)')
  }
  const t = await tableInfo(req.TableName) // ResourceNotFoundException for an unknown table
  const current = t.ttl || null
  if (spec.Enabled && current === spec.AttributeName) throw validation('TimeToLive is already enabled')
  if (spec.Enabled && current) throw validation('TimeToLive is active on a different AttributeName: current is ' + current)
  if (!spec.Enabled && !current) throw validation('TimeToLive is already disabled')
  if (!spec.Enabled && current !== spec.AttributeName) {
    throw validation('TimeToLive is active on a different AttributeName: current is ' + current)
  }
  t.ttl = spec.Enabled ? spec.AttributeName : null
  sendJson(res, 200, { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } })
}

async function describeTimeToLive (req, res) {
  const t = await tableInfo(req.TableName)
  const d = t.ttl ? { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl } : { TimeToLiveStatus: 'DISABLED' }
  sendJson(res, 200, { TimeToLiveDescription: d })
}

/** The expiry (epoch seconds) of an item under its table's TTL attribute, or null when it never expires. */
function expiryOf (item, attribute) {
  const v = item && item[attribute]
  if (!v || typeof v.N !== 'string') return null // only a Number attribute is a deadline
  const seconds = Number(v.N)
  return Number.isFinite(seconds) ? seconds : null
}

function isExpired (item, attribute, nowSeconds) {
  const at = expiryOf(item, attribute)
  return at !== null && at <= nowSeconds && at >= nowSeconds - TTL_MAX_PAST_SECONDS
}

/** Deletes every expired item of every table with TTL on; resolves the number deleted. */
function sweepExpired () {
  if (!sweeping) {
    sweeping = sweepOnce().finally(() => { sweeping = null })
  }
  return sweeping
}

async function sweepOnce () {
  let deleted = 0
  for (const t of [ ...tables.values() ]) {
    if (!t.ttl || !t.keySchema) continue
    const attribute = t.ttl
    const now = Math.floor(Date.now() / 1000)
    const candidates = []
    let start
    do {
      const page = await dyn('Scan', { TableName: t.name, ExclusiveStartKey: start })
      if (page.status !== 200) break // the table went away meanwhile
      for (const item of page.data.Items || []) {
        if (isExpired(item, attribute, now)) candidates.push(keyOf(t, item))
      }
      start = page.data.LastEvaluatedKey
    } while (start)
    for (const key of candidates) {
      // under the table's lock, like a write: the item is checked again, it may have been updated meanwhile
      const done = await withLocks([ t.name ], async () => {
        if (tables.get(t.name) !== t || t.ttl !== attribute) return false
        const before = await getItem(t.name, key)
        if (!isExpired(before, attribute, Math.floor(Date.now() / 1000))) return false
        await dynOk('DeleteItem', { TableName: t.name, Key: key })
        emitChange(t.name, key, before, undefined, TTL_IDENTITY)
        return true
      })
      if (done) deleted++
    }
  }
  return deleted
}

function scheduleTtlSweep (ms) {
  ttlSweepMs = ms
  if (ttlTimer) clearInterval(ttlTimer)
  ttlTimer = ms > 0 ? setInterval(() => {
    sweepExpired().catch((err) => console.error('[localdb] TTL sweep failed', err))
  }, ms) : null
  if (ttlTimer) ttlTimer.unref()
}

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB Streams API

function checkFault (op) {
  for (const f of faults) {
    if (f.error !== 'delay' && f.count > 0 && (f.operation === '*' || f.operation === op)) {
      f.count--
      switch (f.error) {
        case 'throttle': throw new ApiError('LimitExceededException', 'Rate exceeded (injected)')
        case 'throttling': throw new ApiError('ThrottlingException', 'Rate exceeded (injected)')
        case 'internal': throw new ApiError('InternalServerError', 'Internal server error (injected)', 500)
        case 'expired': throw new ApiError('ExpiredIteratorException', 'Iterator expired (injected)')
        case 'trimmed': throw new ApiError('TrimmedDataAccessException', 'Requested data is trimmed (injected)')
        case 'notfound': throw notFound('Requested resource not found (injected)')
        default: throw new ApiError('InternalServerError', 'unknown injected fault ' + f.error, 500)
      }
    }
  }
}

// an injected slow answer: the next matching Streams call waits this long before it is answered (0: none)
function takeDelay (op, data) {
  const children = !!(data && data.ShardFilter)
  for (const f of faults) {
    if (f.error === 'delay' && f.count > 0 && (f.operation === '*' || f.operation === op)
        && (!f.listing || (f.listing === 'children') === children)) {
      f.count--
      return f.ms
    }
  }
  return 0
}

function streamByArn (arn) {
  if (typeof arn !== 'string' || arn.length < 37 || arn.length > 1024) {
    throw validation('Invalid StreamArn')
  }
  const s = streamsByArn.get(arn)
  if (!s) throw notFound('Requested resource not found: Stream: ' + arn + ' not found')
  return s
}

function limitOf (v, max) {
  if (v === undefined || v === null) return max
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw validation(`1 validation error detected: Value '${v}' at 'limit' failed to satisfy constraint: `
      + `Member must have value ${v < 1 ? 'greater than or equal to 1' : 'less than or equal to ' + max}`)
  }
  return v
}

function streamsOp (op, req) {
  switch (op) {
    case 'ListStreams': return listStreams(req)
    case 'DescribeStream': return describeStream(req)
    case 'GetShardIterator': return getShardIterator(req)
    case 'GetRecords': return getRecords(req)
    default: throw new ApiError('UnknownOperationException', 'Unknown operation ' + op)
  }
}

function listStreams (req) {
  counts.ListStreams++
  checkFault('ListStreams')
  const limit = limitOf(req.Limit, 100)
  let list = streams
  if (req.TableName !== undefined) list = list.filter((s) => s.tableName === req.TableName)
  let start = 0
  if (req.ExclusiveStartStreamArn) {
    const i = list.findIndex((s) => s.arn === req.ExclusiveStartStreamArn)
    if (i < 0) throw notFound('Requested resource not found: Stream: ' + req.ExclusiveStartStreamArn + ' not found')
    start = i + 1
  }
  const page = list.slice(start, start + limit)
  const out = { Streams: page.map((s) => ({ StreamArn: s.arn, TableName: s.tableName, StreamLabel: s.label })) }
  if (start + limit < list.length) out.LastEvaluatedStreamArn = page[page.length - 1].arn
  return out
}

function shardJson (sh) {
  const o = { ShardId: sh.id }
  if (sh.parentId) o.ParentShardId = sh.parentId
  o.SequenceNumberRange = { StartingSequenceNumber: sh.startSeq.toString() }
  if (sh.endSeq !== null) o.SequenceNumberRange.EndingSequenceNumber = sh.endSeq.toString()
  return o
}

function describeStream (req) {
  counts.DescribeStream++
  checkFault('DescribeStream')
  const s = streamByArn(req.StreamArn)
  const limit = limitOf(req.Limit, 100)
  let list = s.shards
  if (req.ShardFilter) {
    const f = req.ShardFilter
    if (f.Type !== 'CHILD_SHARDS' || typeof f.ShardId !== 'string') {
      throw validation('ShardFilter must have Type CHILD_SHARDS and a ShardId')
    }
    list = list.filter((sh) => sh.parentId === f.ShardId)
  }
  let start = 0
  if (req.ExclusiveStartShardId) {
    const i = list.findIndex((sh) => sh.id === req.ExclusiveStartShardId)
    if (i >= 0) start = i + 1
    else start = list.findIndex((sh) => sh.id > req.ExclusiveStartShardId) // ids increase with creation
    if (start < 0) start = list.length
  }
  const page = list.slice(start, start + limit)
  const d = {
    StreamArn: s.arn,
    StreamLabel: s.label,
    StreamStatus: s.status,
    StreamViewType: s.viewType,
    CreationRequestDateTime: s.created,
    TableName: s.tableName,
    KeySchema: s.keySchema,
    Shards: page.map(shardJson),
  }
  if (start + limit < list.length) d.LastEvaluatedShardId = page[page.length - 1].id
  return { StreamDescription: d }
}

function parseSeq (v) {
  if (typeof v !== 'string' || !/^[0-9]{1,40}$/.test(v)) throw validation('Invalid SequenceNumber: ' + v)
  return BigInt(v)
}

function makeIterator (s, sh, pos) {
  const now = Date.now()
  const payload = { a: s.arn, s: sh.id, p: pos === 'TH' ? 'TH' : pos.toString(), i: now, e: now + iteratorExpiryMs }
  return Buffer.from(JSON.stringify(payload)).toString('base64')
}

function shardOf (s, id) {
  const sh = s.shardById.get(id)
  if (!sh) throw notFound('Requested resource not found: Shard does not exist')
  return sh
}

function getShardIterator (req) {
  const s = streamByArn(req.StreamArn)
  if (typeof req.ShardId !== 'string' || req.ShardId.length < 28 || req.ShardId.length > 65) {
    throw validation('Invalid ShardId')
  }
  counts.GetShardIterator[req.ShardId] = (counts.GetShardIterator[req.ShardId] || 0) + 1
  checkFault('GetShardIterator')
  const sh = shardOf(s, req.ShardId)
  const type = req.ShardIteratorType
  let pos
  switch (type) {
    case 'TRIM_HORIZON':
      pos = 'TH'
      break
    case 'LATEST':
      pos = sh.endSeq !== null ? sh.endSeq + 1n : nextSeq
      break
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      if (req.SequenceNumber === undefined) throw validation('SequenceNumber is required for ' + type)
      const seq = parseSeq(req.SequenceNumber)
      if (seq < sh.startSeq || (sh.endSeq !== null && seq > sh.endSeq)) {
        throw validation(`Invalid SequenceNumber for ShardIteratorType ${type}: ${req.SequenceNumber} is not in shard ${sh.id}`)
      }
      if (sh.trimHorizon !== null && seq < sh.trimHorizon) {
        throw new ApiError('TrimmedDataAccessException', 'Requested sequence number ' + req.SequenceNumber
          + ' is beyond the trim horizon of shard ' + sh.id)
      }
      pos = type === 'AT_SEQUENCE_NUMBER' ? seq : seq + 1n
      break
    }
    default:
      throw validation(`1 validation error detected: Value '${type}' at 'shardIteratorType' failed to satisfy constraint: `
        + 'Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]')
  }
  return { ShardIterator: makeIterator(s, sh, pos) }
}

function lowerBound (seqs, pos) {
  let lo = 0
  let hi = seqs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (seqs[mid] < pos) lo = mid + 1
    else hi = mid
  }
  return lo
}

function decodeIterator (it) {
  if (typeof it !== 'string' || it.length < 1 || it.length > 2048) throw validation('Invalid ShardIterator')
  let p
  try { p = JSON.parse(Buffer.from(it, 'base64').toString('utf8')) } catch { p = null }
  if (!p || typeof p.a !== 'string' || typeof p.s !== 'string' || typeof p.p !== 'string' || typeof p.e !== 'number') {
    throw validation('Invalid ShardIterator')
  }
  return p
}

/** Returns the response body as a string, built by concatenating the pre-serialised records. */
function getRecords (req) {
  const it = decodeIterator(req.ShardIterator)
  counts.GetRecords[it.s] = (counts.GetRecords[it.s] || 0) + 1
  checkFault('GetRecords')
  const limit = limitOf(req.Limit, 1000)
  const s = streamsByArn.get(it.a)
  if (!s) throw notFound('Requested resource not found: Stream: ' + it.a + ' not found')
  const sh = shardOf(s, it.s)
  if (Date.now() > it.e) throw new ApiError('ExpiredIteratorException', 'Iterator expired. The iterator was created at time '
    + new Date(it.i).toISOString() + ' while right now it is ' + new Date().toISOString() + '.')
  let start
  if (it.p === 'TH') {
    start = 0
  } else {
    const pos = BigInt(it.p)
    if (sh.trimHorizon !== null && pos < sh.trimHorizon) {
      throw new ApiError('TrimmedDataAccessException', 'Requested data is beyond the trim horizon of shard ' + sh.id)
    }
    start = lowerBound(sh.seqs, pos)
  }
  let end = start
  let bytes = 0
  const stop = Math.min(sh.json.length, start + limit)
  while (end < stop) {
    const len = sh.json[end].length
    if (end > start && bytes + len > MAX_RESPONSE_BYTES) break
    bytes += len + 1
    end++
  }
  let out = '{"Records":[' + sh.json.slice(start, end).join(',') + ']'
  const drained = end >= sh.json.length
  if (!(sh.endSeq !== null && drained)) {
    let next
    if (end > start) next = sh.seqs[end - 1] + 1n
    else if (it.p === 'TH') next = 'TH'
    else next = BigInt(it.p)
    out += ',"NextShardIterator":' + JSON.stringify(makeIterator(s, sh, next))
  }
  return out + '}'
}

// ---------------------------------------------------------------------------------------------------------------
// test hooks under /_local

function hookStream (body) {
  const t = tables.get(body && body.table)
  if (!t || !t.stream) throw notFound('table ' + (body && body.table) + ' has no stream')
  if (t.stream.status !== 'ENABLED') throw validation('the stream of table ' + t.name + ' is disabled')
  return t.stream
}

function splitShard (s, parent, children) {
  closeShard(parent)
  const i = s.open.indexOf(parent)
  const kids = []
  const width = (parent.hi - parent.lo) / children
  if (width < 1) throw validation('shard ' + parent.id + ' cannot be split further')
  for (let k = 0; k < children; k++) {
    const lo = parent.lo + Math.floor(k * width)
    const hi = k === children - 1 ? parent.hi : parent.lo + Math.floor((k + 1) * width)
    kids.push(newShard(s, parent.id, lo, hi))
  }
  s.open.splice(i, 1, ...kids)
  return kids.map((k) => k.id)
}

function generate (body) {
  const s = hookStream(body)
  const t = tables.get(body.table)
  const n = body.count
  if (!Number.isInteger(n) || n < 0) throw validation('count must be a non-negative integer')
  const payload = 'x'.repeat(Number.isInteger(body.payloadBytes) ? body.payloadBytes : 100)
  const [ hashName, rangeName ] = t.keyNames
  const value = (name, i) => {
    const type = t.attrTypes[name] || 'S'
    if (type === 'N') return { N: String(i) }
    if (type === 'B') return { B: Buffer.from('gen-' + i).toString('base64') }
    return { S: 'gen-' + i }
  }
  for (let j = 0; j < n; j++) {
    const i = generated++
    const keys = { [hashName]: value(hashName, i) }
    if (rangeName) keys[rangeName] = value(rangeName, i)
    const image = { ...keys, payload: { S: payload } }
    appendRecord(s, 'INSERT', keys, image, null)
  }
  return { generated: n, sequenceNumber: (nextSeq - 1n).toString() }
}

async function hook (method, path, query, body) {
  switch (method + ' ' + path) {
    case 'POST /_local/rollover': {
      const s = hookStream(body)
      const ids = []
      await withLocks([ s.tableName ], async () => {
        for (const sh of [ ...s.open ]) ids.push(...splitShard(s, sh, 1))
      })
      return { shards: ids }
    }
    case 'POST /_local/split': {
      const s = hookStream(body)
      const ids = []
      await withLocks([ s.tableName ], async () => {
        if (body.shards === undefined) {
          for (const sh of [ ...s.open ]) ids.push(...splitShard(s, sh, 2))
        } else {
          if (!Number.isInteger(body.shards) || body.shards < 1 || body.shards > 10000) throw validation('shards must be 1..10000')
          while (s.open.length < body.shards) {
            // the widest open shard first (the oldest among equals), so ranges stay balanced
            const widest = s.open.reduce((a, b) => (b.hi - b.lo > a.hi - a.lo ? b : a))
            const kids = splitShard(s, widest, 2)
            ids.push(...kids)
          }
        }
      })
      return { shards: ids.filter((id) => s.shardById.get(id).endSeq === null) }
    }
    case 'POST /_local/trim': {
      const t = tables.get(body && body.table)
      if (!t || !t.stream) throw notFound('table ' + (body && body.table) + ' has no stream')
      let trimmed = 0
      for (const sh of t.stream.shards) {
        const n = body.count === undefined ? sh.seqs.length : Math.min(body.count, sh.seqs.length)
        if (n <= 0) continue
        const last = sh.seqs[n - 1]
        sh.seqs.splice(0, n)
        sh.json.splice(0, n)
        sh.trimHorizon = last + 1n
        trimmed += n
      }
      return { trimmed }
    }
    case 'POST /_local/iterator-expiry': {
      const ms = body && body.millis !== undefined ? body.millis : DEFAULT_ITERATOR_EXPIRY_MS
      if (!Number.isInteger(ms) || ms < 0) throw validation('millis must be a non-negative integer')
      iteratorExpiryMs = ms
      return { millis: ms }
    }
    case 'POST /_local/faults': {
      const f = { operation: body.operation || '*', error: body.error, count: body.count === undefined ? 1 : body.count }
      if (![ 'throttle', 'throttling', 'internal', 'expired', 'trimmed', 'notfound', 'delay' ].includes(f.error)) {
        throw validation('error must be throttle, throttling, internal, expired, trimmed, notfound or delay')
      }
      if (f.error === 'delay') {
        if (!Number.isInteger(body.ms) || body.ms < 1 || body.ms > 600000) {
          throw validation('a delay needs ms: a whole number of milliseconds from 1 to 600000')
        }
        f.ms = body.ms
        if (body.listing !== undefined) {
          if (![ 'full', 'children' ].includes(body.listing)) {
            throw validation('listing must be full (DescribeStream without ShardFilter) or children (with it)')
          }
          f.listing = body.listing
        }
      }
      faults.push(f)
      return { faults }
    }
    case 'DELETE /_local/faults':
      faults = []
      return { faults }
    case 'GET /_local/faults':
      return { faults }
    case 'GET /_local/counts':
      return counts
    case 'POST /_local/counts/reset':
      counts = freshCounts()
      return counts
    case 'GET /_local/process': {
      const cpu = process.cpuUsage()
      return { pid: process.pid, cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rssBytes: process.memoryUsage.rss() }
    }
    case 'POST /_local/generate':
      return generate(body)
    case 'POST /_local/record-clock': {
      // test hook: records written from now on carry ApproximateCreationDateTime shifted by this many seconds
      // (negative = in the past), to exercise record-age limits without waiting
      const offset = body && body.offsetSeconds
      if (!Number.isInteger(offset)) throw validation('offsetSeconds must be an integer')
      recordClockOffset = offset
      return { offsetSeconds: recordClockOffset }
    }
    case 'POST /_local/ttl-sweep': {
      // optionally sets the interval of the TTL sweeper (0 stops it), then sweeps now; replies when done
      if (body && body.intervalMillis !== undefined) {
        if (!Number.isInteger(body.intervalMillis) || body.intervalMillis < 0) {
          throw validation('intervalMillis must be a non-negative integer')
        }
        scheduleTtlSweep(body.intervalMillis)
      }
      const deleted = await sweepExpired()
      return { deleted, intervalMillis: ttlSweepMs }
    }
    case 'POST /_local/sequence-jump': {
      const to = parseSeq(body && String(body.to))
      if (to < nextSeq) throw validation('sequence-jump target must be >= the next sequence number ' + nextSeq)
      nextSeq = to
      return { next: nextSeq.toString() }
    }
    case 'GET /_local/shards': {
      const t = tables.get(query.get('table'))
      if (!t || !t.stream) throw notFound('table ' + query.get('table') + ' has no stream')
      const s = t.stream
      return {
        streamArn: s.arn,
        streamStatus: s.status,
        shards: s.shards.map((sh) => ({
          shardId: sh.id,
          parentShardId: sh.parentId,
          open: sh.endSeq === null,
          records: sh.seqs.length,
          startingSequenceNumber: sh.startSeq.toString(),
          endingSequenceNumber: sh.endSeq === null ? null : sh.endSeq.toString(),
        })),
      }
    }
    case 'POST /_local/reset-streams': {
      // forget every stream (tables stay); handy between benchmark runs
      for (const t of tables.values()) t.stream = null
      streams.length = 0
      streamsByArn.clear()
      return {}
    }
    default:
      throw new ApiError('UnknownOperationException', 'unknown hook ' + method + ' ' + path, 404)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// front HTTP server

async function handle (req, res, body) {
  const url = new URL(req.url, 'http://localhost')
  if (url.pathname.startsWith('/_local/')) {
    let data = {}
    if (body) {
      try { data = JSON.parse(body) } catch { throw validation('hook body is not JSON') }
    }
    const out = await hook(req.method, url.pathname, url.searchParams, data)
    return sendJson(res, 200, out, { 'Content-Type': 'application/json' })
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    return res.end('healthy: local dynamodb + streams\n')
  }
  const target = String(req.headers['x-amz-target'] || '')
  const dot = target.indexOf('.')
  const service = target.slice(0, dot)
  const op = target.slice(dot + 1)
  if (service === 'DynamoDBStreams_20120810') {
    let data
    try { data = body ? JSON.parse(body) : {} } catch {
      return sendJson(res, 400, { __type: 'com.amazon.coral.service#SerializationException' })
    }
    const delay = takeDelay(op, data)
    const out = streamsOp(op, data) // answered as of the request: a delay only makes the answer late
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    return sendJson(res, 200, out)
  }
  if (service === 'DynamoDB_20120810') return dynamoOp(op, body, res)
  throw new ApiError('UnknownOperationException', 'Unknown target ' + target)
}

function sendApiError (res, err) {
  if (err instanceof ApiError && err.extra) {
    return sendJson(res, err.status, { __type: ERR_PREFIX + err.type, message: err.message, ...err.extra },
      { 'x-amzn-ErrorType': err.type })
  }
  sendError(res, err)
}

function main () {
  const args = process.argv.slice(2)
  let port = 8000
  const pi = args.indexOf('--port')
  if (pi >= 0) port = parseInt(args[pi + 1], 10)
  const ti = args.indexOf('--ttl-sweep-ms')
  const sweepMs = ti >= 0 ? args[ti + 1] : process.env.DYNAMO_STREAM_LOCALDB_TTL_SWEEP_MS
  const sweep = sweepMs === undefined || sweepMs === '' ? DEFAULT_TTL_SWEEP_MS : parseInt(sweepMs, 10)
  if (!Number.isInteger(sweep) || sweep < 0) {
    console.error('[localdb] --ttl-sweep-ms / DYNAMO_STREAM_LOCALDB_TTL_SWEEP_MS must be a non-negative integer: ' + sweepMs)
    process.exit(2)
  }

  if (!args.includes('--ignore-stdin')) {
    // the launcher keeps our stdin open: when it closes, the parent is gone and so must we be
    process.stdin.on('end', () => process.exit(0))
    process.stdin.on('close', () => process.exit(0))
    process.stdin.on('error', () => process.exit(0))
    process.stdin.resume()
  }
  process.on('SIGTERM', () => process.exit(0))
  process.on('SIGINT', () => process.exit(0))

  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  backend.listen(0, '127.0.0.1', () => {
    backendPort = backend.address().port
    const front = http.createServer((req, res) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        Promise.resolve().then(() => handle(req, res, body)).catch((err) => sendApiError(res, err))
      })
    })
    front.keepAliveTimeout = 60000
    front.on('connection', () => { counts.Connections++ })
    scheduleTtlSweep(sweep)
    front.listen(port, '127.0.0.1', () => {
      process.stdout.write('LISTENING ' + front.address().port + '\n')
    })
  })
}

if (require.main === module) main()
