'use strict'
// logrocket-identify for Node: the public API over the native module, built from the Rust core
// by `napi build`. native.js, napi's loader, picks the module for this platform: the one next to
// it (a checkout's own build), else the platform package npm installed from the
// optionalDependencies (logrocket-identify-linux-x64-gnu, ...). This file only sorts JS values
// by type, feeds bulk rows lazily, turns the native error records into Error subclasses, hands
// delivery failures to the caller's hook and drains background delivery before the process
// exits; every rule about the values themselves, and every default, is the core's.

const { inspect, types } = require('node:util')
const native = loadNative()

/** native.js, or an error naming this platform and what to do when no native module fits. */
function loadNative() {
  try {
    return require('./native.js')
  } catch (error) {
    const { PLATFORM, PREBUILT_PLATFORMS, findPrebuilt } = require('./prebuilt.js')
    const found = findPrebuilt()
    const what = found.path
      ? `the native module for ${PLATFORM} (${found.where}) did not load: ${(error.cause ?? error).message}`
      : `no native module for ${PLATFORM} (${found.missing})`
    throw new Error(
      `logrocket-identify: ${what}. Prebuilt packages exist for ${PREBUILT_PLATFORMS.join(', ')}, ` +
        'installed by npm unless optional dependencies are omitted; elsewhere the module is built ' +
        'from source, which needs cargo (https://rustup.rs) and a checkout of the repository: ' +
        '`npm install <checkout>/bindings/node`.',
      { cause: error },
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

const CODES = Object.freeze({
  validation: 'ERR_LOGROCKET_VALIDATION',
  api: 'ERR_LOGROCKET_API',
  transport: 'ERR_LOGROCKET_TRANSPORT',
  timeout: 'ERR_LOGROCKET_TIMEOUT',
  config: 'ERR_LOGROCKET_CONFIG',
  queue_full: 'ERR_LOGROCKET_QUEUE_FULL',
  closed: 'ERR_LOGROCKET_CLOSED',
})

/**
 * The base of every error this package raises. `code` is stable; `kind` names the kind.
 * `message` is the error's whole text, the core's own words and the same in every language
 * ("invalid input: name: name too large (max 1024 characters)"); `apiMessage` is the bare
 * message within it, for validation and API errors the API's own text ("name too large (max
 * 1024 characters)"). A configuration error caught here before the core sees the option is
 * worded the same way ("configuration error: " and the bare text).
 *
 * `options` is Error's (`cause`), plus `apiMessage` when `message` is the core's whole text.
 */
class LogRocketError extends Error {
  constructor(message, kind, retryable, options) {
    super(message, options)
    this.name = new.target.name
    this.code = CODES[kind]
    this.kind = kind
    this.retryable = retryable
    this.apiMessage = options?.apiMessage ?? message
  }
}

/** The input broke one of the API's rules; nothing was sent. */
class ValidationError extends LogRocketError {
  constructor(message, field, detail, options) {
    super(message, 'validation', false, options)
    this.field = field
    this.detail = detail ?? undefined
  }
}

/** The API answered with an error status (after any retries). */
class ApiError extends LogRocketError {
  constructor(message, status, retryable, options) {
    super(message, 'api', retryable, options)
    this.status = status
  }
}

/**
 * The request could not be delivered, or its answer could not be read. `reason` says why, in
 * the core's words: 'dns', 'connect', 'tls', 'proxy', 'reset', 'protocol', 'body_too_large' or
 * 'other'; only 'connect', 'reset' and 'other' are retryable (and retried by the client).
 */
class TransportError extends LogRocketError {
  constructor(message, reason, retryable, options) {
    super(message, 'transport', retryable ?? true, options)
    this.reason = reason ?? 'other'
  }
}

/** Every attempt ran past the per-attempt timeout. */
class TimeoutError extends LogRocketError {
  constructor(message, options) {
    super(message, 'timeout', true, options)
  }
}

/** The client's configuration is incomplete or wrong; the message says what to set. */
class ConfigError extends LogRocketError {
  constructor(message, options) {
    super(message, 'config', false, options)
  }
}

/** A configuration error found in JS, worded as the core words its own ("configuration error:
 * " and what to fix), so every ConfigError reads alike; `apiMessage` is the bare part. */
function jsConfigError(bare) {
  return new ConfigError(`configuration error: ${bare}`, { apiMessage: bare })
}

/**
 * Background delivery: `enqueue` found the queue full (and the policy said not to wait, or the
 * wait ran out); also the error of an update dropped by the 'dropOldest' policy.
 */
class QueueFullError extends LogRocketError {
  constructor(message, options) {
    super(message, 'queue_full', true, options)
  }
}

/** Background delivery: `enqueue` after `close`; also the error of an update `close` abandoned. */
class ClosedError extends LogRocketError {
  constructor(message, options) {
    super(message, 'closed', false, options)
  }
}

/** A native error record as its class: the core's whole text as `message`, the bare one beside it. */
function toError(record) {
  const { text } = record
  const options = { apiMessage: record.message }
  switch (record.kind) {
    case 'validation':
      return new ValidationError(text, record.field, record.detail, options)
    case 'api':
      return new ApiError(text, record.status, record.retryable, options)
    case 'transport':
      return new TransportError(text, record.reason, record.retryable, options)
    case 'timeout':
      return new TimeoutError(text, options)
    case 'queue_full':
      return new QueueFullError(text, options)
    case 'closed':
      return new ClosedError(text, options)
    default:
      return new ConfigError(text, options)
  }
}

// ---------------------------------------------------------------------------------------------
// JS values to the native input shape

/** A bulk row that cannot become a request; reported as that row's failure, never thrown. */
class UnreadableRow {
  constructor(row, field, detail) {
    // The report names the row's user when it has a readable one.
    this.userId = row !== null && typeof row === 'object' && typeof row.userId === 'string' ? row.userId : ''
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

const MALFORMED = 'Malformed request'

/**
 * Input the core would refuse as given, found here before it crosses (a value of the wrong
 * type, an unknown option, text UTF-8 cannot carry): a ValidationError naming the field, worded
 * as the core words its own ("invalid input: name: Malformed request (name must be a string,
 * got a number)"). Nothing is sent.
 */
function invalidInput(field, detail, message = MALFORMED) {
  const text = `invalid input: ${field}: ${message}${detail === undefined ? '' : ` (${detail})`}`
  return new ValidationError(text, field, detail, { apiMessage: message })
}

// In a `u` regular expression a surrogate pair is one code point, so this matches only a lone
// surrogate (String.prototype.isWellFormed does the same from Node 20).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** Whether `text` has a UTF-8 form: no lone surrogate. */
function wellFormed(text) {
  return typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text)
}

/** `text` if UTF-8 can carry it; a ValidationError on `field` if it holds a lone surrogate. */
function checkedText(text, field, what) {
  if (!wellFormed(text)) {
    throw invalidInput(field, `${what} must be valid Unicode text: this string holds a lone surrogate (U+D800 to U+DFFF), which has no UTF-8 form`)
  }
  return text
}

/** An optional string field of the input: absent, or a string UTF-8 can carry. */
function inputString(value, field) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidInput(field, `${field} must be a string, got ${describe(value)}`)
  return checkedText(value, field, field)
}

function timestamp(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number') return value
  // An invalid Date gives NaN, which the native side rejects as a malformed timestamp.
  if (types.isDate(value)) return value.getTime()
  throw invalidInput('timestamp', `timestamp must be a Date or Unix milliseconds, got ${describe(value)}`)
}

/** One trait sorted by its JS type; `undefined` leaves the trait out, as JSON would. */
function traitInput(key, value) {
  switch (typeof value) {
    case 'string':
      return { key, kind: 'string', text: checkedText(value, `traits.${key}`, 'trait values') }
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
      throw invalidInput('traits', `traits must be an object of trait name to value, got ${describe(traits)}`)
    }
    const source = traits instanceof Map ? traits.entries() : Object.entries(traits)
    for (const [key, value] of source) {
      // A bad key is reported as `traits`, as a key too long to quote is.
      if (typeof key !== 'string') throw invalidInput('traits', `trait names must be strings, got ${describe(key)}`)
      const entry = traitInput(checkedText(key, 'traits', 'trait names'), value)
      if (entry !== undefined) entries.push(entry)
    }
  }
  if (unset !== undefined && unset !== null) {
    if (typeof unset === 'string' || typeof unset[Symbol.iterator] !== 'function') {
      throw invalidInput('unset', `unset must be an array of trait names, got ${describe(unset)}`)
    }
    for (const key of unset) {
      if (typeof key !== 'string') throw invalidInput('unset', `unset entries must be strings, got ${describe(key)}`)
      // A name to unset is a trait name: text UTF-8 cannot carry is reported as `traits`.
      entries.push({ key: checkedText(key, 'traits', 'trait names'), kind: 'remove' })
    }
  }
  return entries.length > 0 ? entries : undefined
}

/**
 * `identify(userId, options)`'s arguments as the native input. Input the core would refuse as
 * given (a wrong type, text with a lone surrogate) throws a ValidationError naming the field.
 */
function requestInput(userId, options) {
  // As the core reads a null id: a missing one.
  if (userId === undefined || userId === null) throw invalidInput('user_id', undefined, 'userID is required')
  if (typeof userId !== 'string') throw invalidInput('user_id', `userId must be a string, got ${describe(userId)}`)
  checkedText(userId, 'user_id', 'userId')
  if (options === undefined || options === null) return { userId }
  if (typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`)
  return {
    userId,
    name: inputString(options.name, 'name'),
    email: inputString(options.email, 'email'),
    timestamp: timestamp(options.timestamp),
    traits: traitsInput(options.traits, options.unset),
  }
}

const OPTION_KEYS = new Set(['name', 'email', 'timestamp', 'traits', 'unset'])

/**
 * The input of one `identify`, `enqueue` or `validate` call: JSON text for the common case (see
 * jsonInput), else the typed native input. An option the call does not know (a typo such as
 * `trait`) is refused, as the core refuses an unknown key, rather than silently sending nothing.
 */
function callInput(userId, options) {
  checkOptionKeys(options)
  return jsonInput(userId, options) ?? requestInput(userId, options)
}

function checkOptionKeys(options) {
  if (options === undefined || options === null || typeof options !== 'object') return
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw invalidInput(key, `unknown key ${JSON.stringify(key)}; expected name, email, timestamp, traits or unset`)
    }
  }
}

/**
 * The core's JSON input form (`{"user_id", "name", ...}`) for the common case: strings, finite
 * numbers, booleans, null and valid Dates. One string crosses into the native module instead
 * of an object per trait, which is several times cheaper. Anything else (a BigInt, NaN, an
 * object, a wrong type) returns undefined and takes the typed path, which says what is wrong.
 */
function jsonInput(userId, options) {
  // Text with a lone surrogate takes the typed path too, which refuses it naming the field.
  if (typeof userId !== 'string' || !wellFormed(userId)) return undefined
  if (options === undefined || options === null) return JSON.stringify({ user_id: userId })
  if (typeof options !== 'object') return undefined
  const { name, email, traits, unset } = options
  if (name !== undefined && name !== null && (typeof name !== 'string' || !wellFormed(name))) return undefined
  if (email !== undefined && email !== null && (typeof email !== 'string' || !wellFormed(email))) return undefined
  let ms = options.timestamp
  if (ms !== undefined && ms !== null) {
    if (types.isDate(ms)) ms = ms.getTime()
    if (!Number.isSafeInteger(ms)) return undefined
  }
  let sent = traits
  if (traits !== undefined && traits !== null) {
    if (typeof traits !== 'object' || Array.isArray(traits) || traits instanceof Map) return undefined
    for (const key of Object.keys(traits)) {
      if (!wellFormed(key)) return undefined
      const value = traits[key]
      switch (typeof value) {
        case 'string':
          if (wellFormed(value)) continue
          return undefined
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
    if (!Array.isArray(unset) || !unset.every((key) => typeof key === 'string' && wellFormed(key))) return undefined
  }
  return JSON.stringify({ user_id: userId, name, email, timestamp: ms ?? undefined, traits: sent ?? undefined, unset: unset ?? undefined })
}

const ROW_KEYS = new Set(['userId', 'name', 'email', 'timestamp', 'traits', 'unset'])

/** A bulk row as JSON text or the typed native input, or an UnreadableRow saying why it cannot be either. */
function rowInput(row) {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    return new UnreadableRow(row, 'input', `each row must be an object with userId and optional name, email, timestamp, traits, unset; got ${describe(row)}`)
  }
  for (const key of Object.keys(row)) {
    if (!ROW_KEYS.has(key)) {
      return new UnreadableRow(row, key, `unknown key ${JSON.stringify(key)}; expected userId, name, email, timestamp, traits or unset`)
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
    if (error instanceof ValidationError) return new UnreadableRow(row, error.field, error.detail ?? error.apiMessage)
    return new UnreadableRow(row, 'input', error.message)
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
  const { queueCapacity, queueMaxBytes, whenFull, enqueueTimeoutMs, coalesce, rateLimit } = options
  const { proxy, proxyFromEnv, caCert, http1Only, connectTimeoutMs } = options
  const count = (value, what, max = 0xffffffff) => {
    if (value === undefined || value === null) return undefined
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw jsConfigError(`${what} must be a whole number from 0 to ${max}, got ${String(value)}`)
    }
    return value
  }
  return {
    queueCapacity: count(queueCapacity, 'queueCapacity'),
    queueMaxBytes: count(queueMaxBytes, 'queueMaxBytes', Number.MAX_SAFE_INTEGER),
    whenFull: optionalString(whenFull, 'whenFull'),
    enqueueTimeoutMs: count(enqueueTimeoutMs, 'enqueueTimeoutMs'),
    coalesce: coalesce === undefined ? undefined : Boolean(coalesce),
    apiKey: optionalString(apiKey, 'apiKey'),
    appId: optionalString(appId, 'appId'),
    orgId: optionalString(orgId, 'orgId'),
    baseUrl: optionalString(baseUrl, 'baseUrl'),
    timeoutMs: count(timeoutMs, 'timeoutMs'),
    maxRetries: count(maxRetries, 'maxRetries'),
    concurrency: count(concurrency, 'concurrency'),
    rateLimit: perSecond(rateLimit),
    initialBackoffMs: count(initialBackoffMs, 'initialBackoffMs'),
    maxBackoffMs: count(maxBackoffMs, 'maxBackoffMs'),
    userAgent: optionalString(userAgent, 'userAgent'),
    allowInsecureHttp: allowInsecureHttp === undefined ? undefined : Boolean(allowInsecureHttp),
    // The proxy URL may hold a password: a wrong type is reported without the value.
    proxy: optionalString(proxy, 'proxy'),
    proxyFromEnv: proxyFromEnv === undefined || proxyFromEnv === null ? undefined : Boolean(proxyFromEnv),
    caCert: optionalString(caCert, 'caCert'),
    http1Only: http1Only === undefined || http1Only === null ? undefined : Boolean(http1Only),
    connectTimeoutMs: count(connectTimeoutMs, 'connectTimeoutMs'),
  }
}

/**
 * `rateLimit` as the native f64. Only the type is checked here: any number, NaN and the
 * infinities included, goes to the core, which alone decides which rates it takes.
 */
function perSecond(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') {
    throw jsConfigError(`rateLimit must be a number of requests per second, got ${describe(value)}`)
  }
  return value
}

/** Queues one row; returns whether another fits now. */
function push(run, row) {
  const input = rowInput(row)
  if (typeof input === 'string') return run.pushJson(input)
  return input instanceof UnreadableRow ? run.pushUnreadable(input.userId, input.field, input.detail) : run.push(input)
}

/** Feeds one row, waiting for room first when the last push filled the channel. */
async function feed(run, row, room) {
  if (!room && !(await run.ready())) throw new Error('identifyMany: the run ended early')
  return push(run, row)
}

// ---------------------------------------------------------------------------------------------
// Background delivery: the failure hook and the drain before exit

// What the exit drain and a `flush()`/`close()` without a timeout wait at most: the core's.
const DEFAULTS = native.deliveryDefaults()

// How long a flush or close waits for the hook calls it is owed. They are already queued for
// this thread and arrive within a turn of the loop; the bound only matters if Node is tearing
// the environment down and they never will.
const HOOK_WAIT_MS = 10_000

/**
 * Where the runtime's messages land: failures go to the caller's hook, barriers settle the
 * flush or close waiting for them. Holds nothing of the Client, so the threadsafe function
 * that owns it does not keep the client alive.
 */
function hookDispatcher(onFailure) {
  const state = { nextBarrier: 1, waiting: new Map() }
  state.dispatch = (message) => {
    if (message.barrier !== undefined && message.barrier !== null) {
      const arrived = state.waiting.get(message.barrier)
      state.waiting.delete(message.barrier)
      if (arrived) arrived()
      return
    }
    const failure = { userId: message.userId, error: toError(message.error), updates: message.updates }
    try {
      onFailure(failure)
    } catch (error) {
      // A broken hook must not stop the others nor crash a server; it shows as a warning.
      process.emitWarning(`the onFailure hook threw: ${error?.message ?? String(error)}`, { code: 'LOGROCKET_HOOK_THREW' })
    }
  }
  return state
}

/**
 * Resolves once every failure reported before the call has reached the hook. The hook's
 * threadsafe function does not keep the process alive, so a ref'd timer does meanwhile:
 * otherwise a script's last `await client.close()` could exit with hook calls still queued.
 */
function hookCallsDelivered(handle, hooks) {
  if (hooks === undefined) return undefined
  const id = hooks.nextBarrier
  hooks.nextBarrier = id >= 0xffffffff ? 1 : id + 1
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      hooks.waiting.delete(id)
      resolve()
    }, HOOK_WAIT_MS)
    hooks.waiting.set(id, () => {
      clearTimeout(timer)
      resolve()
    })
    if (!handle.hookBarrier(id)) {
      hooks.waiting.delete(id)
      clearTimeout(timer)
      resolve()
    }
  })
}

function timeoutOption(options, what) {
  if (options === undefined || options === null) return DEFAULTS.closeTimeoutMs
  if (typeof options !== 'object') throw new TypeError(`${what} options must be an object, got ${describe(options)}`)
  const { timeoutMs } = options
  if (timeoutMs === undefined || timeoutMs === null) return DEFAULTS.closeTimeoutMs
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0xffffffff) {
    throw new TypeError(`timeoutMs must be a whole number of milliseconds from 0 to 4294967295, got ${String(timeoutMs)}`)
  }
  return timeoutMs
}

function summaryFrom(record) {
  const { completed, delivered, failed, dropped, pending } = record
  return { completed, delivered, failed, dropped, pending }
}

/**
 * Clients that have enqueued and are not closed. Node gives a process no last chance for async
 * work except 'beforeExit' (emitted when the loop is empty, so delivery, which runs off the JS
 * thread, does not keep it alive by itself): there each client with updates pending flushes,
 * with the core's close deadline. One whose flush ran out of time is closed at once, so its
 * leftovers reach its hook as ClosedError and the counters, and the process can exit; the
 * others stay usable should a listener keep the process going. An idle client does nothing,
 * and the next 'beforeExit' finds nothing pending, so the process exits.
 */
const enqueuing = new Set()
let drainingAtExit = false
let exitHookInstalled = false

function watchForExit(entry) {
  if (!exitHookInstalled) {
    process.on('beforeExit', drainAtExit)
    exitHookInstalled = true
  }
  enqueuing.add(entry)
}

function drainAtExit() {
  if (drainingAtExit) return
  const pending = [...enqueuing].filter((entry) => entry.handle.counters().pending > 0)
  if (pending.length === 0) return
  drainingAtExit = true
  Promise.all(pending.map(async (entry) => {
    try {
      const summary = await entry.handle.flush(DEFAULTS.closeTimeoutMs)
      if (!summary.completed) {
        enqueuing.delete(entry)
        await entry.handle.close(0)
      }
      await hookCallsDelivered(entry.handle, entry.hooks)
    } catch (error) {
      // Only when Node is already tearing the native side down; say so rather than crash.
      enqueuing.delete(entry)
      process.emitWarning(`logrocket-identify could not drain at exit: ${error?.message ?? String(error)}`)
    }
  })).finally(() => {
    drainingAtExit = false
  })
}

class Client {
  #native
  #hooks
  #exitEntry

  /**
   * Options left out come from LOGROCKET_API_KEY, LOGROCKET_APP_ID ("org/app") and
   * LOGROCKET_BASE_URL. Bad configuration throws ConfigError saying what to set.
   */
  constructor(options) {
    const onFailure = options?.onFailure
    if (onFailure !== undefined && onFailure !== null && typeof onFailure !== 'function') {
      throw jsConfigError(`onFailure must be a function, got ${describe(onFailure)}`)
    }
    const hooks = typeof onFailure === 'function' ? hookDispatcher(onFailure) : undefined
    const created = native.createClient(configFromEnvAndOptions(options), hooks?.dispatch)
    if (!(created instanceof native.NativeClient)) throw toError(created)
    this.#native = created
    this.#hooks = hooks
  }

  /**
   * Queues one update for background delivery and returns at once, without waiting for the
   * network. Throws ValidationError (as `identify` rejects), QueueFullError or ClosedError.
   */
  enqueue(userId, options) {
    const input = callInput(userId, options)
    const handle = this.#native
    const error = typeof input === 'string' ? handle.enqueueJson(input) : handle.enqueue(input)
    if (error) throw toError(error)
    if (this.#exitEntry === undefined) {
      this.#exitEntry = { handle, hooks: this.#hooks }
      watchForExit(this.#exitEntry)
    }
  }

  /**
   * Waits until every update enqueued before the call has been delivered or has failed (and
   * its failure reached onFailure), never past `timeoutMs`.
   */
  async flush(options) {
    const timeoutMs = timeoutOption(options, 'flush')
    const summary = await this.#native.flush(timeoutMs)
    await hookCallsDelivered(this.#native, this.#hooks)
    return summaryFrom(summary)
  }

  /**
   * Stops taking updates (enqueue then throws ClosedError), flushes up to `timeoutMs`, and
   * abandons what is left, each to onFailure as a ClosedError. Calling it again is harmless.
   */
  async close(options) {
    const timeoutMs = timeoutOption(options, 'close')
    if (this.#exitEntry !== undefined) enqueuing.delete(this.#exitEntry)
    const summary = await this.#native.close(timeoutMs)
    await hookCallsDelivered(this.#native, this.#hooks)
    return summaryFrom(summary)
  }

  /** Background delivery's counters since the client was built. */
  counters() {
    const { enqueued, delivered, failed, retried, dropped, coalesced, pending, inFlight } = this.#native.counters()
    return { enqueued, delivered, failed, retried, dropped, coalesced, pending, inFlight }
  }

  /** Sends one user; resolves to the user as stored, or rejects with a LogRocketError. */
  async identify(userId, options) {
    const input = callInput(userId, options)
    const handle = this.#native
    const outcome = await (typeof input === 'string' ? handle.identifyJson(input) : handle.identify(input))
    if (outcome.error) throw toError(outcome.error)
    return userFrom(outcome.user)
  }

  /**
   * Sends every row of an array, iterable or async iterable, pulling the next row only when
   * there is room, so at most `concurrency` rows wait beside the `concurrency` in flight.
   * Resolves to a report of counts and every failed row; a row's failure never rejects.
   */
  async identifyMany(rows, options) {
    const concurrency = options?.concurrency ?? undefined
    // Only the type is checked here; the core decides which counts it takes (not 0).
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 0 || concurrency > 0xffffffff)) {
      throw jsConfigError(`concurrency must be a whole number from 1 to 4294967295, got ${String(concurrency)}`)
    }
    const isAsync = rows !== null && rows !== undefined && typeof rows[Symbol.asyncIterator] === 'function'
    if (!isAsync && (rows === null || rows === undefined || typeof rows[Symbol.iterator] !== 'function')) {
      throw new TypeError(`rows must be an array, an iterable or an async iterable, got ${describe(rows)}`)
    }
    const run = this.#native.startBulk(concurrency)
    if (!(run instanceof native.BulkRun)) throw toError(run)
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
    const { baseUrl, orgId, appId, concurrency, proxy } = this.#native.summary()
    const shown = { baseUrl, orgId, appId, concurrency }
    // The core's redacted form: credentials show as <redacted>, like the key never shows.
    if (proxy !== undefined && proxy !== null) shown.proxy = proxy
    return `Client ${(inspectFn ?? inspect)(shown, options)}`
  }
}

/** Checks a request against every documented rule without sending it; throws ValidationError. */
function validate(userId, options) {
  const input = callInput(userId, options)
  const error = typeof input === 'string' ? native.validateJson(input) : native.validateRequest(input)
  if (error) throw toError(error)
}

// ---------------------------------------------------------------------------------------------
// Emulator

const CONSTRUCTING = Symbol('constructing')

/**
 * The emulator's rate limit as the native u32. Checked here because napi converts a number to
 * u32 the way JS's `>>> 0` does (-1 would become 4294967295, 2.5 would become 2), which would
 * set a limit other than the one asked for.
 */
function emulatorRate(value) {
  if (value === undefined || value === null) return undefined
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`rateLimit must be a whole number of requests per second from 0 to 4294967295 (0: none), got ${String(value)}`)
  }
  return value
}

/** A local emulator of the API in this process, for tests: `await Emulator.start()`. */
class Emulator {
  #native

  constructor(token, handle) {
    if (token !== CONSTRUCTING) throw new TypeError('use `await Emulator.start(options)`')
    this.#native = handle
  }

  /**
   * Starts serving on 127.0.0.1 (a free port unless `port` is given). Default key: "test".
   * `rateLimit`: API requests per second before it answers 429 with Retry-After (default none).
   * `tls: true`: serves HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with a throwaway CA, which clients
   * trust through `caCert: emulator.caCertPem` (or `caCertPath`); `caCertPath` as an option
   * names the file to write it to (kept at stop), else a temporary one (removed at stop).
   */
  static async start(options) {
    const { apiKey, port, requestLogLimit, rateLimit, tls, caCertPath } = options ?? {}
    const handle = await native.startEmulator({
      apiKey: optionalString(apiKey, 'apiKey'),
      port,
      requestLogLimit,
      rateLimit: emulatorRate(rateLimit),
      tls: tls === undefined || tls === null ? undefined : Boolean(tls),
      caCertPath: optionalString(caCertPath, 'caCertPath'),
    })
    return new Emulator(CONSTRUCTING, handle)
  }

  /** The base URL to give clients, e.g. http://127.0.0.1:38211 (https:// with `tls`). */
  get url() {
    return this.#native.url
  }

  /** With `tls`, the throwaway CA's certificate as PEM (give it to a client as `caCert`); else null. */
  get caCertPem() {
    return this.#native.caCertPem ?? null
  }

  /**
   * With `tls`, the file holding `caCertPem`, for other processes (NODE_EXTRA_CA_CERTS, curl
   * --cacert) or a client's `caCert`; else null.
   */
  get caCertPath() {
    return this.#native.caCertPath ?? null
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

  /**
   * The API requests received, oldest first (method, raw path, protocol "HTTP/1.1" or
   * "HTTP/2.0", headers, body, status answered).
   */
  async requests() {
    return this.#native.requests()
  }

  /**
   * The emulator's rate limit in API requests per second, or null when it has none. Past it,
   * an API request is answered 429 with Retry-After (whole seconds, at least 1) and recorded
   * with status 429.
   */
  get rateLimit() {
    return this.#native.rateLimit ?? null
  }

  /**
   * Sets the rate limit in API requests per second, starting with a full second's worth of
   * requests; null or 0 removes it. `reset()` leaves it in place.
   */
  setRateLimit(perSecond) {
    this.#native.setRateLimit(emulatorRate(perSecond))
  }

  /** Forgets users and requests, and clears every fault; the rate limit stays. */
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

const CORE = native.coreInfo()

module.exports = {
  /** This package's version, the project's one (the native module reports it). */
  version: CORE.version,
  /** The most requests in flight at once when `concurrency` is left out: the core's default. */
  DEFAULT_CONCURRENCY: CORE.defaultConcurrency,
  Client,
  validate,
  Emulator,
  LogRocketError,
  ValidationError,
  ApiError,
  TransportError,
  TimeoutError,
  ConfigError,
  QueueFullError,
  ClosedError,
  ERROR_CODES: CODES,
}
