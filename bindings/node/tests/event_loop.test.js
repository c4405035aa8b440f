'use strict'
// The event loop is never blocked: timer ticks keep arriving on time while 100 identifies wait
// on a slow API (every request delayed), and while a bulk run does.

const assert = require('node:assert/strict')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { after, before, test } = require('node:test')
const { clientFor, startEmulator } = require('./helpers.js')

const DELAY_MS = 600
let emulator

before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

/** Runs `work` while a 10 ms interval ticks; returns the ticks seen and the loop's delay. */
async function measure(work) {
  const histogram = monitorEventLoopDelay({ resolution: 5 })
  let ticks = 0
  const interval = setInterval(() => { ticks += 1 }, 10)
  histogram.enable()
  const started = Date.now()
  const result = await work()
  const elapsed = Date.now() - started
  histogram.disable()
  clearInterval(interval)
  return { result, ticks, elapsed, p99ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 }
}

test('100 identifies waiting on a delayed API never block the event loop', async () => {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs: DELAY_MS })
  const client = clientFor(emulator, { concurrency: 100 })
  const { result, ticks, elapsed, p99ms, maxMs } = await measure(() =>
    Promise.all(Array.from({ length: 100 }, (_, i) => client.identify(`slow-${i}`, { traits: { i } }))),
  )
  assert.equal(result.length, 100)
  assert.ok(elapsed >= DELAY_MS, `finished in ${elapsed} ms, before the ${DELAY_MS} ms delay`)
  // 10 ms ticks over >= 600 ms: a blocked loop would see a handful; allow for a slow machine.
  assert.ok(ticks >= elapsed / 10 / 2, `only ${ticks} ticks in ${elapsed} ms`)
  assert.ok(p99ms < 50, `event loop p99 delay ${p99ms.toFixed(1)} ms (max ${maxMs.toFixed(1)} ms)`)
  emulator.setFaultRate()
})

test('a bulk run waiting on a delayed API never blocks the event loop', async () => {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs: 200 })
  const client = clientFor(emulator)
  const rows = Array.from({ length: 200 }, (_, i) => ({ userId: `bulk-slow-${i}` }))
  const { result, ticks, elapsed, p99ms } = await measure(() => client.identifyMany(rows, { concurrency: 50 }))
  assert.equal(result.succeeded, 200)
  assert.ok(ticks >= elapsed / 10 / 2, `only ${ticks} ticks in ${elapsed} ms`)
  assert.ok(p99ms < 50, `event loop p99 delay ${p99ms.toFixed(1)} ms`)
  emulator.setFaultRate()
})
