//! The audit journal: one JSON line per call of a tool that changes something, appended and
//! flushed when the call ends (`PORTKEY_AUDIT_LOG`).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::client::Sent;
use crate::scrub;
use crate::shape;

pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Opens (creating if needed) the journal for appending.
    pub fn open(path: &Path) -> Result<Journal, String> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the audit journal {}: {e}", path.display()))?;
        Ok(Journal {
            file: Mutex::new(file),
        })
    }

    /// Appends one entry and flushes it.
    pub fn record(
        &self,
        tool: &str,
        args: &Value,
        sent: &[Sent],
        outcome: Result<(), &str>,
    ) -> Result<(), String> {
        let mut arguments = args.clone();
        shape::redact_secrets(&mut arguments);
        scrub::scrub_value(&mut arguments);
        let requests: Vec<Value> = sent
            .iter()
            .map(|s| {
                shape::obj(vec![
                    ("method", json!(s.method)),
                    ("path", json!(s.path)),
                    ("status", json!(s.status)),
                    ("request_id", json!(s.request_id)),
                ])
            })
            .collect();
        let last = sent.last();
        let mut entry = shape::obj(vec![
            ("time", json!(shape::now_iso())),
            ("tool", json!(tool)),
            ("arguments", arguments),
            ("method", json!(last.map(|s| s.method.clone()))),
            ("path", json!(last.map(|s| s.path.clone()))),
            ("status", json!(last.and_then(|s| s.status))),
            ("request_id", json!(last.and_then(|s| s.request_id.clone()))),
            ("requests", Value::Array(requests)),
            ("ok", json!(outcome.is_ok())),
            ("error", json!(outcome.err())),
        ]);
        scrub::scrub_value(&mut entry);
        let mut line = entry.to_string();
        line.push('\n');
        let mut f = self
            .file
            .lock()
            .map_err(|_| "audit journal lock poisoned".to_string())?;
        f.write_all(line.as_bytes())
            .and_then(|_| f.flush())
            .map_err(|e| format!("cannot write the audit journal: {e}"))
    }
}
