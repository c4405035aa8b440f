'use strict'
// The network options against real components: the emulator over HTTPS (its throwaway CA
// trusted through `caCert`, HTTP/2 by ALPN unless `http1Only`), and a real forward proxy
// (tinyproxy, started by the repository's shared tests/proxy/tinyproxy.sh, whose log shows each
// CONNECT), taken from the environment or from `proxy`. Every client here is built with
// `proxyFromEnv: false` except those testing the environment, so a proxy variable in the CI
// environment cannot change them; those set the variables just for the client's construction,
// when the core reads them, and restore them at once.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const util = require('node:util')
const { after, before, test } = require('node:test')
const { Client, ConfigError, Emulator, TransportError } = require('./helpers.js').lr

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'tests', 'proxy', 'tinyproxy.sh')
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']
const PASSWORD = 's3cret'
const WRONG_PASSWORD = 'wr0ng-pw'

let emulator
let port

before(async () => {
  emulator = await Emulator.start({ tls: true })
  port = new URL(emulator.url).port
})
after(async () => {
  await emulator.stop()
})

function run(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/**
 * Runs `body(proxy)` with tinyproxy on a free port (asking for `credentials`, "user:password",
 * when given), and stops it after, whatever happens.
 */
async function withProxy(credentials, body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logrocket-node-proxy-'))
  try {
    const started = await run(SCRIPT, credentials ? ['start', dir, credentials] : ['start', dir])
    const proxyPort = Number(started.trim())
    assert.ok(Number.isInteger(proxyPort) && proxyPort > 0, `the script printed ${started}`)
    const proxy = {
      url: (userAndPassword) => `http://${userAndPassword ? `${userAndPassword}@` : ''}127.0.0.1:${proxyPort}`,
      log: () => fs.readFileSync(path.join(dir, 'tinyproxy.log'), 'utf8'),
      /** CONNECT lines to the emulator's port in the proxy's log. */
      connects: () => proxy.log().split('\n').filter((line) => line.includes(`): CONNECT 127.0.0.1:${port} `)).length,
    }
    return await body(proxy)
  } finally {
    await run(SCRIPT, ['stop', dir])
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Builds a client with exactly `variables` of the proxy environment set (the others unset),
 * then restores the environment: the core reads it when the client is constructed.
 */
function clientInEnvironment(variables, options) {
  const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]))
  try {
    for (const name of PROXY_VARIABLES) delete process.env[name]
    Object.assign(process.env, variables)
    return new Client(options)
  } finally {
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
  }
}

/** Options for a client of the HTTPS emulator, trusting its CA, ignoring the environment's proxy. */
function options(extra = {}) {
  return {
    apiKey: emulator.apiKey,
    appId: 'acme/web',
    baseUrl: emulator.url,
    caCert: emulator.caCertPem,
    proxyFromEnv: false,
    maxRetries: 0,
    initialBackoffMs: 1,
    ...extra,
  }
}

async function protocols() {
  return (await emulator.requests()).map((request) => request.protocol)
}

async function storedUserIds() {
  return (await emulator.users()).map((user) => user.userId)
}

/** Every text a value shows as: inspect (hidden properties too), String, and for errors stack and JSON. */
function shownTexts(value) {
  const texts = [util.inspect(value, { depth: 10, showHidden: true }), String(value)]
  if (value instanceof Error) texts.push(value.stack, JSON.stringify(value))
  return texts
}

function assertNotShown(secret, what, value) {
  for (const text of shownTexts(value)) assert.ok(!text.includes(secret), `${secret} shows in ${what}: ${text}`)
}

test('the TLS emulator gives its URL and CA; a plain one has none', async () => {
  assert.match(emulator.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  assert.match(emulator.caCertPem, /^-----BEGIN CERTIFICATE-----/)
  assert.equal(fs.readFileSync(emulator.caCertPath, 'utf8'), emulator.caCertPem)
  const plain = await Emulator.start()
  try {
    assert.match(plain.url, /^http:\/\//)
    assert.equal(plain.caCertPem, null)
    assert.equal(plain.caCertPath, null)
    await new Client({ apiKey: plain.apiKey, appId: 'acme/web', baseUrl: plain.url, proxyFromEnv: false }).identify('plain-1')
    assert.deepEqual((await plain.requests()).map((request) => request.protocol), ['HTTP/1.1'])
  } finally {
    await plain.stop()
  }
})

test('the emulator writes its CA where caCertPath says, and leaves it there at stop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logrocket-node-ca-'))
  try {
    const named = path.join(dir, 'emulator-ca.pem')
    const own = await Emulator.start({ tls: true, caCertPath: named })
    assert.equal(own.caCertPath, named)
    const client = new Client(options({ baseUrl: own.url, apiKey: own.apiKey, caCert: named }))
    await client.identify('named-ca-1')
    await own.stop()
    assert.equal(fs.readFileSync(named, 'utf8'), own.caCertPem)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('HTTPS trusting the CA as PEM text or as a file path speaks HTTP/2; http1Only speaks HTTP/1.1', async () => {
  emulator.reset()
  const fromPem = await new Client(options({ caCert: emulator.caCertPem })).identify('tls-1', { traits: { plan: 'pro' } })
  assert.equal(fromPem.traits.plan, 'pro')
  await new Client(options({ caCert: emulator.caCertPath })).identify('tls-2')
  await new Client(options({ http1Only: true })).identify('tls-3')
  assert.deepEqual(await protocols(), ['HTTP/2.0', 'HTTP/2.0', 'HTTP/1.1'])
  assert.deepEqual(await storedUserIds(), ['tls-1', 'tls-2', 'tls-3'])
})

test('without the CA, a TransportError with reason tls, not retried', async () => {
  emulator.reset()
  const client = new Client(options({ caCert: undefined, maxRetries: 3 }))
  await assert.rejects(client.identify('untrusted-1'), (error) => {
    assert.ok(error instanceof TransportError, `${error}`)
    assert.equal(error.code, 'ERR_LOGROCKET_TRANSPORT')
    assert.equal(error.reason, 'tls')
    assert.equal(error.retryable, false)
    assert.match(error.message, /^transport error \(tls\): /)
    return true
  })
  assert.deepEqual(await emulator.requests(), [])
})

test('HTTPS_PROXY from the environment tunnels each request through the proxy', async () => {
  emulator.reset()
  await withProxy(undefined, async (proxy) => {
    // proxyFromEnv left at its default, true.
    const { proxyFromEnv, ...fromEnv } = options()
    void proxyFromEnv
    // A client per request: one client reuses its tunnel, so would show one CONNECT in all.
    await clientInEnvironment({ HTTPS_PROXY: proxy.url() }, fromEnv).identify('env-proxy-1')
    assert.equal(proxy.connects(), 1, proxy.log())
    await clientInEnvironment({ HTTPS_PROXY: proxy.url() }, fromEnv).identify('env-proxy-2')
    assert.equal(proxy.connects(), 2, proxy.log())
    assert.deepEqual(await storedUserIds(), ['env-proxy-1', 'env-proxy-2'])

    // proxyFromEnv: false ignores it.
    const ignoring = clientInEnvironment({ HTTPS_PROXY: proxy.url() }, options())
    await ignoring.identify('env-proxy-3')
    assert.equal(proxy.connects(), 2, proxy.log())
  })
})

test('an explicit proxy with credentials tunnels each request, and never shows its password', async () => {
  emulator.reset()
  await withProxy(`alice:${PASSWORD}`, async (proxy) => {
    const client = new Client(options({ proxy: proxy.url(`alice:${PASSWORD}`) }))
    await client.identify('explicit-1')
    assert.equal(proxy.connects(), 1, proxy.log())
    await new Client(options({ proxy: proxy.url(`alice:${PASSWORD}`) })).identify('explicit-2')
    assert.equal(proxy.connects(), 2, proxy.log())
    assert.deepEqual(await storedUserIds(), ['explicit-1', 'explicit-2'])
    assertNotShown(PASSWORD, 'the client', client)
    assert.match(util.inspect(client), /proxy: 'http:\/\/<redacted>@127\.0\.0\.1:\d+\/'/)
  })
})

test('NO_PROXY=127.0.0.1 reaches the emulator directly despite HTTPS_PROXY', async () => {
  emulator.reset()
  await withProxy(undefined, async (proxy) => {
    const { proxyFromEnv, ...fromEnv } = options()
    void proxyFromEnv
    const client = clientInEnvironment({ HTTPS_PROXY: proxy.url(), NO_PROXY: '127.0.0.1' }, fromEnv)
    await client.identify('bypass-1')
    assert.equal(proxy.connects(), 0, proxy.log())
    assert.deepEqual(await storedUserIds(), ['bypass-1'])
  })
})

test('a wrong proxy password is a TransportError with reason proxy, tried once, the password shown nowhere', async () => {
  emulator.reset()
  await withProxy(`alice:${PASSWORD}`, async (proxy) => {
    const client = new Client(options({ proxy: proxy.url(`alice:${WRONG_PASSWORD}`), maxRetries: 3 }))
    const error = await client.identify('refused-1').then(
      () => assert.fail('the proxy accepted a wrong password'),
      (e) => e,
    )
    assert.ok(error instanceof TransportError, `${error}`)
    assert.equal(error.reason, 'proxy')
    assert.equal(error.retryable, false)
    assert.match(error.message, /^transport error \(proxy\): /)
    assert.equal(proxy.connects(), 1, proxy.log())
    assert.deepEqual(await emulator.requests(), [])
    for (const secret of [WRONG_PASSWORD, PASSWORD]) {
      assertNotShown(secret, 'the error', error)
      assertNotShown(secret, 'the client', client)
    }
  })
})

test('a host that does not resolve is a TransportError with reason dns, not retried', async () => {
  const client = new Client(options({ baseUrl: 'https://no-such-host.invalid', maxRetries: 3, initialBackoffMs: 2000, maxBackoffMs: 2000 }))
  const started = performance.now()
  await assert.rejects(client.identify('nowhere-1'), (error) => {
    assert.ok(error instanceof TransportError, `${error}`)
    assert.equal(error.reason, 'dns')
    assert.equal(error.retryable, false)
    assert.match(error.message, /^transport error \(dns\): /)
    return true
  })
  const ms = performance.now() - started
  // One retry alone would wait up to 2 s of backoff.
  assert.ok(ms < 1500, `a dns failure took ${ms.toFixed(0)} ms: was it retried?`)
})

test('util.inspect of a client with a proxy hides the credentials', () => {
  const client = new Client(options({ proxy: `http://alice:${PASSWORD}@proxy.internal:3128` }))
  assertNotShown(PASSWORD, 'the client', client)
  assertNotShown('alice', 'the client', client)
  assert.match(util.inspect(client), /proxy: 'http:\/\/<redacted>@proxy\.internal:3128\/'/)
  assert.doesNotMatch(util.inspect(new Client(options())), /proxy/)
})

test('a bad proxy URL is a ConfigError that does not quote the password', () => {
  assert.throws(() => new Client(options({ proxy: `socks9://alice:${PASSWORD}@proxy:1080` })), (error) => {
    assert.ok(error instanceof ConfigError, `${error}`)
    assert.match(error.message, /^configuration error: proxy scheme/)
    assertNotShown(PASSWORD, 'the config error', error)
    return true
  })
  assert.throws(() => new Client(options({ proxy: 3128 })), (error) => {
    assert.ok(error instanceof TypeError)
    assert.match(error.message, /^proxy must be a string/)
    return true
  })
})

test('a missing CA file is a ConfigError naming the path; so is PEM text holding no certificate', () => {
  const missing = path.join(os.tmpdir(), 'logrocket-no-such-dir', 'ca.pem')
  assert.throws(() => new Client(options({ caCert: missing })), (error) => {
    assert.ok(error instanceof ConfigError, `${error}`)
    assert.equal(error.code, 'ERR_LOGROCKET_CONFIG')
    assert.ok(error.message.startsWith(`configuration error: cannot read the CA certificate file ${missing}`), error.message)
    return true
  })
  assert.throws(() => new Client(options({ caCert: '-----BEGIN NOTHING-----\n' })), (error) => {
    assert.ok(error instanceof ConfigError, `${error}`)
    assert.match(error.message, /holds no PEM certificate/)
    return true
  })
})

test('connectTimeoutMs takes a whole number of milliseconds above 0', async () => {
  emulator.reset()
  await new Client(options({ connectTimeoutMs: 2000 })).identify('connect-1')
  assert.deepEqual(await storedUserIds(), ['connect-1'])
  for (const bad of [0, -1, 1.5, '5s']) {
    assert.throws(() => new Client(options({ connectTimeoutMs: bad })), ConfigError, `connectTimeoutMs: ${bad}`)
  }
})
