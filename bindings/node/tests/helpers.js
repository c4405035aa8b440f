'use strict'
// Shared by the tests: an emulator per test file and clients pointed at it.

const { spawn } = require('node:child_process')
const path = require('node:path')
const { Client, Emulator } = require('logrocket-identify')

const PACKAGE_DIR = path.resolve(__dirname, '..')

async function startEmulator(options) {
  return Emulator.start(options)
}

function clientFor(emulator, options = {}) {
  return new Client({
    apiKey: emulator.apiKey,
    appId: 'acme/web',
    baseUrl: emulator.url,
    maxRetries: 0,
    // A proxy variable in the environment (CI's) must not change what the tests see.
    proxyFromEnv: false,
    ...options,
  })
}

/**
 * Runs `node` with `args` (cwd: the package, so `require('logrocket-identify')` resolves to
 * it), killing it after `timeoutMs`. Resolves to { code, signal, stdout, stderr, ms, timedOut }.
 */
function runNode(args, { env = {}, timeoutMs = 20_000, cwd = PACKAGE_DIR } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut })
    })
  })
}

module.exports = { PACKAGE_DIR, startEmulator, clientFor, runNode }
