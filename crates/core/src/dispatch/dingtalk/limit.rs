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
//! With a store ([`Limiter::shared`]), every message (single or digest) also needs a slot of the
//! robot's budget in the store ([`shared`]), so instances sharing the store share the budget.
//! When the store says no, the event folds and the digest waits exactly as when this process's
//! own window is full; when the store cannot be reached, this process's window alone decides.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::common::Attempt;
use crate::event::RegistryEvent;
use crate::store::Store;

mod courier;
mod shared;

pub use shared::BudgetKey;

/// Digested keys remembered per robot (to answer a sender's retry without sending again).
const REMEMBERED: usize = 4096;
/// Most events waiting for one robot's digests; beyond it events are refused for now
/// ([`Admission::Full`]) and the sender's retry brings them back.
pub const MAX_PENDING: usize = 1000;

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
    /// How often a waiting digest asks the store again when the shared budget is spent.
    pub recheck: Duration,
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
        recheck: Duration::from_secs(1),
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
    /// The robot's digest queue is full: try again later.
    Full,
}

/// Budgets and pending digests of every robot, shared by all attempts of the process.
pub struct Limiter {
    rate: Rate,
    robots: Mutex<HashMap<String, Robot>>,
    /// The store holding the budgets every instance shares, if any.
    store: Option<Arc<Store>>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("rate", &self.rate)
            .field("shared", &self.store.is_some())
            .finish()
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
            store: None,
        }
    }

    /// A limiter that also takes every message's slot from the budgets in `store`, shared by
    /// every instance using that store.
    pub fn shared(rate: Rate, store: Arc<Store>) -> Limiter {
        Limiter {
            store: Some(store),
            ..Limiter::new(rate)
        }
    }

    /// Decides for one event: send now, fold into the digest, or already delivered. `key`
    /// identifies the (event, target) pair; `courier` is called if a digest must be started.
    pub async fn admit<C: Courier>(
        self: &Arc<Self>,
        robot: &BudgetKey,
        key: String,
        event: &RegistryEvent,
        courier: impl FnOnce() -> C,
    ) -> Admission {
        let reserved = {
            let now = Instant::now();
            let mut robots = self.lock();
            let state = robots.entry(robot.local.clone()).or_default();
            state.prune(now, self.rate.window);
            if state.remembered.contains(&key) {
                return Admission::Delivered;
            }
            let direct = self.rate.messages.saturating_sub(self.rate.reserve);
            if state.pending.is_empty() && state.next_slot(direct, self.rate.window).is_none() {
                state.sent.push_back(now);
                Some(now)
            } else {
                None
            }
        };
        if let Some(at) = reserved {
            let direct = self.rate.messages.saturating_sub(self.rate.reserve);
            if self.shared_allows(robot, direct).await {
                return Admission::Send;
            }
            self.give_back(&robot.local, at);
        }
        let mut robots = self.lock();
        let state = robots.entry(robot.local.clone()).or_default();
        let (tx, rx) = oneshot::channel();
        if let Some(pending) = state.pending.iter_mut().find(|p| p.key == key) {
            if pending.waiters.len() >= MAX_PENDING {
                return Admission::Full;
            }
            pending.waiters.push(tx);
            return Admission::Folded(rx);
        }
        if state.pending.len() >= MAX_PENDING {
            return Admission::Full;
        }
        state.pending.push(Pending {
            key,
            event: event.clone(),
            waiters: vec![tx],
        });
        if !state.courier {
            state.courier = true;
            tokio::spawn(courier::run(Arc::clone(self), robot.clone(), courier()));
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
}

#[cfg(test)]
mod tests;
