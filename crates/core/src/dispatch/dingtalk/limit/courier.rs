//! The courier: one task per robot with pending events, sending digests as slots free (in this
//! process's window and, when shared, in the store's budget) and settling their waiters.

use std::sync::Arc;

use tokio::time::Instant;

use super::{BudgetKey, Courier, Limiter, Pending, REMEMBERED};
use crate::common::Attempt;

/// The courier's next step.
enum Turn {
    /// A slot of this process's window is reserved (at this instant) for the next digest.
    Slot(Instant),
    /// Nothing can go before then.
    Wait(Instant),
    /// Nothing is pending: the courier ends.
    Empty,
}

impl Limiter {
    /// Reserves a slot of this process's window for the next digest; or when to look again; or
    /// nothing left.
    fn next_turn(&self, robot: &str) -> Turn {
        let now = Instant::now();
        let mut robots = self.lock();
        let Some(state) = robots.get_mut(robot) else {
            return Turn::Empty;
        };
        state.prune(now, self.rate.window);
        if state.pending.is_empty() {
            state.courier = false;
            return Turn::Empty;
        }
        if let Some(at) = state.next_slot(self.rate.messages, self.rate.window) {
            return Turn::Wait(at);
        }
        state.sent.push_back(now);
        Turn::Slot(now)
    }

    /// Takes the next digest's events (at most `max_digest`) from the pending list.
    fn drain(&self, robot: &str) -> Vec<Pending> {
        let mut robots = self.lock();
        let Some(state) = robots.get_mut(robot) else {
            return Vec::new();
        };
        let take = state.pending.len().min(self.rate.max_digest.max(1));
        state.pending.drain(..take).collect()
    }

    /// Frees a slot of this process's window reserved at `at` (the store refused the message).
    pub(super) fn give_back(&self, robot: &str, at: Instant) {
        if let Some(state) = self.lock().get_mut(robot)
            && let Some(index) = state.sent.iter().rposition(|&t| t == at)
        {
            state.sent.remove(index);
        }
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

/// The courier task of one robot: sends digests while events are pending, then ends.
pub(super) async fn run<C: Courier>(limiter: Arc<Limiter>, robot: BudgetKey, courier: C) {
    let mut guard = CourierGuard {
        limiter: Arc::clone(&limiter),
        robot: robot.local.clone(),
        done: false,
    };
    tokio::time::sleep(limiter.rate.linger).await;
    loop {
        match limiter.next_turn(&robot.local) {
            Turn::Slot(at) => {
                if !limiter.shared_allows(&robot, limiter.rate.messages).await {
                    limiter.give_back(&robot.local, at);
                    tokio::time::sleep(limiter.rate.recheck).await;
                    continue;
                }
                let batch = limiter.drain(&robot.local);
                let events = batch.iter().map(|p| p.event.clone()).collect();
                let attempt = courier.send(events).await;
                limiter.settle(&robot.local, batch, &attempt);
            }
            Turn::Wait(at) => tokio::time::sleep_until(at).await,
            Turn::Empty => break,
        }
    }
    guard.done = true;
}
