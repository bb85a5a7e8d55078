//! The `assetmap` command: parse, set up logging, dispatch.

use clap::Parser;
use tracing_subscriber::EnvFilter;

use assetmap::config::{Cli, Command};

/// mimalloc rather than glibc's malloc: tokio's workers allocate a request's
/// buffers on one thread and often free them on another, the case glibc's
/// arenas handle slowest (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => assetmap::app::run_serve(args).await,
        Command::Import(cmd) => assetmap::cli::import(cmd).await,
        Command::Migrate(db) => assetmap::cli::migrate(&db.database_url).await,
        Command::User(cmd) => assetmap::cli::user(cmd).await,
        Command::Backup { file, db } => assetmap::cli::backup(&file, &db.database_url).await,
        Command::Restore { file, force, db } => {
            assetmap::cli::restore(&file, &db.database_url, force).await
        }
        Command::Export(cmd) => assetmap::cli::export(cmd).await,
        Command::Join(args) => assetmap::cli::join(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
