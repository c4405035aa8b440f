'use strict'
// Every case of tests/vectors/hostile/hostile.json through the Node API, end to end against the
// emulator: success with the exact wire body and user, or the typed LogRocketError with its kind,
// message and field. Never another error, never a crash.
//
// Inputs are what a JS caller would pass: `identify(userId, options)` with strings, numbers,
// BigInts (integers past 2^53), booleans, null, arrays and objects. A lone surrogate is a JS
// string holding one. Bytes that are not UTF-8 cannot be a JS string; a caller holding them has
// a Buffer, so that is what is passed (a wrong type; as a trait name, the key of a Map).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, test } = require('node:test')
const { Client, LogRocketError, ValidationError, ERROR_CODES } = require('./helpers.js').lr
const { startEmulator } = require('./helpers.js')

const CORPUS = path.resolve(__dirname, '../../../tests/vectors/hostile/hostile.json')
const doc = JSON.parse(fs.readFileSync(CORPUS, 'utf8'))

// --- expanding the corpus's generators into JS values ------------------------------------------

const GENERATORS = {
  $repeat: ['$repeat', 'times'],
  $utf16: ['$utf16'],
  $bytes: ['$bytes'],
  $concat: ['$concat'],
  $nest: ['$nest', 'depth', 'leaf'],
  $int: ['$int'],
  $float: ['$float'],
  $names: ['$names'],
}

/** Which generator `spec` is: an object with exactly one generator's keys, else undefined. */
function generator(spec) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return undefined
  const keys = Object.keys(spec).sort()
  for (const [name, want] of Object.entries(GENERATORS)) {
    if (keys.length === want.length && [...want].sort().every((k, i) => k === keys[i])) return name
  }
  return undefined
}

/** A string (or, for bytes that are not UTF-8, a Buffer) the spec stands for; undefined if none. */
function text(spec) {
  if (typeof spec === 'string') return spec
  switch (generator(spec)) {
    case '$repeat':
      return spec.$repeat.repeat(spec.times)
    case '$utf16':
      return String.fromCharCode(...spec.$utf16)
    case '$bytes': {
      const bytes = Buffer.from(spec.$bytes, 'hex')
      // Valid UTF-8 is text; anything else stays the bytes a caller would have.
      const decoded = bytes.toString('utf8')
      return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : bytes
    }
    case '$concat':
      return spec.$concat.map(text).join('')
    default:
      return undefined
  }
}

function value(spec) {
  const asText = text(spec)
  if (asText !== undefined) return asText
  if (Array.isArray(spec)) return spec.map(value)
  if (spec === null || typeof spec !== 'object') return spec
  switch (generator(spec)) {
    case '$nest': {
      let out = value(spec.leaf)
      for (let i = 0; i < spec.depth; i++) out = spec.$nest === 'array' ? [out] : { n: out }
      return out
    }
    case '$int':
      return BigInt(spec.$int)
    case '$float':
      return Number(spec.$float) // "NaN", "Infinity", "-Infinity"
    case '$names':
      return Array.from({ length: spec.$names.count }, (_, i) => `${text(spec.$names.key)}${i}`)
  }
  const out = {}
  let map // a Map, once a key is not a string
  const put = (key, member) => {
    if (typeof key !== 'string' && map === undefined) map = new Map(Object.entries(out))
    if (map !== undefined) map.set(key, member)
    else out[key] = member
  }
  for (const [key, member] of Object.entries(spec)) {
    if (key === '$many') {
      const prefix = text(member.key)
      const item = value(member.value)
      for (let i = 0; i < member.count; i++) put(`${prefix}${i}`, item)
    } else if (key === '$entries') {
      for (const [entryKey, entryValue] of member) put(text(entryKey), value(entryValue))
    } else {
      put(key, value(member))
    }
  }
  return map ?? out
}

/** JSON equality; numbers by value (so -0 equals 0, 2 equals 2.0). */
function sameJson(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b))
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]))
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
  }
  return a === b
}

function short(what) {
  const shown = typeof what === 'string' ? what : JSON.stringify(what, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
  return shown === undefined || shown.length <= 300 ? String(shown) : `${shown.slice(0, 300)}... (${shown.length} characters)`
}

// --- running a case ----------------------------------------------------------------------------

let emulator
before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

test('the corpus is there', () => {
  assert.ok(doc.cases.length >= 100, `only ${doc.cases.length} hostile cases`)
})

function clientFor(vector) {
  const config = vector.config ?? {}
  return new Client({
    apiKey: config.api_key !== undefined ? text(config.api_key) : emulator.apiKey,
    orgId: doc.org_id,
    appId: doc.app_id,
    baseUrl: emulator.url,
    maxRetries: 0,
    proxyFromEnv: false,
    userAgent: config.user_agent !== undefined ? text(config.user_agent) : undefined,
  })
}

async function run(vector) {
  try {
    const client = clientFor(vector)
    const options = {}
    for (const [key, member] of Object.entries(vector.input)) {
      if (key !== 'user_id') options[key] = value(member)
    }
    return { user: await client.identify(value(vector.input.user_id), options) }
  } catch (error) {
    return { error }
  }
}

for (const vector of doc.cases) {
  const rule = vector.languages?.node ?? {}
  test(vector.name, { skip: rule.skip }, async () => {
    const want = value(rule.expect ?? vector.expect)
    emulator.reset()
    const outcome = await run(vector)
    const requests = await emulator.requests()
    if (want.error) {
      const { error } = outcome
      assert.ok(error, `succeeded, expected ${short(want.error)}`)
      // Never a raw error: a LogRocketError of the expected kind, message and field.
      assert.ok(error instanceof LogRocketError, `raw ${error?.constructor?.name}: ${short(String(error?.message))}`)
      assert.deepEqual(
        { kind: error.kind, message: error.apiMessage, field: error.field },
        { kind: want.error.kind, message: want.error.message, field: want.error.field },
      )
      assert.equal(error.code, ERROR_CODES[want.error.kind])
      if (want.error.text !== undefined) assert.equal(error.message, want.error.text)
      if (want.error.kind === 'validation') {
        assert.ok(error instanceof ValidationError)
        assert.equal(requests.length, 0, 'a validation error sent a request')
      }
      return
    }
    if (outcome.error) throw outcome.error
    assert.equal(requests.length, 1, 'expected exactly one request')
    const wire = requests[0]
    assert.equal(wire.method, want.request.method)
    assert.equal(wire.path, want.request.path)
    const body = JSON.parse(wire.body)
    assert.ok(sameJson(body, want.request.body), `body ${short(body)}, expected ${short(want.request.body)}`)
    const { user } = outcome
    assert.equal(user.userId, want.user.user_id)
    assert.equal(user.name, want.user.name)
    assert.equal(user.email, want.user.email)
    assert.ok(sameJson(user.traits, want.user.traits ?? {}), `traits ${short(user.traits)}`)
  })
}
