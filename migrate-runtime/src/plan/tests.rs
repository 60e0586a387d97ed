//! The decisions, on chains and histories made up in memory.

use std::time::Duration;

use migrate_sqlite::{Checksum, Directives, Migration, Script};

use super::*;
use crate::operation::Target;

fn chain(versions: &[u64]) -> &'static [Migration] {
    let migrations: Vec<_> = versions
        .iter()
        .map(|&version| {
            let up = Script::owned(format!("CREATE TABLE t{version} (x);"), Directives::NONE);
            let down = Script::owned(format!("DROP TABLE t{version};"), Directives::NONE);
            let down = (version % 2 == 0).then_some(down);
            Migration::new(version, format!("m{version}"), up, down, checksum(version))
        })
        .collect();
    Box::leak(migrations.into_boxed_slice())
}

fn checksum(version: u64) -> Checksum {
    Checksum::from_bytes([version as u8; 32])
}

fn recorded(version: u64, checksum: Checksum, down: Option<&str>) -> Recorded {
    Recorded {
        version,
        name: format!("m{version}"),
        checksum_hex: checksum.to_hex(),
        checksum: Some(checksum),
        applied_at: "2026-01-01T00:00:00.000Z".into(),
        duration: Duration::ZERO,
        down_sql: down.map(str::to_string),
    }
}

fn applied(versions: &[u64]) -> Vec<Recorded> {
    versions
        .iter()
        .map(|&version| recorded(version, checksum(version), None))
        .collect()
}

fn states(standings: &[Standing]) -> Vec<(u64, State)> {
    standings.iter().map(|s| (s.version, s.state)).collect()
}

fn versions(changes: &[Change]) -> Vec<u64> {
    changes.iter().map(Change::version).collect()
}

const STRICT: Allowances = Allowances {
    newer_database: false,
    out_of_order: false,
};

#[test]
fn every_version_of_either_side_gets_one_state() {
    let migrations = chain(&[1, 2, 3, 5]);
    let mut history = applied(&[1, 3, 4]);
    history[1].checksum = Some(checksum(99));
    assert_eq!(
        states(&classify(migrations, &history)),
        [
            (1, State::Applied),
            (2, State::OutOfOrder),
            (3, State::ChecksumChanged),
            (4, State::UnknownToBinary),
            (5, State::Pending),
        ]
    );
    assert_eq!(
        states(&classify(migrations, &[])),
        [1, 2, 3, 5].map(|v| (v, State::Pending))
    );
}

#[test]
fn an_unreadable_recorded_checksum_is_a_changed_one() {
    let mut history = applied(&[1]);
    history[0].checksum = None;
    assert_eq!(
        states(&classify(chain(&[1]), &history)),
        [(1, State::ChecksumChanged)]
    );
}

#[test]
fn a_changed_checksum_is_refused_before_unknown_versions() {
    let migrations = chain(&[1, 2]);
    let mut history = applied(&[1, 2, 3]);
    history[1].checksum = Some(checksum(99));
    let refused = refusal(&classify(migrations, &history), STRICT);
    assert!(
        matches!(refused, Some(Error::ChecksumMismatch { version: 2, .. })),
        "{refused:?}"
    );
    let history = applied(&[1, 3, 4]);
    let refused = refusal(&classify(migrations, &history), STRICT);
    let Some(Error::UnknownVersions { versions }) = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(versions, [(3, "m3".to_string()), (4, "m4".to_string())]);
    let newer = Allowances {
        newer_database: true,
        ..STRICT
    };
    assert!(refusal(&classify(migrations, &history), newer).is_none());
}

#[cfg(feature = "cli")]
#[test]
fn what_refuses_a_start_depends_on_what_is_allowed() {
    use State::*;
    assert!(!refuses([Applied, Pending], STRICT));
    assert!(refuses([Applied, ChecksumChanged], STRICT));
    assert!(refuses([UnknownToBinary], STRICT));
    assert!(refuses([OutOfOrder], STRICT));
    let lenient = Allowances {
        newer_database: true,
        out_of_order: true,
    };
    assert!(!refuses([UnknownToBinary, OutOfOrder], lenient));
    assert!(refuses([ChecksumChanged], lenient));
}

#[test]
fn applying_takes_the_pending_migrations_up_to_the_target() {
    let migrations = chain(&[1, 2, 3, 4]);
    let history = applied(&[1]);
    let all = changes(migrations, &history, Goal::ALL, STRICT).unwrap();
    assert_eq!(versions(&all), [2, 3, 4]);
    let goal = resolve(migrations, Operation::UpTo(Target::from(3)), &history).unwrap();
    assert_eq!(goal, Goal::Up { to: 3 });
    assert_eq!(
        versions(&changes(migrations, &history, goal, STRICT).unwrap()),
        [2, 3]
    );
    let missing = resolve(migrations, Operation::UpTo(Target::from(7)), &history);
    assert!(matches!(
        missing,
        Err(Error::NotInBinary { version: 7, .. })
    ));
}

#[test]
fn an_older_pending_migration_is_refused_unless_allowed() {
    let migrations = chain(&[1, 2, 3]);
    let history = applied(&[1, 3]);
    let refused = changes(migrations, &history, Goal::ALL, STRICT).unwrap_err();
    let Error::OutOfOrder {
        pending, applied, ..
    } = refused
    else {
        panic!("{refused}");
    };
    assert_eq!((pending, applied), (2, 3));
    let allowed = Allowances {
        out_of_order: true,
        ..STRICT
    };
    assert_eq!(
        versions(&changes(migrations, &history, Goal::ALL, allowed).unwrap()),
        [2]
    );
}

#[test]
fn reverting_goes_newest_first_with_the_binarys_or_the_historys_down_script() {
    // 2 and 4 have a down script in the binary; 3 only in the history; 5 is
    // a newer build's, with its down script recorded.
    let migrations = chain(&[1, 2, 3, 4]);
    let mut history = applied(&[1, 2, 3, 4]);
    history[2].down_sql = Some("DROP TABLE t3;".into());
    history.push(recorded(5, checksum(5), Some("DROP TABLE t5;")));
    let goal = resolve(migrations, Operation::RevertSteps(4), &history).unwrap();
    assert_eq!(goal, Goal::Down { to: Some(1) });
    let reverts = changes(migrations, &history, goal, STRICT).unwrap();
    assert_eq!(versions(&reverts), [5, 4, 3, 2]);
    let sources: Vec<ScriptSource> = reverts.iter().map(|c| c.step().source).collect();
    assert_eq!(
        sources,
        [
            ScriptSource::History,
            ScriptSource::Binary,
            ScriptSource::History,
            ScriptSource::Binary
        ]
    );
    // 1 has no down script anywhere.
    let refused = changes(migrations, &history, Goal::Down { to: Some(0) }, STRICT).unwrap_err();
    assert!(
        matches!(&refused, Error::NoDownScript { migrations } if migrations == &[(1, "m1".to_string())]),
        "{refused}"
    );
    assert!(matches!(
        resolve(migrations, Operation::RevertSteps(6), &history),
        Err(Error::TooManySteps {
            steps: 6,
            applied: 5
        })
    ));
}

#[test]
fn an_edited_migration_is_not_reverted() {
    let migrations = chain(&[1, 2]);
    let mut history = applied(&[1, 2]);
    history[1].checksum = Some(checksum(99));
    let refused = changes(migrations, &history, Goal::Down { to: Some(1) }, STRICT).unwrap_err();
    assert!(
        matches!(refused, Error::ChecksumMismatch { version: 2, .. }),
        "{refused}"
    );
}
