//! `silent-login explain 40078`: the catalog on the command line, like `rustc --explain`.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use silent_login_catalog::{canonical_provider, codes_of, find, KnownCode, Lang};

/// Explains DingTalk and Feishu/Lark silent-login error codes.
#[derive(Debug, Parser)]
#[command(name = "silent-login", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the full explanation of an error code: message, every cause, the fix.
    Explain {
        /// The numeric code, e.g. 40078 or -1.
        #[arg(allow_negative_numbers = true)]
        code: i32,
        /// Only this provider: dingtalk, feishu, lark or silent-login.
        #[arg(long)]
        provider: Option<String>,
        /// Language of the texts: en or zh (default: from $LANG, else en).
        #[arg(long)]
        lang: Option<Lang>,
        /// Print a JSON array of the matches instead.
        #[arg(long)]
        json: bool,
    },
    /// List every code (of one provider).
    List {
        /// Only this provider: dingtalk, feishu, lark or silent-login.
        #[arg(long)]
        provider: Option<String>,
        /// Language of the messages: en or zh.
        #[arg(long)]
        lang: Option<Lang>,
        /// Print a JSON array instead.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout.write_all(output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<String, String> {
    match command {
        Command::Explain {
            code,
            provider,
            lang,
            json,
        } => {
            let lang = lang.unwrap_or_else(lang_from_env);
            let matches = matches(code, provider.as_deref())?;
            if json {
                return to_json(&matches, lang);
            }
            let helps: Vec<String> = matches.iter().map(|code| code.help(lang)).collect();
            Ok(helps.join("\n---\n\n"))
        }
        Command::List {
            provider,
            lang,
            json,
        } => {
            let lang = lang.unwrap_or_else(lang_from_env);
            let codes: Vec<KnownCode> = match provider.as_deref() {
                Some(name) => {
                    let canonical = known_provider(name)?;
                    codes_of(canonical)
                }
                None => KnownCode::all().collect(),
            };
            if json {
                return to_json(&codes, lang);
            }
            let mut out = String::new();
            for code in codes {
                let entry = code.entry();
                out.push_str(&format!(
                    "{:<13} {:>9}  {:<32} {}\n",
                    entry.provider,
                    entry.code,
                    entry.name,
                    entry.message.get(lang)
                ));
            }
            Ok(out)
        }
    }
}

fn matches(code: i32, provider: Option<&str>) -> Result<Vec<KnownCode>, String> {
    let found = match provider {
        Some(name) => {
            let canonical = known_provider(name)?;
            KnownCode::from_key(canonical, code).into_iter().collect()
        }
        None => find(code),
    };
    if found.is_empty() {
        let scope =
            provider.map_or_else(|| "any catalog".to_owned(), |p| format!("the {p} catalog"));
        return Err(format!(
            "no error code {code} in {scope}; `silent-login list` shows every code"
        ));
    }
    Ok(found)
}

fn known_provider(name: &str) -> Result<&'static str, String> {
    canonical_provider(name).ok_or_else(|| {
        format!("unknown provider `{name}` (expected dingtalk, feishu, lark or silent-login)")
    })
}

fn to_json(codes: &[KnownCode], lang: Lang) -> Result<String, String> {
    let entries: Vec<_> = codes
        .iter()
        .map(|code| code.entry().localized(lang))
        .collect();
    serde_json::to_string_pretty(&entries)
        .map(|json| json + "\n")
        .map_err(|error| format!("cannot write JSON: {error}"))
}

/// `LANG=zh_CN.UTF-8` means Chinese, like most command-line tools.
fn lang_from_env() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|value| !value.is_empty())
        .and_then(|value| value.parse().ok())
        .unwrap_or_default()
}
