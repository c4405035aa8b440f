'use strict'
// Runs identify.js as a user would after `npm install ./bindings/node`: `logrocket-identify`
// resolves through a node_modules folder linking to the package.

const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { test } = require('node:test')

test('examples/node/identify.js runs and prints what it did', () => {
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'logrocket-node-example-'))
  try {
    fs.symlinkSync(path.resolve(__dirname, '../../bindings/node'), path.join(modules, 'logrocket-identify'), 'dir')
    const run = spawnSync(process.execPath, [path.join(__dirname, 'identify.js')], {
      env: { ...process.env, NODE_PATH: modules },
      encoding: 'utf8',
      timeout: 30_000,
    })
    assert.equal(run.status, 0, run.stderr)
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'identified user-42: plan=pro mrr=99.5',
      'rejected before sending: invalid input: traits.address: Malformed request (trait values must be a string, number, boolean or null, got an object)',
      'bulk: 100 of 101 identified, 1 failed',
      '  row 100: invalid input: user_id: userID is required',
      'background: 50 delivered, 0 failed, 0 pending',
      'the emulator stores 151 users',
    ])
  } finally {
    fs.rmSync(modules, { recursive: true, force: true })
  }
})
