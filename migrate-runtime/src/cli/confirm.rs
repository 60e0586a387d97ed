//! Confirmation of the commands that change or discard state: asked on a
//! terminal, `--yes` otherwise.

use std::io::{self, BufRead, IsTerminal, Write};

/// Asks `question` on stderr and reads the answer from stdin when stdin is a
/// terminal; otherwise passes only with `yes`. The error says why nothing
/// was done.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<(), String> {
    let interactive = io::stdin().is_terminal();
    decide(question, yes, interactive, || {
        eprint!("{question} [y/N] ");
        io::stderr().flush()?;
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer)?;
        Ok(answer)
    })
}

/// The decision, given whether the user can be asked and how to ask.
pub(crate) fn decide(
    question: &str,
    yes: bool,
    interactive: bool,
    ask: impl FnOnce() -> io::Result<String>,
) -> Result<(), String> {
    if yes {
        return Ok(());
    }
    if !interactive {
        return Err(format!(
            "refused without confirmation: {}; standard input is not a terminal, so pass --yes \
             to confirm. Nothing was changed",
            lowercase_first(question.trim_end_matches('?'))
        ));
    }
    let answer = ask().map_err(|error| format!("cannot read the answer: {error}"))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err("cancelled; nothing was changed".into()),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> io::Result<String> {
        panic!("must not ask")
    }

    #[test]
    fn yes_passes_without_asking() {
        assert_eq!(decide("Revert?", true, false, never), Ok(()));
        assert_eq!(decide("Revert?", true, true, never), Ok(()));
    }

    #[test]
    fn without_a_terminal_it_is_refused_naming_what() {
        let error = decide("Revert migration 4 (x) of a.db?", false, false, never).unwrap_err();
        assert_eq!(
            error,
            "refused without confirmation: revert migration 4 (x) of a.db; standard input is \
             not a terminal, so pass --yes to confirm. Nothing was changed"
        );
    }

    #[test]
    fn on_a_terminal_only_yes_confirms() {
        for answer in ["y\n", "YES\n", " yes "] {
            assert_eq!(decide("Go?", false, true, || Ok(answer.into())), Ok(()));
        }
        for answer in ["\n", "n\n", "maybe\n", ""] {
            assert_eq!(
                decide("Go?", false, true, || Ok(answer.into())),
                Err("cancelled; nothing was changed".into())
            );
        }
    }
}
