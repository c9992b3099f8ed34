//! This device's identity: a UUID generated once per data dir and a human name,
//! plus the server it syncs with (a URL without password).

use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use super::Cache;
use crate::error::Result;

const DEVICE_ID: &str = "device_id";
const DEVICE_NAME: &str = "device_name";
const SERVER_URL: &str = "server_url";

/// Who this copy of Noesis is, as other devices and the server see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceIdentity {
    /// Generated once; stamped on every change this device pushes.
    pub id: Uuid,
    /// Shown to people ("Mac Studio"); defaults to the host name.
    pub name: String,
}

impl Cache {
    /// This device's identity, created on first use.
    pub fn device(&self) -> Result<DeviceIdentity> {
        let id = match self.state(DEVICE_ID)? {
            Some(text) => Uuid::parse_str(&text).map_err(|e| crate::error::Error::Cache {
                path: self.path.clone(),
                context: "reading the device id".into(),
                detail: format!("sync_state.device_id is not a UUID ({e}); delete that row to get a new id"),
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
        self.conn
            .execute("DELETE FROM sync_state WHERE key = ?1", [key])
            .map(|_| ())
            .map_err(|e| self.error("writing sync state", e))
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
