//! Hybrid logical clocks: when two devices changed the same field, the later
//! edit wins, and "later" must mean the same on every device.
//!
//! A clock is (milliseconds, counter, device id). Milliseconds come from the
//! wall clock at the time of the edit; the counter orders edits of one device
//! within the same millisecond; the device id breaks the remaining ties, so two
//! different edits never compare equal. The text form sorts like the clock.

use std::cmp::Ordering;
use std::fmt;

/// Width of the millisecond field in the text form: enough until the year 33658.
const MILLIS_DIGITS: usize = 15;
/// Width of the counter field.
const COUNTER_DIGITS: usize = 6;

/// One point of a hybrid logical clock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hlc {
    /// Wall-clock milliseconds since the Unix epoch.
    pub millis: u64,
    /// Edits of one device within one millisecond.
    pub counter: u32,
    /// The device that made the edit; empty for programs that are not devices.
    pub device: String,
}

impl Hlc {
    /// A clock at `millis` for `device`.
    pub fn new(millis: u64, counter: u32, device: impl Into<String>) -> Self {
        Self { millis, counter, device: device.into() }
    }

    /// The clock of an edit made by `device` at `millis`, strictly after the
    /// `previous` clock this device issued (clocks of one device never repeat or
    /// go back, even if the wall clock does).
    pub fn next_after(previous: Option<&Hlc>, millis: u64, device: &str) -> Hlc {
        match previous {
            Some(p) if p.millis >= millis => Hlc::new(p.millis, p.counter + 1, device),
            _ => Hlc::new(millis, 0, device),
        }
    }

    /// Parses the text form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Hlc> {
        let mut parts = text.splitn(3, '-');
        let millis = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        let device = parts.next().unwrap_or("").to_string();
        Some(Hlc { millis, counter, device })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0mw$}-{:0cw$}-{}", self.millis, self.counter, self.device, mw = MILLIS_DIGITS, cw = COUNTER_DIGITS)
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.millis, self.counter, &self.device).cmp(&(other.millis, other.counter, &other.device))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The clock of each field's last edit on one side, for the fields that have
/// one; a field without takes that side's row clock.
pub type FieldClocks = std::collections::HashMap<String, Hlc>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_sorts_like_the_clock_and_round_trips() {
        let clocks =
            [Hlc::new(5, 0, "b"), Hlc::new(5, 0, "a"), Hlc::new(5, 1, "a"), Hlc::new(1_700_000_000_000, 0, ""), Hlc::new(40, 7, "a-b-c")];
        let mut by_clock = clocks.to_vec();
        by_clock.sort();
        let mut by_text: Vec<String> = clocks.iter().map(|c| c.to_string()).collect();
        by_text.sort();
        assert_eq!(by_clock.iter().map(|c| c.to_string()).collect::<Vec<_>>(), by_text);
        for c in &clocks {
            assert_eq!(Hlc::parse(&c.to_string()).as_ref(), Some(c));
        }
    }

    #[test]
    fn a_device_never_issues_the_same_clock_twice_even_if_its_wall_clock_goes_back() {
        let a = Hlc::next_after(None, 1000, "d");
        let b = Hlc::next_after(Some(&a), 1000, "d");
        let c = Hlc::next_after(Some(&b), 900, "d");
        let d = Hlc::next_after(Some(&c), 2000, "d");
        assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
    }

    #[test]
    fn equal_times_are_decided_by_device_id_the_same_everywhere() {
        assert!(Hlc::new(7, 0, "device-b") > Hlc::new(7, 0, "device-a"));
    }
}
