//! The progress bar, drawn only on a terminal, and failure lines printed around it.

use std::cell::Cell;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Failures printed one by one before the rest are left to the rejects file.
const PRINTED_FAILURES: u64 = 20;

pub struct Progress {
    bar: ProgressBar,
    failed: Cell<u64>,
    printed: Cell<u64>,
    print_limit: u64,
}

impl Progress {
    pub fn new(total: Option<u64>, wanted: bool) -> Self {
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{bar:40.cyan/blue} {human_pos}/{human_len} users {per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {human_pos} users {per_sec} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        if !(wanted && std::io::stderr().is_terminal()) {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        Progress {
            bar,
            failed: Cell::new(0),
            printed: Cell::new(0),
            print_limit: PRINTED_FAILURES,
        }
    }

    /// Prints every failure, not only the first few: a dry run's whole point is that list.
    pub fn print_every_failure(mut self) -> Self {
        self.print_limit = u64::MAX;
        self
    }

    /// Counts one finished row.
    pub fn record(&self, failed: bool) {
        if failed {
            self.failed.set(self.failed.get() + 1);
            self.bar
                .set_message(format!("{} failed", self.failed.get()));
        }
        self.bar.inc(1);
    }

    /// Prints a failure line above the bar; past the first few, only the rejects file has them.
    pub fn failure_line(&self, text: &str) {
        let printed = self.printed.get();
        self.printed.set(printed + 1);
        if printed < self.print_limit {
            self.bar.suspend(|| eprintln!("{text}"));
        } else if printed == self.print_limit {
            self.bar
                .suspend(|| eprintln!("(more failures: see the rejects file)"));
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
