//! The server as a person types it (host, port, database, user, TLS mode), and
//! the connection URL built from it. The password is never part of the form:
//! it goes straight to the keychain (see [`crate::credentials`]).

use crate::error::{Error, Result};
use crate::secret::DatabaseUrl;

/// How the connection is encrypted: PostgreSQL's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain TCP (a trusted home network).
    Disable,
    /// TLS when the server offers it, plain otherwise (PostgreSQL's default).
    Prefer,
    /// TLS always, without checking the certificate.
    Require,
    /// TLS with a certificate signed by the given CA.
    VerifyCa,
    /// TLS with a certificate signed by the given CA for this host name.
    VerifyFull,
}

impl TlsMode {
    /// The `sslmode` value.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require, TlsMode::VerifyCa, TlsMode::VerifyFull]
            .into_iter()
            .find(|m| m.as_str() == text)
    }
}

/// The wizard's server form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServerForm {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// PostgreSQL user.
    pub user: String,
    /// Encryption.
    pub tls_mode: TlsMode,
    /// CA certificate file for `verify-ca`/`verify-full` (`sslrootcert`).
    pub ca_file: Option<String>,
}

impl Default for ServerForm {
    /// The home server the Python Noesis runs against: the values most users
    /// only confirm.
    fn default() -> Self {
        Self {
            host: "192.168.4.25".into(),
            port: 5433,
            database: "noesis".into(),
            user: "noesis_user".into(),
            // A password crosses the network: TLS unless the user turns it off.
            tls_mode: TlsMode::Require,
            ca_file: None,
        }
    }
}

impl ServerForm {
    /// The connection URL (no password), or which field is wrong.
    pub fn url(&self) -> Result<DatabaseUrl> {
        let invalid = |reason: &str| Error::InvalidDatabaseUrl { reason: reason.into() };
        let host = self.host.trim();
        if host.is_empty() || host.contains(['/', '@', ' ', '?', '#']) {
            return Err(invalid("the host must be a name or an address, such as 192.168.4.25"));
        }
        if self.port == 0 {
            return Err(invalid("the port must be between 1 and 65535 (PostgreSQL usually listens on 5432)"));
        }
        if self.database.trim().is_empty() {
            return Err(invalid("the database name is empty"));
        }
        if self.user.trim().is_empty() {
            return Err(invalid("the user name is empty"));
        }
        let mut url = url::Url::parse("postgres://placeholder").expect("a valid base URL");
        // An IPv6 address needs brackets in a URL.
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
        url.set_host(Some(&host)).map_err(|e| invalid(&format!("the host is not valid ({e})")))?;
        let _ = url.set_port(Some(self.port));
        let _ = url.set_username(self.user.trim());
        url.set_path(&format!("/{}", self.database.trim()));
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("sslmode", self.tls_mode.as_str());
            if let Some(ca) = self.ca_file.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                query.append_pair("sslrootcert", ca);
            }
        }
        DatabaseUrl::parse(url.as_str())
    }

    /// The form for a configured server (Settings reopening the wizard).
    pub fn from_url(url: &DatabaseUrl) -> Self {
        Self {
            host: url.host().trim_matches(['[', ']']).to_string(),
            port: url.port(),
            database: url.database(),
            user: url.user(),
            tls_mode: TlsMode::parse(url.sslmode()).unwrap_or(TlsMode::Require),
            ca_file: url.query_param("sslrootcert"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_home_server() {
        let url = ServerForm::default().url().unwrap();
        assert_eq!(url.to_string(), "postgres://noesis_user@192.168.4.25:5433/noesis?sslmode=require");
    }

    #[test]
    fn a_form_survives_the_round_trip_through_its_url() {
        let form = ServerForm {
            host: "db.example".into(),
            port: 6543,
            database: "my db".into(),
            user: "anne@home".into(),
            tls_mode: TlsMode::VerifyFull,
            ca_file: Some("/etc/ssl/ca.pem".into()),
        };
        assert_eq!(ServerForm::from_url(&form.url().unwrap()), form);
    }

    #[test]
    fn wrong_fields_are_named() {
        type Case = (fn(&mut ServerForm), &'static str);
        let cases: [Case; 4] = [
            (|f| f.host = " ".into(), "host"),
            (|f| f.port = 0, "port"),
            (|f| f.database = "".into(), "database"),
            (|f| f.user = "".into(), "user"),
        ];
        for (spoil, field) in cases {
            let mut form = ServerForm::default();
            spoil(&mut form);
            let message = form.url().unwrap_err().to_string();
            assert!(message.contains(field), "{field}: {message}");
        }
    }
}
