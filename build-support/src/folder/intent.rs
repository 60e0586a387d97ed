//! What a file states about how it runs, in the SQL of the tool it was
//! written for, honoured under this runner and said in a note:
//!
//! - `PRAGMA foreign_keys = OFF` (as Prisma and Drizzle write around a table
//!   rebuild) makes the script `foreign-keys-off` ([`Directives::parse`]);
//! - a `BEGIN` … `COMMIT` around the whole script is left out, and its
//!   statements run in the runner's transaction (`Applying::run`);
//! - a sealed migration that the rebuild lints recognise as a table rebuild
//!   runs `foreign-keys-off` too: written for a runner with foreign keys
//!   off, it would otherwise delete child rows through `ON DELETE CASCADE`
//!   on a database that climbs through it here.
//!
//! [`Directives::parse`]: migrate_sqlite::Directives::parse

use migrate_sqlite::lex::wrapping_transaction;
use migrate_sqlite::{turns_foreign_keys_off, Directive, Migration, Script};

use super::{Folder, Source};
use crate::diagnostic::Diagnostic;
use crate::file::File;
use crate::lint::rebuilds;

/// Honours what the folder's files state, and says so in `folder.notes`.
pub(crate) fn honour(folder: &mut Folder) {
    for source in &mut folder.sources {
        if source.sealed {
            run_sealed_rebuild_with_foreign_keys_off(source, &mut folder.notes);
        }
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

/// A sealed table rebuild without `foreign-keys-off` gets it.
fn run_sealed_rebuild_with_foreign_keys_off(source: &mut Source, notes: &mut Vec<Diagnostic>) {
    let directives = source.migration.up().directives();
    if directives.no_transaction() || directives.foreign_keys_off() {
        return;
    }
    if rebuilds(&File::new(source)).is_empty() {
        return;
    }
    let migration = &source.migration;
    let up = Script::owned(
        migration.up().sql().to_string(),
        directives.with(Directive::ForeignKeysOff),
    );
    source.migration = Migration::new(
        migration.version(),
        migration.name().to_string(),
        up,
        migration.down().cloned(),
        migration.checksum(),
    );
    notes.push(Diagnostic::file(
        &source.up_file.display,
        "this sealed table rebuild runs as `foreign-keys-off`: written for a runner with foreign keys off, \
         it would otherwise delete or change child rows through their `ON DELETE` actions on a database \
         that applies it here; `foreign_key_check` runs before commit",
    ));
}
