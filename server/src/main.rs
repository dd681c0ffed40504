//! `server [serve]` runs Webrana Cloud; `server migrate` only applies database migrations.
//! Configuration comes from the environment (and `.env`); see `server::config`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::config::Config;
use server::startup::{Application, open_database, shutdown_signal};

/// Exit code for a bad configuration or a start-up failure the operator must fix.
const EXIT_CONFIG: u8 = 2;

#[derive(Parser)]
#[command(name = "server", version, about = "Webrana Cloud server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    server::telemetry::init(config.log_format);

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = match Application::build(&config).await {
                Ok(app) => app,
                Err(error) => {
                    eprintln!("{error}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match app.run_until(shutdown_signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("server stopped with an error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Migrate => match open_database(&config).await {
            Ok(db) => {
                db.close().await;
                println!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("DATABASE_URL: {error}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
    }
}
