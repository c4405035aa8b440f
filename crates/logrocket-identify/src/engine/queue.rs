//! The engine's queue: bounded in items and bytes, one user's jobs kept in order and sent one at
//! a time, later updates folded into a pending one where that is allowed, and the sequence
//! numbers `flush` waits on.
//!
//! Producers may be plain threads (Python, C, the CLI's reader) or async tasks, so waiting has a
//! blocking form (a `Condvar`) and an async one (`Notify`) for each thing one waits on.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// What the queue holds. The engine sends one payload per request.
pub(crate) trait Payload: Send + 'static {
    /// Whose update this is: jobs of one user are sent in order, one at a time.
    fn user_id(&self) -> &str;
    /// Roughly how many bytes the payload holds, for the queue's byte limit.
    fn size(&self) -> usize;
    /// How many enqueued updates the payload stands for (more than 1 once coalesced).
    fn updates(&self) -> u64 {
        1
    }
    /// Folds `later` (the same user's next update) into this one when sending this one alone
    /// leaves the server in the state sending both in order would; otherwise gives it back.
    fn absorb(&mut self, later: Self) -> Result<(), Self>
    where
        Self: Sized,
    {
        Err(later)
    }
}

/// A queued or in-flight job: its payload and its place in the order of arrival.
#[derive(Debug)]
pub(crate) struct Job<P> {
    pub seq: u64,
    pub payload: P,
}

/// A job that is being sent: what the queue keeps of it, so that what is abandoned can be told.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub user_id: Arc<str>,
    pub updates: u64,
    /// Finished and being reported by the engine; `stop` leaves it to the engine.
    claimed: bool,
}

/// The deadline `timeout` from now; `None` (no deadline) when it lies beyond what an `Instant`
/// can hold, as `Duration::MAX` or a caller's "forever" does.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// How long one condition-variable wait may last: until `deadline`, or an hour when there is
/// none (the waiter then looks again); `None` once the deadline has passed.
fn time_left(deadline: Option<Instant>) -> Option<Duration> {
    match deadline {
        None => Some(Duration::from_secs(3600)),
        Some(deadline) => deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero()),
    }
}

/// How a push went.
#[derive(Debug)]
pub(crate) enum Pushed<P> {
    /// Queued as a job of its own.
    Queued,
    /// Folded into the user's pending update.
    Coalesced,
    /// There was no room; the payload is given back.
    Full(P),
    /// The queue takes no more input.
    Closed(P),
}

/// Limits of one queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub items: usize,
    pub bytes: usize,
    pub coalesce: bool,
}

struct UserJobs<P> {
    /// The user's id, shared with the map's key, the ready list and the order of arrival.
    user: Arc<str>,
    queued: VecDeque<Job<P>>,
    in_flight: bool,
    /// Whether the user is (possibly stale) in `ready`; keeps it there at most once.
    in_ready: bool,
}

struct State<P> {
    users: HashMap<Arc<str>, UserJobs<P>>,
    /// Users with a queued job and none in flight, in the order they became so. May hold users
    /// whose jobs were dropped since; `pop` skips them.
    ready: VecDeque<Arc<str>>,
    /// Every queued job's sequence number and user, oldest first: what drop-oldest drops.
    queued_order: BTreeMap<u64, Arc<str>>,
    in_flight: BTreeMap<u64, InFlight>,
    bytes: usize,
    next_seq: u64,
    /// No more input is taken; once empty the engine stops.
    closed: bool,
    /// The engine stops now, whatever is left.
    stopped: bool,
    /// Threads waiting on the condition variables: notifying none costs a system call.
    blocked_for_room: usize,
    /// What each `flush` under way waits for (every job below the key done), with how many
    /// wait for it: waiters are woken only when the nearest target is reached, not per job.
    flush_targets: BTreeMap<u64, usize>,
}

pub(crate) struct Queue<P> {
    limits: Limits,
    state: Mutex<State<P>>,
    room: Condvar,
    room_async: Notify,
    progress: Condvar,
    progress_async: Notify,
    work: Notify,
    stop_signal: Notify,
}

impl<P> std::fmt::Debug for Queue<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// What the engine finds when it asks for work.
pub(crate) enum Next<P> {
    Job(Job<P>),
    /// Nothing to send now; more may come.
    Empty,
    /// Closed and drained, or stopped: the engine ends.
    Finished,
}

impl<P> Queue<P> {
    fn lock(&self) -> MutexGuard<'_, State<P>> {
        // Every update below leaves the state consistent before anything that could panic runs,
        // so a poisoned lock is used again rather than propagated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `payload` if there is room (or folds it into the user's pending update).
    /// Takes no more input; the engine ends once what is queued has gone.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake_all();
    }

    fn wake_all(&self) {
        self.stop_signal.notify_waiters();
        self.work.notify_one();
        self.room.notify_all();
        self.room_async.notify_waiters();
        self.progress.notify_all();
        self.progress_async.notify_waiters();
    }
}

impl<P: Payload> Queue<P> {
    pub fn new(limits: Limits) -> Queue<P> {
        Queue {
            limits,
            state: Mutex::new(State {
                users: HashMap::new(),
                ready: VecDeque::new(),
                queued_order: BTreeMap::new(),
                in_flight: BTreeMap::new(),
                bytes: 0,
                next_seq: 0,
                closed: false,
                stopped: false,
                blocked_for_room: 0,
                flush_targets: BTreeMap::new(),
            }),
            room: Condvar::new(),
            room_async: Notify::new(),
            progress: Condvar::new(),
            progress_async: Notify::new(),
            work: Notify::new(),
            stop_signal: Notify::new(),
        }
    }

    /// With `force`, queues even past the limits: for a single producer that waited for room
    /// first (a bulk run's feeder), so it never has to take its input back. Also says whether
    /// another push would find room now.
    pub fn push(&self, payload: P, force: bool) -> (Pushed<P>, bool) {
        let mut state = self.lock();
        let pushed = self.push_locked(&mut state, payload, force);
        let room = self.has_room_for(&state, 0);
        drop(state);
        if matches!(pushed, Pushed::Queued) {
            self.work.notify_one();
        }
        (pushed, room)
    }

    /// Queues `payload` once there is room, waiting with the thread blocked until `deadline`
    /// (`None`: as long as it takes): one lock in the common case where there is room already.
    pub fn push_blocking(&self, payload: P, deadline: Option<Instant>) -> Pushed<P> {
        let mut state = self.lock();
        let mut payload = payload;
        loop {
            match self.push_locked(&mut state, payload, false) {
                Pushed::Full(back) => payload = back,
                pushed => {
                    drop(state);
                    if matches!(pushed, Pushed::Queued) {
                        self.work.notify_one();
                    }
                    return pushed;
                }
            }
            state = match self.wait_for_room(state, deadline) {
                Some(state) => state,
                None => return Pushed::Full(payload),
            };
        }
    }

    fn push_locked(&self, state: &mut State<P>, payload: P, force: bool) -> Pushed<P> {
        if state.closed || state.stopped {
            return Pushed::Closed(payload);
        }
        // One look-up of the user serves coalescing and queueing: the user's jobs, and the
        // shared id they are kept under.
        let State {
            users,
            ready,
            queued_order,
            bytes,
            next_seq,
            ..
        } = state;
        let mut jobs = users.get_mut(payload.user_id());
        let payload = match jobs.as_mut().and_then(|jobs| jobs.queued.back_mut()) {
            Some(last) if self.limits.coalesce => {
                let before = last.payload.size();
                match last.payload.absorb(payload) {
                    Ok(()) => {
                        *bytes = bytes.saturating_sub(before) + last.payload.size();
                        return Pushed::Coalesced;
                    }
                    Err(payload) => payload,
                }
            }
            _ => payload,
        };
        let size = payload.size();
        if !force && !Self::room(&self.limits, queued_order.len(), *bytes, size) {
            return Pushed::Full(payload);
        }
        let jobs = match jobs {
            Some(jobs) => jobs,
            None => {
                let user: Arc<str> = Arc::from(payload.user_id());
                users.entry(Arc::clone(&user)).or_insert(UserJobs {
                    user,
                    // Most users have one update waiting: room for exactly one, not the
                    // default four.
                    queued: VecDeque::with_capacity(1),
                    in_flight: false,
                    in_ready: false,
                })
            }
        };
        let seq = *next_seq;
        *next_seq += 1;
        *bytes += size;
        queued_order.insert(seq, Arc::clone(&jobs.user));
        jobs.queued.push_back(Job { seq, payload });
        if !jobs.in_flight && !jobs.in_ready {
            jobs.in_ready = true;
            ready.push_back(Arc::clone(&jobs.user));
        }
        Pushed::Queued
    }

    fn has_room_for(&self, state: &State<P>, size: usize) -> bool {
        Self::room(&self.limits, state.queued_order.len(), state.bytes, size)
    }

    /// Whether a job of `size` bytes fits beside `items` queued jobs of `bytes` in all.
    fn room(limits: &Limits, items: usize, bytes: usize, size: usize) -> bool {
        // One job always fits in an empty queue, however large: the byte limit bounds what
        // waits, it must not make an update impossible to send.
        items == 0 || (items < limits.items && bytes + size <= limits.bytes)
    }

    /// Removes the oldest queued job, to make room (drop-oldest), or `None` when nothing waits.
    pub fn evict_oldest(&self) -> Option<Job<P>> {
        let mut state = self.lock();
        let (seq, user) = state.queued_order.pop_first()?;
        let jobs = state.users.get_mut(&user)?;
        // A user's jobs are queued in sequence order, so the oldest overall heads its user's.
        let job = jobs.queued.pop_front()?;
        debug_assert_eq!(job.seq, seq);
        let size = job.payload.size();
        Self::forget_if_idle(&mut state, &user);
        state.bytes = state.bytes.saturating_sub(size);
        self.made_room(state);
        let state = self.lock();
        self.progressed(state);
        Some(job)
    }

    fn forget_if_idle(state: &mut State<P>, user: &Arc<str>) {
        if let Some(jobs) = state.users.get(user)
            && jobs.queued.is_empty()
            && !jobs.in_flight
            && !jobs.in_ready
        {
            state.users.remove(user);
        }
    }

    /// Waits with the thread blocked until there is room, the queue closes, or `deadline`:
    /// `Some(true)` for room, `Some(false)` when closed, `None` when the deadline passed.
    pub fn wait_room_blocking(&self, deadline: Option<Instant>) -> Option<bool> {
        let mut state = self.lock();
        loop {
            if state.closed || state.stopped {
                return Some(false);
            }
            if self.has_room_for(&state, 0) {
                return Some(true);
            }
            state = self.wait_for_room(state, deadline)?;
        }
    }

    /// One wait on the room condition, up to `deadline`; `None` once the deadline has passed.
    fn wait_for_room<'a>(
        &self,
        mut state: MutexGuard<'a, State<P>>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, State<P>>> {
        let wait = time_left(deadline)?;
        state.blocked_for_room += 1;
        let mut state = self
            .room
            .wait_timeout(state, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        state.blocked_for_room -= 1;
        Some(state)
    }

    /// Resolves once there is room or the queue closed; `false` when it closed.
    pub async fn wait_room(&self) -> bool {
        loop {
            let notified = self.room_async.notified();
            tokio::pin!(notified);
            // Registered before the check, so a wake-up between the two is not missed.
            notified.as_mut().enable();
            {
                let state = self.lock();
                if state.closed || state.stopped {
                    return false;
                }
                if self.has_room_for(&state, 0) {
                    return true;
                }
            }
            notified.await;
        }
    }

    /// Takes the oldest job whose user has nothing in flight.
    pub fn pop(&self) -> Next<P> {
        let mut state = self.lock();
        if state.stopped {
            return Next::Finished;
        }
        while let Some(user) = state.ready.pop_front() {
            let Some(jobs) = state.users.get_mut(&user) else {
                continue;
            };
            jobs.in_ready = false;
            if jobs.in_flight {
                continue;
            }
            let Some(job) = jobs.queued.pop_front() else {
                Self::forget_if_idle(&mut state, &user);
                continue;
            };
            jobs.in_flight = true;
            state.queued_order.remove(&job.seq);
            state.bytes = state.bytes.saturating_sub(job.payload.size());
            state.in_flight.insert(
                job.seq,
                InFlight {
                    user_id: user,
                    updates: job.payload.updates(),
                    claimed: false,
                },
            );
            self.made_room(state);
            return Next::Job(job);
        }
        if state.closed && state.queued_order.is_empty() && state.in_flight.is_empty() {
            Next::Finished
        } else {
            Next::Empty
        }
    }

    /// Resolves when a push may have brought work (or the queue closed or stopped).
    pub async fn work_arrived(&self) {
        self.work.notified().await;
    }

    /// Claims the finished job `seq` for reporting: false when `stop` already abandoned it
    /// (and reported it), so it is reported once. Stays counted in flight until `complete`, so
    /// `flush` does not return before the report is made.
    pub fn claim(&self, seq: u64) -> bool {
        let mut state = self.lock();
        match state.in_flight.get_mut(&seq) {
            Some(job) if !job.claimed => {
                job.claimed = true;
                true
            }
            _ => false,
        }
    }

    /// Marks the job `seq` done: the user's next job may go.
    pub fn complete(&self, seq: u64) {
        let mut state = self.lock();
        if let Some(done) = state.in_flight.remove(&seq)
            && let Some(jobs) = state.users.get_mut(&done.user_id)
        {
            jobs.in_flight = false;
            if !jobs.queued.is_empty() && !jobs.in_ready {
                jobs.in_ready = true;
                state.ready.push_back(Arc::clone(&done.user_id));
            } else {
                Self::forget_if_idle(&mut state, &done.user_id);
            }
        }
        self.progressed(state);
    }

    /// Wakes producers waiting for room, once the queue has drained to half its limits: one
    /// wake-up lets a producer push a batch, rather than one wake-up (two thread switches) per
    /// job taken.
    fn made_room(&self, state: MutexGuard<'_, State<P>>) {
        let low_water = state.queued_order.len() <= self.limits.items / 2
            && state.bytes <= self.limits.bytes / 2;
        let blocked = state.blocked_for_room > 0;
        drop(state);
        if low_water {
            if blocked {
                self.room.notify_all();
            }
            self.room_async.notify_waiters();
        }
    }

    /// Wakes whoever waits for jobs to be done (`flush`).
    fn progressed(&self, state: MutexGuard<'_, State<P>>) {
        let reached = state
            .flush_targets
            .first_key_value()
            .is_some_and(|(target, _)| Self::done_before(&state, *target));
        drop(state);
        if reached {
            self.progress.notify_all();
            self.progress_async.notify_waiters();
        }
    }

    fn add_target(state: &mut State<P>, target: u64) {
        *state.flush_targets.entry(target).or_insert(0) += 1;
    }

    fn remove_target(state: &mut State<P>, target: u64) {
        if let Some(count) = state.flush_targets.get_mut(&target) {
            *count -= 1;
            if *count == 0 {
                state.flush_targets.remove(&target);
            }
        }
    }

    /// The sequence number the next queued job will get: `flush` waits for every job before it.
    pub fn next_seq(&self) -> u64 {
        self.lock().next_seq
    }

    fn done_before(state: &State<P>, target: u64) -> bool {
        let oldest_queued = state.queued_order.first_key_value().map(|(seq, _)| *seq);
        let oldest_in_flight = state.in_flight.first_key_value().map(|(seq, _)| *seq);
        [oldest_queued, oldest_in_flight]
            .into_iter()
            .flatten()
            .all(|seq| seq >= target)
    }

    /// Blocks until every job numbered below `target` is done, or `deadline`. True when done.
    pub fn wait_done_blocking(&self, target: u64, deadline: Option<Instant>) -> bool {
        let mut state = self.lock();
        Self::add_target(&mut state, target);
        let done = loop {
            if Self::done_before(&state, target) {
                break true;
            }
            let Some(left) = time_left(deadline) else {
                break false;
            };
            state = self
                .progress
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        };
        Self::remove_target(&mut state, target);
        done
    }

    /// Resolves once every job numbered below `target` is done.
    pub async fn wait_done(&self, target: u64) {
        // Registered for as long as this future lives, including when a timeout drops it.
        struct Registered<'a, P: Payload>(&'a Queue<P>, u64);
        impl<P: Payload> Drop for Registered<'_, P> {
            fn drop(&mut self) {
                Queue::remove_target(&mut self.0.lock(), self.1);
            }
        }
        Self::add_target(&mut self.lock(), target);
        let _registered = Registered(self, target);
        loop {
            let notified = self.progress_async.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if Self::done_before(&self.lock(), target) {
                return;
            }
            notified.await;
        }
    }

    /// Stops the engine now: returns the queued jobs (never sent) and the jobs in flight (about
    /// to be abandoned), for the caller to report.
    pub fn stop(&self) -> (Vec<Job<P>>, Vec<InFlight>) {
        let mut state = self.lock();
        state.closed = true;
        state.stopped = true;
        let mut queued: Vec<Job<P>> = Vec::with_capacity(state.queued_order.len());
        for jobs in state.users.values_mut() {
            queued.extend(jobs.queued.drain(..));
        }
        queued.sort_by_key(|job| job.seq);
        state.users.clear();
        state.ready.clear();
        state.queued_order.clear();
        state.bytes = 0;
        // Claimed jobs are being reported by the engine; the rest are abandoned here.
        let mut in_flight = Vec::new();
        state.in_flight.retain(|_, job| {
            if job.claimed {
                true
            } else {
                in_flight.push(job.clone());
                false
            }
        });
        drop(state);
        self.wake_all();
        (queued, in_flight)
    }

    /// Resolves once `stop` was called.
    pub async fn stopping(&self) {
        loop {
            let notified = self.stop_signal.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock().stopped {
                return;
            }
            notified.await;
        }
    }

    /// Queued jobs and jobs in flight.
    pub fn lengths(&self) -> (u64, u64) {
        let state = self.lock();
        (
            state.queued_order.len() as u64,
            state.in_flight.len() as u64,
        )
    }
}
