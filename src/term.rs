//! The terminal edges: colour choice, terminal width, the closing verdict line on stderr, a
//! small stderr logger behind `-v`/`-vv`, and Markdown (check docs) as terminal text.

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether to colour stderr and stdout, decided once per run.
#[derive(Debug, Clone, Copy)]
struct Colors {
    stdout: bool,
    stderr: bool,
}

static COLORS: OnceLock<Colors> = OnceLock::new();

/// `NO_COLOR` set to anything non-empty turns colour off in `auto` (<https://no-color.org>).
pub fn no_color_env(get: impl Fn(&str) -> Option<String>) -> bool {
    get("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Decides colour for this run (first call wins).
pub fn init_color(when: ColorWhen) {
    let no_color = no_color_env(|k| std::env::var(k).ok());
    let decide = |tty: bool| match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => tty && !no_color,
    };
    let _ = COLORS.set(Colors {
        stdout: decide(std::io::stdout().is_terminal()),
        stderr: decide(std::io::stderr().is_terminal()),
    });
}

fn colors() -> Colors {
    *COLORS.get_or_init(|| Colors {
        stdout: false,
        stderr: false,
    })
}

/// The clap colour setting for `--color` (clap itself honours `NO_COLOR` in auto).
pub fn clap_color(when: ColorWhen) -> clap::ColorChoice {
    match when {
        ColorWhen::Auto => clap::ColorChoice::Auto,
        ColorWhen::Always => clap::ColorChoice::Always,
        ColorWhen::Never => clap::ColorChoice::Never,
    }
}

/// `--color` read from raw arguments before clap parses them (clap's own help and errors
/// need the choice up front). An unknown value is left for clap to reject.
pub fn color_from_args(args: &[std::ffi::OsString]) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut iter = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = iter.next() {
        if a == "--" {
            break;
        }
        let value = if a == "--color" {
            iter.next().map(|v| v.into_owned())
        } else {
            a.strip_prefix("--color=").map(str::to_string)
        };
        match value.as_deref() {
            Some("always") => when = ColorWhen::Always,
            Some("never") => when = ColorWhen::Never,
            Some("auto") => when = ColorWhen::Auto,
            _ => {}
        }
    }
    when
}

/// ANSI styles used on the few places that colour.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    Bold,
    Red,
    Yellow,
    Green,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Red => "1;31",
            Style::Yellow => "1;33",
            Style::Green => "1;32",
        }
    }
}

fn paint(on: bool, style: Style, text: &str) -> String {
    if on {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}

/// Bold markers for stdout text that still goes through [`crate::render::safe::visible`]
/// (which escapes ANSI codes): private-use characters, turned into ANSI or removed by
/// [`apply_styles`] after the text is made safe.
const BOLD_ON: char = '\u{F8F0}';
const BOLD_OFF: char = '\u{F8F1}';

/// `text` marked bold for stdout; [`apply_styles`] renders the mark.
pub fn bold_mark(text: &str) -> String {
    format!("{BOLD_ON}{text}{BOLD_OFF}")
}

/// Bold marks as ANSI when stdout is coloured, else removed.
pub fn apply_styles(text: &str) -> String {
    apply_styles_with(text, colors().stdout)
}

fn apply_styles_with(text: &str, color: bool) -> String {
    let (on, off) = if color {
        (
            format!("\x1b[{}m", Style::Bold.code()),
            "\x1b[0m".to_string(),
        )
    } else {
        (String::new(), String::new())
    };
    text.replace(BOLD_ON, &on).replace(BOLD_OFF, &off)
}

/// `text` styled for stderr when colour is on.
pub fn paint_stderr(style: Style, text: &str) -> String {
    paint(colors().stderr, style, text)
}

/// Columns to lay text out in: the terminal's (stdout, else stderr), else `COLUMNS`, else 100.
pub fn width() -> usize {
    let tty = terminal_size::terminal_size_of(std::io::stdout())
        .or_else(|| terminal_size::terminal_size_of(std::io::stderr()))
        .map(|(w, _)| usize::from(w.0));
    width_from(tty, std::env::var("COLUMNS").ok().as_deref())
}

/// Columns for tables: the terminal's when stdout is one, else `COLUMNS`, else 160 (files and
/// pipes keep the wide layout).
pub fn table_width() -> u16 {
    let width = if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        width()
    } else {
        width_from(
            None,
            Some(std::env::var("COLUMNS").as_deref().unwrap_or("160")),
        )
    };
    u16::try_from(width).unwrap_or(u16::MAX)
}

/// [`width`] from its inputs (tested without a terminal). Widths under 20 are ignored.
pub fn width_from(tty: Option<usize>, columns: Option<&str>) -> usize {
    tty.filter(|w| *w >= 20)
        .or_else(|| {
            columns
                .and_then(|c| c.trim().parse::<usize>().ok())
                .filter(|w| *w >= 20)
        })
        .unwrap_or(100)
}

/// What a run ended with, for the closing line.
#[derive(Debug, Default)]
pub struct Verdict {
    /// e.g. `20 fail, 7 warn, 0 not evaluated, 0 pass`.
    pub counts: String,
    pub exit: i32,
    /// Why that exit code, briefly (e.g. `findings at or above high`).
    pub why: String,
    /// Files written (not stdout).
    pub wrote: Vec<std::path::PathBuf>,
}

impl Verdict {
    /// The closing line, without colour: `intune-audit: 20 fail, 7 warn (exit 1: …); wrote a, b`.
    pub fn line(&self) -> String {
        let mut s = format!("intune-audit: {} (exit {}", self.counts, self.exit);
        if !self.why.is_empty() {
            s.push_str(": ");
            s.push_str(&self.why);
        }
        s.push(')');
        if !self.wrote.is_empty() {
            let names: Vec<String> = self.wrote.iter().map(|p| p.display().to_string()).collect();
            s.push_str("; wrote ");
            s.push_str(&names.join(", "));
        }
        crate::render::safe::visible_line(&s)
    }

    /// Prints the closing line on stderr (the exit code coloured when colour is on).
    pub fn print(&self) {
        let line = self.line();
        let style = match self.exit {
            0 => Style::Green,
            1 => Style::Red,
            _ => Style::Yellow,
        };
        let marker = format!("(exit {}", self.exit);
        let line = match line.split_once(&marker) {
            Some((head, tail)) if colors().stderr => {
                format!("{head}{}{tail}", paint_stderr(style, &marker))
            }
            _ => line,
        };
        eprintln!("{line}");
    }
}

/// Logs to stderr, only this crate's own records (never a dependency's, whose debug output
/// could carry headers), at the level `-v` (info: each Graph request), `-vv` (debug: the plan),
/// `-vvv` (trace) or `RUST_LOG` (`info`, `debug`, `trace`, or `intune_audit=debug`) asks for.
struct StderrLogger {
    level: log::LevelFilter,
}

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.level && metadata.target().starts_with("intune_audit")
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_ascii_lowercase();
            let text = crate::render::safe::visible_line(&record.args().to_string());
            eprintln!(
                "intune-audit: {}: {text}",
                paint_stderr(Style::Bold, &level)
            );
        }
    }
    fn flush(&self) {}
}

/// The level for `-v` count and `RUST_LOG`: the larger of the two wins.
pub fn log_level(verbose: u8, rust_log: Option<&str>) -> log::LevelFilter {
    let from_flags = match verbose {
        0 => log::LevelFilter::Off,
        1 => log::LevelFilter::Info,
        2 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let from_env = rust_log
        .into_iter()
        .flat_map(|s| s.split(','))
        .filter_map(|d| {
            let (target, level) = d.rsplit_once('=').unwrap_or(("", d));
            let ours = target.is_empty() || target.starts_with("intune_audit");
            ours.then(|| level.trim().parse::<log::LevelFilter>().ok())
                .flatten()
        })
        .max()
        .unwrap_or(log::LevelFilter::Off);
    from_flags.max(from_env)
}

/// Installs the logger (once per process).
pub fn init_logging(verbose: u8) {
    let level = log_level(verbose, std::env::var("RUST_LOG").ok().as_deref());
    if level == log::LevelFilter::Off {
        return;
    }
    if log::set_boxed_logger(Box::new(StderrLogger { level })).is_ok() {
        log::set_max_level(level);
    }
}

/// Markdown as terminal text: headings become bold lines (no `#`), list items are wrapped
/// with a hanging indent, paragraphs are joined and wrapped at `width`, code spans lose their
/// backticks, emphasis markers go.
pub fn markdown_to_text(md: &str, width: usize) -> String {
    let width = width.max(40);
    let mut out = String::new();
    let mut para: Vec<String> = Vec::new();
    // (marker, indent, text) of the list item being gathered.
    let mut item: Option<(String, usize, Vec<String>)> = None;
    let flush = |out: &mut String,
                 para: &mut Vec<String>,
                 item: &mut Option<(String, usize, Vec<String>)>| {
        if !para.is_empty() {
            let text = inline(&para.join(" "));
            out.push_str(&wrap(&text, width, "", ""));
            out.push('\n');
            para.clear();
        }
        if let Some((marker, indent, words)) = item.take() {
            let lead = format!("{}{marker} ", " ".repeat(indent));
            let hang = " ".repeat(lead.chars().count());
            out.push_str(&wrap(&inline(&words.join(" ")), width, &lead, &hang));
        }
    };
    for line in md.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            flush(&mut out, &mut para, &mut item);
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        if let Some(heading) = heading_text(trimmed) {
            flush(&mut out, &mut para, &mut item);
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&bold_mark(&inline(heading)));
            out.push('\n');
            continue;
        }
        if let Some((marker, rest)) = list_item(trimmed) {
            flush(&mut out, &mut para, &mut item);
            item = Some((marker, indent.min(8), vec![rest.to_string()]));
            continue;
        }
        match &mut item {
            // A continuation line of the current list item.
            Some((_, _, words)) if indent > 0 => words.push(trimmed.to_string()),
            _ => {
                if item.is_some() {
                    flush(&mut out, &mut para, &mut item);
                }
                para.push(trimmed.to_string());
            }
        }
    }
    flush(&mut out, &mut para, &mut item);
    let trimmed = out.trim_end();
    format!("{trimmed}\n")
}

fn heading_text(line: &str) -> Option<&str> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    (1..=6)
        .contains(&hashes)
        .then(|| line[hashes..].strip_prefix(' '))
        .flatten()
        .map(str::trim)
}

/// `- x`, `* x`, `1. x` → (marker as printed, rest).
fn list_item(line: &str) -> Option<(String, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some(("•".to_string(), rest));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some((line[..digits + 1].to_string(), rest));
        }
    }
    None
}

/// Inline Markdown: `code` → code, **bold**/*em* → plain, [text](url) → text (url).
fn inline(s: &str) -> String {
    let mut out = s.replace("**", "").replace('`', "");
    // Links: [text](url) → text (url).
    while let Some(open) = out.find('[') {
        let Some(mid) = out[open..].find("](").map(|i| open + i) else {
            break;
        };
        let Some(close) = out[mid..].find(')').map(|i| mid + i) else {
            break;
        };
        let text = out[open + 1..mid].to_string();
        let url = out[mid + 2..close].to_string();
        out.replace_range(open..=close, &format!("{text} ({url})"));
    }
    // Single-asterisk emphasis around a word.
    let words: Vec<String> = out
        .split(' ')
        .map(|w| {
            if w.len() > 2 && w.starts_with('*') {
                w.trim_start_matches('*').to_string()
            } else {
                w.to_string()
            }
        })
        .map(|w| {
            let trimmed = w.trim_end_matches(['.', ',', ';', ':', ')']);
            if trimmed.len() > 1 && trimmed.ends_with('*') {
                w.replacen(trimmed, trimmed.trim_end_matches('*'), 1)
            } else {
                w
            }
        })
        .collect();
    words.join(" ")
}

/// Greedy word wrap; `first` prefixes the first line, `rest` the others. A word longer than
/// the line stays whole on its own line.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut line_len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !empty && line_len + 1 + len > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            line_len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += len;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_prefers_the_terminal_then_columns_then_100() {
        assert_eq!(width_from(Some(132), Some("80")), 132);
        assert_eq!(width_from(None, Some("80")), 80);
        assert_eq!(width_from(None, Some("wide")), 100);
        assert_eq!(width_from(None, None), 100);
        assert_eq!(width_from(Some(5), None), 100);
    }

    #[test]
    fn log_level_from_flags_and_rust_log() {
        use log::LevelFilter as L;
        assert_eq!(log_level(0, None), L::Off);
        assert_eq!(log_level(1, None), L::Info);
        assert_eq!(log_level(2, None), L::Debug);
        assert_eq!(log_level(0, Some("debug")), L::Debug);
        assert_eq!(
            log_level(0, Some("intune_audit=trace,hyper=debug")),
            L::Trace
        );
        assert_eq!(log_level(0, Some("reqwest=debug")), L::Off);
        assert_eq!(log_level(2, Some("info")), L::Debug);
    }

    #[test]
    fn color_is_read_before_parsing() {
        let a = |v: &[&str]| {
            let v: Vec<std::ffi::OsString> = v.iter().map(Into::into).collect();
            color_from_args(&v)
        };
        assert_eq!(a(&["x", "--color", "never", "checks"]), ColorWhen::Never);
        assert_eq!(a(&["x", "checks", "--color=always"]), ColorWhen::Always);
        assert_eq!(a(&["x", "checks"]), ColorWhen::Auto);
        assert_eq!(a(&["x", "--", "--color=always"]), ColorWhen::Auto);
    }

    #[test]
    fn no_color_needs_a_value() {
        assert!(no_color_env(|_| Some("1".into())));
        assert!(!no_color_env(|_| Some(String::new())));
        assert!(!no_color_env(|_| None));
    }

    #[test]
    fn verdict_line_names_counts_exit_and_files() {
        let v = Verdict {
            counts: "20 fail, 7 warn".into(),
            exit: 1,
            why: String::new(),
            wrote: vec!["report.html".into(), "report.sarif".into()],
        };
        assert_eq!(
            v.line(),
            "intune-audit: 20 fail, 7 warn (exit 1); wrote report.html, report.sarif"
        );
    }

    #[test]
    fn markdown_becomes_terminal_text() {
        let md = "## What it checks\nThe **MDM** user scope of `Microsoft Intune`.\nSecond line.\n\n## Remediation\n1. Open the [admin center](https://intune.microsoft.com) and go somewhere rather far away from here.\n2. Save.\n- a bullet\n  continued";
        let t = apply_styles_with(&markdown_to_text(md, 40), false);
        assert!(apply_styles_with(&markdown_to_text(md, 40), true)
            .starts_with("\x1b[1mWhat it checks\x1b[0m\n"));
        assert!(!t.contains('#'), "{t}");
        assert!(!t.contains('`') && !t.contains("**"), "{t}");
        assert!(
            t.starts_with("What it checks\nThe MDM user scope of Microsoft Intune.\nSecond line.\n\nRemediation\n"),
            "{t}"
        );
        assert!(
            t.contains("\n1. Open the admin center\n   (https://intune.microsoft.com) and go\n"),
            "{t}"
        );
        assert!(t.contains("\n2. Save.\n• a bullet continued\n"), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 40), "{t}");
    }
}
