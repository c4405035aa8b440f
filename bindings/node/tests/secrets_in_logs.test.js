'use strict'
// The API key and the proxy's credentials appear in no output (issue 11 §4), with the most
// verbose logging Node offers: the onFailure hook (the package's log hook) printing everything
// it gets, RUST_LOG/LOGROCKET_LOG=trace and NODE_DEBUG=* in the environment. The work runs in a
// child node whose stdout and stderr are captured whole. The native side installs no `tracing`
// subscriber, so its events reach no output whatever RUST_LOG says: Node has no way to raise
// the Rust side's log level.

const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'tests', 'proxy', 'tinyproxy.sh')
const KEY = 'secret-key-4f9a2c7e1b'
const PROXY_CREDENTIALS = 'proxyuser:proxy-secret-77'
const SECRETS = [KEY, 'proxy-secret-77', 'cHJveHl1c2VyOnByb3h5LXNlY3JldC03Nw==']

const CHILD = `
const util = require('node:util')
const { lr } = require(${JSON.stringify(path.join(__dirname, 'helpers.js'))})
const [key, proxy] = process.argv.slice(1)
const show = (what, v) => console.log(what, util.inspect(v, { depth: 5, showHidden: true }), String(v))
;(async () => {
  const emulator = await lr.Emulator.start({ apiKey: key })
  const client = new lr.Client({
    apiKey: key, appId: 'acme/secrets', baseUrl: emulator.url, proxy, proxyFromEnv: false, maxRetries: 2,
    onFailure: (failure) => { console.error('onFailure', failure.userId, failure.error); show('failure', failure) },
  })
  show('client', client)
  show('u1', await client.identify('u1', { traits: { plan: 'pro' } }))
  // Each fault after reset(): through tinyproxy an attempt now and then fails on a pooled
  // connection the proxy has closed (a transport error, retried), leaving a fault unused.
  const faults = (script) => { emulator.reset(); emulator.pushFaults(script) }
  faults([{ status: 500 }, { status: 500 }, { status: 500 }])
  await client.identify('u-500').then(() => { throw new Error('a 500 twice succeeded') }, (e) => show('500', e))
  faults([{ status: 400 }])
  await client.identify('u-400').then(() => { throw new Error('a 400 succeeded') }, (e) => show('400', e))
  faults([{ status: 422 }])
  const report = await client.identifyMany([{ userId: 'b1' }, { userId: 'b2' }, { userId: 'b3' }])
  if (report.failures.length !== 1) throw new Error('bulk: ' + util.inspect(report))
  show('report', report)
  faults([{ status: 400 }])
  client.enqueue('q1')
  const summary = await client.close({ timeoutMs: 10000 })
  if (summary.failed !== 1) throw new Error('close: ' + util.inspect(summary))
  show('summary', summary)
  await emulator.stop()
})().catch((e) => { console.error('CHILD FAILED', e); process.exitCode = 1 })
`

function run(file, args, env) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000, env }, (error, stdout, stderr) => resolve({ error, stdout, stderr }))
  })
}

test('no key or proxy credential in any output at the most verbose logging', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logrocket-node-secrets-'))
  try {
    const started = await run(SCRIPT, ['start', dir, PROXY_CREDENTIALS], process.env)
    assert.ifError(started.error)
    const port = Number(started.stdout.trim())
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().includes('proxy')))
    Object.assign(env, { RUST_LOG: 'trace', LOGROCKET_LOG: 'trace', NODE_DEBUG: '*' })
    const child = await run(process.execPath, ['-e', CHILD, KEY, `http://${PROXY_CREDENTIALS}@127.0.0.1:${port}`], env)
    const output = child.stdout + child.stderr
    assert.ifError(child.error, output)
    assert.match(child.stderr, /onFailure q1/, output)
    const log = fs.readFileSync(path.join(dir, 'tinyproxy.log'), 'utf8')
    assert.ok(log.split('Request (file descriptor').length - 1 >= 8, log)
    for (const secret of SECRETS) assert.ok(!output.includes(secret), `${secret} in:\n${output}`)
  } finally {
    await run(SCRIPT, ['stop', dir], process.env)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
