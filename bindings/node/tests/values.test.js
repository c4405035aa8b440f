'use strict'
// JS values on the wire: BigInt as decimal digits, Date as Unix milliseconds, null and `unset`
// remove; invalid Date, NaN, Infinity, objects, arrays, symbols and functions are a
// ValidationError naming the trait (nothing sent), never a crash.

const assert = require('node:assert/strict')
const { after, before, test } = require('node:test')
const { ValidationError, validate } = require('./helpers.js').lr
const { clientFor, startEmulator } = require('./helpers.js')

let emulator
let client

before(async () => {
  emulator = await startEmulator()
  client = clientFor(emulator)
})
after(async () => {
  await emulator.stop()
})

async function lastBody() {
  const requests = await emulator.requests()
  return requests[requests.length - 1].body
}

test('BigInt goes as its decimal string, small ones as integers', async () => {
  const user = await client.identify('big-1', { traits: { huge: -123456789012345678901234567890n, small: 42n } })
  assert.equal(await lastBody(), '{"traits":{"huge":"-123456789012345678901234567890","small":42}}')
  assert.deepEqual(user.traits, { huge: '-123456789012345678901234567890', small: '42' })
})

test('Date goes as Unix milliseconds, as the timestamp and as a trait', async () => {
  const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
  await client.identify('date-1', { timestamp: at, traits: { signup: at } })
  assert.deepEqual(JSON.parse(await lastBody()), { timestamp: at.getTime(), traits: { signup: at.getTime() } })
  await client.identify('date-2', { timestamp: 1700000000000 })
  assert.deepEqual(JSON.parse(await lastBody()), { timestamp: 1700000000000 })
})

test('numbers: whole ones as integers, others as floats; booleans; null and unset remove', async () => {
  await client.identify('num-1', { traits: { a: 43, b: 99.5, c: true, gone: null, skipped: undefined }, unset: ['old'] })
  assert.equal(await lastBody(), '{"traits":{"a":43,"b":99.5,"c":true,"gone":"","old":""}}')
})

test('a Map of traits works like an object', async () => {
  const user = await client.identify('map-1', { traits: new Map([['plan', 'pro']]) })
  assert.deepEqual(user.traits, { plan: 'pro' })
})

const INVALID = {
  'an invalid Date': new Date('not a date'),
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  'a nested object': { a: 1 },
  'an empty object': {},
  'an array': [1, 2],
  'a symbol': Symbol('s'),
  'a function': () => 1,
  'a class instance': new (class Plan {})(),
}

for (const [what, value] of Object.entries(INVALID)) {
  test(`${what} as a trait value is a ValidationError naming the trait, nothing sent`, async () => {
    const before = (await emulator.requests()).length
    await assert.rejects(client.identify('bad-1', { traits: { ok: 'yes', 'my trait': value } }), (error) => {
      assert.ok(error instanceof ValidationError)
      assert.equal(error.code, 'ERR_LOGROCKET_VALIDATION')
      assert.equal(error.apiMessage, 'Malformed request')
      assert.equal(error.field, 'traits.my trait')
      assert.equal(error.retryable, false)
      assert.ok(error.detail.length > 0)
      return true
    })
    assert.throws(() => validate('bad-1', { traits: { 'my trait': value } }), ValidationError)
    assert.equal((await emulator.requests()).length, before)
  })
}

test('an invalid Date or a fractional or non-finite number as the timestamp is a ValidationError', async () => {
  for (const timestamp of [new Date('nope'), 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
    await assert.rejects(client.identify('ts-1', { timestamp }), (error) => {
      assert.ok(error instanceof ValidationError)
      assert.equal(error.field, 'timestamp')
      assert.equal(error.apiMessage, 'Malformed request')
      return true
    })
  }
})

test('arguments of the wrong type reject with a ValidationError naming the field', async () => {
  const cases = [
    [[42], 'user_id'],
    [['u', { name: 5 }], 'name'],
    [['u', { email: Buffer.from('x') }], 'email'],
    [['u', { timestamp: '2024-01-01' }], 'timestamp'],
    [['u', { traits: [1] }], 'traits'],
    [['u', { traits: new Map([[1, 'x']]) }], 'traits'],
    [['u', { unset: 'old' }], 'unset'],
    [['u', { unset: [1] }], 'unset'],
    [['u', { trait: { plan: 'pro' } }], 'trait'], // an unknown option: a typo is not ignored
  ]
  for (const [args, field] of cases) {
    await assert.rejects(client.identify(...args), (error) => {
      assert.ok(error instanceof ValidationError, `${field}: ${error}`)
      assert.equal(error.field, field)
      assert.equal(error.apiMessage, 'Malformed request')
      assert.match(error.message, new RegExp(`^invalid input: ${field}: Malformed request \\(`))
      return true
    })
  }
  await assert.rejects(client.identify(null), (error) => error instanceof ValidationError && error.apiMessage === 'userID is required')
})

test('text with a lone surrogate is a ValidationError on its field, never sent altered', async () => {
  const before = (await emulator.requests()).length
  const cases = [
    [['\uD800'], 'user_id'],
    [['u', { name: 'a\uDC00' }], 'name'],
    [['u', { traits: { plan: '\uDBFF' } }], 'traits.plan'],
    [['u', { traits: { '\uD83D': 'v' } }], 'traits'],
    [['u', { unset: ['\uDFFF'] }], 'traits'],
  ]
  for (const [args, field] of cases) {
    await assert.rejects(client.identify(...args), (error) => {
      assert.ok(error instanceof ValidationError, `${field}: ${error}`)
      assert.equal(error.field, field)
      assert.match(error.detail, /lone surrogate/)
      return true
    })
  }
  assert.equal((await emulator.requests()).length, before)
  // A proper pair is one character, and is sent.
  const user = await client.identify('pair', { name: '\uD83D\uDE00' })
  assert.equal(user.name, '\u{1F600}')
})

test('validate passes a valid request and sends nothing', async () => {
  const before = (await emulator.requests()).length
  validate('ok-1', { name: 'A', traits: { n: 1n, d: new Date() } })
  assert.equal((await emulator.requests()).length, before)
})

test('plain values take the same wire form whichever input path carries them', async () => {
  // Plain values cross as the core's JSON form; a Map (or any BigInt) takes the typed path.
  const at = new Date(Date.UTC(2024, 5, 1))
  const traits = { a: 43, b: 99.5, c: 'x', d: at, e: false, f: null, big: 2 ** 60 }
  await client.identify('path-1', { name: 'N', timestamp: at, traits, unset: ['g'] })
  const viaJson = JSON.parse(await lastBody())
  await client.identify('path-1', { name: 'N', timestamp: at, traits: new Map(Object.entries(traits)), unset: ['g'] })
  const viaTyped = JSON.parse(await lastBody())
  assert.deepEqual(viaTyped, viaJson)
  assert.deepEqual(viaJson.traits, { a: 43, b: 99.5, c: 'x', d: at.getTime(), e: false, f: '', big: 2 ** 60, g: '' })
})
