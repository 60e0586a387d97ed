//! What a file states about how it runs, in the SQL of the tool it was
//! written for, honoured under this runner and said in a note:
//!
//! - `PRAGMA foreign_keys = OFF` (as Prisma and Drizzle write around a table
//!   rebuild) makes the script `foreign-keys-off` ([`Directives::parse`]);
//! - a `BEGIN` … `COMMIT` around the whole script is left out, and its
//!   statements run in the runner's transaction (`Applying::run`);
//!
//! (A sealed table rebuild, and a down script that rebuilds a table, run
//! `foreign-keys-off` too; the rebuild lints tell them, so `policy.rs` does.)
//!
//! [`Directives::parse`]: migrate_sqlite::Directives::parse

use migrate_sqlite::lex::wrapping_transaction;
use migrate_sqlite::{turns_foreign_keys_off, Script};

use super::source::Folder;
use crate::diagnostic::Diagnostic;

/// Honours what the folder's files state, and says so in `folder.notes`.
pub(crate) fn honour(folder: &mut Folder) {
    for source in &folder.sources {
        let scripts = std::iter::once((&source.up_file, Some(source.migration.up()))).chain(
            source
                .down_file
                .iter()
                .map(|file| (file, source.migration.down())),
        );
        for (file, script) in scripts {
            if let Some(script) = script {
                notes(&file.display, script, &mut folder.notes);
            }
        }
    }
}

/// The notes on one script.
fn notes(path: &str, script: &Script, notes: &mut Vec<Diagnostic>) {
    let sql = script.sql();
    if script.directives().no_transaction() {
        return;
    }
    if let Some(at) = turns_foreign_keys_off(sql) {
        notes.push(Diagnostic::at(
            path,
            sql,
            at,
            "runs as `foreign-keys-off`: inside the runner's transaction this PRAGMA would do nothing, \
             so foreign keys are switched off around the transaction, and `foreign_key_check` runs before commit",
        ));
    }
    if let Some([begin, _]) = wrapping_transaction(sql) {
        notes.push(Diagnostic::at(
            path,
            sql,
            begin.start,
            "the file's own `BEGIN` and `COMMIT` are left out: its statements run in the runner's transaction",
        ));
    }
}
