//! The operator's import: accounts from another system, one JSON object a line, with their
//! password hashes as that system made them ([`crate::password::foreign`]). The file is read
//! as a stream (a line at a time, a line longer than [`line::MAX_LINE_BYTES`] skipped unread),
//! and written in batches of [`BATCH`] accounts whose conditional writes run at once.
//!
//! Each line is all or nothing and the import is idempotent: an account is one conditional
//! write that creates it only if its address has none (an existing account is skipped, never
//! overwritten, so running a file twice changes nothing the second time); a line that does not
//! parse is refused with its number and a reason, never its content, and the rest goes on.
//! A dry run parses every line and reads whether each address is taken, and writes nothing.

#[path = "import_line.rs"]
pub mod line;

use std::collections::HashSet;

use futures_util::future::join_all;
use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use crate::app::App;
use crate::domain::error::DomainError;
use crate::model::User;
use crate::password::firebase::FirebaseParams;
use crate::store::StoreError;

/// Accounts written at once.
pub const BATCH: usize = 25;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    /// The Firebase project's hash parameters, for lines with `firebase_password_hash`.
    pub firebase: Option<FirebaseParams>,
}

/// What happened to one line that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineOutcome {
    pub line: u64,
    pub outcome: &'static str,
    pub reason: String,
}

/// The import's answer: counts, and each skipped or refused line with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub imported: u64,
    pub skipped: u64,
    pub refused: u64,
    pub lines: Vec<LineOutcome>,
}

impl Report {
    fn skip(&mut self, line: u64, reason: &str) {
        self.skipped += 1;
        self.lines.push(LineOutcome { line, outcome: "skipped", reason: reason.to_owned() });
    }

    fn refuse(&mut self, line: u64, reason: String) {
        self.refused += 1;
        self.lines.push(LineOutcome { line, outcome: "refused", reason });
    }
}

const TAKEN: &str = "an account with this email exists";

/// Imports the accounts of `reader`; `progress` is told after each batch how many lines were
/// read and what the report says so far.
pub async fn import<R: AsyncBufRead + Unpin>(
    app: &App,
    mut reader: R,
    options: &Options,
    mut progress: impl FnMut(u64, &Report),
) -> Result<Report, DomainError> {
    let keys = app.keys();
    let data = &keys.data()?.current;
    let mut report = Report::default();
    let mut batch: Vec<(u64, User)> = Vec::with_capacity(BATCH);
    // A dry run cannot lean on the writes' conditions to find a repeated address.
    let mut seen = HashSet::new();
    let mut buf = Vec::new();
    let mut number = 0u64;
    loop {
        let read = next_line(&mut reader, &mut buf).await.map_err(DomainError::internal)?;
        let Some(too_long) = read else { break };
        number += 1;
        if too_long {
            report.refuse(number, format!("line longer than {} bytes", line::MAX_LINE_BYTES));
            continue;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let cx = line::Context {
            firebase: options.firebase.as_ref(),
            sms_countries: &app.config.sms_countries,
            data_key: (&data.kid, &data.data),
            now: app.now(),
        };
        match line::parse(&buf, &cx) {
            Ok(user) => batch.push((number, user)),
            Err(reason) => report.refuse(number, reason),
        }
        if batch.len() >= BATCH {
            write_batch(app, std::mem::take(&mut batch), options.dry_run, &mut seen, &mut report).await;
            progress(number, &report);
        }
    }
    write_batch(app, batch, options.dry_run, &mut seen, &mut report).await;
    progress(number, &report);
    // Refusals are noted as lines are read, skips as batches are written: told in file order.
    report.lines.sort_by_key(|l| l.line);
    tracing::warn!(
        imported = report.imported,
        skipped = report.skipped,
        refused = report.refused,
        dry_run = options.dry_run,
        "operator import"
    );
    Ok(report)
}

/// Writes a batch (each account one conditional write, all at once), or, in a dry run, reads
/// whether each address is taken.
async fn write_batch(
    app: &App,
    batch: Vec<(u64, User)>,
    dry_run: bool,
    seen: &mut HashSet<String>,
    report: &mut Report,
) {
    let outcomes = join_all(batch.iter().map(|(_, user)| async move {
        if dry_run {
            match app.store.get_user(&user.email).await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err(StoreError::Conflict),
                Err(e) => Err(e),
            }
        } else {
            app.store.create_user(user).await
        }
    }))
    .await;
    for ((number, user), outcome) in batch.into_iter().zip(outcomes) {
        match outcome {
            Ok(()) if dry_run && !seen.insert(user.email) => report.skip(number, TAKEN),
            Ok(()) => report.imported += 1,
            Err(StoreError::Conflict) => report.skip(number, TAKEN),
            Err(e) => {
                tracing::error!(line = number, error = %crate::domain::error::chain(&e), "import write failed");
                report.refuse(number, "the write failed: run the file again (it is idempotent)".into());
            }
        }
    }
}

/// Reads the next line into `buf` (without its end of line); `Some(true)` when it was longer
/// than [`line::MAX_LINE_BYTES`] (then `buf` is empty and the rest of it was skipped unread),
/// `None` at the end.
async fn next_line<R: AsyncBufRead + Unpin>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    let (mut too_long, mut any) = (false, false);
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let (used, ended) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + used > line::MAX_LINE_BYTES {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..used]);
            }
        }
        reader.consume(used + usize::from(ended));
        if ended {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(too_long));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn lines_are_read_bounded_and_a_long_one_is_skipped_unread() {
        let long = "x".repeat(line::MAX_LINE_BYTES + 1);
        let text = format!("one\r\n{long}\nthree\nlast");
        // A tiny buffer: lines arrive in many chunks.
        let mut r = tokio::io::BufReader::with_capacity(7, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(next_line(&mut r, &mut buf).await.unwrap(), Some(false));
        assert_eq!(buf, b"one");
        assert_eq!(next_line(&mut r, &mut buf).await.unwrap(), Some(true));
        assert!(buf.is_empty());
        assert_eq!(next_line(&mut r, &mut buf).await.unwrap(), Some(false));
        assert_eq!(buf, b"three");
        assert_eq!(next_line(&mut r, &mut buf).await.unwrap(), Some(false));
        assert_eq!(buf, b"last");
        assert_eq!(next_line(&mut r, &mut buf).await.unwrap(), None);
    }
}
