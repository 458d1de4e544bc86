//! The write-ahead audit journal (`PORTKEY_AUDIT_LOG`). For every call of a tool that changes
//! data, an `intent` line (tool, arguments, method, exact path) is written before each request
//! is sent, and one `outcome` line (statuses, request ids, ok or the error, cancellation and
//! timeouts included) when the call ends. If an intent line cannot be written the request is not
//! sent. A line is written with one `write` of the whole line; a write that fails part-way is
//! cut back so no partial line is left. The file is opened without following a symlink.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::client::Sent;

pub struct Journal {
    file: Mutex<File>,
    regular: bool,
    next_call: AtomicU64,
    /// Distinguishes this process's call ids from another's writing the same file.
    run: String,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("run", &self.run).finish()
    }
}

impl Journal {
    /// Opens (creating if needed, mode 0600) the journal for appending. A symlink at `path` is
    /// refused rather than followed.
    pub fn open(path: &Path) -> Result<Journal, String> {
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.custom_flags(libc::O_NOFOLLOW).mode(0o600);
        }
        let file = opts.open(path).map_err(|e| {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "it is a symbolic link, which is not followed".to_string()
            } else {
                e.to_string()
            };
            format!("cannot open the audit journal {}: {why}", path.display())
        })?;
        let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Journal {
            file: Mutex::new(file),
            regular,
            next_call: AtomicU64::new(1),
            run: format!("{:x}{:x}", now.as_secs(), std::process::id()),
        })
    }

    /// A new id that ties a call's intent and outcome lines together.
    pub fn call_id(&self) -> String {
        let n = self.next_call.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.run)
    }

    /// Writes the line that must be on disk before a request goes out. `principal` names the
    /// HTTP caller (none on stdio).
    #[allow(clippy::too_many_arguments)]
    pub fn intent(
        &self,
        call: &str,
        tool: &str,
        arguments: &Value,
        method: &str,
        path: &str,
        principal: Option<&str>,
    ) -> Result<(), String> {
        let mut entry = json!({
            "event": "intent",
            "time": crate::shape::now_iso(),
            "call": call,
            "tool": tool,
            "arguments": arguments,
            "method": method,
            "path": path,
        });
        if let (Some(p), Value::Object(m)) = (principal, &mut entry) {
            m.insert("principal".into(), json!(p));
        }
        self.append(&entry, true)
    }

    /// Writes the line that closes a call: what was sent, and how it ended.
    #[allow(clippy::too_many_arguments)]
    pub fn outcome(
        &self,
        call: &str,
        tool: &str,
        arguments: &Value,
        sent: &[Sent],
        outcome: Result<(), &str>,
        kind: Option<&str>,
        principal: Option<&str>,
    ) -> Result<(), String> {
        let requests: Vec<Value> = sent
            .iter()
            .map(|s| {
                let mut r = serde_json::Map::new();
                r.insert("method".into(), json!(s.method));
                r.insert("path".into(), json!(s.path));
                if let Some(st) = s.status {
                    r.insert("status".into(), json!(st));
                }
                if let Some(id) = &s.request_id {
                    r.insert("request_id".into(), json!(id));
                }
                Value::Object(r)
            })
            .collect();
        let last = sent.last();
        let mut entry = serde_json::Map::new();
        entry.insert("event".into(), json!("outcome"));
        entry.insert("time".into(), json!(crate::shape::now_iso()));
        entry.insert("call".into(), json!(call));
        entry.insert("tool".into(), json!(tool));
        entry.insert("arguments".into(), arguments.clone());
        if let Some(p) = principal {
            entry.insert("principal".into(), json!(p));
        }
        if let Some(s) = last {
            entry.insert("method".into(), json!(s.method));
            entry.insert("path".into(), json!(s.path));
            if let Some(st) = s.status {
                entry.insert("status".into(), json!(st));
            }
            if let Some(id) = &s.request_id {
                entry.insert("request_id".into(), json!(id));
            }
        }
        entry.insert("requests".into(), Value::Array(requests));
        entry.insert("ok".into(), json!(outcome.is_ok()));
        if let Err(e) = outcome {
            entry.insert("error".into(), json!(e));
        }
        if let Some(k) = kind {
            entry.insert("error_kind".into(), json!(k));
        }
        self.append(&Value::Object(entry), false)
    }

    fn append(&self, entry: &Value, durable: bool) -> Result<(), String> {
        let mut line = entry.to_string();
        line.push('\n');
        let mut f = self
            .file
            .lock()
            .map_err(|_| "the audit journal lock is poisoned".to_string())?;
        let before = if self.regular {
            f.seek(SeekFrom::End(0)).ok()
        } else {
            None
        };
        if let Err(e) = f.write_all(line.as_bytes()) {
            // Cut a partly written line back off, so the file holds only whole lines.
            if let Some(len) = before {
                let _ = f.set_len(len);
            }
            return Err(format!("cannot write the audit journal: {e}"));
        }
        if durable && self.regular {
            f.sync_data()
                .map_err(|e| format!("cannot flush the audit journal to disk: {e}"))?;
        }
        Ok(())
    }
}
