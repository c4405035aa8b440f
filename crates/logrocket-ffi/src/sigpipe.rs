//! Keeps SIGPIPE away from the threads this library starts.
//!
//! Writing to a socket whose peer has gone raises SIGPIPE in the writing thread, and its default
//! action ends the process. Rust programs ignore it from `main`, and so do Python and Node, but a
//! C program does not by default: a TLS peer closing mid-handshake, or a proxy closing after its
//! 407, could then kill the host instead of failing one request with `EPIPE`. The runtimes of the
//! client and of the emulator do their socket writes on threads of their own, which inherit the
//! signal mask of the thread that starts them; so the calls that start them
//! (`lr_client_new`, `lr_emulator_start`, `lr_emulator_start_tls`) run with SIGPIPE blocked in
//! the calling thread, restored afterwards. The host's own disposition is left alone, and a
//! SIGPIPE raised in one of those threads stays pending there, harmless, while the write fails
//! with `EPIPE`, which the library handles as a lost connection.

/// Runs `body` with SIGPIPE blocked in the calling thread, so that every thread it starts (and
/// every thread those start) keeps it blocked; the calling thread's mask is restored afterwards,
/// even if `body` panics.
#[cfg(unix)]
pub(crate) fn blocked_in_new_threads<T>(body: impl FnOnce() -> T) -> T {
    use std::mem::MaybeUninit;
    use std::ptr;

    struct Restore(libc::sigset_t);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: `self.0` is the mask pthread_sigmask filled in; NULL asks for no old mask.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, ptr::null_mut()) };
        }
    }

    let mut pipe = MaybeUninit::<libc::sigset_t>::uninit();
    let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set before sigaddset and pthread_sigmask read it;
    // pthread_sigmask fills `previous` in when it returns 0, and only then is it read.
    let restore = unsafe {
        libc::sigemptyset(pipe.as_mut_ptr());
        libc::sigaddset(pipe.as_mut_ptr(), libc::SIGPIPE);
        (libc::pthread_sigmask(libc::SIG_BLOCK, pipe.as_ptr(), previous.as_mut_ptr()) == 0)
            .then(|| Restore(previous.assume_init()))
    };
    let result = body();
    drop(restore);
    result
}

/// Elsewhere there is no SIGPIPE to keep away.
#[cfg(not(unix))]
pub(crate) fn blocked_in_new_threads<T>(body: impl FnOnce() -> T) -> T {
    body()
}
