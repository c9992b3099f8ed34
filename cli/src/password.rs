//! Reading a password from the user without echoing it, or from stdin when
//! there is no terminal (scripts, tests). Never from a command-line argument,
//! which other users can see in the process list.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context as _};
use noesis_engine::Secret;

/// Asks for a password on the terminal, or reads one line of stdin.
pub fn read(prompt: &str) -> anyhow::Result<Secret> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).context("cannot read the password from the terminal")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if text.is_empty() {
        bail!("no password given");
    }
    Ok(Secret::new(text))
}
