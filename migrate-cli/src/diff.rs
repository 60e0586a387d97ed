//! `migrate diff`: the next migration, generated from the difference
//! between the schema the folder's migrations leave and the desired schema.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use migrate_build_support::config::{Config, CONFIG_FILE};
use migrate_build_support::desired::{
    dangling, desired_file, read_desired, statement_creating, Desired,
};
use migrate_build_support::generate::{
    ambiguities, generate, read_hints, still_to_make, Ambiguity, GenerateError, Generated, Outcome,
    Renames, Request,
};
use migrate_build_support::scaffold::{self, NewFile};
use migrate_build_support::{Diagnostic, Format, Schema, SchemaObject, Setup};
use migrate_runtime::cli::SchemaFormat;

use crate::{chain, create_all, fail, picture, problems, Folder};

/// What `migrate diff` is told.
pub(crate) struct DiffArgs {
    pub description: String,
    pub renames: Vec<String>,
    pub allow_destructive: bool,
    pub dry_run: bool,
    /// With `dry_run`, the diagram to print instead of the SQL.
    pub format: SchemaFormat,
    pub per_table: bool,
}

pub(crate) fn diff(folder: &Folder, args: &DiffArgs) -> ExitCode {
    let path = folder.root.join(&folder.dir);
    let entries = match crate::entries(&path) {
        Ok(entries) => entries,
        Err(message) => return fail(message),
    };
    let format = match Format::of_folder(&folder.root, &folder.dir) {
        Ok(format) => format,
        Err(error) => return fail(error.to_string()),
    };
    // A folder without migrations yet starts from an empty schema.
    let (from, sources_have_down) = if has_migrations(&entries) {
        match chain(folder) {
            Ok(checked) => {
                let down = checked.sources.iter().any(|s| s.migration.down().is_some());
                (checked.validated.objects, down)
            }
            Err(failed) => return failed,
        }
    } else {
        (Vec::new(), false)
    };
    let config_file = format!("{}/{CONFIG_FILE}", folder.dir);
    let config = match Config::read(&path, &config_file) {
        Ok(config) => config,
        Err(diagnostic) => return problems(folder, &[diagnostic]),
    };
    let setup = Setup::of(&config, &folder.root);
    let file = match desired_file(&folder.dir, &config, format) {
        Ok(file) => file,
        Err(message) => return fail(message),
    };
    let chain_makes = |name: &str| {
        from.iter()
            .any(|o| o.kind == "table" && o.name.eq_ignore_ascii_case(name))
    };
    let desired = match read_desired(&folder.root, &file, &setup, chain_makes) {
        Ok(Some(desired)) => desired,
        Ok(None) => {
            return fail(format!(
            "there is no desired schema: {file} does not exist; write the schema you want there, \
                 or start it from the migrations with `migrate schema {} --write`",
            folder.dir
        ))
        }
        Err(diagnostic) => return problems(folder, &[diagnostic]),
    };
    for (table, keeper) in &desired.left_out {
        eprintln!(
            "note: {file}: table {table} is {keeper}, not the application's schema: left out\n"
        );
    }
    let hints = match read_hints(&file, &desired.text) {
        Ok(hints) => hints,
        Err(diagnostic) => return problems(folder, &[diagnostic]),
    };
    let mut renames = match still_to_make(&hints, &from, &setup) {
        Ok(renames) => renames,
        Err(error) => return fail(error.to_string()),
    };
    for argument in &args.renames {
        if let Err(message) = renames.add_argument(argument) {
            return fail(message);
        }
    }
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let (mut input, mut output) = (std::io::stdin().lock(), std::io::stderr());
        let asked = ask_renames(
            &from,
            &desired.objects,
            &setup,
            &mut renames,
            &mut input,
            &mut output,
        );
        match asked {
            Ok(answered) if !answered.is_empty() => eprintln!(
                "note: the same without asking: `{}`, or a `-- migrate: renamed from <old>` \
                 comment on each in {file}\n",
                answered.join(" ")
            ),
            Ok(_) => {}
            Err(error) => return fail(error.to_string()),
        }
    }
    // drizzle-kit keeps Drizzle's journal: the SQL is printed for it.
    let drizzle = format == Some(Format::Drizzle);
    let down = match scaffold::next_migration(format, &entries, &args.description, 0) {
        Ok(next) => {
            next.layout.has_down_scripts()
                || (next.layout.can_have_down_scripts() && sources_have_down)
        }
        Err(_) if drizzle => false,
        Err(message) => return fail(message),
    };
    if let Err(diagnostics) = refuse_dangling(&from, &desired, &setup) {
        return problems(folder, &diagnostics);
    }
    let request = Request {
        renames,
        allow_destructive: args.allow_destructive,
        per_table: args.per_table,
        down,
    };
    let outcome = match generate(&from, &desired.objects, &setup, &request) {
        Ok(outcome) => outcome,
        Err(error) => return fail(error.to_string()),
    };
    if outcome.migrations.is_empty() {
        println!(
            "the migrations in {} already leave the schema {file} declares: nothing to generate",
            folder.dir
        );
        return ExitCode::SUCCESS;
    }
    if drizzle && !(args.dry_run && args.format != SchemaFormat::Sql) {
        return for_drizzle_kit(&args.description, &outcome);
    }
    let files = match named_files(format, entries, &args.description, &outcome.migrations) {
        Ok(files) => files,
        Err(message) => return fail(message),
    };
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}\n");
    }
    if args.dry_run && args.format != SchemaFormat::Sql {
        let before = match Schema::of_objects(&from) {
            Ok(before) => before,
            Err(error) => return fail(format!("cannot read the schema: {error}")),
        };
        return match picture::draw(args.format, &desired.objects, Some(&before)) {
            Ok(drawn) => {
                print!("{drawn}");
                ExitCode::SUCCESS
            }
            Err(message) => fail(message),
        };
    }
    if args.dry_run {
        for file in &files {
            println!(
                "-- {}\n{}",
                Path::new(&folder.dir).join(&file.path).display(),
                file.text
            );
        }
        println!("-- dry run: nothing written");
        return ExitCode::SUCCESS;
    }
    if let Err(failed) = create_all(folder, &files) {
        return failed;
    }
    let _ = writeln!(
        std::io::stdout(),
        "review it, then build: the build runs it and holds {} to {file}",
        folder.dir
    );
    ExitCode::SUCCESS
}

/// Refuses a desired schema that names what it does not declare (a
/// foreign key's parent, what a view reads) where the chain's schema does
/// not: the migration to it would leave a database so, and fail the build.
fn refuse_dangling(
    from: &[SchemaObject],
    desired: &Desired,
    setup: &Setup,
) -> Result<(), Vec<Diagnostic>> {
    let text = &desired.text;
    let unreadable = |error: migrate_runtime::rusqlite::Error| {
        vec![Diagnostic::file(
            &desired.file,
            format!("cannot read the schema: {error}"),
        )]
    };
    let already = dangling(from, setup).map_err(unreadable)?;
    let found: Vec<Diagnostic> = dangling(&desired.objects, setup)
        .map_err(unreadable)?
        .into_iter()
        .filter(|found| !already.contains(found))
        .map(|(object, what)| {
            let message = format!("{object}: {what}");
            let diagnostic = match statement_creating(text, &object) {
                Some(offset) => Diagnostic::at(&desired.file, text, offset, message),
                None => Diagnostic::file(&desired.file, message),
            };
            diagnostic.help(format!(
                "declare what it names in {}, or leave out what names it too",
                desired.file
            ))
        })
        .collect();
    match found.is_empty() {
        true => Ok(()),
        false => Err(found),
    }
}

/// Prints the generated migrations of a Drizzle folder, with how to enter
/// each in its journal: drizzle-kit writes the journal and the snapshots
/// beside it, so the files are made there.
fn for_drizzle_kit(description: &str, outcome: &Outcome) -> ExitCode {
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}\n");
    }
    let count = outcome.migrations.len();
    for (k, migration) in outcome.migrations.iter().enumerate() {
        let name = match &migration.subject {
            Some(table) => format!("{description} {}", words_of(table)),
            None => description.to_string(),
        };
        let name: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        println!(
            "-- {} of {count}: `drizzle-kit generate --custom --name={name}`, then this in the file it makes\n{}",
            k + 1,
            migration.up
        );
    }
    eprintln!(
        "note: nothing written: Drizzle runs only the files its journal lists, and drizzle-kit \
         writes the journal; make each file with the command above it and put its SQL in"
    );
    ExitCode::SUCCESS
}

/// Whether the folder's entries include a migration, not only `migrate.toml`.
fn has_migrations(entries: &[String]) -> bool {
    entries
        .iter()
        .any(|e| !e.starts_with('.') && e != CONFIG_FILE)
}

/// The files of the generated migrations, named one after the other in the
/// folder's own way: `description`, or `description_<table>` for each file
/// of `--per-table`.
fn named_files(
    format: Option<Format>,
    mut entries: Vec<String>,
    description: &str,
    migrations: &[Generated],
) -> Result<Vec<NewFile>, String> {
    let now = scaffold::utc_timestamp();
    let mut files = Vec::new();
    for migration in migrations {
        let described = match &migration.subject {
            Some(table) => format!("{description} {}", words_of(table)),
            None => description.to_string(),
        };
        let next = scaffold::next_migration(format, &entries, &described, now)?;
        let made = next.files(&migration.up, migration.down.as_deref())?;
        for file in &made {
            let entry = file.path.split('/').next().unwrap_or(&file.path);
            entries.push(entry.to_string());
        }
        files.extend(made);
    }
    Ok(files)
}

/// A table's name as words of a migration's description.
fn words_of(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Asks, at the terminal, whether each new table or column that could be
/// a rename is one, as Prisma and Drizzle ask: the answer is the old name,
/// or nothing for a new one. Returns the renames answered, as `--rename`
/// arguments.
fn ask_renames(
    from: &[SchemaObject],
    to: &[SchemaObject],
    setup: &Setup,
    renames: &mut Renames,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<Vec<String>, GenerateError> {
    let mut answered_new: Vec<Ambiguity> = Vec::new();
    let mut answered = Vec::new();
    loop {
        let open = ambiguities(from, to, setup, renames)?;
        let Some(question) = open.into_iter().find(|a| !answered_new.contains(a)) else {
            return Ok(answered);
        };
        let named = |name: &str| match &question.table {
            Some(table) => format!("`{table}.{name}`"),
            None => format!("`{name}`"),
        };
        let what = if question.table.is_some() {
            "column"
        } else {
            "table"
        };
        let gone: Vec<String> = question.dropped.iter().map(|d| named(d)).collect();
        let added = named(&question.added);
        let _ = match gone.as_slice() {
            [one] => write!(
                output,
                "{added} is a new {what}, and {one} is no longer declared.\n\
                 Is {added} renamed from {one}? Type y if it is, or press Enter for a new {what}: "
            ),
            _ => write!(
                output,
                "{added} is a new {what}, and {} are no longer declared.\n\
                 Is {added} renamed from one of them? Type its old name, or press Enter for a new {what}: ",
                gone.join(", ")
            ),
        };
        let _ = output.flush();
        let mut answer = String::new();
        if input.read_line(&mut answer).unwrap_or(0) == 0 {
            return Ok(answered);
        }
        let answer = answer.trim();
        let yes = ["y", "yes"].iter().any(|y| answer.eq_ignore_ascii_case(y));
        let old = match question.dropped.as_slice() {
            [one] if yes => Some(one),
            dropped => dropped
                .iter()
                .find(|d| !answer.is_empty() && d.eq_ignore_ascii_case(answer)),
        };
        match (old, &question.table) {
            (Some(old), None) => {
                answered.push(format!("--rename {old}={}", question.added));
                renames.tables.push((old.clone(), question.added.clone()));
            }
            (Some(old), Some(table)) => {
                answered.push(format!("--rename {table}.{old}={}", question.added));
                renames
                    .columns
                    .push((table.clone(), old.clone(), question.added.clone()));
            }
            (None, _) if answer.is_empty() => answered_new.push(question),
            (None, _) => {
                let _ = writeln!(output, "`{answer}` is not the old name of one of them");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_build_support::config::Config;
    use migrate_build_support::schema::read_objects;

    fn objects(sql: &str) -> Vec<SchemaObject> {
        let conn = migrate_runtime::rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        read_objects(&conn).unwrap()
    }

    #[test]
    fn the_terminal_is_asked_for_each_possible_rename_tables_first() {
        let from =
            objects("CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT, age INTEGER);");
        let to = objects("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, born TEXT);");
        let setup = Setup::of(&Config::default(), Path::new("."));
        let mut renames = Renames::none();
        let mut input = std::io::Cursor::new("y\nnobody\nfull_name\n\n");
        let mut output = Vec::new();

        let answered =
            ask_renames(&from, &to, &setup, &mut renames, &mut input, &mut output).unwrap();

        assert_eq!(
            answered,
            ["--rename users=people", "--rename people.full_name=name"]
        );

        assert_eq!(
            renames.tables,
            [("users".to_string(), "people".to_string())]
        );
        assert_eq!(
            renames.columns,
            [(
                "people".to_string(),
                "full_name".to_string(),
                "name".to_string()
            )]
        );
        let asked = String::from_utf8(output).unwrap();
        assert_eq!(
            asked,
            "`people` is a new table, and `users` is no longer declared.\n\
             Is `people` renamed from `users`? Type y if it is, or press Enter for a new table: \
             `people.name` is a new column, and `people.full_name`, `people.age` are no longer declared.\n\
             Is `people.name` renamed from one of them? Type its old name, or press Enter for a new column: \
             `nobody` is not the old name of one of them\n\
             `people.name` is a new column, and `people.full_name`, `people.age` are no longer declared.\n\
             Is `people.name` renamed from one of them? Type its old name, or press Enter for a new column: \
             `people.born` is a new column, and `people.age` is no longer declared.\n\
             Is `people.born` renamed from `people.age`? Type y if it is, or press Enter for a new column: "
        );
    }
}
