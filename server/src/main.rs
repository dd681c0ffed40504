//! `server [serve]` runs Webrana Cloud; `server migrate` only applies database migrations;
//! `server backup` and `server restore` copy the whole database to a file and back.
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
    /// Create an admin account. Prints a one-time password, or reads one from standard input
    /// with --password-stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Write a backup of the whole database to a new file (SQLite: a consistent copy taken
    /// while the server runs; PostgreSQL: a pg_dump archive).
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Replace the database with a backup, then apply the migrations it predates. Refuses a
    /// database that holds accounts unless --force. Stop the servers first.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // Sentry starts before the runtime, so every runtime thread reports to it; the guard sends
    // what is still queued when the process ends.
    let _sentry = config.sentry.as_ref().map(server::error_tracking::init);
    server::telemetry::init(config.log_format, config.sentry.is_some());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli, config))
}

async fn run(cli: Cli, config: Config) -> ExitCode {
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
        Command::CreateAdmin {
            email,
            name,
            password_stdin,
        } => create_admin(&config, &email, &name, password_stdin).await,
        Command::Backup { to } => back_up(&config, &to).await,
        Command::Restore { from, force } => {
            match domain::backup::restore(&config.database_url, &from, force).await {
                Ok(db) => {
                    db.close().await;
                    println!("restored {}", from.display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("{error}");
                    ExitCode::from(EXIT_CONFIG)
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

/// Backs the database up as it is: unlike the other commands, without migrating it first, so
/// the backup taken before an upgrade is the state to roll back to.
async fn back_up(config: &Config, to: &std::path::Path) -> ExitCode {
    let db = match domain::Db::connect(&config.database_url, 2).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("DATABASE_URL: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let result = domain::backup::back_up(&db, &config.database_url, to).await;
    db.close().await;
    match result {
        Ok(()) => {
            println!("backed up to {}", to.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

async fn create_admin(config: &Config, email: &str, name: &str, password_stdin: bool) -> ExitCode {
    let password = if password_stdin {
        let mut line = String::new();
        if let Err(error) = std::io::stdin().read_line(&mut line) {
            eprintln!("cannot read the password from standard input: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        match domain::secrets::random_token() {
            Ok(token) => token[..20].to_owned(),
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        }
    };
    let db = match open_database(config).await {
        Ok(db) => db,
        Err(error) => {
            eprintln!("DATABASE_URL: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let state = match config.domain(&db) {
        Ok(domain_config) => domain::AppState::new(db.clone(), &domain_config).await,
        Err(error) => {
            eprintln!("{error}");
            db.close().await;
            return ExitCode::FAILURE;
        }
    };
    let state = match state {
        Ok(state) => state,
        Err(error) => {
            eprintln!("{error}");
            db.close().await;
            return ExitCode::FAILURE;
        }
    };
    let result = state.accounts.create_admin(email, name, &password).await;
    db.close().await;
    match result {
        Ok(user) if password_stdin => {
            println!("admin {} created", user.email);
            ExitCode::SUCCESS
        }
        Ok(user) => {
            println!(
                "admin {} created; one-time password (change it after logging in): {password}",
                user.email
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(EXIT_CONFIG)
        }
    }
}
