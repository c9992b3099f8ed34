//! Where database passwords come from, and the OS keychain as the only place one
//! is ever stored.
//!
//! Order of lookup: the password in the URL, then `PGPASSWORD`, then the keychain
//! entry for (server, user). Keychains: macOS Keychain, Windows Credential
//! Manager; on Linux the Secret Service (GNOME Keyring, KWallet) mirrored into the
//! kernel keyring, and the kernel keyring alone when no Secret Service runs
//! (headless machines; such an entry lasts until logout or reboot).

use keyring::Entry;

use crate::error::{Error, Result};
use crate::secret::{DatabaseUrl, Secret};

/// Which keychain holds (or would hold) a password; shown to the user so they
/// know whether it survives a reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeychainBackend {
    /// The platform's persistent store (macOS Keychain, Windows Credential
    /// Manager, Secret Service on Linux).
    Persistent,
    /// The Linux kernel keyring only: no Secret Service answered.
    KernelKeyring,
}

impl KeychainBackend {
    /// A human description for CLI and UI messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeychainBackend::Persistent => "the OS keychain",
            KeychainBackend::KernelKeyring => "the Linux kernel keyring (no Secret Service is running, so it lasts until logout or reboot)",
        }
    }
}

/// Where a resolved password came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordSource {
    /// Given in the database URL.
    Url,
    /// The `PGPASSWORD` environment variable.
    Environment,
    /// Read from a keychain.
    Keychain(KeychainBackend),
}

/// Returns `url` with its password filled in from the first source that has one,
/// and where it came from; `None` when no source has one (the server may still
/// accept the connection, e.g. with `trust` or certificate authentication).
pub fn resolve_password(url: &DatabaseUrl) -> Result<(DatabaseUrl, Option<PasswordSource>)> {
    if url.password().is_some() {
        return Ok((url.clone(), Some(PasswordSource::Url)));
    }
    if let Ok(p) = std::env::var("PGPASSWORD") {
        if !p.is_empty() {
            return Ok((url.with_password(Some(Secret::new(p))), Some(PasswordSource::Environment)));
        }
    }
    match stored_password(url)? {
        Some((p, backend)) => Ok((url.with_password(Some(p)), Some(PasswordSource::Keychain(backend)))),
        None => Ok((url.clone(), None)),
    }
}

/// Reads the keychain entry for this server and user.
pub fn stored_password(url: &DatabaseUrl) -> Result<Option<(Secret, KeychainBackend)>> {
    off_runtime(|| stored_password_blocking(url))
}

fn stored_password_blocking(url: &DatabaseUrl) -> Result<Option<(Secret, KeychainBackend)>> {
    for (entry, backend) in entries(url)? {
        match entry.get_password() {
            Ok(p) => return Ok(Some((Secret::new(p), backend))),
            Err(keyring::Error::NoEntry) => continue,
            Err(e) if is_unavailable(&e) => continue,
            Err(e) => return Err(keychain_error(e)),
        }
    }
    Ok(None)
}

/// Stores the password for this server and user, in the persistent keychain when
/// one answers, else in the kernel keyring; says which.
pub fn store_password(url: &DatabaseUrl, password: &Secret) -> Result<KeychainBackend> {
    off_runtime(|| store_password_blocking(url, password))
}

fn store_password_blocking(url: &DatabaseUrl, password: &Secret) -> Result<KeychainBackend> {
    if password.expose().is_empty() {
        return Err(Error::Keychain { detail: "refusing to store an empty password".into() });
    }
    let mut last = None;
    for (entry, backend) in entries(url)? {
        match entry.set_password(password.expose()) {
            Ok(()) => return Ok(backend),
            Err(e) if is_unavailable(&e) => last = Some(e),
            // keyutils answers NoEntry when the process has no session keyring.
            Err(keyring::Error::NoEntry) if backend == KeychainBackend::KernelKeyring => {
                return Err(Error::Keychain {
                    detail: "no Secret Service is running and this process has no kernel session keyring; log in to a desktop session, or run under `keyctl session`".into(),
                })
            }
            Err(e) => return Err(keychain_error(e)),
        }
    }
    Err(keychain_error(last.unwrap_or(keyring::Error::NoEntry)))
}

/// Removes the entry for this server and user from every keychain; `true` when
/// one existed.
pub fn forget_password(url: &DatabaseUrl) -> Result<bool> {
    off_runtime(|| forget_password_blocking(url))
}

fn forget_password_blocking(url: &DatabaseUrl) -> Result<bool> {
    let mut found = false;
    for (entry, _) in entries(url)? {
        match entry.delete_credential() {
            Ok(()) => found = true,
            Err(keyring::Error::NoEntry) => {}
            Err(e) if is_unavailable(&e) => {}
            Err(e) => return Err(keychain_error(e)),
        }
    }
    Ok(found)
}

/// Runs a keychain call on a thread of its own. The Secret Service client blocks
/// by driving an async runtime of its own, which panics on a thread that already
/// runs one (every caller here: the CLI, the agent, the desktop app).
fn off_runtime<T: Send>(call: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        scope.spawn(call).join().unwrap_or_else(|_| Err(Error::Keychain { detail: "the keychain call panicked".into() }))
    })
}

/// The keychain entries to try, best first. On Linux the Secret Service alone is
/// the persistent store (keyring's combined keyutils+Secret Service store fails
/// whenever the process has no kernel session keyring, even with a Secret
/// Service running), and the kernel keyring alone is the fallback.
fn entries(url: &DatabaseUrl) -> Result<Vec<(Entry, KeychainBackend)>> {
    let service = url.keychain_service();
    let user = url.user();
    #[cfg(target_os = "linux")]
    {
        let secret_service = keyring::secret_service::SsCredential::new_with_target(None, &service, &user).map_err(keychain_error)?;
        let kernel = keyring::keyutils::KeyutilsCredential::new_with_target(None, &service, &user).map_err(keychain_error)?;
        Ok(vec![
            (Entry::new_with_credential(Box::new(secret_service)), KeychainBackend::Persistent),
            (Entry::new_with_credential(Box::new(kernel)), KeychainBackend::KernelKeyring),
        ])
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(vec![(Entry::new(&service, &user).map_err(keychain_error)?, KeychainBackend::Persistent)])
    }
}

/// A keychain that is not there (no Secret Service on the session bus) rather
/// than one that refused.
fn is_unavailable(e: &keyring::Error) -> bool {
    matches!(e, keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_))
}

fn keychain_error(e: keyring::Error) -> Error {
    Error::Keychain { detail: e.to_string() }
}
