//! `notes`: a small notes and todo list kept in a SQLite database.
//!
//! The schema lives in `migrations/`. It is checked while this crate compiles
//! (`embed_migrations!` runs every migration on an in-memory SQLite) and the
//! database is brought up to date each time the program starts: the first
//! start logs every migration it applies, later starts that there was nothing
//! to do. The logs go to stderr at `info` level; `RUST_LOG` changes that.
//!
//! ```text
//! notes add buy milk --tag home
//! notes list --tag home
//! notes done 1
//! ```
//!
//! `notes migrate <command>` is the operator CLI of `migrate-runtime` (its
//! `cli` feature), mounted in one line: `notes migrate status`, `up`,
//! `down --to 3`, `verify`, `backup`, `restore`, `doctor`, …

use std::error::Error;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_runtime::rusqlite::{params, Connection, OptionalExtension};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

migrate_runtime::embed_migrations!("migrations");

use migrations::schema::{self, notes};

/// What the commands return; an error is shown to the user as one sentence.
type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

/// The database used when neither `--db` nor `NOTES_DB` names one.
const DEFAULT_DB: &str = "notes.db";

/// Keeps notes and todo items in a SQLite database.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The database file, created and migrated when needed
    /// [default: $NOTES_DB, else notes.db]
    #[arg(long, value_name = "PATH", global = true)]
    db: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

/// The things `notes` can do.
#[derive(Debug, Subcommand)]
enum Command {
    /// Add a note
    Add {
        /// The note's text; several words are joined with spaces
        #[arg(required = true)]
        text: Vec<String>,
        /// Tag the note; repeat for several tags
        #[arg(long = "tag", short, value_name = "TAG")]
        tags: Vec<String>,
    },
    /// List the open notes, oldest first
    List {
        /// Only the notes with this tag
        #[arg(long, short)]
        tag: Option<String>,
        /// Include the notes already done
        #[arg(long, short)]
        all: bool,
    },
    /// Mark a note as done
    Done {
        /// The note's number, as `list` shows it
        id: i64,
    },
    /// Add a tag to a note
    Tag {
        /// The note's number, as `list` shows it
        id: i64,
        /// The tag
        tag: String,
    },
    /// Delete a note
    Remove {
        /// The note's number, as `list` shows it
        id: i64,
    },
    /// Count the notes, in all and per tag
    Stats,
    /// Inspect and operate the database's migrations: status, up, down,
    /// verify, repair, backup, backups, restore, doctor
    Migrate(migrate_runtime::cli::MigrateArgs),
}

/// One note as `list` shows it.
struct Note {
    id: i64,
    title: String,
    done: bool,
    tags: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let path = database_path(cli.db);
    if let Command::Migrate(args) = cli.command {
        // The operator commands print their own progress: warnings only.
        init_logging(LevelFilter::WARN);
        // Before any `open`, which would apply the pending migrations.
        return migrate_runtime::cli::run(&migrations::MIGRATOR, &path, args);
    }
    init_logging(LevelFilter::INFO);
    match run(&path, cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `--db`, else `NOTES_DB`, else `notes.db`.
fn database_path(db: Option<PathBuf>) -> PathBuf {
    db.or_else(|| std::env::var_os("NOTES_DB").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DB))
}

/// Sends the logs, the migration runtime's included, to stderr: `level`
/// and above unless `RUST_LOG` says otherwise.
fn init_logging(level: LevelFilter) {
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Opens (and migrates) the database, then runs the command.
fn run(path: &Path, command: Command) -> Result<()> {
    let mut conn = migrations::MIGRATOR.open(path)?;
    match command {
        Command::Add { text, tags } => add(&mut conn, &text.join(" "), &tags),
        Command::List { tag, all } => list(&conn, tag.as_deref(), all),
        Command::Done { id } => done(&conn, id),
        Command::Tag { id, tag } => tag_note(&conn, id, &tag),
        Command::Remove { id } => remove(&conn, id),
        Command::Stats => stats(&conn),
        Command::Migrate(_) => unreachable!("dispatched in main"),
    }
}

/// Adds a note and its tags, together or not at all.
fn add(conn: &mut Connection, text: &str, tags: &[String]) -> Result<()> {
    let title = text.trim();
    if title.is_empty() {
        return Err("a note needs some text".into());
    }
    let tags = tags
        .iter()
        .map(|tag| tag_name(tag))
        .collect::<Result<Vec<_>>>()?;
    let tx = conn.transaction()?;
    // Named through the typed schema: a migration renaming `title` would
    // make this stop compiling instead of failing at run time.
    let insert = format!(
        "INSERT INTO {} ({}) VALUES (?1) RETURNING {}",
        schema::NOTES,
        notes::TITLE,
        notes::ID
    );
    let id: i64 = tx.query_row(&insert, [title], |row| row.get(0))?;
    for tag in &tags {
        link_tag(&tx, id, tag)?;
    }
    tx.commit()?;
    println!("added note {id}: {title}{}", hashtags(&tags.join(",")));
    Ok(())
}

/// Prints the notes, open ones first, each with its tags.
fn list(conn: &Connection, tag: Option<&str>, all: bool) -> Result<()> {
    let tag = tag.map(tag_name).transpose()?;
    let mut statement = conn.prepare(
        "SELECT id, title, done, coalesce(tags, '') FROM note_overview
         WHERE (?1 OR done = 0)
           AND (?2 IS NULL OR id IN (SELECT note_id FROM note_tags
                                     JOIN tags ON tags.id = note_tags.tag_id
                                     WHERE tags.name = ?2))
         ORDER BY done, created_at, id",
    )?;
    let notes = statement
        .query_map(params![all, tag], |row| {
            Ok(Note {
                id: row.get(0)?,
                title: row.get(1)?,
                done: row.get(2)?,
                tags: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if notes.is_empty() {
        println!("no notes");
    }
    for note in notes {
        let mark = if note.done { "x" } else { " " };
        println!(
            "{:>4} [{mark}] {}{}",
            note.id,
            note.title,
            hashtags(&note.tags)
        );
    }
    Ok(())
}

/// Marks a note as done, remembering when.
fn done(conn: &Connection, id: i64) -> Result<()> {
    let title = note_title(conn, id)?;
    let changed = conn.execute(
        "UPDATE notes SET done = 1, done_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
         WHERE id = ?1 AND done = 0",
        [id],
    )?;
    if changed == 0 {
        println!("note {id} was already done: {title}");
    } else {
        println!("done: note {id}: {title}");
    }
    Ok(())
}

/// Adds one tag to an existing note.
fn tag_note(conn: &Connection, id: i64, tag: &str) -> Result<()> {
    let title = note_title(conn, id)?;
    let tag = tag_name(tag)?;
    link_tag(conn, id, &tag)?;
    println!("tagged note {id} #{tag}: {title}");
    Ok(())
}

/// Deletes a note; its tag links go with it (`ON DELETE CASCADE`).
fn remove(conn: &Connection, id: i64) -> Result<()> {
    let title = note_title(conn, id)?;
    conn.execute("DELETE FROM notes WHERE id = ?1", [id])?;
    println!("removed note {id}: {title}");
    Ok(())
}

/// Prints how many notes there are, open and done, in all and per tag.
fn stats(conn: &Connection) -> Result<()> {
    let (total, finished): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(sum(done), 0) FROM notes",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    println!(
        "notes: {total} in all, {} open, {finished} done",
        total - finished
    );
    let mut statement = conn.prepare(
        "SELECT tags.name, count(notes.id), coalesce(sum(notes.done = 0), 0)
         FROM tags
         LEFT JOIN note_tags ON note_tags.tag_id = tags.id
         LEFT JOIN notes ON notes.id = note_tags.note_id
         GROUP BY tags.id
         ORDER BY count(notes.id) DESC, tags.name",
    )?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let (name, count, open): (String, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
        println!("  #{name}: {count} in all, {open} open");
    }
    if let Some(latest) = migrations::MIGRATIONS.last() {
        println!("schema: migration {latest}");
    }
    Ok(())
}

/// The title of note `id`, or an error saying that there is no such note.
fn note_title(conn: &Connection, id: i64) -> Result<String> {
    let select = format!(
        "SELECT {} FROM {} WHERE {} = ?1",
        notes::TITLE,
        schema::NOTES,
        notes::ID
    );
    conn.query_row(&select, [id], |row| row.get(0))
        .optional()?
        .ok_or_else(|| format!("there is no note {id}; `notes list --all` shows them all").into())
}

/// Gives note `id` the tag `name`, creating the tag when it is new.
fn link_tag(conn: &Connection, id: i64, name: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO tags (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
        [name],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO note_tags (note_id, tag_id)
         SELECT ?1, id FROM tags WHERE name = ?2",
        params![id, name],
    )?;
    Ok(())
}

/// A tag as stored: trimmed, without a leading `#`, lower case, one word.
fn tag_name(raw: &str) -> Result<String> {
    let name = raw.trim().trim_start_matches('#').to_lowercase();
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ',') {
        return Err(format!("`{raw}` is not a tag: a tag is one word, without commas").into());
    }
    Ok(name)
}

/// ` #a #b` for the comma-separated tags `a,b`; nothing when there are none.
fn hashtags(tags: &str) -> String {
    tags.split(',')
        .filter(|tag| !tag.is_empty())
        .map(|tag| format!(" #{tag}"))
        .collect()
}
