'use strict'
// An idle client does not keep the process alive; an in-flight identify (or bulk run) does,
// until it settles. Each case runs in a child node process with a timeout.

const assert = require('node:assert/strict')
const { after, before, test } = require('node:test')
const { runNode, startEmulator } = require('./helpers.js')

let emulator

before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

function childEnv() {
  return { LOGROCKET_API_KEY: emulator.apiKey, LOGROCKET_APP_ID: 'acme/web', LOGROCKET_BASE_URL: emulator.url }
}

test('an idle client does not keep the process alive', async () => {
  const script = `
    const { Client } = require('logrocket-identify')
    globalThis.client = new Client()
    console.log('built')`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 10_000 })
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'built')
})

test('a client that has finished its work does not keep the process alive', async () => {
  emulator.reset()
  const script = `
    const { Client } = require('logrocket-identify')
    const client = new Client()
    client.identify('done-1').then((u) => console.log('identified', u.userId))`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 10_000 })
  assert.equal(run.timedOut, false, 'the process did not exit')
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'identified done-1')
})

test('an in-flight identify keeps the process alive until it settles', async () => {
  emulator.reset()
  emulator.pushFaults({ delayMs: 1500 })
  // No timer, no await at top level: only the pending identify can keep this process running.
  const script = `
    const { Client } = require('logrocket-identify')
    new Client().identify('slow-1').then((u) => console.log('identified', u.userId))`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 15_000 })
  assert.equal(run.timedOut, false)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'identified slow-1')
  assert.ok(run.ms >= 1400, `exited after ${run.ms} ms, before the answer`)
  assert.equal((await emulator.users()).length, 1)
})

test('an in-flight identifyMany keeps the process alive until its report', async () => {
  emulator.reset()
  emulator.setFaultRate(1, { delayMs: 300 })
  const script = `
    const { Client } = require('logrocket-identify')
    const rows = Array.from({ length: 8 }, (_, i) => ({ userId: 'bulk-' + i }))
    new Client().identifyMany(rows, { concurrency: 2 }).then((r) => console.log('report', r.succeeded))`
  const run = await runNode(['-e', script], { env: childEnv(), timeoutMs: 15_000 })
  emulator.setFaultRate()
  assert.equal(run.timedOut, false)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'report 8')
})

test('an emulator that is not stopped does not keep the process alive', async () => {
  const script = `
    const { Emulator } = require('logrocket-identify')
    Emulator.start().then((emu) => console.log('started', emu.url.startsWith('http://127.0.0.1:')))`
  const run = await runNode(['-e', script], { timeoutMs: 10_000 })
  assert.equal(run.timedOut, false)
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'started true')
})
