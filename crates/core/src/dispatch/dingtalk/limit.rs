//! The per-robot budget: DingTalk allows 20 messages a minute per robot, then blocks it for ten
//! minutes, so regrelay never crosses that line and folds what does not fit into digests.
//!
//! A robot (keyed by its URL without the sign parameters) has a sliding window of send times.
//! An event is sent on its own while the window has room, less one slot kept for digests.
//! Otherwise it joins the robot's pending digest, and a courier task sends the digest (one
//! message listing the folded events) as soon as a slot frees. The attempt of a folded event
//! resolves with the digest's own attempt, so the ledger says "delivered" only once the message
//! that carries it was accepted. Keys of recently digested events are remembered so that a
//! sender's retry does not send them again.
//!
//! The budget lives in this process: several instances sharing one robot each keep their own
//! window, and a restart forgets it. Moving the budget into the shared store is a later step.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::dispatch::Attempt;
use crate::event::RegistryEvent;

/// Digested keys remembered per robot (to answer a sender's retry without sending again).
const REMEMBERED: usize = 4096;

/// A robot's budget and how digests are gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Messages allowed in any window.
    pub messages: usize,
    /// The sliding window.
    pub window: Duration,
    /// Slots that single events leave free for digests.
    pub reserve: usize,
    /// How long a new digest waits for more events before it is sent.
    pub linger: Duration,
    /// Most events in one digest; the rest go in the next.
    pub max_digest: usize,
}

impl Rate {
    /// DingTalk: 20 messages per minute, with one second of margin for clock and network skew,
    /// one slot kept for digests, and digests of at most 50 events (well under the size limit).
    pub const DINGTALK: Rate = Rate {
        messages: 20,
        window: Duration::from_secs(61),
        reserve: 1,
        linger: Duration::from_secs(1),
        max_digest: 50,
    };
}

/// Sends one digest message: the DingTalk target, or a fake in tests.
pub trait Courier: Send + Sync + 'static {
    /// Sends one message listing `events`.
    fn send(&self, events: Vec<RegistryEvent>) -> impl Future<Output = Attempt> + Send;
}

/// What the limiter decided for one event.
#[derive(Debug)]
pub enum Admission {
    /// A slot is reserved: send the event now.
    Send,
    /// Folded into the pending digest; resolves with the digest's attempt.
    Folded(oneshot::Receiver<Attempt>),
    /// Already delivered in an earlier digest.
    Delivered,
}

/// Budgets and pending digests of every robot, shared by all attempts of the process.
pub struct Limiter {
    rate: Rate,
    robots: Mutex<HashMap<String, Robot>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").field("rate", &self.rate).finish()
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(Rate::DINGTALK)
    }
}

#[derive(Default)]
struct Robot {
    sent: VecDeque<Instant>,
    held_until: Option<Instant>,
    pending: Vec<Pending>,
    courier: bool,
    remembered: VecDeque<String>,
}

struct Pending {
    key: String,
    event: RegistryEvent,
    waiters: Vec<oneshot::Sender<Attempt>>,
}

enum Batch {
    Ready(Vec<Pending>),
    Wait(Instant),
    Empty,
}

impl Robot {
    fn prune(&mut self, now: Instant, window: Duration) {
        while self.sent.front().is_some_and(|&t| now >= t + window) {
            self.sent.pop_front();
        }
        if self.held_until.is_some_and(|t| now >= t) {
            self.held_until = None;
        }
    }

    /// When a slot frees if `limit` slots may be used; `None` when one is free now.
    fn next_slot(&self, limit: usize, window: Duration) -> Option<Instant> {
        if self.held_until.is_some() {
            return self.held_until;
        }
        if self.sent.len() < limit {
            return None;
        }
        let blocking = self.sent.get(self.sent.len() - limit).or(self.sent.front());
        Some(blocking.map_or_else(Instant::now, |&t| t + window))
    }
}

impl Limiter {
    /// A limiter applying `rate` to every robot.
    pub fn new(rate: Rate) -> Limiter {
        Limiter {
            rate,
            robots: Mutex::default(),
        }
    }

    /// Decides for one event: send now, fold into the digest, or already delivered. `key`
    /// identifies the (event, target) pair; `courier` is called if a digest must be started.
    pub fn admit<C: Courier>(
        self: &Arc<Self>,
        robot: &str,
        key: String,
        event: &RegistryEvent,
        courier: impl FnOnce() -> C,
    ) -> Admission {
        let now = Instant::now();
        let mut robots = self.lock();
        let state = robots.entry(robot.to_owned()).or_default();
        state.prune(now, self.rate.window);
        if state.remembered.contains(&key) {
            return Admission::Delivered;
        }
        let (tx, rx) = oneshot::channel();
        if let Some(pending) = state.pending.iter_mut().find(|p| p.key == key) {
            pending.waiters.push(tx);
            return Admission::Folded(rx);
        }
        let direct = self.rate.messages.saturating_sub(self.rate.reserve);
        if state.pending.is_empty() && state.next_slot(direct, self.rate.window).is_none() {
            state.sent.push_back(now);
            return Admission::Send;
        }
        state.pending.push(Pending {
            key,
            event: event.clone(),
            waiters: vec![tx],
        });
        if !state.courier {
            state.courier = true;
            tokio::spawn(run_courier(Arc::clone(self), robot.to_owned(), courier()));
        }
        Admission::Folded(rx)
    }

    /// Sends nothing to `robot` before `until` (DingTalk said it is throttling the robot).
    pub fn hold(&self, robot: &str, until: Instant) {
        let mut robots = self.lock();
        let state = robots.entry(robot.to_owned()).or_default();
        state.held_until = Some(state.held_until.map_or(until, |t| t.max(until)));
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Robot>> {
        self.robots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next digest to send, reserving its slot; or when to look again; or nothing left.
    fn take_batch(&self, robot: &str) -> Batch {
        let now = Instant::now();
        let mut robots = self.lock();
        let Some(state) = robots.get_mut(robot) else {
            return Batch::Empty;
        };
        state.prune(now, self.rate.window);
        if state.pending.is_empty() {
            state.courier = false;
            return Batch::Empty;
        }
        if let Some(at) = state.next_slot(self.rate.messages, self.rate.window) {
            return Batch::Wait(at);
        }
        state.sent.push_back(now);
        let take = state.pending.len().min(self.rate.max_digest.max(1));
        Batch::Ready(state.pending.drain(..take).collect())
    }

    /// Hands the digest's attempt to every waiter; remembers what was delivered.
    fn settle(&self, robot: &str, batch: Vec<Pending>, attempt: &Attempt) {
        if attempt.delivered() {
            let mut robots = self.lock();
            if let Some(state) = robots.get_mut(robot) {
                for pending in &batch {
                    state.remembered.push_back(pending.key.clone());
                }
                let excess = state.remembered.len().saturating_sub(REMEMBERED);
                state.remembered.drain(..excess);
            }
        }
        for pending in batch {
            for waiter in pending.waiters {
                // A waiter that went away (its request was cancelled) needs no answer.
                let _ = waiter.send(attempt.clone());
            }
        }
    }

    /// Drops the robot's pending digest (its waiters see a failure) and frees the courier role.
    fn abandon(&self, robot: &str) {
        if let Some(state) = self.lock().get_mut(robot) {
            state.pending.clear();
            state.courier = false;
        }
    }
}

/// Clears the courier role if its task ends early (a panic in `send`), so folding never stalls.
struct CourierGuard {
    limiter: Arc<Limiter>,
    robot: String,
    done: bool,
}

impl Drop for CourierGuard {
    fn drop(&mut self) {
        if !self.done {
            self.limiter.abandon(&self.robot);
        }
    }
}

async fn run_courier<C: Courier>(limiter: Arc<Limiter>, robot: String, courier: C) {
    let mut guard = CourierGuard {
        limiter: Arc::clone(&limiter),
        robot: robot.clone(),
        done: false,
    };
    tokio::time::sleep(limiter.rate.linger).await;
    loop {
        match limiter.take_batch(&robot) {
            Batch::Ready(batch) => {
                let events = batch.iter().map(|p| p.event.clone()).collect();
                let attempt = courier.send(events).await;
                limiter.settle(&robot, batch, &attempt);
            }
            Batch::Wait(at) => tokio::time::sleep_until(at).await,
            Batch::Empty => break,
        }
    }
    guard.done = true;
}

#[cfg(test)]
mod tests;
