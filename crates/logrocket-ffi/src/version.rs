//! The library's version.

use std::ffi::{CStr, c_char};

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("the package version holds a NUL byte"),
    };

/// The library's version, e.g. `"0.1.0"`.
///
/// # Safety
///
/// Always safe to call. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn lr_version() -> *const c_char {
    VERSION.as_ptr()
}
