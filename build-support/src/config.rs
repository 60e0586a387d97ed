//! A folder's configuration: `migrate.toml` beside the migrations, the one
//! place for what the files cannot say themselves: lint levels for the whole
//! folder, the application's functions, and the seal `migrate seal` writes.
//!
//! ```toml
//! [lints]
//! destructive = "warn"          # deny, warn or allow
//!
//! [functions]
//! normalize = 1                 # name = number of arguments (-1: any)
//!
//! [extensions]
//! vec = "vendor/vec0"           # name = library, relative to the crate root
//!
//! [sealed]                      # written by `migrate seal`
//! 1 = "5f1c…"                   # version = checksum of the up script
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use migrate_sqlite::{Checksum, Lint};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{Diagnostic, Location};

/// The configuration file's name, in the migrations folder.
pub const CONFIG_FILE: &str = "migrate.toml";

/// The contents of `migrate.toml`; all of it optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Lint levels for the whole folder, over the defaults.
    pub levels: BTreeMap<Lint, Level>,
    /// Functions the application registers on its connection, with their
    /// number of arguments (-1 for any): the check registers stand-ins.
    pub functions: BTreeMap<String, i32>,
    /// SQLite extensions the migrations need: name → the library's path,
    /// relative to the crate root. The check loads them.
    pub extensions: BTreeMap<String, String>,
    /// The migrations sealed as shipped: version → checksum.
    pub sealed: BTreeMap<u64, Checksum>,
    /// The desired-schema file, relative to the crate root, when
    /// `[schema] file` names one other than the default.
    pub schema_file: Option<String>,
    /// Whether the file exists.
    pub present: bool,
}

/// A lint's level for a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// An error: the build fails.
    Deny,
    /// A warning: the build goes on.
    Warn,
    /// Not reported.
    Allow,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    lints: BTreeMap<Spanned<String>, Level>,
    #[serde(default)]
    functions: BTreeMap<Spanned<String>, i32>,
    #[serde(default)]
    extensions: BTreeMap<String, String>,
    #[serde(default)]
    sealed: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    schema: RawSchema,
}

/// The `[schema]` table as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    file: Option<String>,
}

impl Config {
    /// Where the file of the folder `folder` is.
    pub fn path(folder: &Path) -> PathBuf {
        folder.join(CONFIG_FILE)
    }

    /// Reads `migrate.toml` in `folder`, shown as `display`; the default
    /// configuration when there is none.
    pub fn read(folder: &Path, display: &str) -> Result<Config, Diagnostic> {
        let path = Self::path(folder);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(error) => {
                return Err(Diagnostic::file(
                    display,
                    format!("cannot read the file: {error}"),
                ))
            }
        };
        Self::parse(&text, display)
    }

    /// Reads the text of a `migrate.toml` shown as `display`.
    pub fn parse(text: &str, display: &str) -> Result<Config, Diagnostic> {
        let raw: Raw = toml::from_str(text).map_err(|error| {
            let diagnostic = Diagnostic::file(display, error.message().to_string());
            match error.span() {
                Some(span) => Diagnostic {
                    location: Some(Location::at(text, span.start)),
                    ..diagnostic
                },
                None => diagnostic,
            }
        })?;
        // Where a key or a value is written, from the span toml read it at.
        let at_key = |key: &Spanned<String>, message: String| {
            Diagnostic::at(display, text, key.span().start, message)
        };
        let mut levels = BTreeMap::new();
        for (key, level) in raw.lints {
            let name = key.get_ref();
            let lint = Lint::from_name(name).ok_or_else(|| {
                let names: Vec<_> = Lint::ALL.iter().map(|lint| lint.name()).collect();
                at_key(
                    &key,
                    format!("unknown lint `{name}`; the lints are: {}", names.join(", ")),
                )
            })?;
            levels.insert(lint, level);
        }
        for (key, arguments) in &raw.functions {
            let name = key.get_ref();
            if !(-1..=127).contains(arguments) {
                return Err(at_key(
                    key,
                    format!(
                        "`{name}` takes {arguments} arguments: a function takes 0 to 127, or -1 for any number"
                    ),
                ));
            }
        }
        let mut sealed = BTreeMap::new();
        for (key, value) in raw.sealed {
            let (version, checksum) = (key.get_ref(), value.get_ref());
            let parsed_version = version
                .parse::<u64>()
                .map_err(|_| at_key(&key, format!("`{version}` is not a migration version")))?;
            let parsed_checksum = Checksum::from_hex(checksum).ok_or_else(|| {
                at_key(
                    &value,
                    format!("the checksum of {version} is not 64 hexadecimal digits: run `migrate seal` again"),
                )
            })?;
            sealed.insert(parsed_version, parsed_checksum);
        }
        Ok(Config {
            levels,
            functions: raw
                .functions
                .into_iter()
                .map(|(key, arguments)| (key.into_inner(), arguments))
                .collect(),
            extensions: raw.extensions,
            sealed,
            schema_file: raw.schema.file,
            present: true,
        })
    }
}
