//! The emulator's own rate limit, as an API protects itself: a token bucket holding one
//! second's worth of requests and refilled at the same pace. A request that finds it empty is
//! answered 429 with `Retry-After`, the whole seconds until a token is back.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct RateLimit {
    per_second: u32,
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimit {
    /// `None` for 0: no limit.
    pub fn new(per_second: u32) -> Option<RateLimit> {
        (per_second > 0).then(|| RateLimit {
            per_second,
            tokens: f64::from(per_second),
            refilled_at: Instant::now(),
        })
    }

    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// Takes a token for one request at `now`, or says how long until there is one.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let rate = f64::from(self.per_second);
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

/// `Retry-After` for a wait: whole seconds, at least one (the header has no smaller unit).
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    let rounded_up = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    rounded_up.max(1)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_requests_then_one_per_interval() {
        let start = Instant::now();
        let mut limit = RateLimit::new(4).expect("a limit");
        for _ in 0..4 {
            assert!(limit.take(start).is_ok());
        }
        let wait = limit.take(start).expect_err("the bucket is empty");
        assert_eq!(wait, Duration::from_millis(250));
        assert!(limit.take(start + Duration::from_millis(250)).is_ok());
        assert!(limit.take(start + Duration::from_millis(260)).is_err());
        // Never more than one second's worth saved up.
        let later = start + Duration::from_secs(60);
        let granted = (0..10).filter(|_| limit.take(later).is_ok()).count();
        assert_eq!(granted, 4);
        assert!(RateLimit::new(0).is_none());
    }

    #[test]
    fn retry_after_is_whole_seconds_and_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1_500)), 2);
    }
}
