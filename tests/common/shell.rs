//! Shell scripts in CI files, installers and docs: find every `intune-audit …` invocation and
//! check it against the real CLI definition (subcommand, flags, values).

use clap::{CommandFactory, Parser};
use intune_audit::cli::Cli;
use serde_yaml::Value;

/// Every shell script in the document: the values of `run:` (GitHub), `script:`, `bash:`,
/// `pwsh:`, `powershell:` and `inlineScript:` (Azure Pipelines).
pub fn scripts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    (
                        Some("run" | "script" | "inlineScript" | "bash" | "pwsh" | "powershell"),
                        Value::String(s),
                    ) => out.push(s.clone()),
                    _ => scripts(v, out),
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| scripts(v, out)),
        _ => {}
    }
}

/// Shell words of a script, quote-aware, with `;`, `|`, `&`, `<`, `>` outside quotes ending a
/// command (returned as `None`). Line continuations are joined; comments dropped.
pub fn words(script: &str) -> Vec<Option<String>> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let mut word = String::new();
        let mut in_word = false;
        let mut quote: Option<char> = None;
        // The word after `<` or `>` is a file name, not a command.
        let mut redirect = false;
        let end_word = |word: &mut String, redirect: &mut bool, out: &mut Vec<Option<String>>| {
            let w = std::mem::take(word);
            if std::mem::take(redirect) {
                return;
            }
            out.push(Some(w));
        };
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    in_word = true;
                }
                (None, '#') if !in_word => break,
                (None, c) if c.is_whitespace() => {
                    if in_word {
                        end_word(&mut word, &mut redirect, &mut out);
                        in_word = false;
                    }
                }
                (None, ';' | '|' | '&' | '<' | '>') => {
                    if in_word {
                        end_word(&mut word, &mut redirect, &mut out);
                        in_word = false;
                    }
                    redirect = matches!(c, '<' | '>');
                    out.push(None);
                }
                (None, c) => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            end_word(&mut word, &mut redirect, &mut out);
        }
        out.push(None);
    }
    out
}

/// `intune-audit`, also as a path (`"$dir/intune-audit"`, `$InstallDir\intune-audit.exe`,
/// `target/x/release/intune-audit`).
pub fn is_program(word: &str) -> bool {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base == "intune-audit" || base == "intune-audit.exe"
}

/// The argument lists of every `intune-audit …` command in a script (without the program).
pub fn invocations(script: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut command: Vec<String> = Vec::new();
    for w in words(script).into_iter().chain([None]) {
        match w {
            Some(w) => command.push(w),
            None => {
                // Skip leading `VAR=value` assignments and shell keywords.
                let start = command
                    .iter()
                    .position(|w| !w.contains('=') && !matches!(w.as_str(), "then" | "else" | "do"))
                    .unwrap_or(command.len());
                if command.get(start).is_some_and(|p| is_program(p)) {
                    found.push(command[start + 1..].to_vec());
                }
                command.clear();
            }
        }
    }
    found
}

/// Checks one invocation against the CLI definition: the subcommand and every flag exist,
/// and clap accepts the whole line. Returns the subcommand.
pub fn check(args: &[String]) -> Result<String, String> {
    let cli = Cli::command();
    if matches!(
        args.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["--version"] | ["-V"] | ["--help"] | ["-h"]
    ) {
        return Ok(args[0].clone());
    }
    let sub_name = args.first().ok_or("intune-audit without a subcommand")?;
    let sub = cli
        .find_subcommand(sub_name)
        .ok_or_else(|| format!("no subcommand '{sub_name}'"))?;
    for a in &args[1..] {
        if let Some(long) = a.strip_prefix("--") {
            let long = long.split('=').next().unwrap_or(long);
            let known = sub.get_arguments().chain(cli.get_arguments()).any(|arg| {
                arg.get_long() == Some(long)
                    || arg.get_all_aliases().is_some_and(|a| a.contains(&long))
            }) || long == "help";
            if !known {
                return Err(format!("'intune-audit {sub_name}' has no flag --{long}"));
            }
        } else if let Some(short) = a.strip_prefix('-').filter(|s| s.len() == 1) {
            let c = short.chars().next().unwrap_or('-');
            if !sub
                .get_arguments()
                .chain(cli.get_arguments())
                .any(|arg| arg.get_short() == Some(c))
            {
                return Err(format!("'intune-audit {sub_name}' has no flag -{c}"));
            }
        }
    }
    Cli::try_parse_from(std::iter::once("intune-audit".to_string()).chain(args.iter().cloned()))
        .map_err(|e| format!("intune-audit {}: {}", args.join(" "), e.render()))?;
    Ok(sub_name.clone())
}

/// The fenced blocks of one language in Markdown text.
pub fn fenced<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let open = format!("```{lang}\n");
    text.match_indices(&open)
        .filter_map(|(i, _)| {
            let body = &text[i + open.len()..];
            body.find("```").map(|end| &body[..end])
        })
        .collect()
}

/// The `intune-audit` invocations in the Markdown's `sh` or `powershell` blocks (PowerShell's
/// backtick line continuations read as the shell's).
pub fn markdown_invocations(text: &str, lang: &str) -> Vec<Vec<String>> {
    fenced(text, lang)
        .into_iter()
        .flat_map(|block| invocations(&block.replace(" `\n", " \\\n")))
        .collect()
}
