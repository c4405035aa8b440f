//! When to retry, how long to wait, and the pause that one `Retry-After` puts on the whole client.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rand::Rng;
use tokio::time::Instant;

/// The longest `Retry-After` honoured; a server asking for more gets this, so a misbehaving
/// proxy cannot park a process for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// 408, 429 and every 5xx may succeed later; other statuses never will.
pub fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Exponential backoff with full jitter: a uniformly random wait between zero and
/// `initial * 2^retry`, capped at `max`. Full jitter spreads a crowd of clients that failed
/// together, instead of having them retry in lockstep.
pub fn backoff(retry: u32, initial: Duration, max: Duration) -> Duration {
    let ceiling = initial
        .checked_mul(1u32.checked_shl(retry).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max);
    if ceiling.is_zero() {
        return Duration::ZERO;
    }
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

/// Parses `Retry-After` as delay-seconds or an HTTP date; `None` when absent or unreadable.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A pause shared by every request of one client: after a 429 with `Retry-After`, no worker
/// sends until it passes, so a bulk job backs off as a whole rather than one worker at a time.
#[derive(Debug, Default)]
pub struct SharedPause {
    until: Mutex<Option<Instant>>,
}

impl SharedPause {
    /// Extends the pause to at least `wait` from now.
    pub fn pause_for(&self, wait: Duration) {
        let deadline = Instant::now() + wait;
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if until.is_none_or(|current| current < deadline) {
            *until = Some(deadline);
        }
    }

    /// Whether a pause is in force now.
    pub fn in_force(&self) -> bool {
        self.until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|deadline| deadline > Instant::now())
    }

    /// Waits until any pause in force has passed.
    pub async fn wait(&self) {
        loop {
            let deadline = *self.until.lock().unwrap_or_else(|p| p.into_inner());
            match deadline {
                Some(deadline) if deadline > Instant::now() => {
                    tokio::time::sleep_until(deadline).await
                }
                // Re-read after sleeping: another 429 may have extended the pause meanwhile.
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn backoff_stays_under_its_doubling_ceiling() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for retry in 0..40 {
            let ceiling = (initial * 2u32.saturating_pow(retry.min(20))).min(max);
            for _ in 0..20 {
                assert!(backoff(retry, initial, max) <= ceiling);
            }
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 30 ", now),
            Some(Duration::from_secs(30))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(5)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
