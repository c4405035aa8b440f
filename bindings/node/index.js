'use strict'
// logrocket-identify for Node: the public API over the native module (native.js, built from
// the Rust core by `napi build` on install). This file only sorts JS values by type, feeds
// bulk rows lazily, and turns the native error records into Error subclasses; every rule
// about the values themselves is the core's.

const { inspect, types } = require('node:util')
const native = require('./native.js')

// ---------------------------------------------------------------------------------------------
// Errors

const CODES = Object.freeze({
  validation: 'ERR_LOGROCKET_VALIDATION',
  api: 'ERR_LOGROCKET_API',
  transport: 'ERR_LOGROCKET_TRANSPORT',
  timeout: 'ERR_LOGROCKET_TIMEOUT',
  config: 'ERR_LOGROCKET_CONFIG',
})

/** The base of every error this package raises. `code` is stable; `kind` names the kind. */
class LogRocketError extends Error {
  constructor(message, kind, retryable, options) {
    super(message, options)
    this.name = new.target.name
    this.code = CODES[kind]
    this.kind = kind
    this.retryable = retryable
  }
}

/** The input broke one of the API's rules; nothing was sent. */
class ValidationError extends LogRocketError {
  constructor(message, field, detail) {
    super(message, 'validation', false)
    this.field = field
    this.detail = detail ?? undefined
  }
}

/** The API answered with an error status (after any retries). */
class ApiError extends LogRocketError {
  constructor(message, status, retryable) {
    super(message, 'api', retryable)
    this.status = status
  }
}

/** The request could not be delivered, or its answer could not be read. */
class TransportError extends LogRocketError {
  constructor(message) {
    super(message, 'transport', true)
  }
}

/** Every attempt ran past the per-attempt timeout. */
class TimeoutError extends LogRocketError {
  constructor(message) {
    super(message, 'timeout', true)
  }
}

/** The client's configuration is incomplete or wrong; the message says what to set. */
class ConfigError extends LogRocketError {
  constructor(message) {
    super(message, 'config', false)
  }
}

function toError(record) {
  switch (record.kind) {
    case 'validation':
      return new ValidationError(record.message, record.field, record.detail)
    case 'api':
      return new ApiError(record.message, record.status, record.retryable)
    case 'transport':
      return new TransportError(record.message)
    case 'timeout':
      return new TimeoutError(record.message)
    default:
      return new ConfigError(record.message)
  }
}

// ---------------------------------------------------------------------------------------------
// JS values to the native input shape

/** A bulk row that cannot become a request; reported as that row's failure, never thrown. */
class UnreadableRow {
  constructor(field, detail) {
    this.field = field
    this.detail = detail
  }
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (types.isDate(value)) return 'a Date'
  const type = typeof value
  return type === 'object' ? 'an object' : `a ${type}`
}

function optionalString(value, what) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${describe(value)}`)
  return value
}

function timestamp(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') return value
  // An invalid Date gives NaN, which the native side rejects as a malformed timestamp.
  if (types.isDate(value)) return value.getTime()
  throw new TypeError(`timestamp must be a Date or Unix milliseconds, got ${describe(value)}`)
}

/** One trait sorted by its JS type; `undefined` leaves the trait out, as JSON would. */
function traitInput(key, value) {
  switch (typeof value) {
    case 'string':
      return { key, kind: 'string', text: value }
    case 'number':
      return { key, kind: 'number', number: value }
    case 'boolean':
      return { key, kind: 'boolean', flag: value }
    case 'bigint':
      return { key, kind: 'bigint', text: value.toString() }
    case 'undefined':
      return undefined
    case 'object':
      if (value === null) return { key, kind: 'remove' }
      if (types.isDate(value)) {
        const ms = value.getTime()
        return Number.isNaN(ms)
          ? { key, kind: 'unsupported', text: 'an invalid Date' }
          : { key, kind: 'number', number: ms }
      }
      return { key, kind: 'unsupported', text: describe(value) }
    default:
      return { key, kind: 'unsupported', text: describe(value) }
  }
}

function traitsInput(traits, unset) {
  const entries = []
  if (traits !== undefined && traits !== null) {
    if (typeof traits !== 'object' || Array.isArray(traits)) {
      throw new TypeError(`traits must be an object of trait name to value, got ${describe(traits)}`)
    }
    const source = traits instanceof Map ? traits.entries() : Object.entries(traits)
    for (const [key, value] of source) {
      if (typeof key !== 'string') throw new TypeError(`trait names must be strings, got ${describe(key)}`)
      const entry = traitInput(key, value)
      if (entry !== undefined) entries.push(entry)
    }
  }
  if (unset !== undefined && unset !== null) {
    if (typeof unset === 'string' || typeof unset[Symbol.iterator] !== 'function') {
      throw new TypeError('unset must be an array of trait names')
    }
    for (const key of unset) {
      if (typeof key !== 'string') throw new TypeError(`unset entries must be strings, got ${describe(key)}`)
      entries.push({ key, kind: 'remove' })
    }
  }
  return entries.length > 0 ? entries : undefined
}

/** `identify(userId, options)`'s arguments as the native input; throws TypeError on wrong types. */
function requestInput(userId, options) {
  if (typeof userId !== 'string') throw new TypeError(`userId must be a string, got ${describe(userId)}`)
  if (options === undefined || options === null) return { userId }
  if (typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`)
  return {
    userId,
    name: optionalString(options.name, 'name'),
    email: optionalString(options.email, 'email'),
    timestamp: timestamp(options.timestamp),
    traits: traitsInput(options.traits, options.unset),
  }
}

/**
 * The core's JSON input form (`{"user_id", "name", ...}`) for the common case: strings, finite
 * numbers, booleans, null and valid Dates. One string crosses into the native module instead
 * of an object per trait, which is several times cheaper. Anything else (a BigInt, NaN, an
 * object, a wrong type) returns undefined and takes the typed path, which says what is wrong.
 */
function jsonInput(userId, options) {
  if (typeof userId !== 'string') return undefined
  if (options === undefined || options === null) return JSON.stringify({ user_id: userId })
  if (typeof options !== 'object') return undefined
  const { name, email, traits, unset } = options
  if (name !== undefined && name !== null && typeof name !== 'string') return undefined
  if (email !== undefined && email !== null && typeof email !== 'string') return undefined
  let ms = options.timestamp
  if (ms !== undefined && ms !== null) {
    if (types.isDate(ms)) ms = ms.getTime()
    if (!Number.isSafeInteger(ms)) return undefined
  }
  let sent = traits
  if (traits !== undefined && traits !== null) {
    if (typeof traits !== 'object' || Array.isArray(traits) || traits instanceof Map) return undefined
    for (const key of Object.keys(traits)) {
      const value = traits[key]
      switch (typeof value) {
        case 'string':
        case 'boolean':
        case 'undefined':
          continue
        case 'number':
          if (Number.isFinite(value)) continue
          return undefined
        case 'object':
          if (value === null) continue
          if (types.isDate(value) && !Number.isNaN(value.getTime())) {
            if (sent === traits) sent = { ...traits }
            sent[key] = value.getTime()
            continue
          }
          return undefined
        default:
          return undefined
      }
    }
  }
  if (unset !== undefined && unset !== null) {
    if (!Array.isArray(unset) || !unset.every((key) => typeof key === 'string')) return undefined
  }
  return JSON.stringify({ user_id: userId, name, email, timestamp: ms ?? undefined, traits: sent ?? undefined, unset: unset ?? undefined })
}

const ROW_KEYS = new Set(['userId', 'name', 'email', 'timestamp', 'traits', 'unset'])

/** A bulk row as JSON text or the typed native input, or an UnreadableRow saying why it cannot be either. */
function rowInput(row) {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    return new UnreadableRow('input', `each row must be an object with userId and optional name, email, timestamp, traits, unset; got ${describe(row)}`)
  }
  for (const key of Object.keys(row)) {
    if (!ROW_KEYS.has(key)) {
      return new UnreadableRow(key, `unknown key ${JSON.stringify(key)}; expected userId, name, email, timestamp, traits or unset`)
    }
  }
  // A row without a user id goes to the core as an empty one, which it rejects with the API's
  // own message ("userID is required").
  const userId = row.userId === undefined || row.userId === null ? '' : row.userId
  const json = jsonInput(userId, row)
  if (json !== undefined) return json
  try {
    return requestInput(userId, row)
  } catch (error) {
    return new UnreadableRow('input', error.message)
  }
}

// ---------------------------------------------------------------------------------------------
// Client

function userFrom(record) {
  const user = { userId: record.userId, traits: record.traits }
  if (record.name !== undefined && record.name !== null) user.name = record.name
  if (record.email !== undefined && record.email !== null) user.email = record.email
  return user
}

function configFromEnvAndOptions(options) {
  if (options === undefined || options === null) return undefined
  if (typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`)
  const { apiKey, appId, orgId, baseUrl, timeoutMs, maxRetries, concurrency, initialBackoffMs, maxBackoffMs, userAgent, allowInsecureHttp } = options
  const count = (value, what) => {
    if (value === undefined || value === null) return undefined
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new ConfigError(`${what} must be a whole number from 0 to 4294967295, got ${String(value)}`)
    }
    return value
  }
  return {
    apiKey: optionalString(apiKey, 'apiKey'),
    appId: optionalString(appId, 'appId'),
    orgId: optionalString(orgId, 'orgId'),
    baseUrl: optionalString(baseUrl, 'baseUrl'),
    timeoutMs: count(timeoutMs, 'timeoutMs'),
    maxRetries: count(maxRetries, 'maxRetries'),
    concurrency: count(concurrency, 'concurrency'),
    initialBackoffMs: count(initialBackoffMs, 'initialBackoffMs'),
    maxBackoffMs: count(maxBackoffMs, 'maxBackoffMs'),
    userAgent: optionalString(userAgent, 'userAgent'),
    allowInsecureHttp: allowInsecureHttp === undefined ? undefined : Boolean(allowInsecureHttp),
  }
}

/** Queues one row; returns whether another fits now. */
function push(run, row) {
  const input = rowInput(row)
  if (typeof input === 'string') return run.pushJson(input)
  return input instanceof UnreadableRow ? run.pushUnreadable(input.field, input.detail) : run.push(input)
}

/** Feeds one row, waiting for room first when the last push filled the channel. */
async function feed(run, row, room) {
  if (!room && !(await run.ready())) throw new Error('identifyMany: the run ended early')
  return push(run, row)
}

class Client {
  #native

  /**
   * Options left out come from LOGROCKET_API_KEY, LOGROCKET_APP_ID ("org/app") and
   * LOGROCKET_BASE_URL. Bad configuration throws ConfigError saying what to set.
   */
  constructor(options) {
    const created = native.createClient(configFromEnvAndOptions(options))
    if (!(created instanceof native.NativeClient)) throw toError(created)
    this.#native = created
  }

  /** Sends one user; resolves to the user as stored, or rejects with a LogRocketError. */
  async identify(userId, options) {
    const json = jsonInput(userId, options)
    const handle = this.#native
    const outcome = await (json !== undefined ? handle.identifyJson(json) : handle.identify(requestInput(userId, options)))
    if (outcome.error) throw toError(outcome.error)
    return userFrom(outcome.user)
  }

  /**
   * Sends every row of an array, iterable or async iterable, pulling the next row only when
   * there is room, so at most `concurrency` rows wait beside the `concurrency` in flight.
   * Resolves to a report of counts and every failed row; a row's failure never rejects.
   */
  async identifyMany(rows, options) {
    const concurrency = options?.concurrency
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 0xffffffff)) {
      throw new ConfigError(`concurrency must be a whole number of at least 1, got ${String(concurrency)}`)
    }
    const isAsync = rows !== null && rows !== undefined && typeof rows[Symbol.asyncIterator] === 'function'
    if (!isAsync && (rows === null || rows === undefined || typeof rows[Symbol.iterator] !== 'function')) {
      throw new TypeError(`rows must be an array, an iterable or an async iterable, got ${describe(rows)}`)
    }
    const run = this.#native.startBulk(concurrency)
    try {
      let room = true
      if (isAsync) {
        for await (const row of rows) room = await feed(run, row, room)
      } else {
        for (const row of rows) {
          room = room ? push(run, row) : await feed(run, row, room)
        }
      }
    } catch (error) {
      run.abort()
      throw error
    }
    const report = await run.finish()
    return {
      total: report.total,
      succeeded: report.succeeded,
      failed: report.total - report.succeeded,
      failures: report.failures.map((failure) => ({
        index: failure.index,
        userId: failure.userId,
        error: toError(failure.error),
      })),
    }
  }

  [inspect.custom](depth, options, inspectFn) {
    const { baseUrl, orgId, appId, concurrency } = this.#native.summary()
    return `Client ${(inspectFn ?? inspect)({ baseUrl, orgId, appId, concurrency }, options)}`
  }
}

/** Checks a request against every documented rule without sending it; throws ValidationError. */
function validate(userId, options) {
  const error = native.validateRequest(requestInput(userId, options))
  if (error) throw toError(error)
}

// ---------------------------------------------------------------------------------------------
// Emulator

const CONSTRUCTING = Symbol('constructing')

/** A local emulator of the API in this process, for tests: `await Emulator.start()`. */
class Emulator {
  #native

  constructor(token, handle) {
    if (token !== CONSTRUCTING) throw new TypeError('use `await Emulator.start(options)`')
    this.#native = handle
  }

  /** Starts serving on 127.0.0.1 (a free port unless `port` is given). Default key: "test". */
  static async start(options) {
    const { apiKey, port, requestLogLimit } = options ?? {}
    const handle = await native.startEmulator({ apiKey: optionalString(apiKey, 'apiKey'), port, requestLogLimit })
    return new Emulator(CONSTRUCTING, handle)
  }

  /** The base URL to give clients, e.g. http://127.0.0.1:38211. */
  get url() {
    return this.#native.url
  }

  /** The key clients must send. */
  get apiKey() {
    return this.#native.apiKey
  }

  /** Every stored user, sorted by org, app and user id. */
  async users() {
    return this.#native.users().map((user) => {
      const { name, email, ...rest } = user
      const out = { ...rest }
      if (name !== undefined && name !== null) out.name = name
      if (email !== undefined && email !== null) out.email = email
      return out
    })
  }

  /** The API requests received, oldest first (raw path, headers, body, status answered). */
  async requests() {
    return this.#native.requests()
  }

  /** Forgets users and requests, and clears every fault. */
  reset() {
    this.#native.reset()
  }

  /** Appends faults to the script; each API request consumes the next one. */
  pushFaults(faults) {
    this.#native.pushFaults(Array.isArray(faults) ? faults : [faults])
  }

  /** A fault that fires at random with `probability` once the script is empty; no args clears. */
  setFaultRate(probability, fault) {
    this.#native.setFaultRate(probability ?? undefined, fault ?? undefined)
  }

  /** Stops serving. */
  async stop() {
    await this.#native.stop()
  }

  [inspect.custom](depth, options, inspectFn) {
    return `Emulator ${(inspectFn ?? inspect)({ url: this.url }, options)}`
  }
}

module.exports = {
  Client,
  validate,
  Emulator,
  LogRocketError,
  ValidationError,
  ApiError,
  TransportError,
  TimeoutError,
  ConfigError,
  ERROR_CODES: CODES,
}
