'use strict'
// identifyMany: arrays, iterables and async iterables, consumed lazily (never more than
// `concurrency` rows waiting beside the `concurrency` in flight), and every failed row reported
// with its index, user id and error; nothing dropped.

const assert = require('node:assert/strict')
const { after, before, test } = require('node:test')
const { ApiError, ValidationError } = require('./helpers.js').lr
const { clientFor, startEmulator } = require('./helpers.js')

let emulator

before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

test('an async iterable is pulled lazily: at most 2 x concurrency rows ahead of the finished ones', async () => {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs: 30 })
  const client = clientFor(emulator)
  const concurrency = 4
  const total = 60
  let pulled = 0
  let maxAhead = 0
  async function* rows() {
    for (let i = 0; i < total; i += 1) {
      // Finished = answered by the emulator; what was pulled but not finished is buffered or in flight.
      const finished = (await emulator.requests()).length
      maxAhead = Math.max(maxAhead, pulled - finished)
      pulled += 1
      yield { userId: `lazy-${i}` }
    }
  }
  const report = await client.identifyMany(rows(), { concurrency })
  emulator.setFaultRate()
  assert.equal(report.total, total)
  assert.equal(report.succeeded, total)
  assert.equal(pulled, total)
  assert.ok(maxAhead <= 2 * concurrency + 1, `pulled ${maxAhead} rows ahead of the answered ones`)
  assert.ok(maxAhead >= concurrency, `only ${maxAhead} ahead: the run did not fill its slots`)
})

test('a sync generator is pulled lazily too', async () => {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs: 20 })
  const client = clientFor(emulator)
  let pulled = 0
  function* rows() {
    for (let i = 0; i < 40; i += 1) {
      pulled += 1
      yield { userId: `gen-${i}` }
    }
  }
  const running = client.identifyMany(rows(), { concurrency: 2 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.ok(pulled <= 2 * 2 + 1, `pulled ${pulled} rows at once`)
  const report = await running
  emulator.setFaultRate()
  assert.equal(report.succeeded, 40)
})

test('every failed row is reported with its index, user id and error; the rest succeed', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  // Rows 3 and 7 get a 400 from the API (scripted faults apply in order of arrival, so the
  // run is made sequential with concurrency 1).
  const rows = Array.from({ length: 10 }, (_, i) => ({ userId: `row-${i}`, traits: { i } }))
  rows[1] = { userId: 'row-1', traits: { bad: Number.NaN } }
  rows[4] = 'not an object'
  rows[5] = { name: 'no id' }
  rows[8] = { userId: 'row-8', nmae: 'typo' }
  const script = []
  let sendable = 0
  for (let i = 0; i < rows.length; i += 1) {
    if ([1, 4, 5, 8].includes(i)) continue
    script.push(i === 3 || i === 7 ? { status: 400, body: 'nope' } : {})
    sendable += 1
  }
  emulator.pushFaults(script)
  const report = await client.identifyMany(rows, { concurrency: 1 })
  assert.equal(report.total, 10)
  assert.equal(report.succeeded, sendable - 2)
  assert.equal(report.failed, 6)
  assert.deepEqual(report.failures.map((f) => f.index), [1, 3, 4, 5, 7, 8])
  const byIndex = Object.fromEntries(report.failures.map((f) => [f.index, f]))
  assert.ok(byIndex[1].error instanceof ValidationError)
  assert.equal(byIndex[1].error.field, 'traits.bad')
  assert.equal(byIndex[1].userId, 'row-1')
  assert.ok(byIndex[3].error instanceof ApiError)
  assert.equal(byIndex[3].error.status, 400)
  assert.equal(byIndex[3].error.apiMessage, 'nope')
  assert.equal(byIndex[3].error.message, 'LogRocket API error 400: nope')
  assert.equal(byIndex[3].userId, 'row-3')
  assert.ok(byIndex[4].error instanceof ValidationError)
  assert.equal(byIndex[5].error.apiMessage, 'userID is required')
  assert.equal(byIndex[5].error.message, 'invalid input: user_id: userID is required')
  assert.equal(byIndex[8].error.field, 'nmae')
  assert.equal((await emulator.users()).length, sendable - 2)
})

test('a large array goes through with every row accounted for', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  const rows = Array.from({ length: 3000 }, (_, i) => ({ userId: `many-${i}`, traits: { i, plan: 'pro' } }))
  const report = await client.identifyMany(rows, { concurrency: 32 })
  assert.deepEqual({ total: report.total, succeeded: report.succeeded, failed: report.failed }, { total: 3000, succeeded: 3000, failed: 0 })
  assert.equal((await emulator.users()).length, 3000)
})

test('an error thrown by the input rejects the call and stops the run', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  async function* rows() {
    yield { userId: 'first' }
    throw new Error('source broke')
  }
  await assert.rejects(client.identifyMany(rows()), /source broke/)
  await assert.rejects(client.identifyMany(42), TypeError)
})

test('an empty input gives an empty report', async () => {
  const report = await clientFor(emulator).identifyMany([])
  assert.deepEqual(report, { total: 0, succeeded: 0, failed: 0, failures: [] })
})
