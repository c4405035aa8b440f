//! A request rate for a client: every attempt of every request of the client (bulk,
//! background or single) takes the next slot, one per `1 / per_second`, so the client never
//! sends faster than that over any stretch of time. A fixed rate is for users who know their
//! quota; the adaptive engine sets one it learned from 429s.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Pacer {
    slots: Mutex<Slots>,
}

#[derive(Debug)]
struct Slots {
    /// `None`: no limit.
    interval: Option<Duration>,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `per_second` attempts a second; `None`: no limit until `set_rate`.
    pub fn new(per_second: Option<f64>) -> Pacer {
        Pacer {
            slots: Mutex::new(Slots {
                interval: per_second.map(interval_for),
                next: None,
            }),
        }
    }

    /// Changes the rate from the next slot on.
    pub fn set_rate(&self, per_second: Option<f64>) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.interval = per_second.map(interval_for);
    }

    /// Waits for this attempt's slot. Slots are handed out in call order; a slot not used at
    /// its time is not saved up, so no burst follows a quiet spell.
    pub async fn wait(&self) {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let Some(interval) = slots.interval else {
                return;
            };
            let now = Instant::now();
            let slot = slots.next.map_or(now, |at| at.max(now));
            slots.next = Some(slot + interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

fn interval_for(per_second: f64) -> Duration {
    Duration::from_secs_f64(1.0 / per_second.max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn attempts_are_spaced_by_the_interval() {
        let pacer = Pacer::new(Some(10.0));
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
