//! The one place secrets pass through.
//!
//! A [`Secret`] never shows its value through `Debug` or `Display`, so it can sit
//! in structs that get logged or printed in a panic. A [`DatabaseUrl`] keeps the
//! password apart from the rest of the connection string and prints redacted.

use std::fmt;

use url::Url;

use crate::error::Error;

/// A string that must never reach output, logs, files or panic messages.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value; the caller gives up printing it.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the few places that must hand it to a driver or the
    /// keychain. Grep for `expose` to audit every use.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Removes every occurrence of the secret from `text`, for messages that come
    /// from drivers or servers and might echo what they were given.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Placeholders used by tests and docs that must not count as a real password.
const REDACTED: &str = "***";

/// A PostgreSQL connection string whose password is held as a [`Secret`].
///
/// `Display` and `Debug` print the URL without its password, so a `DatabaseUrl`
/// can go into any message. The password comes from the URL itself, or later from
/// the environment or the OS keychain (see [`crate::credentials`]).
#[derive(Clone)]
pub struct DatabaseUrl {
    /// The URL with the password removed.
    url: Url,
    password: Option<Secret>,
}

/// PostgreSQL's port when a URL names none.
const DEFAULT_PORT: u16 = 5432;

impl DatabaseUrl {
    /// Parses a `postgres://` or `postgresql://` URL. The error never contains the
    /// input, since the input may hold a password.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut url = Url::parse(text.trim()).map_err(|e| Error::InvalidDatabaseUrl {
            reason: e.to_string(),
        })?;
        if url.scheme() != "postgres" && url.scheme() != "postgresql" {
            return Err(Error::InvalidDatabaseUrl {
                reason: format!(
                    "it starts with `{}://`; expected postgres://USER@HOST:PORT/DATABASE",
                    url.scheme()
                ),
            });
        }
        if url.host_str().unwrap_or("").is_empty() {
            return Err(Error::InvalidDatabaseUrl {
                reason: "it names no host; expected postgres://USER@HOST:PORT/DATABASE".into(),
            });
        }
        let password = url.password().map(|p| {
            Secret::new(
                percent_decode(p),
            )
        });
        let _ = url.set_password(None);
        Ok(Self { url, password })
    }

    /// The password given in the URL, if any.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// Returns the same URL with `password` as its password (for the driver).
    pub fn with_password(&self, password: Option<Secret>) -> Self {
        Self { url: self.url.clone(), password }
    }

    /// The user name, or the empty string when the URL names none.
    pub fn user(&self) -> String {
        percent_decode(self.url.username())
    }

    /// The host name or address.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("")
    }

    /// The port, or PostgreSQL's default.
    pub fn port(&self) -> u16 {
        self.url.port().unwrap_or(DEFAULT_PORT)
    }

    /// The database name (the URL path), or the empty string.
    pub fn database(&self) -> String {
        percent_decode(self.url.path().trim_start_matches('/'))
    }

    /// Returns the same server and credentials pointed at another database.
    pub fn with_database(&self, database: &str) -> Self {
        let mut url = self.url.clone();
        url.set_path(&format!("/{database}"));
        Self { url, password: self.password.clone() }
    }

    /// The value of a query parameter such as `sslmode`.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The key under which this server's password is stored in the OS keychain:
    /// one entry per server and user.
    pub fn keychain_service(&self) -> String {
        format!("noesis-sync postgres://{}:{}", self.host(), self.port())
    }

    /// The full URL including the password, for the database driver only.
    pub(crate) fn expose_with_password(&self) -> String {
        let mut url = self.url.clone();
        if let Some(p) = &self.password {
            let _ = url.set_password(Some(&percent_encode(p.expose())));
        }
        url.to_string()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        if self.password.is_some() {
            let _ = url.set_password(Some(REDACTED));
        }
        f.write_str(url.as_str())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn percent_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_prints_without_its_password() {
        let url = DatabaseUrl::parse("postgres://noesis_user:hunter2@192.168.4.25:5433/noesis").unwrap();
        assert_eq!(url.to_string(), "postgres://noesis_user:***@192.168.4.25:5433/noesis");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.password().unwrap().expose(), "hunter2");
        assert_eq!((url.user(), url.host(), url.port(), url.database()), ("noesis_user".into(), "192.168.4.25", 5433, "noesis".into()));
    }

    #[test]
    fn special_characters_in_passwords_survive_the_round_trip() {
        let url = DatabaseUrl::parse("postgres://u:p%40ss%2Fw%20rd%2B@h/db").unwrap();
        assert_eq!(url.password().unwrap().expose(), "p@ss/w rd+");
        let again = DatabaseUrl::parse(&url.expose_with_password()).unwrap();
        assert_eq!(again.password().unwrap().expose(), "p@ss/w rd+");
    }

    #[test]
    fn a_bad_url_is_reported_without_echoing_it() {
        let err = DatabaseUrl::parse("mysql://root:topsecret@h/db").unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
        assert!(DatabaseUrl::parse("not a url").is_err());
    }

    #[test]
    fn secrets_redact_in_debug_and_display() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.scrub("auth failed for hunter2"), "auth failed for ***");
    }
}
