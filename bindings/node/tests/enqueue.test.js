'use strict'
// Background delivery against the emulator with faults: enqueue validates at once and returns,
// flush and close keep their deadlines, every full-queue policy does what it says, every update
// that will not be delivered reaches onFailure and the counters, a script that never calls close
// still delivers (beforeExit), an idle client lets the process exit, and the loop never waits.

const assert = require('node:assert/strict')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { after, before, test } = require('node:test')
const { ApiError, ClosedError, ConfigError, LogRocketError, QueueFullError, ValidationError, Client } = require('./helpers.js').lr
const { clientFor, runNode, startEmulator } = require('./helpers.js')

let emulator

before(async () => {
  emulator = await startEmulator({ requestLogLimit: 50_000 })
})
after(async () => {
  await emulator.stop()
})

function assertCountersAddUp(counters) {
  const { enqueued, coalesced, delivered, failed, dropped, pending } = counters
  assert.equal(enqueued, coalesced + delivered + failed + dropped + pending, JSON.stringify(counters))
}

/** A client whose failures are collected in `failures`. */
function collectingClient(options = {}, server = emulator) {
  const failures = []
  const client = clientFor(server, { onFailure: (failure) => failures.push(failure), ...options })
  return { client, failures }
}

/**
 * Runs `work` against an emulator of its own that holds every request `delayMs`. Requests
 * abandoned there would otherwise land in the shared one long after their test.
 */
async function withHangingEmulator(delayMs, work) {
  const hanging = await startEmulator()
  hanging.setFaultRate(1, { delayMs })
  try {
    await work(hanging)
  } finally {
    await hanging.stop()
  }
}

test('10,000 enqueues through 5xx and 429 bursts with Retry-After: exactly the expected users, counters add up', async () => {
  emulator.reset()
  const { client, failures } = collectingClient({ maxRetries: 12, initialBackoffMs: 1, maxBackoffMs: 20, concurrency: 16 })
  // Two 429 bursts with a short Retry-After, one now and one midway; 20% 503 throughout.
  const burst = Array.from({ length: 4 }, () => ({ status: 429, retryAfter: '1' }))
  emulator.pushFaults(burst)
  emulator.setFaultRate(0.2, { status: 503 })

  const users = 2500
  const expected = new Map()
  for (let i = 0; i < 10_000; i += 1) {
    const n = i % users
    const userId = `bulk-user-${n}`
    const traits = { round: Math.floor(i / users), [`t${i % 7}`]: `v${i}` }
    client.enqueue(userId, { name: `Name ${i}`, traits })
    const state = expected.get(userId) ?? { name: undefined, traits: {} }
    state.name = `Name ${i}`
    for (const [key, value] of Object.entries(traits)) state.traits[key] = String(value)
    expected.set(userId, state)
    if (i === 5000) emulator.pushFaults(burst)
    // Yield now and then, as a server between requests would.
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve))
  }
  const summary = await client.flush({ timeoutMs: 120_000 })
  emulator.setFaultRate()

  assert.equal(summary.completed, true, JSON.stringify(summary))
  assert.equal(summary.pending, 0)
  assert.deepEqual(failures, [])
  const counters = client.counters()
  assertCountersAddUp(counters)
  assert.equal(counters.enqueued, 10_000)
  assert.equal(counters.failed, 0)
  assert.equal(counters.dropped, 0)
  assert.equal(counters.pending, 0)
  assert.equal(counters.inFlight, 0)
  assert.equal(counters.delivered + counters.coalesced, 10_000)
  assert.equal(summary.delivered, counters.delivered)
  assert.ok(counters.retried > 0, 'no retry under 20% 503 and 429 bursts')

  const stored = await emulator.users()
  assert.equal(stored.length, users)
  for (const user of stored) {
    const want = expected.get(user.userId)
    assert.ok(want, `unexpected user ${user.userId}`)
    assert.equal(user.name, want.name, user.userId)
    assert.deepEqual(user.traits, want.traits, user.userId)
  }
  const statuses = new Set((await emulator.requests()).map((r) => r.status))
  assert.ok(statuses.has(429) && statuses.has(503), `faults did not fire: ${[...statuses]}`)
  await client.close()
})

test('enqueue validates at once, throwing the same ValidationError identify rejects with', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  const fromIdentify = await client.identify('', { name: 'x' }).catch((error) => error)
  assert.throws(() => client.enqueue('', { name: 'x' }), (error) => {
    assert.ok(error instanceof ValidationError)
    assert.equal(error.message, fromIdentify.message)
    assert.equal(error.apiMessage, fromIdentify.apiMessage)
    assert.equal(error.field, fromIdentify.field)
    return true
  })
  assert.throws(() => client.enqueue('u', { traits: { bad: Number.NaN } }), (error) => error instanceof ValidationError && error.field === 'traits.bad')
  assert.throws(() => client.enqueue('u', { traits: { big: 2n ** 70n, nested: {} } }), ValidationError)
  assert.throws(() => client.enqueue(42), (error) => error instanceof ValidationError && error.field === 'user_id')
  assert.equal(client.counters().enqueued, 0)
  // Every path (JSON and typed) queues what is valid.
  client.enqueue('typed', { traits: { big: 2n ** 70n, when: new Date(5) } })
  client.enqueue('plain', { name: 'Plain', traits: { plan: 'pro', gone: null }, unset: ['old'] })
  const summary = await client.flush({ timeoutMs: 30_000 })
  assert.equal(summary.completed, true)
  assert.equal(summary.delivered, 2)
  const stored = Object.fromEntries((await emulator.users()).map((u) => [u.userId, u]))
  assert.equal(stored.typed.traits.big, (2n ** 70n).toString())
  assert.equal(stored.typed.traits.when, '5')
  assert.equal(stored.plain.traits.plan, 'pro')
  await client.close()
})

test('bad delivery options are ConfigErrors at construction', () => {
  assert.throws(() => clientFor(emulator, { whenFull: 'sometimes' }), (error) => error instanceof ConfigError && /whenFull/.test(error.message))
  assert.throws(() => clientFor(emulator, { queueCapacity: 0 }), ConfigError)
  assert.throws(() => clientFor(emulator, { queueMaxBytes: 0 }), ConfigError)
  assert.throws(() => clientFor(emulator, { queueCapacity: -1 }), ConfigError)
  assert.throws(() => clientFor(emulator, { onFailure: 'log' }), ConfigError)
})

/** Holds every request `delayMs`, so that the queue fills. */
function slowEmulator(delayMs) {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs })
}

/** Enqueues `count` distinct users; returns the accepted ids and the errors thrown. */
function enqueueMany(client, prefix, count) {
  const accepted = []
  const errors = []
  for (let i = 0; i < count; i += 1) {
    try {
      client.enqueue(`${prefix}-${i}`, { traits: { i } })
      accepted.push(`${prefix}-${i}`)
    } catch (error) {
      errors.push(error)
    }
  }
  return { accepted, errors }
}

for (const policy of [{ whenFull: 'error' }, { whenFull: 'block' }, {}, { whenFull: 'block', enqueueTimeoutMs: 30 }]) {
  test(`a full queue with ${JSON.stringify(policy)} throws QueueFullError and loses nothing accepted`, async () => {
    slowEmulator(400)
    const { client, failures } = collectingClient({ queueCapacity: 3, concurrency: 1, ...policy })
    const { accepted, errors } = enqueueMany(client, 'full', 30)
    assert.ok(errors.length > 0, 'the queue never filled')
    for (const error of errors) {
      assert.ok(error instanceof QueueFullError && error instanceof LogRocketError)
      assert.equal(error.code, 'ERR_LOGROCKET_QUEUE_FULL')
      assert.equal(error.kind, 'queue_full')
      assert.match(error.message, /^queue full: ./)
    }
    assert.equal(accepted.length + errors.length, 30)
    emulator.setFaultRate()
    const summary = await client.flush({ timeoutMs: 60_000 })
    assert.equal(summary.completed, true)
    assert.deepEqual(failures, [])
    const counters = client.counters()
    assertCountersAddUp(counters)
    assert.equal(counters.enqueued, accepted.length)
    assert.equal(counters.delivered, accepted.length)
    assert.deepEqual((await emulator.users()).map((u) => u.userId).sort(), [...accepted].sort())
    await client.close()
  })
}

test("'block' with an enqueueTimeoutMs the caller chose waits for room, and accepts", async () => {
  slowEmulator(50)
  const { client, failures } = collectingClient({ queueCapacity: 1, concurrency: 1, whenFull: 'block', enqueueTimeoutMs: 10_000 })
  const { accepted, errors } = enqueueMany(client, 'wait', 6)
  assert.deepEqual(errors, [])
  emulator.setFaultRate()
  const summary = await client.flush({ timeoutMs: 60_000 })
  assert.equal(summary.completed, true)
  assert.equal(summary.delivered, 6)
  assert.deepEqual(failures, [])
  assert.deepEqual((await emulator.users()).map((u) => u.userId).sort(), [...accepted].sort())
  await client.close()
})

test("'dropOldest' never throws; every dropped update reaches onFailure as QueueFullError and is counted", async () => {
  slowEmulator(300)
  const { client, failures } = collectingClient({ queueCapacity: 3, concurrency: 1, whenFull: 'dropOldest' })
  const { accepted, errors } = enqueueMany(client, 'drop', 30)
  assert.deepEqual(errors, [])
  assert.equal(accepted.length, 30)
  emulator.setFaultRate()
  const summary = await client.flush({ timeoutMs: 60_000 })
  assert.equal(summary.completed, true)
  const counters = client.counters()
  assertCountersAddUp(counters)
  assert.ok(counters.dropped > 0, 'nothing was dropped')
  assert.equal(counters.delivered + counters.dropped, 30)
  assert.equal(failures.length, counters.dropped)
  for (const failure of failures) {
    assert.ok(failure.error instanceof QueueFullError, String(failure.error))
    assert.equal(failure.updates, 1)
  }
  const dropped = failures.map((f) => f.userId)
  const stored = (await emulator.users()).map((u) => u.userId)
  assert.equal(stored.length, counters.delivered)
  // Delivered and dropped split the input: nothing lost, nothing both.
  assert.deepEqual([...stored, ...dropped].sort(), [...accepted].sort())
  await client.close()
})

test('flush and close keep their deadline while the API hangs; close abandons the rest to onFailure', () => withHangingEmulator(8000, async (hanging) => {
  const { client, failures } = collectingClient({ timeoutMs: 20_000, concurrency: 2 }, hanging)
  for (let i = 0; i < 6; i += 1) client.enqueue(`hang-${i}`)

  let started = Date.now()
  const flushed = await client.flush({ timeoutMs: 300 })
  assert.ok(Date.now() - started < 5000, `flush took ${Date.now() - started} ms`)
  assert.equal(flushed.completed, false)
  assert.equal(flushed.pending, 6)
  assert.equal(flushed.delivered, 0)

  started = Date.now()
  const closed = await client.close({ timeoutMs: 300 })
  assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`)
  assert.equal(closed.completed, false)
  assert.equal(closed.pending, 0)
  assert.equal(closed.dropped, 6)
  assert.equal(failures.length, 6, 'close resolved before onFailure heard of every abandoned update')
  assert.deepEqual(failures.map((f) => f.userId).sort(), Array.from({ length: 6 }, (_, i) => `hang-${i}`).sort())
  for (const failure of failures) assert.ok(failure.error instanceof ClosedError)
  assertCountersAddUp(client.counters())

  // Closed for good: enqueue throws, close again is harmless.
  assert.throws(() => client.enqueue('late'), (error) => {
    assert.ok(error instanceof ClosedError && error instanceof LogRocketError)
    assert.equal(error.code, 'ERR_LOGROCKET_CLOSED')
    assert.match(error.message, /^closed: ./)
    return true
  })
  const again = await client.close({ timeoutMs: 100 })
  assert.equal(again.dropped, 6)
}))

test('permanent failures reach onFailure with the user id and the API error; retryable ones are retried', async () => {
  emulator.reset()
  const { client, failures } = collectingClient({ concurrency: 1, maxRetries: 2, initialBackoffMs: 1 })
  // Sent in order with concurrency 1: the second user gets a 400, the third a 503 then success.
  emulator.pushFaults([{}, { status: 400, body: 'no such app' }, { status: 503 }, {}])
  client.enqueue('ok-1')
  client.enqueue('bad-1', { name: 'secret-name' })
  client.enqueue('ok-2')
  const summary = await client.flush({ timeoutMs: 30_000 })
  assert.equal(summary.completed, true)
  assert.equal(summary.failed, 1)
  assert.equal(summary.delivered, 2)
  assert.equal(failures.length, 1)
  const [failure] = failures
  assert.equal(failure.userId, 'bad-1')
  assert.equal(failure.updates, 1)
  assert.ok(failure.error instanceof ApiError)
  assert.equal(failure.error.status, 400)
  assert.equal(failure.error.apiMessage, 'no such app')
  assert.equal(failure.error.message, 'LogRocket API error 400: no such app')
  // The hook hears of the failure, never of the update's values.
  assert.ok(!JSON.stringify({ ...failure, message: failure.error.message }).includes('secret-name'))
  const counters = client.counters()
  assert.equal(counters.retried, 1)
  assertCountersAddUp(counters)
  await client.close()
})

test('a throwing onFailure becomes a process warning, and the other failures still arrive', async () => {
  emulator.reset()
  let calls = 0
  const client = clientFor(emulator, {
    concurrency: 1,
    onFailure: () => {
      calls += 1
      throw new Error('hook broke')
    },
  })
  const warnings = []
  const onWarning = (warning) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    emulator.pushFaults([{ status: 400 }, { status: 400 }])
    client.enqueue('w-1')
    client.enqueue('w-2')
    await client.flush({ timeoutMs: 30_000 })
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  assert.equal(calls, 2)
  assert.equal(warnings.filter((w) => /hook broke/.test(w.message)).length, 2)
  await client.close()
})

test('enqueue and flush never block the event loop while the API is slow', async () => {
  slowEmulator(500)
  const client = clientFor(emulator, { concurrency: 8 })
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  let ticks = 0
  const interval = setInterval(() => { ticks += 1 }, 10)
  histogram.enable()
  const started = Date.now()
  for (let i = 0; i < 64; i += 1) client.enqueue(`loop-${i}`, { traits: { i } })
  const summary = await client.flush({ timeoutMs: 60_000 })
  const elapsed = Date.now() - started
  histogram.disable()
  clearInterval(interval)
  emulator.setFaultRate()
  assert.equal(summary.completed, true)
  assert.equal(summary.delivered, 64)
  assert.ok(elapsed >= 500, `flushed in ${elapsed} ms, before the API answered`)
  assert.ok(ticks >= elapsed / 10 / 2, `only ${ticks} ticks in ${elapsed} ms`)
  const p99ms = histogram.percentile(99) / 1e6
  assert.ok(p99ms < 50, `event loop p99 delay ${p99ms.toFixed(1)} ms`)
  await client.close()
})

test('identifyMany with concurrency 0 rejects with the core ConfigError', async () => {
  const client = clientFor(emulator)
  await assert.rejects(client.identifyMany([{ userId: 'x' }], { concurrency: 0 }), (error) => {
    assert.ok(error instanceof ConfigError)
    assert.match(error.message, /concurrency/)
    return true
  })
  assert.throws(() => new Client({ apiKey: 'k', appId: 'a/b', concurrency: 0 }), ConfigError)
})

function childEnv(server = emulator) {
  return { LOGROCKET_API_KEY: server.apiKey, LOGROCKET_APP_ID: 'acme/web', LOGROCKET_BASE_URL: server.url }
}

test('a script that enqueues and ends without close still delivers everything (beforeExit)', async () => {
  // Slow enough that nothing is delivered by the script's last line, quick enough for the
  // drain's deadline.
  slowEmulator(20)
  // Nothing keeps this script alive after its last line but the pending updates.
  const script = `
    const { Client } = require('logrocket-identify')
    const client = new Client({ concurrency: 8, onFailure: (f) => console.log('failed', f.userId) })
    for (let i = 0; i < 300; i += 1) client.enqueue('exit-' + i, { traits: { i } })
    process.on('exit', () => console.log('pending at exit', client.counters().pending))
    console.log('enqueued')`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 60_000 })
  emulator.setFaultRate()
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(run.stdout.trim().split('\n'), ['enqueued', 'pending at exit 0'])
  const stored = await emulator.users()
  assert.equal(stored.length, 300)
})

test('at exit, updates the drain cannot deliver in time reach onFailure, and the process still exits', () => withHangingEmulator(30_000, async (hanging) => {
  const script = `
    const { Client } = require('logrocket-identify')
    const client = new Client({ timeoutMs: 60000, onFailure: (f) => console.log('failed', f.userId, f.error.code) })
    client.enqueue('stuck-1')
    console.log('enqueued')`
  const run = await runNode(['-e', script], { env: childEnv(hanging), timeoutMs: 25_000 })
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(run.stdout.trim().split('\n'), ['enqueued', 'failed stuck-1 ERR_LOGROCKET_CLOSED'])
}))

test('an idle client, one that has flushed, and a closed one all let the process exit', async () => {
  emulator.reset()
  const script = `
    const { Client } = require('logrocket-identify')
    const hook = () => {}
    globalThis.idle = new Client({ onFailure: hook })
    const flushed = new Client({ onFailure: hook })
    const closed = new Client({ onFailure: hook })
    flushed.enqueue('idle-1')
    closed.enqueue('idle-2')
    Promise.all([flushed.flush(), closed.close()]).then(([a, b]) => console.log('done', a.delivered, b.delivered))`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 15_000 })
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'done 1 1')
})

test('a script whose last act is close hears of every abandoned update before it exits', () => withHangingEmulator(30_000, async (hanging) => {
  // Thousands of hook calls are still queued for the JS thread when close's summary is ready;
  // the hook does not keep the process alive, so close itself waits for them.
  const script = `
    const { Client } = require('logrocket-identify')
    let heard = 0
    const client = new Client({ timeoutMs: 60000, onFailure: () => { heard += 1 } })
    for (let i = 0; i < 5000; i += 1) client.enqueue('abandoned-' + i)
    process.on('exit', () => console.log('heard', heard))
    client.close({ timeoutMs: 200 }).then((summary) => console.log('dropped', summary.dropped))`
  const run = await runNode(['-e', script], { env: childEnv(hanging), timeoutMs: 25_000 })
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(run.stdout.trim().split('\n'), ['dropped 5000', 'heard 5000'])
}))
