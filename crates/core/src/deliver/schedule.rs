//! The queued retry schedule as behaviour: when the attempt after a failed one is due.

use std::time::Duration;

use crate::common::duration::millis;

use rand::Rng;

use super::config::Schedule;
use crate::dispatch::outcome::MAX_RETRY_AFTER;

/// Jitter applied to each step: ±20 %, so pairs that failed together do not retry together.
const JITTER: f64 = 0.2;

impl Schedule {
    /// When the next attempt of a pair is due, after `made` attempts (at least 1), the last one
    /// failing at `now_ms`; `None` when that would fall after the give-up time counted from
    /// `since_ms`. A target's `Retry-After` (clamped to a day) is a floor: the wait is the
    /// longer of it and the jittered step.
    pub fn next_due(
        &self,
        made: u32,
        since_ms: i64,
        now_ms: i64,
        retry_after: Option<Duration>,
    ) -> Option<i64> {
        let index = usize::try_from(made.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(self.steps.len().saturating_sub(1));
        let step = self
            .steps
            .get(index)
            .copied()
            .unwrap_or(Duration::from_secs(3600));
        let jittered = step.mul_f64(rand::rng().random_range((1.0 - JITTER)..=(1.0 + JITTER)));
        let wait = match retry_after {
            Some(floor) => jittered.max(floor.min(MAX_RETRY_AFTER)),
            None => jittered,
        };
        let due = now_ms.saturating_add(millis(wait));
        let end = since_ms.saturating_add(millis(self.give_up_after));
        (due <= end).then_some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn steps_are_followed_with_jitter_and_the_last_repeats() {
        let schedule = Schedule::default();
        let expected = [
            10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, HOUR, HOUR, HOUR,
        ];
        for (i, base) in expected.iter().enumerate() {
            let made = u32::try_from(i + 1).unwrap();
            let due = schedule.next_due(made, 0, 0, None).unwrap();
            assert!(
                due >= base * 8 / 10 && due <= base * 12 / 10,
                "attempt {made}: {due}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_clamped_floor() {
        let schedule = Schedule::default();
        let due = schedule
            .next_due(1, 0, 0, Some(Duration::from_secs(7200)))
            .unwrap();
        assert_eq!(due, 2 * HOUR);
        // A shorter Retry-After does not hurry the schedule.
        let due = schedule
            .next_due(4, 0, 0, Some(Duration::from_secs(1)))
            .unwrap();
        assert!(due >= 240_000);
        // An absurd one is clamped to a day, past the give-up time of a pair queued a second ago.
        assert_eq!(
            schedule.next_due(1, 0, 1_000, Some(Duration::from_secs(u64::MAX / 4))),
            None
        );
    }

    #[test]
    fn nothing_is_scheduled_after_the_give_up_time() {
        let schedule = Schedule::default();
        assert!(schedule.next_due(20, 0, 22 * HOUR, None).is_some());
        assert_eq!(schedule.next_due(24, 0, 24 * HOUR - 1_000, None), None);
        // Overflowing times do not panic.
        assert_eq!(schedule.next_due(u32::MAX, 0, i64::MAX, None), None);
    }
}
