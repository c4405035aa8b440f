'use strict'
// The package's types (index.d.ts over the napi-generated native.d.ts) type-check a usage file
// with `tsc --noEmit --strict`: in place against this package, or, when the tests run against
// an installed package (LOGROCKET_IDENTIFY_NODE_PROJECT), as a copy inside that project, so
// that `logrocket-identify` resolves to the installed types.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')
const { PACKAGE_DIR, PROJECT_DIR, runNode } = require('./helpers.js')

test('tsc --noEmit --strict accepts the typed usage file', async () => {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [PACKAGE_DIR] })
  const source = path.join(__dirname, 'typed_usage.ts')
  let dir
  let file = source
  if (PROJECT_DIR !== PACKAGE_DIR) {
    dir = fs.mkdtempSync(path.join(PROJECT_DIR, 'typecheck-'))
    file = path.join(dir, 'typed_usage.ts')
    fs.copyFileSync(source, file)
  }
  try {
    const run = await runNode(
      [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', file],
      { timeoutMs: 120_000 },
    )
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`)
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  }
})
