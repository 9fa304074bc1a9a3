//! The request's collector: a task-local value set around each request by the edge
//! ([`scope`]), which the route names ([`name_operation`]), the code the request runs records
//! its signals into (wherever it runs: a store adapter, a use case), and [`finish`] writes out
//! as the request's lines once the answer is known. Task-local rather than a lock: nothing is
//! shared between requests, and nothing is held across an await (each access is one short
//! borrow).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::time::Duration;

use tokio::task::futures::TaskLocalFuture;

use super::emf::{self, Placed, Request};
use super::{Signal, Surface};

tokio::task_local! {
    static REQUEST: Collector;
}

/// What one request has recorded so far.
#[derive(Default)]
pub struct Collector {
    operation: Cell<Option<&'static str>>,
    surface: Cell<Option<Surface>>,
    /// Empty (unallocated) for most requests: only security signals fill it.
    signals: RefCell<Vec<Placed>>,
}

/// A request's future, run with its collector.
pub type Scope<F> = TaskLocalFuture<Collector, F>;

/// Runs `request` with a fresh collector.
pub fn scope<F: Future>(request: F) -> Scope<F> {
    REQUEST.scope(Collector::default(), request)
}

/// Names the request's operation (and the surface of its route, when it has one).
pub fn name_operation(operation: &'static str, surface: Option<Surface>) {
    let _ = REQUEST.try_with(|c| {
        c.operation.set(Some(operation));
        c.surface.set(surface);
    });
}

/// The surface of the route the current request took, if any.
pub fn current_surface() -> Option<Surface> {
    REQUEST.try_with(|c| c.surface.get()).ok().flatten()
}

/// Adds `signal` to the current request's lines; `false` outside a request.
pub(super) fn collect(signal: Signal) -> bool {
    REQUEST
        .try_with(|c| match c.signals.try_borrow_mut() {
            Ok(mut signals) => {
                emf::place(&mut signals, signal);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false)
}

/// Writes the request's lines: its outcome, time and signals.
pub fn finish(status: u16, elapsed: Duration, request_ref: &str) {
    let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let mut out = Vec::with_capacity(768);
    let write = |out: &mut Vec<u8>, operation: Option<&'static str>, placed: &[Placed]| {
        let request = Request { operation: operation.unwrap_or("route"), request_ref, status, elapsed_us };
        emf::write_lines(out, super::namespace(), super::now_ms(), Some(&request), placed);
    };
    let inside = REQUEST.try_with(|c| {
        let signals = c.signals.try_borrow();
        write(&mut out, c.operation.get(), signals.as_deref().map_or(&[][..], Vec::as_slice));
    });
    if inside.is_err() {
        write(&mut out, None, &[]);
    }
    emit(&out);
}

/// Writes finished lines to stdout in one call, so the lines of concurrent requests never
/// interleave (a write to a pipe is atomic up to [`PIPE_BUF`]; a request's lines are under it,
/// and each line of one that is not). With `test-util`, through `print!`, which the test
/// harness captures per test (or into [`captured`]'s buffer); otherwise a failed write is
/// dropped, as a log line is.
pub(super) fn emit(lines: &[u8]) {
    if lines.is_empty() {
        return;
    }
    #[cfg(feature = "test-util")]
    {
        if !capture::take(lines) {
            print!("{}", String::from_utf8_lossy(lines));
        }
    }
    #[cfg(not(feature = "test-util"))]
    {
        use std::io::Write;
        match stdout_fd() {
            // One write(2) of whole lines on the same open file as stdout, without std's stdout
            // lock, which the two threads of a warm process contended for on every request.
            // Nothing is buffered, so nothing is lost when Lambda freezes the process.
            Some(mut out) if lines.len() <= PIPE_BUF => {
                let _ = out.write_all(lines);
            }
            // Longer than one atomic write: a line at a time, each whole.
            Some(mut out) => {
                for line in lines.split_inclusive(|b| *b == b'\n') {
                    let _ = out.write_all(line);
                }
            }
            None => {
                let _ = std::io::stdout().lock().write_all(lines);
            }
        }
    }
}

/// The size up to which POSIX makes a write to a pipe atomic (Linux's).
#[cfg(not(feature = "test-util"))]
const PIPE_BUF: usize = 4096;

/// A duplicate of the stdout descriptor (same open file, same offset), made once; `None` if it
/// could not be made.
#[cfg(not(feature = "test-util"))]
fn stdout_fd() -> Option<&'static std::fs::File> {
    use std::os::fd::AsFd;
    static OUT: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    OUT.get_or_init(|| std::io::stdout().as_fd().try_clone_to_owned().ok().map(std::fs::File::from)).as_ref()
}

#[cfg(feature = "test-util")]
pub use capture::captured;

#[cfg(feature = "test-util")]
mod capture {
    use std::sync::{Arc, Mutex};

    tokio::task_local! {
        static CAPTURED: Arc<Mutex<Vec<String>>>;
    }

    /// Runs `f`, keeping the metric lines written in its task instead of printing them: the
    /// lines, parsed.
    pub async fn captured<F: std::future::Future>(f: F) -> (F::Output, Vec<serde_json::Value>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = CAPTURED.scope(Arc::clone(&lines), f).await;
        let kept = lines.lock().map(|l| l.clone()).unwrap_or_default();
        (out, kept.iter().filter_map(|l| serde_json::from_str(l).ok()).collect())
    }

    pub(super) fn take(lines: &[u8]) -> bool {
        CAPTURED
            .try_with(|kept| {
                if let Ok(mut kept) = kept.lock() {
                    let text = String::from_utf8_lossy(lines);
                    kept.extend(text.lines().map(str::to_owned));
                }
            })
            .is_ok()
    }
}
