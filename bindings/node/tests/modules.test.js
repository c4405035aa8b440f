'use strict'
// `require('logrocket-identify')` and `import ... from 'logrocket-identify'` both work, and
// give the same classes, so `instanceof` agrees whichever way a module loaded the package; the
// package reports its version and the core's default concurrency.

const assert = require('node:assert/strict')
const { test } = require('node:test')
const { inspect } = require('node:util')
const { lr, projectRequire, runNode } = require('./helpers.js')

const NAMES = ['version', 'DEFAULT_CONCURRENCY', 'Client', 'validate', 'Emulator', 'LogRocketError', 'ValidationError', 'ApiError', 'TransportError', 'TimeoutError', 'ConfigError', 'QueueFullError', 'ClosedError']

test('CommonJS require works', async () => {
  const script = `
    const lr = require('logrocket-identify')
    const missing = ${JSON.stringify(NAMES)}.filter((n) => lr[n] === undefined)
    if (missing.length) throw new Error('missing ' + missing)
    try { lr.validate('') } catch (e) {
      console.log(e instanceof lr.ValidationError, e instanceof lr.LogRocketError, e instanceof Error, e.code)
    }`
  const run = await runNode(['-e', script])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'true true true ERR_LOGROCKET_VALIDATION')
})

test('ESM import works, named and default, with the same classes as require', async () => {
  const script = `
    import { createRequire } from 'node:module'
    import lr, { ${NAMES.join(', ')} } from 'logrocket-identify'
    const cjs = createRequire(process.cwd() + '/')('logrocket-identify')
    if (ValidationError !== cjs.ValidationError || lr.Client !== Client) throw new Error('two copies')
    const emu = await Emulator.start()
    const client = new Client({ apiKey: emu.apiKey, appId: 'acme/web', baseUrl: emu.url })
    const user = await client.identify('esm-1', { traits: { n: 1n } })
    let error
    try { await client.identify('', {}) } catch (e) { error = e }
    console.log(user.traits.n, error instanceof cjs.ValidationError, error instanceof LogRocketError, error.field)
    await emu.stop()`
  const run = await runNode(['--input-type=module', '-e', script])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), '1 true true user_id')
})

test('version is package.json\'s, reported by the native module; ESM exports it too', async () => {
  const manifest = projectRequire('logrocket-identify/package.json')
  assert.match(lr.version, /^\d+\.\d+\.\d+/)
  assert.equal(lr.version, manifest.version)
  const run = await runNode(['--input-type=module', '-e', `
    import { version } from 'logrocket-identify'
    console.log(version)`])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(run.stdout.trim(), manifest.version)
})

test('DEFAULT_CONCURRENCY is the core\'s, and a client left without concurrency uses it', () => {
  assert.ok(Number.isInteger(lr.DEFAULT_CONCURRENCY) && lr.DEFAULT_CONCURRENCY > 0, String(lr.DEFAULT_CONCURRENCY))
  const client = new lr.Client({ apiKey: 'k', appId: 'acme/web', baseUrl: 'http://127.0.0.1:9', proxyFromEnv: false })
  assert.match(inspect(client), new RegExp(`concurrency: ${lr.DEFAULT_CONCURRENCY}\\b`))
  const fixed = new lr.Client({ apiKey: 'k', appId: 'acme/web', baseUrl: 'http://127.0.0.1:9', proxyFromEnv: false, concurrency: 3 })
  assert.match(inspect(fixed), /concurrency: 3\b/)
})
