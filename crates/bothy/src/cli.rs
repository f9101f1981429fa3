//! The command line.

use crate::config::Overrides;
use bothy_domain::ApiClientId;
use bothy_domain::audit::Anchor;
use bothy_domain::role::{ApiPermission, Role};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "bothy",
    version,
    about = "Bothy: a digital mental health service, from referral to outcome."
)]
pub struct Cli {
    /// Configuration file [default: bothy.toml in the working directory, if present]
    #[arg(long, global = true, env = "BOTHY_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and demo files (server.data_dir)
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL (database.url). Prefer the DATABASE_URL environment
    /// variable for a URL with a password: command lines are visible to other users.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application, with the background worker in the same process.
    Serve(ServeArgs),
    /// Run only the background worker, until stopped.
    Worker,
    /// Apply database migrations, then exit.
    Migrate,
    /// Serve a demo service with sample staff and patients (DEMO ONLY: published passwords).
    Demo(ServeArgs),
    /// Set up services, staff and API clients.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check content files (instruments).
    #[command(subcommand)]
    Content(ContentCommand),
    /// Classify episodes by NHS Talking Therapies outcome definitions:
    /// reads a JSON array of episodes, prints a JSON array of results.
    Outcomes {
        /// File to read (default: standard input)
        #[arg(value_name = "FILE")]
        input: Option<std::path::PathBuf>,
    },
    /// Generate a synthetic service (seeded, reproducible) into the database.
    Synth(SynthArgs),
    /// Benchmark the workloads against the configured database (see BENCHMARKS.md).
    Bench(BenchArgs),
    /// The hazard log and the safety case drawn from it (docs/safety).
    #[command(subcommand)]
    Safety(SafetyCommand),
    /// Copy the database to a file while the service runs: a consistent
    /// SQLite copy, or `pg_dump --format=custom` for PostgreSQL.
    Backup {
        /// The file to write (must not exist)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace the configured database with a backup, after checking the
    /// backup; then check the result and verify its audit trail. Stop the
    /// servers first.
    Restore {
        /// A file written by `bothy backup`
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Replace a database that already holds records
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SafetyCommand {
    /// Check the hazard log and write the safety case report; exit code 1,
    /// naming each problem, when a cited test does not exist or never runs.
    Report {
        /// Where to write the report [default: standard output]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
        format: ReportFormat,
        /// The report's date, YYYY-MM-DD [default: today in the UK]
        #[arg(long, value_name = "DATE", value_parser = date_parser)]
        date: Option<bothy_domain::time::Date>,
        #[command(flatten)]
        source: SafetySource,
    },
    /// List the tests each hazard's controls cite, and whether each exists.
    Tests {
        #[command(flatten)]
        source: SafetySource,
    },
}

#[derive(Debug, Args)]
pub struct SafetySource {
    /// The repository whose tests are cited
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// The hazard log, from the repository
    #[arg(
        long,
        value_name = "PATH",
        default_value = "docs/safety/hazard-log.toml"
    )]
    pub log: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Html,
}

fn date_parser(s: &str) -> Result<bothy_domain::time::Date, String> {
    s.parse()
        .map_err(|e| format!("not a date like 2026-12-05: {e}"))
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Synthetic patients to generate first if the service does not exist
    #[arg(long, default_value_t = 10_000)]
    pub patients: u64,
    /// The seed for generating them
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Short name of the synthetic service to benchmark
    #[arg(long = "service", value_name = "SLUG", default_value = "synth")]
    pub service: String,
    /// Seconds per measurement
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Requests a second for the open-loop reads (W3)
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// Requests a second for the mixed load (W7)
    #[arg(long, default_value_t = 200.0)]
    pub mixed_rate: f64,
    /// A run of a few seconds that only proves everything works
    #[arg(long)]
    pub tiny: bool,
    /// Run only the service-wide work (W5, W6) in this process, without a
    /// server: for profiling it
    #[arg(long)]
    pub service_wide: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many patients
    #[arg(long, default_value_t = 1_000)]
    pub patients: u64,
    /// The seed: the same seed on the same day gives the same data
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Short name of the new service (it must not exist)
    #[arg(long = "service", value_name = "SLUG", default_value = "synth")]
    pub service: String,
}

#[derive(Debug, Subcommand)]
pub enum ContentCommand {
    /// Load and validate every instrument file; report every problem.
    Check,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (server.listen)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a service: one organisation's deployment of Bothy.
    CreateService {
        /// Short name used in addresses, e.g. "lothian-dcbt"
        #[arg(long)]
        slug: String,
        /// Full name shown to people
        #[arg(long)]
        name: String,
    },
    /// Set the postcode areas a service covers, so people can find it by postcode.
    SetServiceAreas {
        /// The service's short name
        #[arg(long, value_name = "SLUG")]
        service: String,
        /// Postcode areas or districts, e.g. "EH TD KY1"
        #[arg(long, value_name = "AREAS")]
        areas: String,
    },
    /// Create a staff member and print their single-use enrolment link.
    CreateStaff {
        /// The service's short name
        #[arg(long, value_name = "SLUG")]
        service: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// A role in the service; repeat or separate with commas for several
        #[arg(long = "role", value_name = "ROLE", required = true, value_delimiter = ',', value_parser = role_parser())]
        roles: Vec<Role>,
    },
    /// Register another system as an API client and print its token (shown once).
    CreateApiClient {
        /// The service's short name
        #[arg(long, value_name = "SLUG")]
        service: String,
        /// Name of the client system
        #[arg(long)]
        name: String,
        /// A permission; repeat or separate with commas for several
        #[arg(long = "permission", value_name = "PERMISSION", required = true, value_delimiter = ',', value_parser = permission_parser())]
        permissions: Vec<ApiPermission>,
    },
    /// Register a public key (a JWK, or a JWK Set's keys, RS384 or ES384,
    /// each with a kid) with which an API client signs SMART Backend
    /// Services assertions to get short-lived access tokens at /fhir/token.
    AddApiClientKey {
        /// The client's id, as printed by create-api-client
        #[arg(long, value_name = "ID")]
        client: ApiClientId,
        /// A file holding the public key as a JWK or a JWK Set
        #[arg(long, value_name = "FILE")]
        jwk: std::path::PathBuf,
    },
    /// Revoke an API client's token.
    RevokeApiClient {
        /// The client's id, as printed by create-api-client
        id: ApiClientId,
    },
    /// Disable a staff member: they cannot sign in, and their sessions end now.
    DisableStaff {
        #[arg(long)]
        email: String,
    },
    /// Send a new activation link to someone who has not set up their account
    /// (the last one expired, or was used up by tries with unusable addresses).
    NewActivationLink {
        /// The patient's id (shown on their record)
        #[arg(long)]
        patient: bothy_domain::PatientId,
    },
    /// Import a deprivation look-up (postcode,decile per line, 1 the most
    /// deprived), replacing that edition's postcodes; reports then take
    /// each person's deprivation decile from it.
    ImportDeprivation {
        /// The index and edition: simd2020v2 or imd2019
        #[arg(long, value_name = "EDITION", value_parser = edition_parser())]
        edition: bothy_domain::reports::Edition,
        /// The CSV file: a header line, then postcode,decile
        #[arg(long, value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every sealed audit event and the chain's head, and count the
    /// events not yet sealed; exit code 1 on any break.
    Verify {
        /// A head recorded earlier with `bothy audit head`: the chain must
        /// still pass through it (repeat for several)
        #[arg(long = "anchor", value_name = "POSITION:HASH")]
        anchors: Vec<Anchor>,
    },
    /// Print the newest seal as POSITION:HASH and its time, to record
    /// outside the database as an anchor.
    Head,
    /// Seal committed audit events now (a running worker does this every second).
    Seal,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented configuration file holding the defaults.
    PrintDefault,
    /// Print the configuration in effect, with derived values filled in and passwords hidden.
    Show,
}

fn role_parser() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(Role::ALL.map(Role::as_str)).try_map(|s| s.parse::<Role>())
}

fn edition_parser() -> impl TypedValueParser<Value = bothy_domain::reports::Edition> {
    use bothy_domain::reports::Edition;
    PossibleValuesParser::new(Edition::ALL.map(Edition::as_str))
        .try_map(|s| Edition::parse(&s).map_err(|e| e.0))
}

fn permission_parser() -> impl TypedValueParser<Value = ApiPermission> {
    PossibleValuesParser::new(ApiPermission::ALL.map(ApiPermission::as_str))
        .try_map(|s| s.parse::<ApiPermission>())
}

impl Cli {
    /// The settings given as flags, the strongest configuration layer.
    pub fn overrides(&self) -> Overrides {
        let listen = match &self.command {
            Command::Serve(a) | Command::Demo(a) => a.listen,
            _ => None,
        };
        Overrides {
            listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_admin_commands() {
        let cli = Cli::try_parse_from([
            "bothy",
            "admin",
            "create-staff",
            "--service",
            "demo",
            "--email",
            "a@b.test",
            "--name",
            "A B",
            "--role",
            "supporter,clinical_lead",
            "--role",
            "admin",
            "--data-dir",
            "/tmp/x",
        ])
        .unwrap();
        let Command::Admin(AdminCommand::CreateStaff { roles, .. }) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(roles, &[Role::Supporter, Role::ClinicalLead, Role::Admin]);
        assert_eq!(cli.overrides().data_dir, Some(PathBuf::from("/tmp/x")));

        assert!(
            Cli::try_parse_from([
                "bothy",
                "admin",
                "create-staff",
                "--service",
                "s",
                "--email",
                "e",
                "--name",
                "n"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "bothy",
                "admin",
                "create-staff",
                "--service",
                "s",
                "--email",
                "e",
                "--name",
                "n",
                "--role",
                "boss"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from([
            "bothy",
            "admin",
            "create-api-client",
            "--service",
            "s",
            "--name",
            "GP system",
            "--permission",
            "patient.read",
        ])
        .unwrap();
        let Command::Admin(AdminCommand::CreateApiClient { permissions, .. }) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(permissions, &[ApiPermission::PatientRead]);
        assert!(Cli::try_parse_from(["bothy", "admin", "revoke-api-client", "not-an-id"]).is_err());
    }

    #[test]
    fn serve_flags_become_overrides() {
        let cli = Cli::try_parse_from([
            "bothy",
            "serve",
            "--listen",
            "0.0.0.0:9000",
            "--database-url",
            "sqlite:x.db",
        ])
        .unwrap();
        let o = cli.overrides();
        assert_eq!(o.listen, Some("0.0.0.0:9000".parse().unwrap()));
        assert_eq!(o.database_url.as_deref(), Some("sqlite:x.db"));
        assert!(Cli::try_parse_from(["bothy", "serve", "--listen", "localhost"]).is_err());
        assert!(Cli::try_parse_from(["bothy", "migrate", "--listen", "127.0.0.1:1"]).is_err());
    }

    #[test]
    fn audit_verify_takes_anchors() {
        let hash = "ab".repeat(32);
        let cli = Cli::try_parse_from(["bothy", "audit", "verify"]).unwrap();
        let Command::Audit(AuditCommand::Verify { anchors }) = &cli.command else {
            panic!("{cli:?}")
        };
        assert!(anchors.is_empty());
        let a = format!("12:{hash}");
        let b = format!("30:{hash}");
        let cli = Cli::try_parse_from(["bothy", "audit", "verify", "--anchor", &a, "--anchor", &b])
            .unwrap();
        let Command::Audit(AuditCommand::Verify { anchors }) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(
            anchors.iter().map(|a| a.pos).collect::<Vec<_>>(),
            vec![12, 30]
        );
        assert!(Cli::try_parse_from(["bothy", "audit", "verify", "--anchor", "12"]).is_err());
        assert!(Cli::try_parse_from(["bothy", "audit", "head"]).is_ok());
    }

    #[test]
    fn synth_has_defaults() {
        let cli = Cli::try_parse_from(["bothy", "synth"]).unwrap();
        let Command::Synth(a) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(
            (a.patients, a.seed, a.service.as_str()),
            (1_000, 1, "synth")
        );
        let cli =
            Cli::try_parse_from(["bothy", "synth", "--patients", "5", "--service", "x"]).unwrap();
        let Command::Synth(a) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!((a.patients, a.service.as_str()), (5, "x"));
    }

    #[test]
    fn safety_report_takes_a_file_a_format_and_a_date() {
        let cli = Cli::try_parse_from(["bothy", "safety", "report"]).unwrap();
        let Command::Safety(SafetyCommand::Report {
            out,
            format,
            date,
            source,
        }) = &cli.command
        else {
            panic!("{cli:?}")
        };
        assert_eq!((out, *format, date), (&None, ReportFormat::Markdown, &None));
        assert_eq!(source.log, PathBuf::from("docs/safety/hazard-log.toml"));
        let cli = Cli::try_parse_from([
            "bothy",
            "safety",
            "report",
            "--out",
            "x.html",
            "--format",
            "html",
            "--date",
            "2026-12-05",
        ])
        .unwrap();
        let Command::Safety(SafetyCommand::Report { format, date, .. }) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(*format, ReportFormat::Html);
        assert_eq!(date.unwrap().to_string(), "2026-12-05");
        assert!(Cli::try_parse_from(["bothy", "safety", "report", "--date", "5/12/2026"]).is_err());
        assert!(Cli::try_parse_from(["bothy", "safety", "report", "--format", "pdf"]).is_err());
        assert!(Cli::try_parse_from(["bothy", "safety", "tests", "--root", "/r"]).is_ok());
    }

    #[test]
    fn bench_has_defaults() {
        let cli = Cli::try_parse_from(["bothy", "bench"]).unwrap();
        let Command::Bench(a) = &cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!(
            (a.service.as_str(), a.duration, a.rate, a.mixed_rate, a.tiny),
            ("synth", 10.0, 500.0, 200.0, false)
        );
        let cli = Cli::try_parse_from(["bothy", "bench", "--tiny", "--duration", "2"]).unwrap();
        let Command::Bench(a) = &cli.command else {
            panic!("{cli:?}")
        };
        assert!(a.tiny && a.duration == 2.0);
    }
}
