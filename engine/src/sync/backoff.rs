//! Retry delays after a failure: exponential from 1 s to 60 s, with jitter so
//! that laptops waking together do not hammer the server in step.

use std::time::Duration;

/// First retry delay.
pub const MIN_DELAY: Duration = Duration::from_secs(1);
/// Longest retry delay: a minute keeps a sleeping server's log quiet while a
/// returning one is noticed soon.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Jitter as a fraction of the delay, either way.
const JITTER: f64 = 0.2;

/// The delay sequence of consecutive failures.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The delay before the next attempt, and counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let base = delay_for(self.failures);
        self.failures = self.failures.saturating_add(1);
        let factor = 1.0 + JITTER * (2.0 * fastrand::f64() - 1.0);
        base.mul_f64(factor).min(MAX_DELAY)
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The delay without jitter after `failures` failures: 1, 2, 4 … 60 s.
pub fn delay_for(failures: u32) -> Duration {
    MIN_DELAY.saturating_mul(1u32 << failures.min(6)).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_second_up_to_a_minute() {
        let secs: Vec<u64> = (0..9).map(|n| delay_for(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn jitter_stays_within_a_fifth_and_never_exceeds_the_cap() {
        let mut b = Backoff::default();
        for n in 0..20 {
            let d = b.next_delay().as_secs_f64();
            let base = delay_for(n).as_secs_f64();
            assert!(d >= base * 0.79 && d <= (base * 1.21).min(60.0), "attempt {n}: {d}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(1200));
    }
}
