'use strict'
// The package's types (index.d.ts over the napi-generated native.d.ts) type-check a usage file
// with `tsc --noEmit --strict`.

const assert = require('node:assert/strict')
const path = require('node:path')
const { test } = require('node:test')
const { PACKAGE_DIR, runNode } = require('./helpers.js')

test('tsc --noEmit --strict accepts the typed usage file', async () => {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [PACKAGE_DIR] })
  const run = await runNode(
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', path.join(__dirname, 'typed_usage.ts')],
    { timeoutMs: 120_000 },
  )
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
})
