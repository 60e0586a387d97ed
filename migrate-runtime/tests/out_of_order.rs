//! A pending migration older than the newest applied one: refused by
//! default, naming both, applied when the migrator allows it.

mod common;

use std::path::Path;

use common::*;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::Error;

fn applied_versions(report: &migrate_runtime::Report) -> Vec<u64> {
    report.applied.iter().map(|a| a.version).collect()
}

/// 1 users and 3 tags applied; the binary then has 2 posts between them.
fn out_of_order(path: &Path) -> migrate_runtime::Migrator {
    drop(
        migrator(vec![create_table(1, "users"), create_table(3, "tags")])
            .open(path)
            .unwrap(),
    );
    migrator(vec![
        create_table(1, "users"),
        create_table(2, "posts"),
        create_table(3, "tags"),
    ])
}

#[test]
fn out_of_order_is_refused_by_default_naming_both() {
    let (_dir, path) = temp_db();
    let between = out_of_order(&path);
    let before = dump(&path);

    let mut conn = Connection::open(&path).unwrap();
    let error = between.run(&mut conn).unwrap_err();
    let up_to = between.up_to(&mut conn, 2).unwrap_err();

    assert!(
        matches!(
            error,
            Error::OutOfOrder {
                pending: 2,
                applied: 3,
                ..
            }
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("migration 2 (posts)"), "{message}");
    assert!(message.contains("3 (tags)"), "{message}");
    assert!(message.contains("allow_out_of_order(true)"), "{message}");
    assert!(
        matches!(up_to, Error::OutOfOrder { pending: 2, .. }),
        "{up_to}"
    );
    drop(conn);
    assert_eq!(dump(&path), before);
}

#[test]
fn out_of_order_is_applied_when_allowed_and_the_fast_path_follows() {
    let (_dir, path) = temp_db();
    let between = out_of_order(&path).allow_out_of_order(true);

    let mut conn = Connection::open(&path).unwrap();
    let report = between.run(&mut conn).unwrap();

    assert_eq!(applied_versions(&report), [2]);
    assert_eq!(history_versions(&conn), [1, 2, 3]);
    assert_eq!(user_version(&conn), fingerprint_of(between.migrations()));
    assert!(between.status(&conn).unwrap().is_up_to_date());
    assert_eq!(between.run(&mut conn).unwrap(), Default::default());
}
