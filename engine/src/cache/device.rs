//! This device's identity: a UUID generated once per data dir and a human name,
//! plus the server it syncs with (a URL without password).

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::Cache;
use crate::error::Result;

const DEVICE_ID: &str = "device_id";
const DEVICE_NAME: &str = "device_name";
const SERVER_URL: &str = "server_url";
const IDENTITY_RENEWED: &str = "identity_renewed";

/// `sync_state` key of the highest op id whose push answer the cache took;
/// written in the same transaction that empties those ops from the outbox.
pub(crate) const SETTLED_OP_ID: &str = "settled_op_id";

/// Who this copy of Noesis is, as other devices and the server see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceIdentity {
    /// Generated once; stamped on every change this device pushes.
    pub id: Uuid,
    /// Shown to people ("Mac Studio"); defaults to the host name.
    pub name: String,
}

/// A new identity this data folder took; see [`Cache::renew_device`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdentityRenewal {
    /// The id it had before.
    pub previous_id: Uuid,
    /// When (RFC 3339).
    pub at: String,
    /// What the server showed.
    pub reason: String,
}

impl Cache {
    /// This device's identity, created on first use.
    pub fn device(&self) -> Result<DeviceIdentity> {
        let id = match self.state(DEVICE_ID)? {
            Some(text) => Uuid::parse_str(&text).map_err(|e| crate::error::Error::Cache {
                path: self.path.clone(),
                context: "reading the device id".into(),
                detail: format!("sync_state.device_id is not a UUID ({e}); delete that row to get a new id"),
                source: None,
            })?,
            None => {
                let id = Uuid::new_v4();
                // INSERT OR IGNORE: two processes opening a new cache at once agree
                // on whichever id landed first.
                self.conn
                    .execute("INSERT OR IGNORE INTO sync_state (key, value) VALUES (?1, ?2)", params![DEVICE_ID, id.to_string()])
                    .map_err(|e| self.error("creating the device id", e))?;
                return self.device();
            }
        };
        let name = self.state(DEVICE_NAME)?.unwrap_or_else(default_device_name);
        Ok(DeviceIdentity { id, name })
    }

    /// Gives this data folder a new device id, keeping its name, because the
    /// server showed it is not the folder that sent the old id's changes (a
    /// restore from a backup, or a copy on a second machine). Its unpushed
    /// changes then go under the new id and are merged like any device's, so
    /// none is taken as already sent; the reason is kept for `status`.
    pub fn renew_device(&self, reason: &str) -> Result<DeviceIdentity> {
        let previous = self.device()?;
        let renewal = IdentityRenewal { previous_id: previous.id, at: chrono::Utc::now().to_rfc3339(), reason: reason.to_string() };
        let id = Uuid::new_v4();
        self.set_state(DEVICE_ID, &id.to_string())?;
        self.set_state(IDENTITY_RENEWED, &serde_json::to_string(&renewal).expect("a renewal serialises"))?;
        tracing::warn!(previous = %previous.id, new = %id, "this data folder took a new device identity: {reason}");
        Ok(DeviceIdentity { id, name: previous.name })
    }

    /// The last time this data folder took a new identity, and why.
    pub fn identity_renewal(&self) -> Result<Option<IdentityRenewal>> {
        Ok(self.state(IDENTITY_RENEWED)?.and_then(|text| serde_json::from_str(&text).ok()))
    }

    /// The highest op id whose push answer this cache took (0 before the first).
    pub fn settled_op_id(&self) -> Result<i64> {
        Ok(self.state(SETTLED_OP_ID)?.and_then(|t| t.parse().ok()).unwrap_or(0))
    }

    /// Renames this device.
    pub fn set_device_name(&self, name: &str) -> Result<()> {
        self.set_state(DEVICE_NAME, name.trim())
    }

    /// The server this device syncs with (no password), if one was set.
    pub fn server_url(&self) -> Result<Option<String>> {
        self.state(SERVER_URL)
    }

    /// Remembers the server this device syncs with. Callers pass a URL that
    /// prints without its password (`DatabaseUrl::to_string`).
    pub fn set_server_url(&self, url: &crate::secret::DatabaseUrl) -> Result<()> {
        self.set_state(SERVER_URL, &url.to_string().replace(":***@", "@"))
    }

    /// A value from `sync_state`.
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.error("reading sync state", e))
    }

    /// Sets a value in `sync_state`.
    pub fn set_state(&self, key: &str, value: &str) -> Result<()> {
        write_state(&self.conn, key, value).map_err(|e| self.error("writing sync state", e))
    }
}

impl Cache {
    /// Removes a value from `sync_state` (nothing when absent).
    pub fn clear_state(&self, key: &str) -> Result<()> {
        self.conn.execute("DELETE FROM sync_state WHERE key = ?1", [key]).map(|_| ()).map_err(|e| self.error("writing sync state", e))
    }
}

/// Sets a value in `sync_state` on any connection or transaction, so a sync
/// step can commit its bookkeeping together with its data.
pub(crate) fn write_state(conn: &rusqlite::Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
        .execute(params![key, value])?;
    Ok(())
}

fn default_device_name() -> String {
    gethostname::gethostname().to_string_lossy().trim().to_string()
}
