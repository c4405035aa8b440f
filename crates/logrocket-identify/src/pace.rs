//! A fixed request rate for a client, for users who know their quota: every attempt of every
//! request of the client (bulk, background or single) takes the next slot, one per
//! `1 / per_second`, so the client never sends faster than that over any stretch of time.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(per_second: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next_slot: Mutex::new(None),
        }
    }

    /// Waits for this attempt's slot. Slots are handed out in call order; a slot not used at
    /// its time is not saved up, so no burst follows a quiet spell.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self
                .next_slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |at| at.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn attempts_are_spaced_by_the_interval() {
        let pacer = Pacer::new(10.0);
        let started = Instant::now();
        for _ in 0..5 {
            pacer.wait().await;
        }
        // The first goes at once, the next four 100 ms apart.
        assert_eq!(started.elapsed(), Duration::from_millis(400));
        // After a quiet second, the next goes at once: no burst was saved up.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let resumed = Instant::now();
        pacer.wait().await;
        pacer.wait().await;
        assert_eq!(resumed.elapsed(), Duration::from_millis(100));
    }
}
