// Type-checked by typescript.test.js with `tsc --noEmit --strict`: the package's types accept
// this usage and reject the lines marked @ts-expect-error.
import {
  ApiError,
  Client,
  ConfigError,
  Emulator,
  LogRocketError,
  TimeoutError,
  TransportError,
  ValidationError,
  validate,
  type BulkReport,
  type IdentifyRow,
  type User,
} from 'logrocket-identify'

async function main(): Promise<void> {
  const emu: Emulator = await Emulator.start({ apiKey: 'test' })
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

  const users = await emu.users()
  const firstSeen: number | undefined = users[0]?.firstSeen
  emu.pushFaults({ status: 503, retryAfter: '1' })
  emu.setFaultRate(0.5, { delayMs: 10 })
  emu.setFaultRate()
  await emu.stop()

  // @ts-expect-error a user id is a string
  await client.identify(42)
  // @ts-expect-error traits hold strings, numbers, bigints, booleans, Dates or null
  await client.identify('u', { traits: { nested: { a: 1 } } })
  // @ts-expect-error no such option
  new Client({ apikey: 'typo' })
  // @ts-expect-error the emulator is started, not constructed
  new Emulator()

  void [plan, id, name, firstSeen]
}

void main
