//! Adaptive concurrency: how many requests a client keeps in flight, and how fast it sends,
//! found from the answers rather than configured.
//!
//! - **In flight.** The limit starts small and doubles every round trip while answers come
//!   back fast and without a 429 (slow start, as TCP does), then grows by about 5% per round
//!   trip (at least one). Round trips are smoothed as TCP does (SRTT, and RTTVAR, their mean
//!   deviation). A smoothed round trip longer than the lowest smoothed one seen by 30%, plus
//!   twice the variation (a link whose latency jitters is not a queue) and 2 ms of grace for a
//!   noisy loopback, means requests now wait in a queue at the server (or a proxy): the limit
//!   shrinks by a tenth. An answer on a connection opened for it says nothing about
//!   the server (its round trip includes the TCP, TLS and proxy handshakes), and slow start
//!   opens many: those round trips are left out. A 429 or an attempt that timed out halves it. Each cut happens
//!   at most once per round trip (only answers to requests sent after the last cut count), so
//!   one burst of 429s is one cut, not a collapse to 1. The configured concurrency is the
//!   ceiling.
//! - **Rate.** A rate limit does not show in latency: a token bucket answers fast until it is
//!   empty, then says 429. So 429s also set a send rate. From the first refused request's
//!   send time to the moment its 429 arrives, the bucket was empty: what the server let
//!   through of the requests sent in that stretch is what it refills. Once their answers are
//!   in (when the `Retry-After` pause ends) the client sends at 95% of that rate. A burst in
//!   which many were sent and (next to) none let through is no bucket (a bucket lets its refill
//!   through): a server refusing everything for a while, which the `Retry-After` pause and the
//!   halved limit answer; the rate is left alone. When the stretch is too short to tell
//!   (microseconds on a loopback), the rate is what the server let through between the
//!   previous burst's pause and this one (an overestimate by the bucket's stock, still a bound
//!   that saves 429s), or over the whole cycle, that pause included, when the client spent the
//!   bucket within half a second of it (a quota of a few requests a second). Once a rate is known, that fallback lowers it only when the rate was
//!   what held the client back (it sent at 80% of it or more), and only while lowering works:
//!   against a bucket a lower rate makes the stock last longer, so the next burst comes later;
//!   when it came no later (under 1.25 times the stretch before the last lowering) the bursts
//!   come whatever the rate, and lowering it again would ratchet it down burst after burst, so
//!   it is kept. The rate rises while no 429 lowers it: 1% a second for 30 s, then faster the
//!   longer it lasts (up to 10% a second), so it finds the quota again after a change with few
//!   429s (the bucket's slack absorbs a small excess for a long time) and recovers from a low
//!   guess in a minute or two.
//!   The in-flight limit is kept high enough for that rate.
//!
//! Other failures (a 500, a reset) say nothing about load and leave both alone. The state is
//! the client's, shared by its bulk runs and background delivery: they reach the same server.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::pace::Pacer;

/// Where the limit starts: small enough not to flood a server that allows little, and slow
/// start reaches hundreds within a few round trips.
const INITIAL_LIMIT: f64 = 16.0;
/// After slow start, each fast answer adds this much: about 5% more per round trip (and at
/// least one), so a limit cut early by a noisy round trip regains hundreds within a couple of
/// seconds on a 50 ms link, while a real queue (a tenth off every round trip) still wins.
const CONGESTION_AVOIDANCE_STEP: f64 = 0.05;
/// A smoothed round trip this much slower than the lowest seen, plus [`JITTER_ALLOWANCE`]
/// times its variation (so a path that jitters is not read as a queue; as TCP's timeout
/// allows for it) and [`LATENCY_GRACE`], is queueing.
const LATENCY_TOLERANCE: f64 = 1.3;
const JITTER_ALLOWANCE: f64 = 2.0;
const LATENCY_GRACE: Duration = Duration::from_millis(2);
/// Each round trip moves the smoothed one by this share of the difference, and the variation
/// (the mean deviation) by [`VARIATION_GAIN`] (TCP's SRTT and RTTVAR gains).
const SMOOTHING: f64 = 0.125;
const VARIATION_GAIN: f64 = 0.25;
/// How often the lowest smoothed round trip is forgotten and measured again, so a path that got
/// slower for good (a failover to a farther region) does not read as congestion forever.
const BASELINE_WINDOW: Duration = Duration::from_secs(10);
/// The fewest requests let through in a burst that a rate is learned from; fewer (a burst
/// over a loopback round trip of microseconds) would be noise.
const MIN_LET_THROUGH: u32 = 10;
/// How long the answers of a burst may take to arrive, at least.
const SETTLE: Duration = Duration::from_millis(50);
/// The learned rate is this share of what the server let through while refusing.
const RATE_MARGIN: f64 = 0.95;
/// The learned rate rises every [`RATE_STEP`] while no 429 lowers it: by this share at first
/// (about 1% a second) for [`RATE_RISE_STEADY`] after it was last lowered, then one more such
/// share for every [`RATE_RISE_ACCELERATES`], up to [`RATE_RISE_MAX`] (about 10% a second).
/// A server whose quota holds lowers it again well within the steady stretch (the bucket's
/// stock runs out), so the fast rise only serves a rate learned far too low.
const RATE_RISE: f64 = 0.001;
const RATE_RISE_STEADY: Duration = Duration::from_secs(30);
const RATE_RISE_ACCELERATES: Duration = Duration::from_secs(10);
const RATE_RISE_MAX: f64 = 0.01;
const RATE_STEP: Duration = Duration::from_millis(100);
/// No learned rate above this: past it, the rate holds nothing back.
const RATE_CEILING: f64 = 1e6;
/// A client that sent at least this share of its learned rate was held back by that rate.
const PACE_BOUND_SHARE: f64 = 0.8;

/// The adaptive state of one client.
#[derive(Debug)]
pub(crate) struct Adaptive {
    enabled: bool,
    max: usize,
    /// Attempts on the wire. Not requests waiting for a slot of the learned rate (counted,
    /// they would grow the limit while the rate holds the client back), nor those sleeping in
    /// backoff (`backing_off`, allowed on top of the limit).
    in_flight: AtomicUsize,
    backing_off: AtomicUsize,
    /// Told when a request begins to back off (the limit, backoff included, grew).
    grown: tokio::sync::Notify,
    /// Attempts started.
    started: AtomicU64,
    state: Mutex<State>,
    /// The learned send rate, once a 429 taught one.
    pacer: Pacer,
}

#[derive(Debug)]
struct State {
    limit: f64,
    slow_start: bool,
    /// The smoothed round trip and its variation, and the lowest smoothed round trip (over
    /// the last window, and before), in seconds.
    smoothed: Option<Smoothed>,
    baseline: Option<f64>,
    window_min: Option<f64>,
    window_started: Instant,
    /// Answers to requests sent before this instant do not cut the limit again.
    last_cut: Instant,
    rate: Option<f64>,
    last_rate_step: Instant,
    /// When the rate was last set from a burst: its rise speeds up with the time since.
    rate_lowered: Instant,
    /// The stretch between bursts before the rate was last lowered by what got through in it
    /// (`None` when the last rate came otherwise).
    lowered_after: Option<Duration>,
    /// The latest burst of 429s, until a rate is learned from it.
    burst: Option<Burst>,
    /// What happened since the last burst's pause ended (`None` before any).
    since_pause: Option<SincePause>,
}

/// A smoothed round trip and its variation (mean deviation), in seconds.
#[derive(Debug, Clone, Copy)]
struct Smoothed {
    round_trip: f64,
    variation: f64,
}

/// The stretch between two bursts of 429s.
#[derive(Debug, Clone, Copy)]
struct SincePause {
    /// When the burst before this stretch was answered: the pause it asked for began then.
    paused_at: Instant,
    from: Instant,
    /// Successes of requests sent since `from`.
    succeeded: u64,
    /// Attempts started when the stretch began.
    started: u64,
}

/// Requests sent while the server's bucket was empty: from the first refused one's send time
/// to the arrival of its 429.
#[derive(Debug)]
struct Burst {
    from: Instant,
    until: Instant,
    /// Requests sent from `from` to `until` that were answered, and that were refused.
    let_through: u32,
    refused: u32,
    /// When its answers are all in.
    learn_at: Instant,
    /// The rate let through since the previous burst's pause, if long enough to tell, and
    /// how long that stretch lasted.
    between: Option<f64>,
    stretch: Option<Duration>,
    /// Whether the learned rate was what held the client back in that stretch: it sent at
    /// least [`PACE_BOUND_SHARE`] of it.
    pace_bound: bool,
}

/// The shortest stretch between two bursts that a rate is learned from.
const MIN_BETWEEN: Duration = Duration::from_millis(500);
/// A burst in which the server let through less than one in this many of the requests sent
/// is not a rate limit (a bucket lets its refill through): the server refused everything.
const REFUSED_EVERYTHING: u32 = 50;
/// Against a bucket, a lower rate makes the stretch until the next burst longer (the stock
/// lasts longer); after a lowering that did not make it at least this much longer, the bursts
/// come whatever the rate, and the rate is not lowered again.
const STRETCH_GROWTH: f64 = 1.25;

impl Adaptive {
    /// `max`: the configured concurrency. Disabled: always `max`, and no learned rate.
    pub fn new(enabled: bool, max: usize) -> Adaptive {
        let now = Instant::now();
        Adaptive {
            enabled,
            max,
            in_flight: AtomicUsize::new(0),
            backing_off: AtomicUsize::new(0),
            grown: tokio::sync::Notify::new(),
            started: AtomicU64::new(0),
            state: Mutex::new(State {
                limit: INITIAL_LIMIT.min(max as f64),
                slow_start: true,
                smoothed: None,
                baseline: None,
                window_min: None,
                window_started: now,
                last_cut: now,
                rate: None,
                last_rate_step: now,
                rate_lowered: now,
                lowered_after: None,
                burst: None,
                since_pause: None,
            }),
            pacer: Pacer::new(None),
        }
    }

    /// How many requests may be in flight now, at most `cap` (a bulk run's own concurrency).
    ///
    /// Requests sleeping in backoff come on top: the limit is about load on the server, and
    /// a request waiting to retry puts none there. Were they counted, a limit cut small (a
    /// few timeouts) would be held whole by requests waiting out long backoffs, and with no
    /// answers coming it could never grow again.
    pub fn limit(&self, cap: usize) -> usize {
        if !self.enabled {
            return cap;
        }
        let limit = (self.lock().limit as usize).clamp(1, self.max);
        let backing_off = self.backing_off.load(Ordering::Relaxed);
        limit.saturating_add(backing_off).min(cap)
    }

    /// Resolves when the limit may have grown because a request began to back off: a sender
    /// waiting for a place under the limit looks again.
    pub async fn may_have_grown(&self) {
        self.grown.notified().await;
    }

    /// Waits for the learned rate's next slot, if 429s taught one (learning it first when
    /// the answers to a burst of them are all in).
    pub async fn pace(&self) {
        if self.enabled {
            {
                let mut state = self.lock();
                if state
                    .burst
                    .as_ref()
                    .is_some_and(|burst| Instant::now() >= burst.learn_at)
                {
                    self.learn_rate(&mut state);
                }
            }
            self.pacer.wait().await;
        }
    }

    /// Marks a request as sleeping in backoff until the guard is dropped.
    pub fn backing_off(&self) -> BackingOff<'_> {
        self.backing_off.fetch_add(1, Ordering::Relaxed);
        if self.enabled {
            self.grown.notify_one();
        }
        BackingOff { adaptive: self }
    }

    /// Marks an attempt as started; the returned guard's `finish` reports how it ended.
    pub fn start(&self) -> Attempt<'_> {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Attempt {
            _in_flight: InFlight { adaptive: self },
            adaptive: self,
            sent_at: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn on_success(&self, sent_at: Instant, now: Instant, in_flight: usize, fresh: bool) {
        let mut state = self.lock();
        let round_trip = now.saturating_duration_since(sent_at);
        if let Some(burst) = &mut state.burst
            && !fresh
            && (burst.from..burst.until).contains(&sent_at)
        {
            burst.let_through += 1;
        }
        if let Some(since) = &mut state.since_pause
            && sent_at >= since.from
        {
            since.succeeded += 1;
        }
        self.raise_rate(&mut state, now);
        if !fresh && self.queueing(&mut state, round_trip, now) {
            if sent_at > state.last_cut {
                state.limit = (state.limit * 0.9).max(1.0);
                state.slow_start = false;
                state.last_cut = now;
            }
            return;
        }
        // Grow only while the limit is what holds the sender back: an idle client's limit
        // must not climb to the ceiling and then release a burst.
        if (in_flight as f64) * 2.0 >= state.limit {
            let step = if state.slow_start {
                1.0
            } else {
                CONGESTION_AVOIDANCE_STEP.max(1.0 / state.limit)
            };
            state.limit = (state.limit + step).min(self.max as f64);
        }
    }

    /// Takes `round_trip` into the smoothed round trip and its variation, and the lowest
    /// smoothed round trip seen, and says whether the smoothed one shows a queue.
    fn queueing(&self, state: &mut State, round_trip: Duration, now: Instant) -> bool {
        if now.duration_since(state.window_started) >= BASELINE_WINDOW {
            state.baseline = state.window_min.or(state.baseline);
            state.window_min = None;
            state.window_started = now;
        }
        let sample = round_trip.as_secs_f64();
        let smoothed = match state.smoothed {
            // As TCP starts: the variation half the first round trip.
            None => Smoothed {
                round_trip: sample,
                variation: sample / 2.0,
            },
            Some(before) => Smoothed {
                round_trip: before.round_trip * (1.0 - SMOOTHING) + sample * SMOOTHING,
                variation: before.variation * (1.0 - VARIATION_GAIN)
                    + (before.round_trip - sample).abs() * VARIATION_GAIN,
            },
        };
        state.smoothed = Some(smoothed);
        state.window_min = Some(
            state
                .window_min
                .map_or(smoothed.round_trip, |m| m.min(smoothed.round_trip)),
        );
        let baseline = state
            .baseline
            .map_or(smoothed.round_trip, |b| b.min(smoothed.round_trip));
        state.baseline = Some(baseline);
        smoothed.round_trip
            > baseline * LATENCY_TOLERANCE
                + smoothed.variation * JITTER_ALLOWANCE
                + LATENCY_GRACE.as_secs_f64()
    }

    /// Raises the learned rate for the time passed since it was last lowered.
    fn raise_rate(&self, state: &mut State, now: Instant) {
        if let Some(rate) = state.rate
            && now.duration_since(state.last_rate_step) >= RATE_STEP
        {
            let steps =
                now.duration_since(state.last_rate_step).as_secs_f64() / RATE_STEP.as_secs_f64();
            // The rise at the middle of the stretch since the last step (it grows with time).
            let since_lowered = now.duration_since(state.rate_lowered).as_secs_f64()
                - now.duration_since(state.last_rate_step).as_secs_f64() / 2.0;
            let accelerating = (since_lowered - RATE_RISE_STEADY.as_secs_f64()).max(0.0);
            let rise = (RATE_RISE * (1.0 + accelerating / RATE_RISE_ACCELERATES.as_secs_f64()))
                .min(RATE_RISE_MAX);
            let raised = (rate * (1.0 + rise).powf(steps.floor())).min(RATE_CEILING);
            state.rate = Some(raised);
            state.last_rate_step = now;
            self.pacer.set_rate(Some(raised));
        }
    }

    fn on_overload(&self, sent_at: Instant, now: Instant, pause: Option<Duration>, fresh: bool) {
        let mut state = self.lock();
        let cut = sent_at > state.last_cut;
        if cut {
            state.limit = (state.limit * 0.5).max(1.0);
            state.slow_start = false;
            state.last_cut = now;
        }
        // A burst is measured from a request that went out on an open connection: one that
        // opened its own spent round trips on handshakes, so its start time says little about
        // when it reached the server.
        if let Some(burst) = &mut state.burst {
            if !fresh && (burst.from..burst.until).contains(&sent_at) {
                burst.refused += 1;
            }
            return;
        }
        if fresh {
            return;
        }
        // The rest of the burst's answers arrive within a round trip or two; the pause (if the
        // server asked for one) is longer, and nothing is sent during it anyway.
        let settle = state
            .baseline
            .map_or(SETTLE, Duration::from_secs_f64)
            .saturating_mul(2)
            .max(SETTLE);
        let stretch = state
            .since_pause
            .map(|since| now.saturating_duration_since(since.from))
            .filter(|elapsed| *elapsed >= MIN_BETWEEN);
        let between = state
            .since_pause
            .zip(stretch)
            .map(|(since, elapsed)| since.succeeded as f64 / elapsed.as_secs_f64())
            .or_else(|| {
                // A stretch too short to measure: the client spent what the bucket had saved
                // during the pause at once (a low quota, a few requests a second). Measured
                // over the whole cycle, pause included, that is what the bucket lets through a
                // second; without it no rate is ever learned, and every cycle ends in 429s.
                // (Without a pause the cycle is the stretch, already too short.)
                let since = state.since_pause?;
                let cycle = now.saturating_duration_since(since.paused_at);
                (cycle >= MIN_BETWEEN && since.succeeded > 0)
                    .then(|| since.succeeded as f64 / cycle.as_secs_f64())
            });
        // Attempts are counted from when they start, 429s included: what the client sent,
        // against what its rate allowed.
        let started = self.started.load(Ordering::Relaxed);
        let pace_bound = match (state.since_pause, state.rate) {
            (Some(since), Some(rate)) => {
                let elapsed = now.saturating_duration_since(since.from);
                let attempts = started.saturating_sub(since.started) as f64;
                elapsed >= MIN_BETWEEN
                    && attempts / elapsed.as_secs_f64() >= rate * PACE_BOUND_SHARE
            }
            _ => false,
        };
        let pause_ends = now + pause.unwrap_or_default();
        state.since_pause = Some(SincePause {
            paused_at: now,
            from: pause_ends,
            succeeded: 0,
            started,
        });
        state.burst = Some(Burst {
            from: sent_at,
            until: now,
            let_through: 0,
            refused: 1,
            learn_at: pause_ends.max(now + settle),
            between,
            stretch,
            pace_bound,
        });
    }

    /// Sets the send rate from the latest burst: what the server let through while its bucket
    /// was empty.
    fn learn_rate(&self, state: &mut State) {
        let Some(burst) = state.burst.take() else {
            return;
        };
        let span = burst
            .until
            .saturating_duration_since(burst.from)
            .as_secs_f64();
        let between = burst.between.filter(|rate| *rate >= 1.0);
        let sent = burst.let_through + burst.refused;
        let kept = |why: &str| {
            tracing::debug!(
                let_through = burst.let_through,
                refused = burst.refused,
                between = burst.between,
                "a burst of 429s that says nothing of a rate ({why}); rate kept"
            );
        };
        let mut lowered_after = None;
        let learned = if burst.let_through >= MIN_LET_THROUGH && span > 0.0 {
            // The bucket measured while empty.
            f64::from(burst.let_through) / span * RATE_MARGIN
        } else if sent >= MIN_LET_THROUGH && burst.let_through * REFUSED_EVERYTHING < sent {
            // Enough sent while refused to tell, and (next to) nothing let through.
            return kept("the server refused everything");
        } else {
            lowered_after = burst.stretch;
            match (state.rate, between) {
                (None, Some(between)) => between * RATE_MARGIN,
                // Nothing known yet: the limit's cut is the only answer for now.
                (None, None) => return,
                (Some(_), _)
                    if state.lowered_after.zip(burst.stretch).is_some_and(
                        |(before, stretch)| {
                            stretch.as_secs_f64() < before.as_secs_f64() * STRETCH_GROWTH
                        },
                    ) =>
                {
                    // Measured against the stretch before that lowering until bursts come
                    // less often (or a burst measures the bucket).
                    return kept("the last lowering did not make the bursts less frequent");
                }
                // Sending at its rate met 429s: below what got through, or a step down.
                (Some(known), between) if burst.pace_bound => {
                    between.map_or(known, |between| between.min(known)) * RATE_MARGIN
                }
                // Held back by something else.
                (Some(_), _) => return kept("sending below the learned rate"),
            }
        }
        .max(1.0);
        state.lowered_after = lowered_after;
        tracing::debug!(
            rate = learned,
            let_through = burst.let_through,
            refused = burst.refused,
            span_ms = span * 1e3,
            between = burst.between,
            pace_bound = burst.pace_bound,
            "learned a send rate from a burst of 429s"
        );
        state.rate = Some(learned);
        state.last_rate_step = Instant::now();
        state.rate_lowered = state.last_rate_step;
        self.pacer.set_rate(Some(learned));
        // Enough in flight for that rate at the fastest round trip seen, with room to spare.
        if let Some(baseline) = state.baseline {
            let needed = learned * baseline * 2.0;
            state.limit = state.limit.max(needed.min(self.max as f64));
        }
    }

    fn on_timeout(&self, sent_at: Instant, now: Instant) {
        let mut state = self.lock();
        if sent_at > state.last_cut {
            state.limit = (state.limit * 0.5).max(1.0);
            state.slow_start = false;
            state.last_cut = now;
        }
    }
}

/// How an attempt ended, as far as load is concerned.
pub(crate) enum Signal {
    /// An answer from the API that is not a sign of overload (any status but 429), and
    /// whether it came on a connection opened for it.
    Answered { fresh_connection: bool },
    /// 429: too many requests; with the pause `Retry-After` asked for, and whether it came on
    /// a connection opened for it.
    Overloaded {
        pause: Option<Duration>,
        fresh_connection: bool,
    },
    /// No answer within the attempt's timeout.
    TimedOut,
    /// Nothing learned (a connection refused or reset, a TLS failure).
    Nothing,
}

/// One attempt in flight.
pub(crate) struct Attempt<'a> {
    /// Counts the attempt out when dropped.
    _in_flight: InFlight<'a>,
    adaptive: &'a Adaptive,
    sent_at: Instant,
}

impl Attempt<'_> {
    pub fn finish(self, signal: Signal) {
        let adaptive = self.adaptive;
        let in_flight = adaptive.in_flight.load(Ordering::Relaxed);
        if adaptive.enabled {
            let now = Instant::now();
            match signal {
                Signal::Answered { fresh_connection } => {
                    adaptive.on_success(self.sent_at, now, in_flight, fresh_connection);
                }
                Signal::Overloaded {
                    pause,
                    fresh_connection,
                } => adaptive.on_overload(self.sent_at, now, pause, fresh_connection),
                Signal::TimedOut => adaptive.on_timeout(self.sent_at, now),
                Signal::Nothing => {}
            }
        }
    }
}

/// One request sleeping in backoff.
pub(crate) struct BackingOff<'a> {
    adaptive: &'a Adaptive,
}

impl Drop for BackingOff<'_> {
    fn drop(&mut self) {
        self.adaptive.backing_off.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One attempt on the wire.
pub(crate) struct InFlight<'a> {
    adaptive: &'a Adaptive,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.adaptive.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(adaptive: &Adaptive, round_trip: Duration) {
        let attempt = adaptive.start();
        let sent_at = attempt.sent_at;
        // Pretend the attempt took `round_trip`, with the limit fully used.
        adaptive.on_success(sent_at, sent_at + round_trip, adaptive.max, false);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_start_doubles_then_latency_cuts_by_a_tenth() {
        let adaptive = Adaptive::new(true, 1000);
        assert_eq!(adaptive.limit(usize::MAX), 16);
        for _ in 0..16 {
            answer(&adaptive, Duration::from_millis(50));
        }
        assert_eq!(adaptive.limit(usize::MAX), 32);
        // Round trips three times the lowest: queueing, once the smoothed round trip has moved
        // and its variation settled (a step in latency first reads as jitter). One cut per round
        // trip: every answer after it belongs to the same round trip.
        tokio::time::advance(Duration::from_millis(1)).await;
        let mut limits = Vec::new();
        for _ in 0..30 {
            answer(&adaptive, Duration::from_millis(150));
            limits.push(adaptive.limit(usize::MAX));
        }
        let cut_at = limits.windows(2).position(|w| w[1] < w[0]).unwrap() + 1;
        assert!((5..=20).contains(&cut_at), "{limits:?}");
        let before = limits[cut_at - 1];
        assert_eq!(limits[cut_at], before * 9 / 10, "{limits:?}");
        assert!(
            limits[cut_at..].iter().all(|&l| l == limits[cut_at]),
            "{limits:?}"
        );
        // Out of slow start, growth is about 5% per round trip's worth of answers (at most one
        // more cut while the smoothed round trip comes back down).
        let cut = limits[cut_at];
        tokio::time::advance(Duration::from_millis(200)).await;
        let mut after = Vec::new();
        for _ in 0..200 {
            answer(&adaptive, Duration::from_millis(50));
            after.push(adaptive.limit(usize::MAX));
        }
        assert!(
            after[0] == cut || after[0] == cut * 9 / 10,
            "{cut} -> {after:?}"
        );
        let last = *after.last().unwrap();
        assert!(
            (after[0] + 9..=after[0] + 11).contains(&last),
            "{cut} -> {after:?}"
        );
        assert_eq!(adaptive.limit(10), 10, "a run's own concurrency caps it");
    }

    /// Latency that jitters between 5 and 35 ms, whatever the load, is not a queue: the limit
    /// keeps growing (each answer alone is often more than twice the fastest).
    #[tokio::test(start_paused = true)]
    async fn jitter_is_not_queueing() {
        let adaptive = Adaptive::new(true, 1000);
        let mut seed = 0x2545_f491_u64;
        for _ in 0..3_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let jitter = (seed >> 33) % 31;
            answer(&adaptive, Duration::from_millis(5 + jitter));
            tokio::time::advance(Duration::from_micros(100)).await;
        }
        assert_eq!(adaptive.limit(usize::MAX), 1000);
    }

    /// A client sending 10,000 a second over a 50 ms round trip at a token bucket holding 100
    /// and refilling 300 a second: the burst of 429s cuts the limit once, and teaches a rate
    /// near 95% of 300.
    #[tokio::test(start_paused = true)]
    async fn a_burst_of_429s_is_one_halving_and_teaches_the_servers_rate() {
        let adaptive = Adaptive::new(true, 1000);
        let start = Instant::now();
        let before = adaptive.limit(usize::MAX);
        let mut tokens = 100.0_f64;
        // The pause starts when the first 429 arrives: nothing is sent after that.
        let mut paused_from = None;
        for tenth in 0..5_000_u64 {
            tokens = (tokens + 0.03).min(100.0);
            let sent_at = start + Duration::from_micros(tenth * 100);
            if paused_from.is_some_and(|at| sent_at >= at) {
                break;
            }
            let answered = sent_at + Duration::from_millis(50);
            if tokens >= 1.0 {
                tokens -= 1.0;
                adaptive.on_success(sent_at, answered, 0, false);
            } else {
                paused_from.get_or_insert(answered);
                adaptive.on_overload(sent_at, answered, Some(Duration::from_secs(1)), false);
            }
        }
        assert_eq!(
            adaptive.limit(usize::MAX),
            before / 2,
            "one cut for the burst"
        );
        assert!(
            adaptive.lock().rate.is_none(),
            "learned once the answers are in"
        );
        tokio::time::advance(Duration::from_millis(1_600)).await;
        adaptive.pace().await;
        let rate = adaptive.lock().rate.unwrap();
        assert!((250.0..=320.0).contains(&rate), "{rate}");
        // Without 429s the rate climbs about 1% a second.
        tokio::time::advance(Duration::from_secs(2)).await;
        answer(&adaptive, Duration::from_millis(3));
        let risen = adaptive.lock().rate.unwrap();
        assert!(
            risen > rate * 1.015 && risen < rate * 1.025,
            "{rate} -> {risen}"
        );
    }

    /// One attempt through the adaptive state: its pace, then a 1 ms answer (`Ok`) or a 429.
    async fn send(adaptive: &Adaptive, overloaded: bool) {
        adaptive.pace().await;
        let attempt = adaptive.start();
        let sent_at = attempt.sent_at;
        let answered = sent_at + Duration::from_millis(1);
        if overloaded {
            adaptive.on_overload(sent_at, answered, Some(Duration::from_secs(1)), false);
        } else {
            adaptive.on_success(sent_at, answered, 1, false);
        }
    }

    fn known_rate(adaptive: &Adaptive, rate: f64) {
        let mut state = adaptive.lock();
        state.rate = Some(rate);
        state.rate_lowered = Instant::now();
        state.last_rate_step = Instant::now();
        adaptive.pacer.set_rate(Some(rate));
    }

    /// A server that refuses in bursts whatever the pace (every 3 s), while the client sends
    /// below its learned rate, held back by something else (retries, its in-flight limit): the
    /// rate is kept, not ratcheted down to what the client achieved burst after burst.
    #[tokio::test(start_paused = true)]
    async fn bursts_of_429s_below_the_learned_rate_keep_it() {
        let adaptive = Adaptive::new(true, 1000);
        known_rate(&adaptive, 1000.0);
        for _ in 0..20 {
            for _ in 0..300 {
                send(&adaptive, false).await;
                tokio::time::advance(Duration::from_millis(10)).await;
            }
            send(&adaptive, true).await;
            tokio::time::advance(Duration::from_millis(1_100)).await;
        }
        let rate = adaptive.lock().rate.unwrap();
        assert!(rate >= 1000.0, "{rate}");
    }

    /// The same bursts while the rate is what holds the client back: the rate is lowered (a
    /// server whose quota went down), to 95% of what got through.
    #[tokio::test(start_paused = true)]
    async fn bursts_of_429s_at_the_learned_rate_lower_it() {
        let adaptive = Adaptive::new(true, 1000);
        known_rate(&adaptive, 100.0);
        let mut before = 0.0;
        for _ in 0..2 {
            for _ in 0..300 {
                send(&adaptive, false).await;
            }
            before = adaptive.lock().rate.unwrap();
            send(&adaptive, true).await;
            tokio::time::advance(Duration::from_millis(1_100)).await;
        }
        send(&adaptive, false).await;
        let rate = adaptive.lock().rate.unwrap();
        assert!(
            rate < before * 0.96 && rate > before * 0.85,
            "{before} -> {rate}"
        );
    }

    /// A server refusing every request for a while (shedding load) whatever the pace, while
    /// the rate holds the client back: the bursts keep coming as often after a lowering as
    /// before, so the rate is not lowered again and holds instead of ratcheting down.
    #[tokio::test(start_paused = true)]
    async fn periodic_bursts_at_the_learned_rate_do_not_ratchet_it_down() {
        let adaptive = Adaptive::new(true, 1000);
        known_rate(&adaptive, 100.0);
        for _ in 0..30 {
            for _ in 0..200 {
                send(&adaptive, false).await;
            }
            send(&adaptive, true).await;
            tokio::time::advance(Duration::from_millis(1_100)).await;
        }
        send(&adaptive, false).await;
        let rate = adaptive.lock().rate.unwrap();
        assert!(rate >= 90.0, "{rate}");
    }

    /// A low quota: a bucket of 10 refilling 10 a second, a client that spends it within a
    /// few milliseconds of each 1-second pause. The stretches after the pauses are too short to
    /// measure alone; over whole cycles the client learns about 95% of 10 a second, and then
    /// meets a 429 only when its rising rate passes the quota again.
    #[tokio::test(start_paused = true)]
    async fn a_low_quota_spent_at_once_after_each_pause_is_learned_over_whole_cycles() {
        let adaptive = Adaptive::new(true, 1000);
        // The bucket, refilled for the time passed (paused tokio time moves on while the
        // pacer waits).
        let mut tokens = 10.0_f64;
        let mut filled_at = Instant::now();
        let mut refused = Vec::new();
        for _cycle in 0..12 {
            let mut refused_now = 0_u32;
            for _ in 0..40 {
                adaptive.pace().await;
                let now = Instant::now();
                tokens = (tokens + now.duration_since(filled_at).as_secs_f64() * 10.0).min(10.0);
                filled_at = now;
                let attempt = adaptive.start();
                let sent_at = attempt.sent_at;
                let answered = sent_at + Duration::from_millis(1);
                if tokens >= 1.0 {
                    tokens -= 1.0;
                    adaptive.on_success(sent_at, answered, 1, false);
                } else {
                    refused_now += 1;
                    adaptive.on_overload(sent_at, answered, Some(Duration::from_secs(1)), false);
                    // The pause the 429 asked for.
                    tokio::time::advance(Duration::from_secs(1)).await;
                    break;
                }
                tokio::time::advance(Duration::from_millis(1)).await;
            }
            refused.push(refused_now);
        }
        let rate = adaptive.lock().rate.unwrap();
        assert!((8.0..=10.0).contains(&rate), "{rate}");
        // Then 429s come only when the rate, rising while none comes, passes the quota again
        // (before: a 429 every cycle, 12 of 12).
        assert!(refused.iter().sum::<u32>() <= 4, "{refused:?}");
    }

    /// Many requests refused in a burst and none let through: not a bucket (which lets its
    /// refill through), so no rate is learned from it.
    #[tokio::test(start_paused = true)]
    async fn a_burst_that_lets_nothing_through_teaches_no_rate() {
        let adaptive = Adaptive::new(true, 1000);
        let start = Instant::now();
        for i in 0..50_u64 {
            let sent_at = start + Duration::from_millis(i);
            adaptive.on_overload(sent_at, sent_at + Duration::from_millis(30), None, false);
        }
        tokio::time::advance(Duration::from_secs(1)).await;
        adaptive.pace().await;
        assert!(adaptive.lock().rate.is_none());
    }

    /// Without 429s the rate rises 1% a second at first, faster the longer it lasts.
    #[tokio::test(start_paused = true)]
    async fn the_rate_rises_faster_the_longer_no_429_comes() {
        let adaptive = Adaptive::new(true, 1000);
        known_rate(&adaptive, 100.0);
        let mut after = Vec::new();
        for _ in 0..12 {
            for _ in 0..100 {
                tokio::time::advance(Duration::from_millis(100)).await;
                answer(&adaptive, Duration::from_millis(1));
            }
            after.push(adaptive.lock().rate.unwrap());
        }
        // 30 s at 1% a second, then 1-2%, 2-3%, ... up to 10% a second.
        assert!((109.0..=112.0).contains(&after[0]), "{after:?}");
        assert!((132.0..=138.0).contains(&after[2]), "{after:?}");
        assert!(after[11] > 1_000.0, "{after:?}");
    }

    /// Answers on new connections carry the handshakes' round trips: they neither cut the
    /// limit nor lower the fastest round trip seen.
    #[tokio::test(start_paused = true)]
    async fn round_trips_on_new_connections_do_not_count_as_queueing() {
        let adaptive = Adaptive::new(true, 1000);
        answer(&adaptive, Duration::from_millis(50));
        for _ in 0..15 {
            let attempt = adaptive.start();
            let sent_at = attempt.sent_at;
            adaptive.on_success(sent_at, sent_at + Duration::from_millis(150), 1000, true);
        }
        assert_eq!(adaptive.limit(usize::MAX), 32, "slow start went on");
        let baseline = adaptive.lock().baseline.unwrap();
        assert!((baseline - 0.05).abs() < 1e-9, "{baseline}");
    }

    /// Requests waiting out a backoff put no load on the server: they come on top of the
    /// limit (within the run's own concurrency), so a small limit is never held whole by them.
    #[test]
    fn requests_in_backoff_come_on_top_of_the_limit() {
        let adaptive = Adaptive::new(true, 1000);
        let waiting: Vec<_> = (0..3).map(|_| adaptive.backing_off()).collect();
        assert_eq!(adaptive.limit(usize::MAX), 19);
        assert_eq!(adaptive.limit(17), 17);
        drop(waiting);
        assert_eq!(adaptive.limit(usize::MAX), 16);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_client_does_not_grow_and_disabled_means_the_cap() {
        let adaptive = Adaptive::new(true, 1000);
        for _ in 0..100 {
            let attempt = adaptive.start();
            let sent_at = attempt.sent_at;
            adaptive.on_success(sent_at, sent_at + Duration::from_millis(5), 1, false);
        }
        assert_eq!(adaptive.limit(usize::MAX), 16);
        let fixed = Adaptive::new(false, 64);
        assert_eq!(fixed.limit(64), 64);
    }
}
