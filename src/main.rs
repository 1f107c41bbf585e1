//! The `footnote` binary: parses the command line, sets up logging and hands the command to
//! [`cli::run`]; an error ends as one `error:` line on stderr and a failing exit status.

#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let serving = cli.is_serve();
    if !serving {
        end_quietly_on_closed_stdout();
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "footnote=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // A service's log needs times; a command's does not.
    if serving {
        logs.init();
    } else {
        logs.without_time().init();
    }
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `footnote ... | head` closes stdout early. Rust ignores SIGPIPE, so the next `println!`
/// would panic on the broken pipe; restoring the default action ends the command quietly, as
/// other Unix tools do. (Not for `serve`, whose client connections must not end the process.)
#[allow(unsafe_code)]
fn end_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
