'use strict'
// Every case of tests/vectors/*.json through the Node API, end to end against the emulator:
// what went on the wire (from the emulator's request log), the user returned, or the error.

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { after, before, describe, test } = require('node:test')
const { Client, LogRocketError, ERROR_CODES, validate } = require('./helpers.js').lr
const { startEmulator } = require('./helpers.js')

const VECTORS_DIR = path.resolve(__dirname, '../../../tests/vectors')

/** A marker ({"$float": ...} or {"$bigint": ...}) as the JS value it stands for. */
function traitValue(value) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === '$float') return Number(value.$float)
    if (keys.length === 1 && keys[0] === '$bigint') return BigInt(value.$bigint)
  }
  return value
}

function identifyArgs(input) {
  const options = {}
  for (const key of ['name', 'email', 'timestamp', 'unset']) {
    if (key in input) options[key] = input[key]
  }
  if ('traits' in input) {
    options.traits = Object.fromEntries(Object.entries(input.traits).map(([k, v]) => [k, traitValue(v)]))
  }
  return [input.user_id, options]
}

function userAsJson(user) {
  const json = { user_id: user.userId, traits: user.traits }
  if (user.name !== undefined) json.name = user.name
  if (user.email !== undefined) json.email = user.email
  return json
}

const files = fs.readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.json')).sort()
let emulator

before(async () => {
  emulator = await startEmulator()
})
after(async () => {
  await emulator.stop()
})

test('the vectors are there', () => {
  const cases = files.flatMap((f) => JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, f), 'utf8')).cases)
  assert.ok(cases.length >= 50, `only ${cases.length} vector cases found`)
})

for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, file), 'utf8'))
  describe(file, () => {
    for (const vector of doc.cases) {
      test(vector.name, async () => {
        const client = new Client({ apiKey: emulator.apiKey, orgId: doc.org_id, appId: doc.app_id, baseUrl: emulator.url, maxRetries: 0 })
        emulator.reset()
        for (const setup of vector.setup ?? []) await client.identify(...identifyArgs(setup))
        const sentBefore = (await emulator.requests()).length
        const outcome = await client.identify(...identifyArgs(vector.input)).then(
          (user) => ({ user }),
          (error) => ({ error }),
        )
        const requests = await emulator.requests()
        const expect = vector.expect
        // validate() judges the input as identify() did, sending nothing.
        const judged = (() => { try { validate(...identifyArgs(vector.input)) } catch (error) { return error } })()
        if (expect.error?.kind === 'validation') {
          assert.ok(judged, 'validate() passed an input identify() refused')
          assert.equal(judged.field, expect.error.field)
          assert.equal(judged.apiMessage, expect.error.message)
        } else {
          assert.equal(judged, undefined, `validate() refused an input identify() took: ${judged}`)
        }
        if (expect.error) {
          assert.ok(outcome.error, `expected ${JSON.stringify(expect.error)}, got success`)
          const error = outcome.error
          assert.ok(error instanceof LogRocketError, `not a LogRocketError: ${error}`)
          assert.equal(error.kind, expect.error.kind)
          assert.equal(error.code, ERROR_CODES[expect.error.kind])
          assert.equal(error.apiMessage, expect.error.message)
          // The whole text, the same in every language, where the vector gives it.
          if (expect.error.text !== undefined) assert.equal(error.message, expect.error.text)
          assert.equal(error.field, expect.error.field)
          if (expect.error.kind === 'validation') assert.equal(requests.length, sentBefore, 'a validation error still sent a request')
          return
        }
        if (outcome.error) throw outcome.error
        assert.equal(requests.length, sentBefore + 1, 'expected exactly one request')
        const wire = requests[requests.length - 1]
        assert.equal(wire.method, expect.request.method)
        assert.equal(wire.path, expect.request.path)
        assert.deepEqual(JSON.parse(wire.body), expect.request.body)
        assert.deepEqual(userAsJson(outcome.user), { traits: {}, ...expect.user })
      })
    }
  })
}
