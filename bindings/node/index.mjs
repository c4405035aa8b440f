// The ESM entry point: the same classes as the CommonJS one (one module instance), so
// `instanceof` agrees whichever way an error was raised or imported.
import cjs from './index.js'

export const {
  version,
  DEFAULT_CONCURRENCY,
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
  ERROR_CODES,
} = cjs
export default cjs
