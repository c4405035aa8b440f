//! `lr_user`: the user as the API stored it, read through accessors.

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::OnceLock;

use logrocket_identify::User;

use crate::args;
use crate::error::{c_string, run_accessor};

/// The user as the API stored it after an identify. Opaque; every string it returns is owned by
/// it and lives until `lr_user_free`. Immutable, so it may be read from several threads.
#[derive(Debug)]
pub struct lr_user {
    user_id: CString,
    name: Option<CString>,
    email: Option<CString>,
    traits: Vec<(CString, CString)>,
    user: User,
    json: OnceLock<CString>,
}

impl From<User> for lr_user {
    fn from(user: User) -> Self {
        lr_user {
            user_id: c_string(&user.user_id),
            name: user.name.as_deref().map(c_string),
            email: user.email.as_deref().map(c_string),
            traits: user
                .traits
                .iter()
                .map(|(k, v)| (c_string(k), c_string(v)))
                .collect(),
            user,
            json: OnceLock::new(),
        }
    }
}

/// Reads `user` with `read`, or gives `NULL` when it is `NULL` (or the read panics).
///
/// # Safety
///
/// `user` is `NULL` or a live user.
unsafe fn read(
    user: *const lr_user,
    read: impl FnOnce(&lr_user) -> *const c_char,
) -> *const c_char {
    // SAFETY: the caller guarantees `user` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { user.as_ref() }.map_or(ptr::null(), read)
    })
}

/// The user id, decoded (the API's `userID`). A string holding a NUL byte is cut at it in every
/// accessor; `lr_user_json` has the exact text.
///
/// # Safety
///
/// `user` is `NULL` (gives `NULL`) or a live user; the string lives as long as the user.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_id(user: *const lr_user) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { read(user, |u| u.user_id.as_ptr()) }
}

/// The name, or `NULL` when the user has none.
///
/// # Safety
///
/// As `lr_user_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_name(user: *const lr_user) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(user, |u| {
            u.name.as_ref().map_or(ptr::null(), |n| n.as_ptr())
        })
    }
}

/// The email, or `NULL` when the user has none.
///
/// # Safety
///
/// As `lr_user_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_email(user: *const lr_user) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(user, |u| {
            u.email.as_ref().map_or(ptr::null(), |e| e.as_ptr())
        })
    }
}

/// How many traits the user has (0 for `NULL`).
///
/// # Safety
///
/// `user` is `NULL` or a live user.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_trait_count(user: *const lr_user) -> usize {
    // SAFETY: the caller guarantees `user` is NULL or live.
    run_accessor(0, || unsafe { user.as_ref() }.map_or(0, |u| u.traits.len()))
}

/// The key of trait `index` (traits are sorted by key), or `NULL` when `index` is out of range.
///
/// # Safety
///
/// As `lr_user_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_trait_key(user: *const lr_user, index: usize) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(user, |u| {
            u.traits.get(index).map_or(ptr::null(), |(k, _)| k.as_ptr())
        })
    }
}

/// The value of trait `index` as the API stores it (always a string, e.g. `"43"`, `"true"`), or
/// `NULL` when `index` is out of range.
///
/// # Safety
///
/// As `lr_user_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_trait_value(user: *const lr_user, index: usize) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(user, |u| {
            u.traits.get(index).map_or(ptr::null(), |(_, v)| v.as_ptr())
        })
    }
}

/// The whole user as one JSON object `{"user_id", "name", "email", "traits"}` (`name` and
/// `email` are `null` when absent; trait values are strings). Exact even for strings holding
/// NUL bytes, which JSON escapes.
///
/// # Safety
///
/// As `lr_user_id`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_json(user: *const lr_user) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(user, |u| {
            u.json
                .get_or_init(|| c_string(&serde_json::to_string(&u.user).unwrap_or_default()))
                .as_ptr()
        })
    }
}

/// Frees a user. `NULL` does nothing.
///
/// # Safety
///
/// `user` is `NULL` or a user from this library not freed yet; its strings become invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_user_free(user: *mut lr_user) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(user) }
}
