//! `lr_request`: one user's data, built field by field or from the JSON input form.

use std::ffi::{CStr, c_char};

use logrocket_identify::{IdentifyRequest, TraitValue, ValidationError};
use serde_json::Value;

use crate::args;
use crate::error::{lr_error, run};
use crate::status::lr_status;

/// One identify request. Opaque. Nothing is checked until it is sent, when the core validates
/// it with the API's own rules and messages. Not thread-safe to modify; once built, it may be
/// sent from several threads at once.
#[derive(Debug)]
pub struct lr_request {
    pub(crate) inner: IdentifyRequest,
}

/// Creates a request for `user_id` with nothing else set. On success `*out` owns it; free it
/// with `lr_request_free`. An empty id is accepted here and rejected when sent
/// (`"userID is required"`), as in every binding. An id that is not UTF-8 gives
/// `LR_ERR_VALIDATION` (`"Malformed request"`, field `"user_id"`), as every string of the user's
/// data that is not UTF-8 does in the setters below (a trait key's field is `"traits"`, a trait
/// value's `"traits.<key>"`).
///
/// # Safety
///
/// `user_id` is a NUL-terminated string read only during the call; `out` is valid for writing
/// one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_new(
    user_id: *const c_char,
    out: *mut *mut lr_request,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let user_id = args::input_string(user_id, "user_id", "user_id")?;
            args::give(
                out,
                lr_request {
                    inner: IdentifyRequest::new(user_id),
                },
            )
        })
    }
}

/// Creates a request from the JSON input form `{"user_id", "name", "email", "timestamp",
/// "traits", "unset"}`, where a trait value may also be `null` (remove it) or one of the markers
/// `{"$float": "NaN" | "Infinity" | "-Infinity"}` and `{"$bigint": "<digits>"}`. When `user_id`
/// is not `NULL` it is the request's user id and replaces any `"user_id"` in `json`. A document
/// that is not the input form gives `LR_ERR_VALIDATION` naming the offending key; trait values
/// the API cannot hold (objects, arrays, NaN) are rejected when the request is sent. Text that
/// is not UTF-8 gives `LR_ERR_VALIDATION` (`"Malformed request"`) on the field holding it.
///
/// # Safety
///
/// `user_id` is `NULL` or a NUL-terminated string; `json` is a NUL-terminated string; both are
/// read only during the call. `out` is valid for writing one pointer, owned by the caller on
/// success (`lr_request_free`); `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_from_json(
    user_id: *const c_char,
    json: *const c_char,
    out: *mut *mut lr_request,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let user_id = if user_id.is_null() {
                None
            } else {
                Some(args::input_string(user_id, "user_id", "user_id")?)
            };
            if json.is_null() {
                return Err(lr_error::invalid_argument("json", "json is NULL"));
            }
            // Non-NULL, and the caller guarantees NUL termination and no change meanwhile.
            let bytes = CStr::from_ptr(json).to_bytes();
            let json = std::str::from_utf8(bytes).map_err(|_| not_utf8(bytes))?;
            let request = match (user_id, serde_json::from_str::<Value>(json)) {
                (Some(user_id), Ok(Value::Object(mut object))) => {
                    object.insert("user_id".to_owned(), Value::String(user_id.to_owned()));
                    IdentifyRequest::from_json_value(&Value::Object(object))?
                }
                // JSON a `Value` cannot hold (nesting past serde_json's limit, a lone
                // surrogate's escape), which the core reads field by field. The separate id
                // replaces the document's; an error on the document's own id (which the
                // separate one makes moot, but which hides what comes after it) is reported on
                // the whole input, as such JSON was before the core read it field by field.
                (Some(user_id), Err(not_a_value)) => match IdentifyRequest::from_json_str(json) {
                    Ok(mut request) => {
                        request.user_id = user_id.to_owned();
                        request
                    }
                    Err(error) if error.field == "user_id" => {
                        return Err(ValidationError::malformed(
                            "input",
                            format!("not valid JSON: {not_a_value}"),
                        )
                        .into());
                    }
                    Err(error) => return Err(error.into()),
                },
                // Anything else (no separate id, invalid JSON, not an object) is the core's to
                // judge, with its own messages.
                _ => IdentifyRequest::from_json_str(json)?,
            };
            args::give(out, lr_request { inner: request })
        })
    }
}

/// The validation error for a JSON input that is not UTF-8: "Malformed request" on the field
/// holding the bad bytes, as the field-by-field setters report it.
fn not_utf8(bytes: &[u8]) -> lr_error {
    let field = field_of_invalid_utf8(bytes);
    let detail = format!("the JSON input is not valid UTF-8: {field} holds bytes that are not");
    ValidationError::malformed(field, detail).into()
}

/// Which field of the JSON input form holds the bytes that are not UTF-8: the document is read
/// with each bad sequence replaced by a noncharacter it does not otherwise hold, and the first
/// field (in the order the core checks them) holding that mark is the one. `"input"` when the
/// document cannot be read that way.
fn field_of_invalid_utf8(bytes: &[u8]) -> String {
    let valid: String = bytes.utf8_chunks().map(|chunk| chunk.valid()).collect();
    let Some(mark) = ('\u{FDD0}'..='\u{FDEF}').find(|c| !valid.contains(*c)) else {
        return "input".to_owned();
    };
    let mut marked = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        marked.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            marked.push(mark);
        }
    }
    let Ok(Value::Object(input)) = serde_json::from_str::<Value>(&marked) else {
        return "input".to_owned();
    };
    let marked = |value: &Value| value.as_str().is_some_and(|s| s.contains(mark));
    if let Some(field) = ["user_id", "name", "email"]
        .into_iter()
        .find(|key| input.get(*key).is_some_and(marked))
    {
        return field.to_owned();
    }
    let mut traits: Vec<_> = input
        .get("traits")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .collect();
    traits.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in traits {
        // A key that cannot be sent is reported as `traits`, a value as `traits.<key>`.
        if key.contains(mark) {
            return "traits".to_owned();
        }
        if marked(value) {
            return format!("traits.{key}");
        }
    }
    let unset = input.get("unset").and_then(Value::as_array);
    if unset.is_some_and(|names| names.iter().any(marked)) {
        return "traits".to_owned();
    }
    "input".to_owned()
}

/// Frees a request. `NULL` does nothing.
///
/// # Safety
///
/// `request` is `NULL` or a request from this library not freed yet and not in use by a call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_free(request: *mut lr_request) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(request) }
}

/// Applies one change to the request behind `request`.
///
/// # Safety
///
/// `request` is `NULL` or a live request used by no other thread; `error` as in [`run`].
unsafe fn update(
    request: *mut lr_request,
    error: *mut *mut lr_error,
    change: impl FnOnce(&mut IdentifyRequest) -> Result<(), lr_error>,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            change(&mut args::handle_mut(request, "request")?.inner)
        })
    }
}

/// Sets the user's name (replacing any set before).
///
/// # Safety
///
/// `request` is a live request used by no other thread during the call; `name` is a
/// NUL-terminated string read only during the call (the request keeps a copy); `error` is `NULL`
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_name(
    request: *mut lr_request,
    name: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(request, error, |r| {
            r.name = Some(args::input_string(name, "name", "name")?.to_owned());
            Ok(())
        })
    }
}

/// Sets the user's email (replacing any set before).
///
/// # Safety
///
/// As `lr_request_set_name`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_email(
    request: *mut lr_request,
    email: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(request, error, |r| {
            r.email = Some(args::input_string(email, "email", "email")?.to_owned());
            Ok(())
        })
    }
}

/// Sets the time of the identify, in Unix milliseconds.
///
/// # Safety
///
/// `request` is a live request used by no other thread during the call; `error` is `NULL` or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_timestamp_ms(
    request: *mut lr_request,
    unix_ms: i64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(request, error, |r| {
            r.timestamp_ms = Some(unix_ms);
            Ok(())
        })
    }
}

/// Sets trait `key` to `value` in the request behind `request`.
///
/// # Safety
///
/// As [`update`]; `key` is `NULL` or a NUL-terminated string.
unsafe fn set_trait(
    request: *mut lr_request,
    key: *const c_char,
    error: *mut *mut lr_error,
    value: impl FnOnce(&str) -> Result<TraitValue, lr_error>,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(request, error, |r| {
            // A key that cannot be sent is reported as `traits`, as one too long to quote is.
            let key = args::input_string(key, "key", "traits")?;
            r.traits.insert(key.to_owned(), value(key)?);
            Ok(())
        })
    }
}

/// Sets a string trait.
///
/// # Safety
///
/// `request` is a live request used by no other thread during the call; `key` and `value` are
/// NUL-terminated strings read only during the call; `error` is `NULL` or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_trait_string(
    request: *mut lr_request,
    key: *const c_char,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        set_trait(request, key, error, |key| {
            let field = format!("traits.{key}");
            Ok(TraitValue::from(args::input_string(
                value, "value", &field,
            )?))
        })
    }
}

/// Sets an integer trait (sent as a JSON integer, stored by the API as its decimal string).
///
/// # Safety
///
/// `request` is a live request used by no other thread during the call; `key` is a
/// NUL-terminated string read only during the call; `error` is `NULL` or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_trait_int(
    request: *mut lr_request,
    key: *const c_char,
    value: i64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_trait(request, key, error, |_| Ok(TraitValue::from(value))) }
}

/// Sets an unsigned integer trait; values above `INT64_MAX` are sent as their decimal string.
///
/// # Safety
///
/// As `lr_request_set_trait_int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_trait_uint(
    request: *mut lr_request,
    key: *const c_char,
    value: u64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_trait(request, key, error, |_| Ok(TraitValue::from(value))) }
}

/// Sets a floating-point trait. NaN and infinities are accepted here and rejected when the
/// request is sent (`"Malformed request"`, field `traits.<key>`).
///
/// # Safety
///
/// As `lr_request_set_trait_int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_trait_float(
    request: *mut lr_request,
    key: *const c_char,
    value: f64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_trait(request, key, error, |_| Ok(TraitValue::from(value))) }
}

/// Sets a boolean trait.
///
/// # Safety
///
/// As `lr_request_set_trait_int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_set_trait_bool(
    request: *mut lr_request,
    key: *const c_char,
    value: bool,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_trait(request, key, error, |_| Ok(TraitValue::from(value))) }
}

/// Removes trait `key` from the user (sent as the API's blank value `""`).
///
/// # Safety
///
/// As `lr_request_set_trait_int`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_request_unset(
    request: *mut lr_request,
    key: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_trait(request, key, error, |_| Ok(TraitValue::Remove)) }
}
