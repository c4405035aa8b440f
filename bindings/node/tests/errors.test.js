'use strict'
// Each error kind as its class, with a stable code and status/field/retryable where they apply;
// and the API key never shows in an error, its stack, JSON, or util.inspect of anything.

const assert = require('node:assert/strict')
const net = require('node:net')
const util = require('node:util')
const { after, before, test } = require('node:test')
const lr = require('./helpers.js').lr
const { clientFor, startEmulator } = require('./helpers.js')

const { ApiError, Client, ConfigError, LogRocketError, TimeoutError, TransportError, ValidationError } = lr
const SECRET = 'sk-live-0123456789-very-secret'
let emulator

before(async () => {
  emulator = await startEmulator({ apiKey: SECRET })
})
after(async () => {
  await emulator.stop()
})

function assertNoSecret(what, value) {
  const texts = [util.inspect(value, { depth: 10, showHidden: true }), String(value)]
  if (value instanceof Error) texts.push(value.stack, JSON.stringify(value))
  for (const text of texts) assert.ok(!text.includes(SECRET), `the key shows in ${what}: ${text}`)
}

async function closedPortUrl() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

test('an error status from the API is an ApiError with status and retryable', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  emulator.pushFaults([{ status: 503 }, { status: 404, body: 'no such app' }])
  await assert.rejects(client.identify('api-1'), (error) => {
    assert.ok(error instanceof ApiError && error instanceof LogRocketError && error instanceof Error)
    assert.equal(error.code, 'ERR_LOGROCKET_API')
    assert.equal(error.name, 'ApiError')
    assert.equal(error.status, 503)
    assert.equal(error.retryable, true)
    assert.equal(error.field, undefined)
    return true
  })
  await assert.rejects(client.identify('api-2'), (error) => {
    assert.equal(error.status, 404)
    assert.equal(error.retryable, false)
    assert.equal(error.apiMessage, 'no such app')
    assert.equal(error.message, 'LogRocket API error 404: no such app')
    return true
  })
})

test('message is the core\'s whole text, apiMessage the bare one, and neither shows the key', async () => {
  emulator.reset()
  const client = clientFor(emulator)
  const invalid = await client.identify('u-1', { name: 'x'.repeat(1025) }).catch((e) => e)
  emulator.pushFaults({ status: 400, body: 'Malformed request' })
  const refused = await client.identify('u-2').catch((e) => e)
  let misconfigured
  try {
    new Client({ apiKey: SECRET, appId: 'acme/web', baseUrl: emulator.url, concurrency: 0 })
  } catch (e) {
    misconfigured = e
  }
  const cases = [
    {
      error: invalid,
      type: ValidationError,
      text: 'invalid input: name: name too large (max 1024 characters)',
      bare: 'name too large (max 1024 characters)',
    },
    {
      error: refused,
      type: ApiError,
      text: 'LogRocket API error 400: Malformed request',
      bare: 'Malformed request',
    },
    {
      error: misconfigured,
      type: ConfigError,
      text: 'configuration error: concurrency must be at least 1',
      bare: 'concurrency must be at least 1',
    },
  ]
  for (const { error, type, text, bare } of cases) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error}`)
    assert.equal(error.message, text)
    assert.equal(error.apiMessage, bare)
    assert.equal(String(error), `${type.name}: ${text}`)
    assert.ok(util.inspect(error).includes(text))
    assertNoSecret(`a ${type.name}`, error)
  }
})

test('a configuration error caught in JS reads like one from the core', () => {
  assert.throws(() => clientFor(emulator, { queueCapacity: -1 }), (error) => {
    assert.ok(error instanceof ConfigError)
    assert.match(error.message, /^configuration error: queueCapacity must be a whole number/)
    assert.equal(error.message, `configuration error: ${error.apiMessage}`)
    return true
  })
})

test('retryable failures are retried by the core', async () => {
  emulator.reset()
  const client = clientFor(emulator, { maxRetries: 2, initialBackoffMs: 1 })
  emulator.pushFaults([{ status: 500 }, { dropConnection: true }])
  const user = await client.identify('retry-1')
  assert.equal(user.userId, 'retry-1')
})

test('a dropped connection is a TransportError, a slow answer a TimeoutError', async () => {
  emulator.reset()
  const client = clientFor(emulator, { timeoutMs: 200 })
  emulator.pushFaults([{ dropConnection: true }, { delayMs: 1000 }])
  await assert.rejects(client.identify('drop-1'), (error) => {
    assert.ok(error instanceof TransportError)
    assert.equal(error.code, 'ERR_LOGROCKET_TRANSPORT')
    assert.equal(error.reason, 'reset')
    assert.equal(error.retryable, true)
    assert.match(error.message, /^transport error \(reset\): /)
    assertNoSecret('a transport error', error)
    return true
  })
  await assert.rejects(client.identify('slow-1'), (error) => {
    assert.ok(error instanceof TimeoutError)
    assert.equal(error.code, 'ERR_LOGROCKET_TIMEOUT')
    assertNoSecret('a timeout error', error)
    return true
  })
})

test('nothing listening is a TransportError without the key', async () => {
  const client = new Client({ apiKey: SECRET, appId: 'acme/web', baseUrl: await closedPortUrl(), maxRetries: 0, proxyFromEnv: false })
  await assert.rejects(client.identify('nobody-home'), (error) => {
    assert.ok(error instanceof TransportError)
    assert.equal(error.reason, 'connect')
    assert.equal(error.retryable, true)
    assertNoSecret('a transport error', error)
    return true
  })
})

test('bad configuration throws ConfigError at construction, saying what to set', () => {
  const saved = { ...process.env }
  try {
    delete process.env.LOGROCKET_API_KEY
    delete process.env.LOGROCKET_APP_ID
    delete process.env.LOGROCKET_BASE_URL
    assert.throws(() => new Client({ appId: 'acme/web' }), (error) => {
      assert.ok(error instanceof ConfigError)
      assert.equal(error.code, 'ERR_LOGROCKET_CONFIG')
      assert.match(error.message, /LOGROCKET_API_KEY/)
      return true
    })
    assert.throws(() => new Client({ apiKey: SECRET }), (error) => {
      assert.ok(error instanceof ConfigError)
      assert.match(error.message, /org\/app/)
      assertNoSecret('a config error', error)
      return true
    })
    assert.throws(() => new Client({ apiKey: SECRET, appId: 'a/b', baseUrl: 'http://example.com' }), ConfigError)
    assert.throws(() => new Client({ apiKey: SECRET, appId: 'a/b', concurrency: 0 }), ConfigError)
    process.env.LOGROCKET_API_KEY = SECRET
    process.env.LOGROCKET_APP_ID = 'acme/web'
    const fromEnv = new Client()
    assert.match(util.inspect(fromEnv), /orgId: 'acme'/)
    assertNoSecret('a client from the environment', fromEnv)
  } finally {
    for (const name of ['LOGROCKET_API_KEY', 'LOGROCKET_APP_ID', 'LOGROCKET_BASE_URL']) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
  }
})

test('a wrong key is a 401 ApiError that does not quote either key', async () => {
  const client = new Client({ apiKey: `${SECRET}-wrong`, appId: 'acme/web', baseUrl: emulator.url, maxRetries: 0 })
  await assert.rejects(client.identify('auth-1'), (error) => {
    assert.ok(error instanceof ApiError)
    assert.equal(error.status, 401)
    assertNoSecret('a 401 error', error)
    return true
  })
})

test('the key never shows in util.inspect of the client, the emulator or a validation error', async () => {
  const client = clientFor(emulator)
  assertNoSecret('the client', client)
  assertNoSecret('the emulator', emulator)
  assert.deepEqual(Object.keys(client), [])
  const error = await client.identify('', { name: 'x' }).catch((e) => e)
  assert.ok(error instanceof ValidationError)
  assertNoSecret('a validation error', error)
})
