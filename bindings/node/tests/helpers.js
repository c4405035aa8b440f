'use strict'
// Shared by the tests: an emulator per test file and clients pointed at it.

const { spawn } = require('node:child_process')
const { createRequire } = require('node:module')
const path = require('node:path')

const PACKAGE_DIR = path.resolve(__dirname, '..')

/**
 * The project the tests resolve `logrocket-identify` from: this package itself (its own name
 * resolves to it here), or LOGROCKET_IDENTIFY_NODE_PROJECT, a project that installed the
 * package (scripts/test-node.sh points it at a scratch project holding the npm tarballs).
 */
const PROJECT_DIR = process.env.LOGROCKET_IDENTIFY_NODE_PROJECT
  ? path.resolve(process.env.LOGROCKET_IDENTIFY_NODE_PROJECT)
  : PACKAGE_DIR
const projectRequire = createRequire(path.join(PROJECT_DIR, 'package.json'))

/** The package under test, as `require('logrocket-identify')` in PROJECT_DIR gives it. */
const lr = projectRequire('logrocket-identify')
const { Client, Emulator } = lr

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
 * Runs `node` with `args` (cwd: PROJECT_DIR, so `require('logrocket-identify')` resolves to the
 * package under test), killing it after `timeoutMs`. Resolves to { code, signal, stdout,
 * stderr, ms, timedOut }.
 */
function runNode(args, { env = {}, timeoutMs = 20_000, cwd = PROJECT_DIR } = {}) {
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

module.exports = { PACKAGE_DIR, PROJECT_DIR, projectRequire, lr, startEmulator, clientFor, runNode }
