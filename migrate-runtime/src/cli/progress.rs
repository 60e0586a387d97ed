//! Progress on stderr: a bar on a terminal, once the work has taken more
//! than a moment; plain lines otherwise, for logs.

use std::io::IsTerminal;
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::render::duration_text;
use crate::event::Event;
use crate::Migrator;

/// Work that ends sooner shows no bar at all.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// Progress of one command.
#[derive(Clone)]
pub(crate) enum Progress {
    /// On a terminal: a bar (or a spinner for work of unknown length).
    Bar(ProgressBar),
    /// Not on a terminal: one line per event.
    Lines,
}

impl Progress {
    /// A bar of `steps` migrations, or plain lines when stderr is no terminal.
    pub(crate) fn steps(steps: usize) -> Self {
        Self::start(Some(steps as u64), "")
    }

    /// A spinner saying `what` (`restoring …`), or one plain line.
    pub(crate) fn spinner(what: &str) -> Self {
        let progress = Self::start(None, what);
        if let Progress::Lines = progress {
            eprintln!("{what}");
        }
        progress
    }

    /// A spinner, or plain lines, that the migrator's events tell what to say.
    pub(crate) fn events() -> Self {
        Self::start(None, "")
    }

    fn start(steps: Option<u64>, message: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress::Lines;
        }
        let template = match steps {
            Some(_) => "{spinner} [{bar:24}] {pos}/{len} {elapsed:>3} {wide_msg}",
            None => "{spinner} {elapsed:>3} {wide_msg}",
        };
        let style = ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(steps, ProgressDrawTarget::hidden())
            .with_style(style)
            .with_message(message.to_string());
        show_later(bar.clone());
        Progress::Bar(bar)
    }

    /// Wraps `migrator` so that its events drive this progress, after any
    /// hook it already has.
    pub(crate) fn attach(&self, migrator: &Migrator) -> Migrator {
        let progress = self.clone();
        migrator.also_on_event(move |event| progress.on(event))
    }

    fn on(&self, event: &Event<'_>) {
        match self {
            Progress::Bar(bar) => {
                if let Some(message) = bar_message(event) {
                    bar.set_message(message);
                }
                if matches!(event, Event::Applied { .. } | Event::Reverted { .. }) {
                    bar.inc(1);
                }
            }
            Progress::Lines => eprintln!("{}", event_line(event)),
        }
    }

    /// Removes the bar, if it was shown.
    pub(crate) fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Draws `bar` once the work has lasted [`SHOW_AFTER`], unless it is done.
fn show_later(bar: ProgressBar) {
    thread::spawn(move || {
        thread::sleep(SHOW_AFTER);
        if !bar.is_finished() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(100));
        }
    });
}

/// What the bar says while `event` is under way.
fn bar_message(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Applying { migration } => Some(format!(
            "applying {} ({})",
            migration.version(),
            migration.name()
        )),
        Event::Reverting { version, name } => Some(format!("reverting {version} ({name})")),
        Event::BackingUp { database } => Some(format!("backing up {}", database.display())),
        _ => None,
    }
}

/// One plain line per event, for logs.
pub(crate) fn event_line(event: &Event<'_>) -> String {
    match event {
        Event::Applying { migration } => format!(
            "applying migration {} ({})",
            migration.version(),
            migration.name()
        ),
        Event::Applied {
            migration,
            duration,
        } => format!(
            "applied migration {} ({}) in {}",
            migration.version(),
            migration.name(),
            duration_text(*duration)
        ),
        Event::Reverting { version, name } => format!("reverting migration {version} ({name})"),
        Event::Reverted {
            version,
            name,
            duration,
        } => format!(
            "reverted migration {version} ({name}) in {}",
            duration_text(*duration)
        ),
        Event::BackingUp { database } => format!("backing up {}", database.display()),
        Event::BackedUp { backup, duration } => format!(
            "backed up to {} in {}",
            backup.display(),
            duration_text(*duration)
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use migrate_sqlite::{Checksum, Directives, Migration, Script};

    use super::*;

    #[test]
    fn each_event_is_one_plain_line() {
        let migration = Migration::new(
            5,
            "rebuild",
            Script::owned("SELECT 1;".into(), Directives::NONE),
            None,
            Checksum::from_bytes([1; 32]),
        );
        let ms = Duration::from_millis(12);
        let lines = [
            event_line(&Event::Applying {
                migration: &migration,
            }),
            event_line(&Event::Applied {
                migration: &migration,
                duration: ms,
            }),
            event_line(&Event::Reverting {
                version: 5,
                name: "rebuild",
            }),
            event_line(&Event::Reverted {
                version: 5,
                name: "rebuild",
                duration: ms,
            }),
            event_line(&Event::BackingUp {
                database: Path::new("app.db"),
            }),
            event_line(&Event::BackedUp {
                backup: Path::new("backups/app.db.x.sqlite"),
                duration: ms,
            }),
        ];
        assert_eq!(
            lines,
            [
                "applying migration 5 (rebuild)",
                "applied migration 5 (rebuild) in 12 ms",
                "reverting migration 5 (rebuild)",
                "reverted migration 5 (rebuild) in 12 ms",
                "backing up app.db",
                "backed up to backups/app.db.x.sqlite in 12 ms",
            ]
        );
    }
}
