//! The `footnote` binary: parses the command line, sets up logging and hands the command to
//! [`cli::run`]; an error ends as one `error:` line on stderr and a failing exit status.

#![deny(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let serving = cli.is_serve();
    if serving {
        // Unless MALLOC_ARENA_MAX says otherwise.
        limit_malloc_arenas();
    } else {
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

/// By default glibc gives threads up to 8 malloc arenas per core, and memory freed in one arena
/// is not reused by another. The service allocates on many threads (the runtime's, the blocking
/// threads that build each index snapshot, the model's), so its RSS crept up under steady
/// traffic with nothing kept. Side by side in the 10-minute soak (BENCHMARKS.md): +14.6% with
/// glibc's default, +5.4% with two arenas, at the same throughput.
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called once at start, before any other thread exists; mallopt only sets a
        // tunable, and M_ARENA_MAX with a positive value is a documented one.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
