//! The first-run wizard's marks on a data folder: whether it was finished or
//! skipped here, and whether it saved a server and has not finished since
//! (then it opens again at start, so a migration stopped by quitting the app
//! is offered for resuming). A server set with the CLI opens no wizard.

use super::Cache;
use crate::error::Result;

/// `sync_state` key: the wizard was finished or skipped on this data folder.
const DISMISSED_KEY: &str = "wizard_dismissed";

/// `sync_state` key: the wizard saved a server and has not finished since.
const IN_PROGRESS_KEY: &str = "wizard_in_progress";

/// Where this data folder stands with the first-run wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstRun {
    /// Finished or skipped here.
    pub dismissed: bool,
    /// A server was saved by the wizard, which has not finished since.
    pub in_progress: bool,
}

impl FirstRun {
    /// Whether the app opens the wizard at start: never finished or skipped
    /// here, and either no server yet or one the wizard saved.
    pub fn opens_wizard(&self, server_configured: bool) -> bool {
        !self.dismissed && (!server_configured || self.in_progress)
    }
}

impl Cache {
    /// The wizard's marks on this data folder.
    pub fn first_run(&self) -> Result<FirstRun> {
        Ok(FirstRun { dismissed: self.state(DISMISSED_KEY)?.is_some(), in_progress: self.state(IN_PROGRESS_KEY)?.is_some() })
    }

    /// The wizard saved a server: it opens again at start until finished.
    pub fn first_run_server_saved(&self) -> Result<()> {
        self.set_state(IN_PROGRESS_KEY, "yes")
    }

    /// The wizard was finished or skipped ("Skip for now": the app runs on
    /// the local cache and syncs once a server is set).
    pub fn first_run_dismissed(&self) -> Result<()> {
        self.set_state(DISMISSED_KEY, "yes")?;
        self.clear_state(IN_PROGRESS_KEY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wizard_opens_until_finished_and_again_while_its_server_waits() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let first = cache.first_run().unwrap();
        assert!(first.opens_wizard(false), "a new data folder with no server");
        assert!(!first.opens_wizard(true), "a server set with the CLI opens no wizard");
        cache.first_run_server_saved().unwrap();
        assert!(cache.first_run().unwrap().opens_wizard(true), "a migration may wait for resuming");
        cache.first_run_dismissed().unwrap();
        let done = cache.first_run().unwrap();
        assert!(!done.opens_wizard(true) && !done.opens_wizard(false) && !done.in_progress);
    }
}
