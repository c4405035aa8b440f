//! Reading arguments from C: handles and strings, with `NULL` and non-UTF-8 turned into errors.

use std::ffi::{CStr, c_char};

use logrocket_identify::ValidationError;

use crate::error::lr_error;

/// Borrows the handle behind `handle`, named `name` in the error when it is `NULL`.
///
/// # Safety
///
/// `handle` is `NULL` or points to a live `T` that nothing mutates during the borrow.
pub(crate) unsafe fn handle<'a, T>(handle: *const T, name: &str) -> Result<&'a T, lr_error> {
    // SAFETY: the caller guarantees a non-NULL pointer is live and not mutated meanwhile.
    unsafe { handle.as_ref() }
        .ok_or_else(|| lr_error::invalid_argument(name, format!("{name} is NULL")))
}

/// Borrows the handle behind `handle` mutably.
///
/// # Safety
///
/// `handle` is `NULL` or points to a live `T` that nothing else uses during the borrow.
pub(crate) unsafe fn handle_mut<'a, T>(handle: *mut T, name: &str) -> Result<&'a mut T, lr_error> {
    // SAFETY: the caller guarantees a non-NULL pointer is live and exclusively ours meanwhile.
    unsafe { handle.as_mut() }
        .ok_or_else(|| lr_error::invalid_argument(name, format!("{name} is NULL")))
}

/// Borrows `len` elements at `data`; `data` may be `NULL` only when `len` is 0.
///
/// # Safety
///
/// `data` is `NULL` or points to `len` readable elements that stay unchanged during the borrow.
pub(crate) unsafe fn slice<'a, T>(
    data: *const T,
    len: usize,
    name: &str,
) -> Result<&'a [T], lr_error> {
    if len == 0 {
        Ok(&[])
    } else if data.is_null() {
        Err(lr_error::invalid_argument(name, format!("{name} is NULL")))
    } else {
        // SAFETY: non-NULL, and the caller guarantees `len` readable elements, unchanged.
        Ok(unsafe { std::slice::from_raw_parts(data, len) })
    }
}

/// Reads a NUL-terminated UTF-8 string.
///
/// # Safety
///
/// `text` is `NULL` or points to a NUL-terminated string that stays unchanged during the call.
pub(crate) unsafe fn string<'a>(text: *const c_char, name: &str) -> Result<&'a str, lr_error> {
    if text.is_null() {
        return Err(lr_error::invalid_argument(name, format!("{name} is NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and no change meanwhile.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .map_err(|e| lr_error::invalid_argument(name, format!("{name} is not valid UTF-8 ({e})")))
}

/// Reads a NUL-terminated string of the user's data (a user id, name, email, trait key or
/// value): `NULL` is an invalid argument named `name`, as for any argument; text that is not
/// UTF-8 is the validation error every binding gives for it, "Malformed request" on `field`
/// (the API could not store it), so it reaches the caller as `LR_ERR_VALIDATION`.
///
/// # Safety
///
/// As [`string`].
pub(crate) unsafe fn input_string<'a>(
    text: *const c_char,
    name: &str,
    field: &str,
) -> Result<&'a str, lr_error> {
    if text.is_null() {
        return Err(lr_error::invalid_argument(name, format!("{name} is NULL")));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and no change meanwhile.
    unsafe { CStr::from_ptr(text) }.to_str().map_err(|e| {
        ValidationError::malformed(field, format!("{name} is not valid UTF-8 ({e})")).into()
    })
}

/// Reads a string that may be `NULL` (meaning "not given").
///
/// # Safety
///
/// As [`string`].
pub(crate) unsafe fn optional_string<'a>(
    text: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, lr_error> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { string(text, name) }.map(Some)
}

/// Hands a new object to C through `out`.
///
/// # Safety
///
/// `out` is `NULL` or valid for writing one pointer.
pub(crate) unsafe fn give<T>(out: *mut *mut T, value: T) -> Result<(), lr_error> {
    if out.is_null() {
        return Err(lr_error::invalid_argument("out", "the out pointer is NULL"));
    }
    // SAFETY: non-NULL and writable per the caller; the box is owned by C until its `_free`.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
    Ok(())
}

/// Checks an out pointer before any work is done, and clears it.
///
/// # Safety
///
/// `out` is `NULL` or valid for writing one pointer.
pub(crate) unsafe fn clear_out<T>(out: *mut *mut T, name: &str) -> Result<(), lr_error> {
    if out.is_null() {
        return Err(lr_error::invalid_argument(name, format!("{name} is NULL")));
    }
    // SAFETY: non-NULL and writable per the caller.
    unsafe { out.write(std::ptr::null_mut()) };
    Ok(())
}

/// Frees a box handed to C. `NULL` does nothing.
///
/// # Safety
///
/// `object` is `NULL` or came from [`give`] for the same `T` and was not freed yet.
pub(crate) unsafe fn free<T>(object: *mut T) {
    if object.is_null() {
        return;
    }
    crate::error::run_accessor((), || {
        // SAFETY: per the caller, the box came from `Box::into_raw` and is freed only once.
        drop(unsafe { Box::from_raw(object) });
    });
}
