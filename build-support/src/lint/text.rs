//! Lints on the text of statements.

use std::collections::BTreeSet;

use migrate_sqlite::Lint;

use super::rebuild::rebuilds;
use super::{File, Finding};
use crate::file::{created_table, dropped_table};
use migrate_sqlite::lex::{has_top_level, qualified_name, skip_words, wrapping_transaction, Token};

pub(crate) fn text_lints(file: &File, findings: &mut Vec<Finding>) {
    if file.statements.is_empty() {
        file.push(
            findings,
            file.finding(
                Lint::EmptyMigration,
                0,
                "the migration holds no SQL statement: applying it changes nothing".to_string(),
                "write the migration's SQL",
            ),
        );
    }
    let transactional = !file.directives.no_transaction();
    // The BEGIN … COMMIT a file wraps itself in runs as the runner's own.
    let wrapper: Vec<usize> = match transactional {
        true => wrapping_transaction(file.sql).map_or(Vec::new(), |ranges| {
            ranges.iter().map(|range| range.start).collect()
        }),
        false => Vec::new(),
    };
    let rebuilt: Vec<usize> = rebuilds(file).iter().map(|r| r.drop_at).collect();
    let mut created: BTreeSet<String> = BTreeSet::new();
    let mut added: BTreeSet<(String, String)> = BTreeSet::new();
    for statement in &file.statements {
        let t = &statement.tokens;
        let Some(first) = t.first() else { continue };
        let at = first.start;
        let word = first.text.to_ascii_uppercase();
        match word.as_str() {
            "BEGIN" | "COMMIT" | "END" | "ROLLBACK" if transactional && !wrapper.contains(&at) => file.push(
                findings,
                file.finding(
                    Lint::ExplicitTransaction,
                    at,
                    format!(
                        "`{}` in a migration the runner already runs in a transaction: {}",
                        first.text,
                        if word == "BEGIN" {
                            "SQLite refuses a transaction inside a transaction"
                        } else if word == "ROLLBACK" {
                            "it would undo the migration's work and end the runner's transaction"
                        } else {
                            "it would commit part of the migration and leave the rest outside any transaction"
                        }
                    ),
                    "remove it: the whole file is one transaction; for statements that cannot run in one, use `-- migrate: no-transaction`",
                ),
            ),
            "VACUUM" if transactional => file.push(
                findings,
                file.finding(
                    Lint::NeedsNoTransaction,
                    at,
                    "VACUUM cannot run inside a transaction, and the runner runs each migration in one".to_string(),
                    "put `-- migrate: no-transaction` at the top of the file, alone with the VACUUM",
                ),
            ),
            "PRAGMA" => pragma_lints(file, t, transactional, findings),
            "CREATE" => {
                if let Some(name) = created_table(t) {
                    created.insert(name.to_ascii_lowercase());
                }
            }
            "DROP" => {
                if let Some(name) = dropped_table(t) {
                    let lower = name.to_ascii_lowercase();
                    if !created.contains(&lower) && !rebuilt.contains(&at) {
                        file.push(findings, file.finding(
                            Lint::Destructive,
                            at,
                            format!("DROP TABLE `{name}` deletes the table and every row in it, in every database this migration reaches"),
                            "if the table is being rebuilt, copy its rows into a new table and `ALTER TABLE <new> RENAME TO` it in the same file",
                        ));
                    }
                }
            }
            "ALTER" if t.get(1).is_some_and(|t| t.is("TABLE")) => {
                let Some((table, k)) = qualified_name(t, 2) else { continue };
                let lower = table.to_ascii_lowercase();
                if t.get(k).is_some_and(|t| t.is("DROP")) {
                    let c = skip_words(t, k + 1, &["COLUMN"]);
                    let column = t.get(c).and_then(Token::name).unwrap_or_default();
                    if !created.contains(&lower) {
                        file.push(findings, file.finding(
                            Lint::Destructive,
                            at,
                            format!("ALTER TABLE `{table}` DROP COLUMN `{column}` deletes the column's data in every row"),
                            "keep the column until no released version reads it, and drop it in a later migration once its data is no longer needed",
                        ));
                    }
                } else if t.get(k).is_some_and(|t| t.is("ADD")) {
                    let c = skip_words(t, k + 1, &["COLUMN"]);
                    if let Some(column) = t.get(c).and_then(Token::name) {
                        added.insert((lower, column.to_ascii_lowercase()));
                    }
                }
            }
            "DELETE" => {
                let k = skip_words(t, 1, &["FROM"]);
                let Some((table, _)) = qualified_name(t, k) else { continue };
                let lower = table.to_ascii_lowercase();
                if !has_top_level(t, "WHERE") && !created.contains(&lower) {
                    file.push(findings, file.finding(
                        Lint::Destructive,
                        at,
                        format!("DELETE FROM `{table}` without WHERE deletes every row of the table"),
                        "add a WHERE clause that selects the rows to delete",
                    ));
                }
            }
            "UPDATE" => {
                let mut k = 1;
                if t.get(1).is_some_and(|t| t.is("OR")) {
                    k = 3;
                }
                let Some((table, k)) = qualified_name(t, k) else { continue };
                let lower = table.to_ascii_lowercase();
                let targets = set_targets(&t[k..]);
                let backfill = !targets.is_empty()
                    && targets
                        .iter()
                        .all(|c| added.contains(&(lower.clone(), c.to_ascii_lowercase())));
                if !has_top_level(t, "WHERE") && !created.contains(&lower) && !backfill {
                    file.push(findings, file.finding(
                        Lint::Destructive,
                        at,
                        format!("UPDATE `{table}` without WHERE overwrites the column(s) in every row of the table"),
                        "add a WHERE clause that selects the rows to change (filling a column added earlier in the same file is not flagged)",
                    ));
                }
            }
            _ => {}
        }
    }
}

fn pragma_lints(file: &File, t: &[Token], transactional: bool, findings: &mut Vec<Finding>) {
    let Some((name, k)) = qualified_name(t, 1) else {
        return;
    };
    let assigns = t.get(k).is_some_and(|t| t.is_punct("=") || t.is_punct("("));
    if !assigns || !transactional {
        return;
    }
    let at = t[0].start;
    match name.to_ascii_lowercase().as_str() {
        "journal_mode" | "synchronous" => file.push(
            findings,
            file.finding(
                Lint::NeedsNoTransaction,
                at,
                format!("PRAGMA {name} cannot be changed inside a transaction, and the runner runs each migration in one"),
                "put `-- migrate: no-transaction` at the top of the file",
            ),
        ),
        // Turning them off makes the file `foreign-keys-off`
        // (`Directives::parse`); turning them on is what the runner does
        // after it.
        "foreign_keys" if !file.directives.foreign_keys_off() => file.push(
            findings,
            file.finding(
                Lint::PragmaInTransaction,
                at,
                "PRAGMA foreign_keys inside a transaction silently does nothing, and the runner runs each migration in one; foreign keys are on while migrations run".to_string(),
                "remove it; to switch foreign keys off for a table rebuild, write `PRAGMA foreign_keys = OFF` or `-- migrate: foreign-keys-off`",
            ),
        ),
        _ => {}
    }
}

/// The columns an UPDATE assigns, from the tokens after its table name.
fn set_targets(t: &[Token]) -> Vec<String> {
    let Some(set) = t
        .iter()
        .position(|token| token.depth == 0 && token.is("SET"))
    else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    let mut expect_target = true;
    for token in &t[set + 1..] {
        if token.depth == 0 && (token.is("FROM") || token.is("WHERE") || token.is("RETURNING")) {
            break;
        }
        if token.depth == 0 && token.is_punct(",") {
            expect_target = true;
        } else if token.depth == 0 && token.is_punct("=") {
            expect_target = false;
        } else if expect_target {
            if let Some(name) = token.name() {
                targets.push(name);
            }
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_sqlite::lex::code as tokenize;

    #[test]
    fn update_targets() {
        let t = tokenize("SET a = (SELECT b FROM c WHERE d = 1), \"e\" = 2 WHERE f = 3");
        assert_eq!(set_targets(&t), ["a", "e"]);
        let aliased = tokenize("AS u SET x = 1, (y, z) = (2, 3)");
        assert_eq!(set_targets(&aliased), ["x", "y", "z"]);
        let joined = tokenize("SET x = a.v FROM a, b WHERE a.id = b.id");
        assert_eq!(set_targets(&joined), ["x"]);
        let returning = tokenize("SET x = 1 RETURNING y, z");
        assert_eq!(set_targets(&returning), ["x"]);
    }
}
