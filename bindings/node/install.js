'use strict'
// npm's install hook. Does nothing when a prebuilt native module for this platform is present:
// the platform package (logrocket-identify-<platform>, one of the optionalDependencies, which
// npm installs only where its os, cpu and libc match) or the module next to this file (a
// checkout's own build). Otherwise it builds the module from source with cargo (`npm run
// build`), saying why; that needs the Rust sources, so a checkout of the repository, and cargo.
//
// LOGROCKET_IDENTIFY_BUILD_FROM_SOURCE=1 builds from source even where a prebuilt one is
// present (after changing the Rust code, `npm run build` in a checkout does the same).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { PLATFORM, PREBUILT_PLATFORMS, findPrebuilt } = require('./prebuilt.js')
const pkg = require('./package.json')

const say = (line) => console.error(`logrocket-identify: ${line}`)

function fail(line) {
  say(line)
  process.exit(1)
}

const asked = ['1', 'true', 'yes'].includes(String(process.env.LOGROCKET_IDENTIFY_BUILD_FROM_SOURCE).toLowerCase())
const prebuilt = findPrebuilt()
const native = fs.existsSync(path.join(__dirname, 'native.js'))
if (!asked && prebuilt.path && native) {
  say(`using the prebuilt native module for ${PLATFORM} (${prebuilt.where}); nothing to build`)
  process.exit(0)
}

const reason = asked
  ? 'LOGROCKET_IDENTIFY_BUILD_FROM_SOURCE asks for a build from source'
  : prebuilt.path
    ? `native.js is missing beside the prebuilt module for ${PLATFORM}`
    : `no prebuilt native module for ${PLATFORM} (${prebuilt.missing})`
const prebuiltFor = `Prebuilt packages exist for ${PREBUILT_PLATFORMS.join(', ')}; an install that omits optional dependencies skips them.`

// The npm package carries no Rust sources: only a checkout (bindings/node) can build.
if (!fs.existsSync(path.join(__dirname, 'Cargo.toml'))) {
  fail(
    `${reason}. Building from source needs cargo and the Rust sources, which the npm package does not include: ` +
      `install Rust (https://rustup.rs), clone ${pkg.repository.url.replace(/^git\+/, '')} and run ` +
      `\`npm install <checkout>/bindings/node\`. ${prebuiltFor}`,
  )
}
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
if (cargo.status !== 0) {
  fail(`${reason}. Building from source needs cargo, which is not on PATH: install Rust (https://rustup.rs) and install again. ${prebuiltFor}`)
}
say(`${reason}; building it from source with ${cargo.stdout.trim()} (a release build: minutes the first time)`)

// npm sets npm_execpath for its scripts; run the same npm. `npm run build` is napi's build.
const npm = process.env.npm_execpath
const build = npm && /\.[cm]?js$/.test(npm)
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: __dirname, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: __dirname, stdio: 'inherit', shell: process.platform === 'win32' })
if (build.status !== 0) fail(`the build from source failed (exit ${build.status ?? build.signal}); the output above says why`)
