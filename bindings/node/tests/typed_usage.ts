// Type-checked by typescript.test.js with `tsc --noEmit --strict`: the package's types accept
// this usage and reject the lines marked @ts-expect-error.
import {
  ApiError,
  Client,
  ClosedError,
  ConfigError,
  Emulator,
  LogRocketError,
  QueueFullError,
  TimeoutError,
  TransportError,
  ValidationError,
  validate,
  version,
  DEFAULT_CONCURRENCY,
  type BulkReport,
  type Counters,
  type DeliveryFailure,
  type FlushSummary,
  type IdentifyRow,
  type RecordedRequest,
  type TransportReason,
  type User,
} from 'logrocket-identify'

async function main(): Promise<void> {
  const emu: Emulator = await Emulator.start({ apiKey: 'test' })
  const packageVersion: string = version
  const ceiling: number = DEFAULT_CONCURRENCY
  // @ts-expect-error the version is a string
  const versionNumber: number = version
  void [packageVersion, ceiling, versionNumber]
  const client = new Client({ apiKey: emu.apiKey, appId: 'acme/web', baseUrl: emu.url, timeoutMs: 5000, maxRetries: 2, concurrency: 8 })
  const user: User = await client.identify('user-42', {
    name: 'John Smith',
    email: 'john@example.com',
    timestamp: new Date(),
    traits: { plan: 'pro', mrr: 99.5, trial: false, legacy: null, seats: 10n },
    unset: ['old_campaign'],
  })
  const plan: string | undefined = user.traits.plan
  const id: string = user.userId
  const name: string | undefined = user.name

  const rows: IdentifyRow[] = [{ userId: 'a' }, { userId: 'b', traits: { n: 1 } }]
  async function* stream(): AsyncGenerator<IdentifyRow> {
    yield { userId: 'c', timestamp: 1_700_000_000_000 }
  }
  const report: BulkReport = await client.identifyMany(rows, { concurrency: 32 })
  await client.identifyMany(stream())
  for (const failure of report.failures) {
    const index: number = failure.index
    const error: LogRocketError = failure.error
    if (error instanceof ApiError) {
      const status: number = error.status
      void status
    }
    // The core's whole text, and the API's bare message within it.
    const text: string = error.message
    const apiMessage: string = error.apiMessage
    void text
    void apiMessage
    void index
  }

  try {
    validate('', { name: 'x' })
  } catch (error) {
    if (error instanceof ValidationError) {
      const field: string = error.field
      const code: 'ERR_LOGROCKET_VALIDATION' = error.code
      void field
      void code
    } else if (error instanceof TransportError || error instanceof TimeoutError || error instanceof ConfigError) {
      const retryable: boolean = error.retryable
      void retryable
    }
  }

  const failures: DeliveryFailure[] = []
  const background = new Client({
    apiKey: emu.apiKey,
    appId: 'acme/web',
    baseUrl: emu.url,
    queueCapacity: 1000,
    queueMaxBytes: 1 << 20,
    whenFull: 'dropOldest',
    enqueueTimeoutMs: 0,
    coalesce: true,
    onFailure: (failure) => {
      const who: string = failure.userId
      const updates: number = failure.updates
      if (failure.error instanceof QueueFullError || failure.error instanceof ClosedError) failures.push(failure)
      void [who, updates]
    },
  })
  try {
    background.enqueue('user-1', { name: 'A', traits: { plan: 'pro' }, timestamp: new Date() })
  } catch (error) {
    if (error instanceof QueueFullError) {
      const code: 'ERR_LOGROCKET_QUEUE_FULL' = error.code
      void code
    } else if (error instanceof ClosedError) {
      const code: 'ERR_LOGROCKET_CLOSED' = error.code
      void code
    }
  }
  const flushed: FlushSummary = await background.flush({ timeoutMs: 2000 })
  const done: boolean = flushed.completed
  const counters: Counters = background.counters()
  const inFlight: number = counters.inFlight
  const closed: FlushSummary = await background.close()
  void [done, inFlight, closed]
  // @ts-expect-error enqueue returns nothing to await
  const nothing: Promise<void> = background.enqueue('u')
  // @ts-expect-error no such full-queue policy
  new Client({ whenFull: 'sometimes' })

  const users = await emu.users()
  const firstSeen: number | undefined = users[0]?.firstSeen
  emu.pushFaults({ status: 503, retryAfter: '1' })
  emu.setFaultRate(0.5, { delayMs: 10 })
  emu.setFaultRate()
  await emu.stop()

  // Rate limits: the client's in requests per second (fractions allowed), the emulator's as a
  // whole number, read back as a number or null.
  const limited: Emulator = await Emulator.start({ rateLimit: 20 })
  const paced = new Client({ apiKey: limited.apiKey, appId: 'acme/web', baseUrl: limited.url, rateLimit: 0.5 })
  const limit: number | null = limited.rateLimit
  limited.setRateLimit(5)
  limited.setRateLimit(null)
  // @ts-expect-error the rate limit is read here and set with setRateLimit
  limited.rateLimit = 3
  // @ts-expect-error a rate limit is a number of requests per second
  new Client({ rateLimit: '20/s' })
  // @ts-expect-error a rate limit is a number
  await Emulator.start({ rateLimit: true })
  await limited.stop()
  void [paced, limit]

  // The network: the emulator over HTTPS, a client trusting its CA through a proxy, and the
  // reason of a transport error.
  const secure: Emulator = await Emulator.start({ tls: true, caCertPath: '/tmp/logrocket-ca.pem' })
  const pem: string | null = secure.caCertPem
  const caPath: string | null = secure.caCertPath
  const networked = new Client({
    apiKey: secure.apiKey,
    appId: 'acme/web',
    baseUrl: secure.url,
    proxy: 'http://alice:s3cret@127.0.0.1:3128',
    proxyFromEnv: false,
    caCert: pem ?? caPath ?? '/etc/ssl/corp.pem',
    http1Only: true,
    connectTimeoutMs: 2000,
    maxRetries: 3,
  })
  try {
    await networked.identify('u-net')
  } catch (error) {
    if (error instanceof TransportError) {
      const reason: TransportReason = error.reason
      const again: boolean = error.retryable
      const code: 'ERR_LOGROCKET_TRANSPORT' = error.code
      if (reason === 'tls' || reason === 'proxy' || reason === 'body_too_large') void again
      void code
    }
  }
  const recorded: RecordedRequest[] = await secure.requests()
  const protocol: string | undefined = recorded[0]?.protocol
  await secure.stop()
  void protocol
  // @ts-expect-error a CA is PEM text or a path
  new Client({ caCert: 42 })
  // @ts-expect-error a proxy is a URL string
  new Client({ proxy: { host: 'proxy', port: 3128 } })
  // @ts-expect-error a connect timeout is a number of milliseconds
  new Client({ connectTimeoutMs: '5s' })
  // @ts-expect-error tls is on or off
  await Emulator.start({ tls: 'yes' })
  // @ts-expect-error the CA is read, not set
  secure.caCertPem = 'x'
  // @ts-expect-error a timeout is its own error kind, not a transport reason
  const notAReason: TransportReason = 'timeout'
  void notAReason

  // @ts-expect-error a user id is a string
  await client.identify(42)
  // @ts-expect-error traits hold strings, numbers, bigints, booleans, Dates or null
  await client.identify('u', { traits: { nested: { a: 1 } } })
  // @ts-expect-error no such option
  new Client({ apikey: 'typo' })
  // @ts-expect-error the emulator is started, not constructed
  new Emulator()
  // @ts-expect-error the bare message is read, never set
  new ConfigError('x').apiMessage = 'y'

  void [plan, id, name, firstSeen]
}

void main
