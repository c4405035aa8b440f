'use strict'
// Rate limits on both sides: a client's `rateLimit` spaces its attempts evenly (so a known
// quota is never exceeded), and the emulator's refuses requests past its own with 429 and
// Retry-After. Only lower bounds on time, which the pacer guarantees; a loaded machine can
// only make the runs slower, which none of the assertions mind.

const assert = require('node:assert/strict')
const { performance } = require('node:perf_hooks')
const { after, before, test } = require('node:test')
const { ApiError, Client, ConfigError } = require('./helpers.js').lr
const { clientFor, startEmulator } = require('./helpers.js')

let emulator

before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const users = (prefix, count) => Array.from({ length: count }, (_, i) => ({ userId: `${prefix}-${i}` }))

test('a client limited to 20/s takes at least ~0.95 s for 21 users in bulk', async () => {
  emulator.setRateLimit(null)
  emulator.reset()
  // Concurrency far above the rate, so that only the pacer can hold the run back: the first
  // attempt goes at once, the 21st 20 intervals of 50 ms later.
  const client = clientFor(emulator, { rateLimit: 20, concurrency: 32 })
  const started = performance.now()
  const report = await client.identifyMany(users('paced', 21))
  const seconds = (performance.now() - started) / 1000
  assert.equal(report.succeeded, 21)
  assert.ok(seconds >= 0.95, `21 users at 20/s took only ${seconds.toFixed(3)} s`)
})

test('the emulator refuses requests past its rate limit with 429; a slower client then gets none', async () => {
  emulator.setRateLimit(20)
  emulator.reset()
  try {
    // Unpaced, no retries: far more than a second's worth arrive within the second.
    const flood = await clientFor(emulator, { concurrency: 16 }).identifyMany(users('flood', 100))
    assert.ok(flood.failed > 0, 'no request was refused')
    for (const { error } of flood.failures) {
      assert.ok(error instanceof ApiError, `${error.name}: ${error.message}`)
      assert.equal(error.status, 429)
      assert.equal(error.retryable, true)
    }
    const answered = (await emulator.requests()).map((request) => request.status)
    assert.equal(answered.length, 100)
    assert.equal(answered.filter((status) => status === 429).length, flood.failed)
    assert.equal(answered.filter((status) => status === 200).length, flood.succeeded)

    // After a rest the bucket is full again (20 requests); 15/s never drains it.
    await sleep(1100)
    emulator.reset()
    const paced = await clientFor(emulator, { rateLimit: 15 }).identifyMany(users('paced', 30))
    assert.deepEqual(paced.failures, [])
    assert.equal(paced.succeeded, 30)
    const statuses = (await emulator.requests()).map((request) => request.status)
    assert.deepEqual(statuses, Array(30).fill(200))
  } finally {
    emulator.setRateLimit(null)
  }
})

test('a refused request carries Retry-After in whole seconds, at least 1', async () => {
  const limited = await startEmulator({ rateLimit: 1 })
  try {
    // The limit applies to any API path before auth, so two bare requests show it: the first
    // takes the one token, the second finds none.
    const first = await fetch(`${limited.url}/v1/orgs/acme/apps/web/users/u`, { method: 'PUT' })
    await first.arrayBuffer()
    assert.notEqual(first.status, 429)
    const second = await fetch(`${limited.url}/v1/orgs/acme/apps/web/users/u`, { method: 'PUT' })
    await second.arrayBuffer()
    assert.equal(second.status, 429)
    const retryAfter = second.headers.get('retry-after')
    assert.match(retryAfter, /^\d+$/)
    assert.ok(Number(retryAfter) >= 1)
    assert.deepEqual((await limited.requests()).map((request) => request.status), [first.status, 429])
  } finally {
    await limited.stop()
  }
})

test('the emulator rate limit is set at start, read back, changed and kept through reset', async () => {
  assert.equal(emulator.rateLimit, null)
  const limited = await startEmulator({ rateLimit: 20 })
  try {
    assert.equal(limited.rateLimit, 20)
    limited.setRateLimit(7)
    assert.equal(limited.rateLimit, 7)
    limited.reset()
    assert.equal(limited.rateLimit, 7)
    limited.setRateLimit(0)
    assert.equal(limited.rateLimit, null)
    limited.setRateLimit(3)
    limited.setRateLimit(null)
    assert.equal(limited.rateLimit, null)
    // napi would wrap -1 to 4294967295 and truncate 2.5; refused instead.
    for (const bad of [-1, 2.5, Number.NaN, 2 ** 32, '5']) {
      assert.throws(() => limited.setRateLimit(bad), RangeError, String(bad))
    }
    assert.equal(limited.rateLimit, null)
  } finally {
    await limited.stop()
  }
  await assert.rejects(startEmulator({ rateLimit: -5 }), RangeError)
  const unlimited = await startEmulator({ rateLimit: 0 })
  assert.equal(unlimited.rateLimit, null)
  await unlimited.stop()
})

test('a rate limit that is not a finite number above 0 is the core\'s ConfigError', () => {
  const options = { apiKey: 'k', appId: 'acme/web', baseUrl: emulator.url }
  const expected = [
    [0, '0'],
    [-1, '-1'],
    [-0.5, '-0.5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'inf'],
  ]
  for (const [rateLimit, shown] of expected) {
    assert.throws(
      () => new Client({ ...options, rateLimit }),
      (error) => {
        assert.ok(error instanceof ConfigError, `${String(rateLimit)}: ${error}`)
        assert.equal(error.code, 'ERR_LOGROCKET_CONFIG')
        assert.equal(error.apiMessage, `the rate limit must be a number of requests per second above 0, got ${shown}`)
        assert.equal(error.message, `configuration error: ${error.apiMessage}`)
        return true
      },
    )
  }
  // A value of the wrong type never reaches the core, but is the same kind of error.
  assert.throws(() => new Client({ ...options, rateLimit: '20' }), ConfigError)
  // Fractions are rates too (one request every two seconds); null and undefined mean none.
  for (const rateLimit of [0.5, 1000, null, undefined]) new Client({ ...options, rateLimit })
})
