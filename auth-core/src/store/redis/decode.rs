//! Reading what Redis returns without trusting it.
//!
//! Another program may share the Redis, or an older version of this one may
//! have written a record: anything that does not have the expected shape is
//! an [`StoreError::Unavailable`] naming the record, never a panic.

use redis::Value;

use crate::flow::ClientInfo;
use crate::store::StoreError;
use crate::store::{SecretHash, Session};

/// A record that does not parse.
pub(super) fn malformed(what: &str) -> StoreError {
    StoreError::Unavailable(format!("Redis holds a malformed {what}"))
}

/// Whether a reply is "nothing" (a missing key, a Lua `false`).
fn is_nothing(value: &Value) -> bool {
    matches!(value, Value::Nil | Value::Boolean(false))
}

/// The items of a reply that is an array, read one after the other.
pub(super) struct Fields {
    items: std::vec::IntoIter<Value>,
    what: &'static str,
}

impl Fields {
    /// The fields of `value`, `None` if the reply is nothing.
    pub(super) fn of(value: Value, what: &'static str) -> Result<Option<Self>, StoreError> {
        match value {
            Value::Array(items) | Value::Set(items) => Ok(Some(Self {
                items: items.into_iter(),
                what,
            })),
            value if is_nothing(&value) => Ok(None),
            _ => Err(malformed(what)),
        }
    }

    /// The fields of `value`, which must be an array.
    pub(super) fn array(value: Value, what: &'static str) -> Result<Self, StoreError> {
        Self::of(value, what)?.ok_or_else(|| malformed(what))
    }

    /// The next field, unparsed.
    pub(super) fn value(&mut self) -> Result<Value, StoreError> {
        self.items.next().ok_or_else(|| malformed(self.what))
    }

    /// Whether every item has been read.
    pub(super) fn is_done(&self) -> bool {
        self.items.as_slice().is_empty()
    }

    /// The next item as text, `None` once every item is read.
    pub(super) fn next_string(&mut self) -> Result<Option<String>, StoreError> {
        if self.is_done() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// The next field, which may be missing (nil).
    pub(super) fn optional_bytes(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        match self.value()? {
            Value::BulkString(bytes) => Ok(Some(bytes)),
            Value::SimpleString(text) => Ok(Some(text.into_bytes())),
            Value::VerbatimString { text, .. } => Ok(Some(text.into_bytes())),
            Value::Int(n) => Ok(Some(n.to_string().into_bytes())),
            value if is_nothing(&value) => Ok(None),
            _ => Err(malformed(self.what)),
        }
    }

    /// The next field as text, which may be missing (nil).
    pub(super) fn optional_string(&mut self) -> Result<Option<String>, StoreError> {
        self.optional_bytes()?
            .map(|bytes| String::from_utf8(bytes).map_err(|_| malformed(self.what)))
            .transpose()
    }

    /// The next field as text.
    pub(super) fn string(&mut self) -> Result<String, StoreError> {
        self.optional_string()?.ok_or_else(|| malformed(self.what))
    }

    /// The next field as an integer (a Redis integer or its decimal text).
    pub(super) fn int(&mut self) -> Result<i64, StoreError> {
        self.optional_int()?.ok_or_else(|| malformed(self.what))
    }

    /// The next field as an integer, which may be missing (nil).
    pub(super) fn optional_int(&mut self) -> Result<Option<i64>, StoreError> {
        match self.value()? {
            Value::Int(n) => Ok(Some(n)),
            value if is_nothing(&value) => Ok(None),
            Value::BulkString(bytes) => std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| text.parse().ok())
                .map(Some)
                .ok_or_else(|| malformed(self.what)),
            _ => Err(malformed(self.what)),
        }
    }

    /// The next field as a JSON-encoded list of strings (roles, `amr`).
    pub(super) fn string_list(&mut self) -> Result<Vec<String>, StoreError> {
        serde_json::from_str(&self.string()?).map_err(|_| malformed(self.what))
    }
}

/// An integer reply (a script's 0 or 1, a count).
pub(super) fn int(value: Value, what: &'static str) -> Result<i64, StoreError> {
    match value {
        Value::Int(n) => Ok(n),
        _ => Err(malformed(what)),
    }
}

/// A reply of a script returning 1 for yes and 0 for no.
pub(super) fn flag(value: Value, what: &'static str) -> Result<bool, StoreError> {
    match int(value, what)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(malformed(what)),
    }
}

/// A hash as stored: 64 lower-case hex digits.
pub(super) fn secret_hash(hex: &str, what: &'static str) -> Result<SecretHash, StoreError> {
    SecretHash::from_hex(hex).ok_or_else(|| malformed(what))
}

/// A session as the scripts return it: `{sid, user_id, amr, auth_time, created_at}`.
pub(super) fn session(fields: &mut Fields) -> Result<Session, StoreError> {
    let sid = fields.string()?;
    let user_id = fields.string()?;
    session_of(sid, user_id, fields)
}

/// The rest of a session record after its sid and user: `amr`, `auth_time`,
/// `created_at`, `last_used_at`, address and user agent.
pub(super) fn session_of(
    sid: String,
    user_id: String,
    fields: &mut Fields,
) -> Result<Session, StoreError> {
    let amr = fields.string_list()?;
    let auth_time = fields.int()?;
    let created_at = fields.int()?;
    Ok(Session {
        sid,
        user_id,
        amr,
        auth_time,
        created_at,
        last_used_at: fields.optional_int()?.unwrap_or(created_at),
        // Stored as text, '' when unknown; this store writes only addresses
        // that parse.
        ip: fields.optional_string()?.and_then(|ip| ip.parse().ok()),
        user_agent: fields.optional_string()?.filter(|agent| !agent.is_empty()),
    })
}

/// A session's client as the scripts take it: address and user agent, each
/// `''` when unknown.
pub(super) fn client_args(client: &ClientInfo) -> (String, &str) {
    (
        client.ip().map(|ip| ip.to_string()).unwrap_or_default(),
        client.user_agent().unwrap_or_default(),
    )
}

/// JSON text of a list of strings, as stored for roles and `amr`.
pub(super) fn encode_list(items: &[String]) -> Result<String, StoreError> {
    // Serializing strings cannot fail; should it, the write is refused.
    serde_json::to_string(items).map_err(|_| StoreError::Unavailable("encoding failed".to_owned()))
}
