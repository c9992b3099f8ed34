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
        let mut url = Url::parse(text.trim()).map_err(|e| Error::InvalidDatabaseUrl { reason: e.to_string() })?;
        if url.scheme() != "postgres" && url.scheme() != "postgresql" {
            return Err(Error::InvalidDatabaseUrl {
                reason: format!("it starts with `{}://`; expected postgres://USER@HOST:PORT/DATABASE", url.scheme()),
            });
        }
        if url.host_str().unwrap_or("").is_empty() {
            return Err(Error::InvalidDatabaseUrl { reason: "it names no host; expected postgres://USER@HOST:PORT/DATABASE".into() });
        }
        check_parameters(&url)?;
        let password = url.password().map(|p| Secret::new(percent_decode(p)));
        let _ = url.set_password(None);
        Ok(Self { url, password })
    }

    /// How the connection is encrypted: the URL's `sslmode`, else `require`
    /// for any host but this machine's own (where `prefer` keeps a local
    /// server without TLS working): on a network, a password never travels
    /// without TLS unless the user said so.
    pub fn sslmode(&self) -> &str {
        match self.url.query_pairs().find(|(k, _)| k == "sslmode") {
            Some((_, mode)) => SSL_MODES.iter().find(|m| **m == mode).copied().unwrap_or("require"),
            None if self.is_loopback() => "prefer",
            None => "require",
        }
    }

    /// Whether the connection may go without TLS (sslmode `disable`, `allow`
    /// or `prefer`) to a host other than this machine: what the CLI and the
    /// app warn about.
    pub fn allows_cleartext_over_network(&self) -> bool {
        !self.is_loopback() && matches!(self.sslmode(), "disable" | "allow" | "prefer")
    }

    /// Whether the host is this machine (`localhost`, 127.0.0.0/8, `::1`).
    pub fn is_loopback(&self) -> bool {
        match self.url.host() {
            // postgres:// is not a "special" scheme: its IPv4 hosts parse as names.
            Some(url::Host::Domain(d)) => {
                d.eq_ignore_ascii_case("localhost") || d.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
            }
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// The URL's `connect_timeout` (seconds), if it gives one.
    pub fn connect_timeout(&self) -> Option<std::time::Duration> {
        self.query_param("connect_timeout").and_then(|t| t.parse().ok()).map(std::time::Duration::from_secs)
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
        self.url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    /// The key under which this server's password is stored in the OS keychain:
    /// one entry per server and user.
    pub fn keychain_service(&self) -> String {
        format!("noesis-sync postgres://{}:{}", self.host(), self.port())
    }

    /// The full URL including the password, for the database driver only:
    /// its TLS mode always spelled out (see [`Self::sslmode`]), and no
    /// parameter the driver does not know (it would echo it in a warning).
    pub(crate) fn expose_with_password(&self) -> String {
        let mut url = self.url.clone();
        if let Some(p) = &self.password {
            let _ = url.set_password(Some(&percent_encode(p.expose())));
        }
        let kept: Vec<(String, String)> = self
            .url
            .query_pairs()
            .filter(|(k, _)| k != "sslmode" && k != "connect_timeout")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        {
            let mut query = url.query_pairs_mut();
            query.clear();
            query.append_pair("sslmode", self.sslmode());
            for (k, v) in &kept {
                query.append_pair(k, v);
            }
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

/// The URL parameters Noesis understands; any other is refused. The server,
/// user, database and password come from the URL's own parts only: a
/// parameter that overrode them (`host=`, `hostaddr=`, `port=`, `user=`,
/// `dbname=`) would send the password stored for one server to another, and
/// `password=` would put a secret where URLs get printed and saved.
const ALLOWED_PARAMETERS: &[&str] = &["sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"];

/// PostgreSQL's `sslmode` values.
const SSL_MODES: &[&str] = &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/// Refuses parameters outside [`ALLOWED_PARAMETERS`], one given twice (the
/// driver would use one, the app show another), and bad values. The error
/// names the parameter, never its value (it may be a password).
fn check_parameters(url: &Url) -> Result<(), Error> {
    let invalid = |reason: String| Error::InvalidDatabaseUrl { reason };
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in url.query_pairs() {
        if !ALLOWED_PARAMETERS.contains(&name.as_ref()) {
            let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
            let hint = if matches!(safe.as_str(), "host" | "hostaddr" | "port" | "user" | "dbname") {
                " (put the host, port, user and database in the URL itself: postgres://USER@HOST:PORT/DATABASE)"
            } else if safe == "password" || safe == "sslpassword" {
                " (a password never goes in the URL: `noesis-sync login` stores it in the OS keychain, or set PGPASSWORD)"
            } else {
                ""
            };
            return Err(invalid(format!(
                "it has the parameter `{safe}`, which Noesis does not accept{hint}; accepted: {}",
                ALLOWED_PARAMETERS.join(", ")
            )));
        }
        if seen.iter().any(|s| s == name.as_ref()) {
            return Err(invalid(format!("it gives `{name}` more than once; give each parameter once")));
        }
        match name.as_ref() {
            "sslmode" if !SSL_MODES.contains(&value.as_ref()) => {
                return Err(invalid(format!("its sslmode is not one of {}", SSL_MODES.join(", "))));
            }
            "connect_timeout" if !value.parse::<u64>().is_ok_and(|t| (1..=600).contains(&t)) => {
                return Err(invalid("its connect_timeout must be a whole number of seconds from 1 to 600".into()));
            }
            _ => {}
        }
        seen.push(name.into_owned());
    }
    Ok(())
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn percent_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
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
    fn parameters_that_would_send_the_password_elsewhere_are_refused() {
        for param in
            ["host=localhost", "hostaddr=10.0.0.9", "port=56998", "user=postgres", "dbname=other", "options=-c%20noesis.device_id%3Dx"]
        {
            let err = DatabaseUrl::parse(&format!("postgres://noesis_device@127.0.0.1:5432/noesis?{param}")).unwrap_err();
            assert_eq!(err.code(), crate::error::ErrorCode::InvalidDatabaseUrl, "{param}: {err}");
            let name = param.split('=').next().unwrap();
            assert!(err.to_string().contains(&format!("`{name}`")), "the error names the parameter: {err}");
        }
    }

    #[test]
    fn a_password_parameter_is_refused_without_echoing_it() {
        for param in ["password=hunter2", "sslpassword=hunter2"] {
            let err = DatabaseUrl::parse(&format!("postgres://u@db.example/noesis?{param}")).unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(err.to_string().contains("keychain"), "it says where a password goes: {err}");
        }
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        let err = DatabaseUrl::parse("postgres://u@db.example/noesis?sslmode=verify-full&sslrootcert=/ca.pem&sslmode=disable").unwrap_err();
        assert!(err.to_string().contains("`sslmode` more than once"), "{err}");
        assert!(DatabaseUrl::parse("postgres://u@db.example/noesis?sslmode=sometimes").is_err());
    }

    #[test]
    fn tls_is_required_off_this_machine_unless_the_url_says_otherwise() {
        let mode = |u: &str| DatabaseUrl::parse(u).unwrap().sslmode().to_string();
        assert_eq!(mode("postgres://u@192.168.4.25:5433/noesis"), "require");
        assert_eq!(mode("postgres://u@db.example/noesis"), "require");
        assert_eq!(mode("postgres://u@127.0.0.1/noesis"), "prefer");
        assert_eq!(mode("postgres://u@localhost/noesis"), "prefer");
        assert_eq!(mode("postgres://u@[::1]/noesis"), "prefer");
        assert_eq!(mode("postgres://u@192.168.4.25/noesis?sslmode=verify-full"), "verify-full");
        let plain = DatabaseUrl::parse("postgres://u@192.168.4.25/noesis?sslmode=disable").unwrap();
        assert!(plain.allows_cleartext_over_network());
        assert!(!DatabaseUrl::parse("postgres://u@192.168.4.25/noesis").unwrap().allows_cleartext_over_network());
        assert!(!DatabaseUrl::parse("postgres://u@127.0.0.1/noesis?sslmode=disable").unwrap().allows_cleartext_over_network());
        let sent = DatabaseUrl::parse("postgres://u:p@192.168.4.25/noesis?connect_timeout=5").unwrap().expose_with_password();
        assert_eq!(sent, "postgres://u:p@192.168.4.25/noesis?sslmode=require", "the driver gets the mode spelled out");
    }

    #[test]
    fn secrets_redact_in_debug_and_display() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(s.scrub("auth failed for hunter2"), "auth failed for ***");
    }
}
