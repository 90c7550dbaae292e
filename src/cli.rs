//! The `dxready` command line (see the contract's command table).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::auth::accounts::{self, ScopeInput};
use crate::config::{DatabaseSettings, QuestionnaireSettings, ServeSettings};
use crate::db::audit::Actor;
use crate::domain::reference::Reference;
use crate::usecases::{
    self,
    accounts::{AccountRequest, AgencyRequest, IfExists, save_account, save_agency},
};

#[derive(Debug, Parser)]
#[command(
    name = "dxready",
    version,
    about = "Digital-transformation readiness check for SMEs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, load questionnaires, serve HTTP and deliver e-mail.
    Serve(ServeSettings),
    /// Apply pending migrations and exit (migrations only move forward).
    Migrate(MigrateArgs),
    /// Write a consistent copy of the database while the service runs (SQLite; on PostgreSQL use pg_dump).
    Backup(BackupArgs),
    /// Validate questionnaire files; exit 1 with one `file:line:col: message` line per problem.
    CheckQuestionnaires {
        /// Folder to check (defaults to the questionnaire setting).
        dir: Option<PathBuf>,
        /// Warn as of this day (YYYY-MM-DD) instead of today; warnings never change the exit code.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        #[command(flatten)]
        settings: QuestionnaireSettings,
    },
    /// Fill the database with N realistic synthetic, submitted responses.
    SeedDemo {
        /// How many responses to create.
        #[arg(long)]
        responses: u64,
        /// Random seed, for repeatable demo data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        questionnaires: QuestionnaireSettings,
    },
    /// Recompute the dashboard's aggregates from the stored results (idempotent).
    RebuildAggregates {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        questionnaires: QuestionnaireSettings,
    },
    /// Staff, agency and admin accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Support agencies.
    #[command(subcommand)]
    Agency(AgencyCommand),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// List the applied and the pending migrations instead of applying them.
    #[arg(long)]
    pub status: bool,
    #[command(flatten)]
    pub database: DatabaseSettings,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy; must not exist yet.
    pub file: PathBuf,
    #[command(flatten)]
    pub database: DatabaseSettings,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, or update the one with this e-mail (role, scope, password; enables it).
    Add(UserAdd),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    /// admin, staff or agency.
    #[arg(long)]
    pub role: String,
    /// The agency's slug (agency accounts).
    #[arg(long)]
    pub agency: Option<String>,
    /// Limits a staff account to one province (slug).
    #[arg(long)]
    pub province: Option<String>,
    /// Read the password from standard input (the only way: never on the command line).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub questionnaires: QuestionnaireSettings,
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Create an agency, or update the one with this slug.
    Add(AgencyAdd),
}

#[derive(Debug, Args)]
pub struct AgencyAdd {
    /// Lowercase letters, digits and hyphens.
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// Province slugs, comma-separated.
    #[arg(long)]
    pub provinces: String,
    /// Barrier ids, comma-separated (awareness, cost, staffing, security, roadmap); all when omitted.
    #[arg(long)]
    pub barriers: Option<String>,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub questionnaires: QuestionnaireSettings,
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(settings) => {
            let app = crate::startup::Application::build(settings).await?;
            app.run_until(crate::startup::shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(args) => migrate(args).await,
        Command::Backup(args) => backup(args).await,
        Command::SeedDemo {
            responses,
            seed,
            database,
            questionnaires,
        } => {
            let loaded = crate::domain::questionnaire::load_dir(&questionnaires.questionnaires)
                .map_err(|problems| {
                    anyhow::anyhow!(
                        "questionnaires are invalid:\n{}",
                        problems
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("\n")
                    )
                })?;
            let def = loaded
                .latest()
                .into_iter()
                .next()
                .ok_or_else(|| anyhow::anyhow!("no questionnaire to seed"))?;
            let db = crate::db::connect(&database.database_url).await?;
            crate::db::migrate(&db).await?;
            crate::db::responses::register_questionnaires(&db, &loaded).await?;
            let mut progress = SeedProgress::new(responses);
            crate::usecases::demo::seed_demo(&db, def, responses, seed, |done, total| {
                progress.update(done, total);
            })
            .await?;
            progress.finish();
            println!("{responses} demo responses created");
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckQuestionnaires {
            dir,
            as_of,
            settings,
        } => {
            let dir = dir.unwrap_or(settings.questionnaires);
            let as_of = as_of.unwrap_or_else(|| crate::usecases::Clock::System.today());
            Ok(check_questionnaires(&dir, as_of))
        }
        Command::RebuildAggregates {
            database,
            questionnaires,
        } => rebuild_aggregates(&database, &questionnaires).await,
        Command::User(UserCommand::Add(args)) => user_add(args).await,
        Command::Agency(AgencyCommand::Add(args)) => agency_add(args).await,
    }
}

/// `dxready rebuild-aggregates`: a bar with rate and time left on a terminal, a line at the end.
async fn rebuild_aggregates(
    database: &DatabaseSettings,
    questionnaires: &QuestionnaireSettings,
) -> anyhow::Result<ExitCode> {
    let loaded = crate::domain::questionnaire::load_dir(&questionnaires.questionnaires).map_err(
        |problems| {
            anyhow::anyhow!(
                "questionnaires are invalid:\n{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        },
    )?;
    let db = crate::db::connect(&database.database_url).await?;
    crate::db::migrate(&db).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "rebuilding {wide_bar} {human_pos}/{human_len} {per_sec} left {eta}",
        )
        .expect("a valid template"),
    );
    let done = crate::db::aggregates::rebuild::rebuild_aggregates(&db, &loaded, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "aggregates rebuilt from {} responses ({} of versions no longer loaded left out)",
        done.facts, done.skipped
    );
    Ok(ExitCode::SUCCESS)
}

/// Progress of `seed-demo` on standard error: a bar with rate and time left on a terminal;
/// elsewhere (logs, CI), where a bar would not draw, a line per tenth and one at the end.
enum SeedProgress {
    Bar(indicatif::ProgressBar),
    Lines {
        started: std::time::Instant,
        step: u64,
        next: u64,
    },
}

impl SeedProgress {
    fn new(total: u64) -> SeedProgress {
        let bar = indicatif::ProgressBar::new(total);
        if bar.is_hidden() {
            let step = (total / 10).max(1);
            return SeedProgress::Lines {
                started: std::time::Instant::now(),
                step,
                next: step,
            };
        }
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "seeding {wide_bar} {human_pos}/{human_len} {per_sec} elapsed {elapsed} left {eta}",
            )
            .expect("a valid template"),
        );
        SeedProgress::Bar(bar)
    }

    fn update(&mut self, done: u64, total: u64) {
        match self {
            SeedProgress::Bar(bar) => bar.set_position(done),
            SeedProgress::Lines {
                started,
                step,
                next,
            } => {
                if done >= *next || done == total {
                    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
                    eprintln!(
                        "seeded {done}/{total} ({:.0}%, {rate:.0}/s, {:.0} s left)",
                        done as f64 * 100.0 / total.max(1) as f64,
                        total.saturating_sub(done) as f64 / rate.max(1e-9)
                    );
                    *next = done + *step;
                }
            }
        }
    }

    fn finish(&self) {
        if let SeedProgress::Bar(bar) = self {
            bar.finish();
        }
    }
}

/// The provinces and other reference data beside the questionnaires.
fn load_reference(settings: &QuestionnaireSettings) -> anyhow::Result<Reference> {
    let dir = settings.questionnaires.join("reference");
    Reference::load(&dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "cannot read the reference data (provinces) in {}:\n{}",
            dir.display(),
            lines.join("\n")
        )
    })
}

/// The password from standard input, without the line break that ends it.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input
        .strip_suffix('\n')
        .map(|p| p.strip_suffix('\r').unwrap_or(p))
        .unwrap_or(&input);
    Ok(password.to_string())
}

/// A refusal the person can fix: printed, exit 1.
fn refuse(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

async fn user_add(args: UserAdd) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    if let Err(e) = accounts::check_password(&password) {
        return Ok(refuse(e));
    }
    let reference = load_reference(&args.questionnaires)?;
    let db = crate::db::connect(&args.database.database_url).await?;
    crate::db::migrate(&db).await?;
    let request = AccountRequest {
        email: &args.email,
        password,
        scope: ScopeInput {
            role: &args.role,
            agency: args.agency.as_deref(),
            province: args.province.as_deref(),
        },
    };
    let (account, created) =
        match save_account(&db, &reference, &Actor::cli(), request, IfExists::Update).await {
            Ok(saved) => saved,
            Err(usecases::Error::Refused(why)) => return Ok(refuse(&why.en)),
            Err(e) => return Err(e.into()),
        };
    let scope = match (&account.province, &args.agency) {
        (Some(p), _) => format!(", province {p}"),
        (None, Some(a)) if account.agency_id.is_some() => format!(", agency {}", a.trim()),
        _ => String::new(),
    };
    println!(
        "{} account {} ({}{scope})",
        if created { "created" } else { "updated" },
        account.email,
        account.role.as_str()
    );
    Ok(ExitCode::SUCCESS)
}

async fn agency_add(args: AgencyAdd) -> anyhow::Result<ExitCode> {
    let reference = load_reference(&args.questionnaires)?;
    let provinces = accounts::split_list(&args.provinces);
    let barriers = args
        .barriers
        .as_deref()
        .map(accounts::split_list)
        .unwrap_or_default();
    let request = AgencyRequest {
        slug: &args.slug,
        name: &args.name,
        provinces: &provinces,
        barriers: &barriers,
    };
    // Checked before the database is opened, so a typo costs nothing.
    if let Err(e) = accounts::agency_fields(
        &reference,
        request.slug,
        request.name,
        &provinces,
        &barriers,
    ) {
        return Ok(refuse(e));
    }
    let db = crate::db::connect(&args.database.database_url).await?;
    crate::db::migrate(&db).await?;
    let (agency, created) = match save_agency(&db, &reference, &Actor::cli(), request).await {
        Ok(saved) => saved,
        Err(usecases::Error::Refused(why)) => return Ok(refuse(&why.en)),
        Err(e) => return Err(e.into()),
    };
    println!(
        "{} agency {} ({}): provinces {}; barriers {}",
        if created { "created" } else { "updated" },
        agency.slug,
        agency.name,
        agency.provinces.join(", "),
        agency.barriers.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

async fn migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let db = crate::db::connect(&args.database.database_url).await?;
    if !args.status {
        crate::db::migrate(&db).await?;
        println!("migrations applied");
        return Ok(ExitCode::SUCCESS);
    }
    let states = crate::db::schema::status(&db).await?;
    for state in &states {
        let word = if state.applied { "applied" } else { "pending" };
        println!("{word} {}", state.name);
    }
    let pending = states.iter().filter(|s| !s.applied).count();
    println!("{} applied, {pending} pending", states.len() - pending);
    Ok(ExitCode::SUCCESS)
}

async fn backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    if !args.database.database_url.starts_with("sqlite:") {
        return Ok(refuse(
            "`dxready backup` copies SQLite databases; for PostgreSQL use pg_dump \
             (e.g. `pg_dump --format=custom --file=dxready.dump \"$DXREADY_DATABASE_URL\"`)",
        ));
    }
    if args.file.exists() {
        return Ok(refuse(format!(
            "{} already exists; choose a new file",
            args.file.display()
        )));
    }
    let db = crate::db::connect(&args.database.database_url).await?;
    crate::db::backup::sqlite_copy(&db, &args.file).await?;
    println!("backup written to {}", args.file.display());
    Ok(ExitCode::SUCCESS)
}

/// Prints one `file:line:col: message` line per problem; exit 0 when every file is valid.
fn check_questionnaires(dir: &std::path::Path, as_of: chrono::NaiveDate) -> ExitCode {
    match crate::domain::questionnaire::load_dir(dir) {
        Ok(loaded) => {
            for def in loaded.definitions.values() {
                println!(
                    "ok: {} {} ({} questions, {} rules)",
                    def.id,
                    def.version,
                    def.questions.len(),
                    def.rules.len()
                );
            }
            for warning in crate::domain::questionnaire::warnings(&loaded, as_of) {
                println!("{warning}");
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                println!("{problem}");
            }
            eprintln!("{} problem(s) found", problems.len());
            ExitCode::FAILURE
        }
    }
}
