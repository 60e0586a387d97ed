//! The operator switches `MIGRATE_SKIP` and `MIGRATE_CHECK_ONLY`.
//!
//! Environment variables belong to the whole process and the tests of one
//! binary run in parallel, so this binary holds a single test that sets and
//! unsets them in turn.

mod common;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, CHECK_ONLY_VARIABLE, SKIP_VARIABLE};

fn unset_both() {
    std::env::remove_var(SKIP_VARIABLE);
    std::env::remove_var(CHECK_ONLY_VARIABLE);
}

/// The pending migrations of the fixtures, as `PendingInCheckOnly` lists them.
fn all_fixtures() -> Vec<(u64, String)> {
    MIGRATIONS
        .iter()
        .map(|m| (m.version(), m.name().to_string()))
        .collect()
}

#[test]
fn environment_switches() {
    assert_eq!(SKIP_VARIABLE, "MIGRATE_SKIP");
    assert_eq!(CHECK_ONLY_VARIABLE, "MIGRATE_CHECK_ONLY");
    unset_both();

    // MIGRATE_SKIP=1: the connection is opened and configured, nothing applied.
    {
        let (_dir, path) = temp_db();
        std::env::set_var(SKIP_VARIABLE, "1");
        let conn = MIGRATOR.open(&path).expect("skip: open succeeds");
        assert_eq!(tables(&conn), Vec::<String>::new(), "skip: nothing applied");
        assert_eq!(
            pragma(&conn, "journal_mode"),
            "wal",
            "skip: still configured"
        );
        assert_eq!(pragma(&conn, "foreign_keys"), "1", "skip: still configured");
        drop(conn);

        let mut conn = Connection::open(&path).unwrap();
        let report = MIGRATOR.run(&mut conn).expect("skip: run succeeds");
        assert_eq!(report.applied, [], "skip: run applies nothing");
        assert_eq!(tables(&conn), Vec::<String>::new());

        // Any spelling of on.
        for on in ["true", " yes ", "ON"] {
            std::env::set_var(SKIP_VARIABLE, on);
            MIGRATOR.open(&path).expect("skip: open succeeds");
            assert_eq!(tables(&inspect(&path)), Vec::<String>::new(), "skip={on:?}");
        }

        // Off again: the next start migrates.
        std::env::set_var(SKIP_VARIABLE, "0");
        assert_eq!(
            history_versions(&MIGRATOR.open(&path).unwrap()),
            [1, 2, 3, 4],
            "MIGRATE_SKIP=0 is off"
        );
        unset_both();
    }

    // MIGRATE_CHECK_ONLY=1 with pending migrations: refused, nothing applied.
    {
        let (_dir, path) = temp_db();
        std::env::set_var(CHECK_ONLY_VARIABLE, "1");
        let error = MIGRATOR.open(&path).unwrap_err();
        let Error::PendingInCheckOnly { ref pending } = error else {
            panic!("check-only: expected PendingInCheckOnly, got {error}");
        };
        assert_eq!(pending, &all_fixtures());
        let message = error.to_string();
        assert!(
            message
                .contains("1 (create_users), 2 (create_posts), 3 (users_name_unique), 4 (vacuum)"),
            "{message}"
        );
        assert!(message.contains("MIGRATE_CHECK_ONLY"), "{message}");
        assert_eq!(tables(&inspect(&path)), Vec::<String>::new());

        // Some pending: only those are listed, and nothing more is applied.
        std::env::remove_var(CHECK_ONLY_VARIABLE);
        drop(first(2).open(&path).unwrap());
        let before = dump(&path);
        std::env::set_var(CHECK_ONLY_VARIABLE, "1");
        let mut conn = Connection::open(&path).unwrap();
        let error = MIGRATOR.run(&mut conn).unwrap_err();
        let Error::PendingInCheckOnly { ref pending } = error else {
            panic!("check-only: expected PendingInCheckOnly, got {error}");
        };
        assert_eq!(pending, &all_fixtures()[2..]);
        drop(conn);
        assert_eq!(dump(&path), before, "check-only: nothing applied");
        unset_both();
    }

    // MIGRATE_CHECK_ONLY=1 on an up-to-date database: a normal start.
    {
        let (_dir, path) = temp_db();
        drop(MIGRATOR.open(&path).unwrap());
        std::env::set_var(CHECK_ONLY_VARIABLE, "1");
        let conn = MIGRATOR
            .open(&path)
            .expect("check-only, up to date: open succeeds");
        assert_eq!(history_versions(&conn), [1, 2, 3, 4]);
        drop(conn);

        // Up to date but with a stale header: the slow path, still nothing pending.
        inspect(&path)
            .execute_batch("PRAGMA user_version = 42")
            .unwrap();
        MIGRATOR
            .open(&path)
            .expect("check-only, up to date, stale header: open succeeds");
        unset_both();
    }

    // A value that is neither on nor off is refused, whatever the database.
    {
        let (dir, path) = temp_db();
        std::env::set_var(SKIP_VARIABLE, "maybe");
        let error = MIGRATOR.open(&path).unwrap_err();
        let Error::Environment {
            variable,
            ref value,
        } = error
        else {
            panic!("expected Environment, got {error}");
        };
        assert_eq!((variable, value.as_str()), (SKIP_VARIABLE, "maybe"));
        let message = error.to_string();
        assert!(message.contains("MIGRATE_SKIP is `maybe`"), "{message}");
        assert!(message.contains("set it to 1 (on) or 0 (off)"), "{message}");
        assert_eq!(
            file_names(dir.path()),
            Vec::<String>::new(),
            "no file created"
        );
        unset_both();

        std::env::set_var(CHECK_ONLY_VARIABLE, "2");
        let error = MIGRATOR.open(&path).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Environment {
                    variable: CHECK_ONLY_VARIABLE,
                    ..
                }
            ),
            "{error}"
        );
        unset_both();
    }

    // read_environment(false): the switches are not read at all.
    {
        let (_dir, path) = temp_db();
        let deaf = MIGRATOR.clone().read_environment(false);

        std::env::set_var(SKIP_VARIABLE, "1");
        std::env::set_var(CHECK_ONLY_VARIABLE, "1");
        let conn = deaf.open(&path).expect("switches ignored: open succeeds");
        assert_eq!(history_versions(&conn), [1, 2, 3, 4], "skip ignored");
        drop(conn);

        std::env::set_var(SKIP_VARIABLE, "maybe");
        std::env::set_var(CHECK_ONLY_VARIABLE, "maybe");
        deaf.open(&path).expect("an invalid value is ignored too");
        unset_both();
    }
}
