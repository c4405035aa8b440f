'use strict'
// Where no prebuilt native module fits, install.js (npm's install hook) and the loader say so:
// they name the platform and what building from source needs. A copy of the package under
// test holding only its published files and no native module stands in for an install on a
// platform without a prebuilt package (or one that omitted optional dependencies).

const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')
const { projectRequire, runNode } = require('./helpers.js')

const INSTALLED = path.dirname(projectRequire.resolve('logrocket-identify/package.json'))
const { files } = JSON.parse(fs.readFileSync(path.join(INSTALLED, 'package.json'), 'utf8'))
const { PLATFORM } = require(path.join(INSTALLED, 'prebuilt.js'))

/** The package's published files, without any native module, in a fresh directory. */
function bareCopy(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logrocket-node-bare-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const file of ['package.json', ...files]) {
    if (file.includes('*')) continue
    fs.copyFileSync(path.join(INSTALLED, file), path.join(dir, file))
  }
  return dir
}

/** PATH without any directory holding cargo. */
function pathWithoutCargo() {
  const names = process.platform === 'win32' ? ['cargo.exe', 'cargo.cmd'] : ['cargo']
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !names.some((name) => fs.existsSync(path.join(dir, name))))
    .join(path.delimiter)
}

const NO_FORCE = { LOGROCKET_IDENTIFY_BUILD_FROM_SOURCE: '' }

test('install.js finds the prebuilt module of the package under test and builds nothing', async () => {
  const run = await runNode([path.join(INSTALLED, 'install.js')], { env: NO_FORCE })
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stderr, new RegExp(`using the prebuilt native module for ${PLATFORM} .*nothing to build`))
})

test('install.js without a prebuilt module nor the Rust sources fails, naming the platform and cargo', async (t) => {
  const dir = bareCopy(t)
  const run = await runNode([path.join(dir, 'install.js')], { env: NO_FORCE, cwd: dir })
  assert.equal(run.code, 1, run.stderr)
  assert.match(run.stderr, new RegExp(`no prebuilt native module for ${PLATFORM} \\(neither logrocket-identify\\.${PLATFORM}\\.node`))
  assert.match(run.stderr, /Building from source needs cargo and the Rust sources/)
  assert.match(run.stderr, /Prebuilt packages exist for linux-x64-gnu, /)
})

test('install.js in a checkout without cargo on PATH says cargo is needed', async (t) => {
  const dir = bareCopy(t)
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), '') // what marks a checkout
  const run = await runNode([path.join(dir, 'install.js')], { env: { ...NO_FORCE, PATH: pathWithoutCargo() }, cwd: dir })
  assert.equal(run.code, 1, run.stderr)
  assert.match(run.stderr, new RegExp(`no prebuilt native module for ${PLATFORM} .*needs cargo, which is not on PATH`))
})

test('the loader without a native module names the platform and what building needs', async (t) => {
  const dir = bareCopy(t)
  const run = await runNode(['-e', `require(${JSON.stringify(dir)})`], { cwd: dir })
  assert.notEqual(run.code, 0)
  assert.match(run.stderr, new RegExp(`logrocket-identify: no native module for ${PLATFORM} `))
  assert.match(run.stderr, /needs cargo/)
})
