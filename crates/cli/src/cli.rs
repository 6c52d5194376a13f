//! Command-line arguments. Every default runs the demo: `chiso serve` alone opens an SQLite file
//! under `./chiso-data/`, loads the demo province into an empty database and listens on
//! 127.0.0.1:8080.

use std::net::SocketAddr;
use std::path::PathBuf;

use chiso_services::reports::ReportIssuer;
use clap::{Args, Parser, Subcommand};

/// chiso — Chỉ số cải cách hành chính (PAR Index): đánh giá, tính điểm, xếp hạng, công bố.
#[derive(Debug, Parser)]
#[command(name = "chiso", version, about, long_about = None)]
pub struct Cli {
    /// Log lines on standard error: `text` for people (coloured on a terminal only), `json`
    /// for servers (one JSON object a line, for a log collector).
    #[arg(long, global = true, env = "CHISO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines; ANSI colours only when standard error is a terminal.
    Text,
    /// One JSON object a line (`timestamp`, `level`, `fields`, `target`, `span`).
    Json,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST/DB`. Default: an SQLite file in
    /// the data directory.
    #[arg(long, env = "CHISO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Directory for the default SQLite file and stored files.
    #[arg(long, env = "CHISO_DATA_DIR", default_value = "chiso-data")]
    pub data_dir: PathBuf,
}

/// Who issues the printed reports (PDF): printed in their heading and signature block. Not
/// data of the periods, so given per deployment; the defaults are the demo province's.
#[derive(Debug, Clone, Args)]
pub struct IssuerArgs {
    /// The province's people's committee, printed above the issuing body.
    #[arg(long = "report-province", env = "CHISO_REPORT_PROVINCE", default_value_t = ReportIssuer::default().province)]
    pub province: String,
    /// The body issuing results reports and appraisal minutes.
    #[arg(long = "report-issuer", env = "CHISO_REPORT_ISSUER", default_value_t = ReportIssuer::default().issuer)]
    pub issuer: String,
    /// The title of whoever signs for that body.
    #[arg(long = "report-signer-title", env = "CHISO_REPORT_SIGNER_TITLE", default_value_t = ReportIssuer::default().signer_title)]
    pub signer_title: String,
    /// The signer's name (empty: left to be written by hand).
    #[arg(long = "report-signer", env = "CHISO_REPORT_SIGNER", default_value_t = ReportIssuer::default().signer)]
    pub signer: String,
    /// The place written in the date line ("…, ngày … tháng … năm …").
    #[arg(long = "report-place", env = "CHISO_REPORT_PLACE", default_value_t = ReportIssuer::default().place)]
    pub place: String,
}

impl IssuerArgs {
    /// The issuer the services take.
    pub fn issuer(&self) -> ReportIssuer {
        ReportIssuer {
            province: self.province.trim().to_owned(),
            issuer: self.issuer.trim().to_owned(),
            signer_title: self.signer_title.trim().to_owned(),
            signer: self.signer.trim().to_owned(),
            place: self.place.trim().to_owned(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web application (loads the demo province into an empty database).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "CHISO_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Do not load the demo province into an empty database.
        #[arg(long)]
        no_demo: bool,
        /// Mark the session cookie Secure (and send HSTS): required behind HTTPS.
        #[arg(long, env = "CHISO_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Take the client address for sign-in limits from X-Forwarded-For (only behind a
        /// proxy that sets it).
        #[arg(long, env = "CHISO_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// Largest evidence file accepted, in MB (files are kept under DATA_DIR/evidence).
        #[arg(long, env = "CHISO_EVIDENCE_MAX_MB", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1024))]
        evidence_max_mb: u64,
        /// Largest survey answer file accepted on the pages and through the API, in MB
        /// (held in memory while it is checked; larger files: `chiso survey import`).
        #[arg(long, env = "CHISO_ANSWER_FILE_MAX_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
        answer_file_max_mb: u64,
        #[command(flatten)]
        smtp: SmtpArgs,
        #[command(flatten)]
        report: IssuerArgs,
    },
    /// Create or upgrade the database schema.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Erase all data and load the demo province "Tỉnh Mẫu" (fictional).
    Demo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Compute results from files alone, without a database.
    Compute {
        /// Index set: YAML, XLSX or CSV.
        #[arg(long)]
        index_set: PathBuf,
        /// Units: CSV or XLSX (`code,name,group[,kind,parent,predecessors]`).
        #[arg(long)]
        units: PathBuf,
        /// Scores: CSV or XLSX, long (`unit,criterion,value`) or wide.
        #[arg(long)]
        scores: PathBuf,
        /// Previous period's results (CSV, XLSX or JSON written by chiso) for deltas and streaks.
        #[arg(long)]
        previous: Option<PathBuf>,
        /// Output file: .csv, .xlsx or .json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import files into the database.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export from the database.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Publish a period's results by the decision that approves them: an immutable version
    /// that everybody may read (before it, results are confidential). A correction's new
    /// version needs --reason.
    Publish {
        #[command(flatten)]
        db: DbArgs,
        /// The period, e.g. 2025.
        #[arg(long)]
        period: String,
        /// The decision's number, e.g. "123/QĐ-UBND".
        #[arg(long)]
        decision: String,
        /// The decision's date, dd/mm/yyyy (not after today).
        #[arg(long)]
        date: String,
        /// Why this version corrects the previous one (required after `chiso correct`).
        #[arg(long)]
        reason: Option<String>,
        /// The signed decision as a PDF, kept with the version (under DATA_DIR/evidence) for
        /// everybody who reads the results to download.
        #[arg(long, value_name = "PDF")]
        decision_file: Option<PathBuf>,
    },
    /// Open a correction of a published period: its data can change again, while the
    /// published version stays public until the next `chiso publish … --reason`.
    Correct {
        #[command(flatten)]
        db: DbArgs,
        /// The published period, e.g. 2025.
        #[arg(long)]
        period: String,
        /// Why the published results are corrected (kept in the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Recompute a period stored in the database.
    Recompute {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
    },
    /// Surveys of a period (điều tra xã hội học): define, import answers, read the points,
    /// close into the survey leaves, and write the questionnaire and its XLSForms.
    Survey {
        #[command(subcommand)]
        what: SurveyCommand,
    },
    /// Write a unit's printed report (PDF): its self-assessment report or its appraisal
    /// minutes.
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// E-mail notifications waiting to be sent or given up.
    Outbox {
        #[command(subcommand)]
        what: OutboxCommand,
    },
    /// Write a synthetic dataset (deterministic from the seed) for benchmarks.
    BenchData {
        #[arg(long, default_value_t = 4080)]
        units: usize,
        #[arg(long, default_value_t = 120)]
        leaves: usize,
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Also write a survey of the synthetic set's survey leaves (`survey.xlsx`,
        /// `survey.json`) and `survey_answers.csv` with this many respondents, each answering
        /// every question about a few units (about 20 answers each); 0 writes no survey.
        #[arg(long, default_value_t = 0)]
        survey_respondents: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum SurveyCommand {
    /// Define a survey of the period from a questionnaire (.xlsx or .json); every problem of
    /// the file or of its fit with the period is listed.
    Define {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        file: PathBuf,
    },
    /// The surveys of a period.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
    },
    /// Import an answer file (long CSV, or the wide export of Kobo or ODK; .csv or .xlsx):
    /// checked first, then stored in one transaction. Respondents already stored are passed
    /// over, so the same file twice adds nothing.
    Import {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        /// The survey's code.
        #[arg(long)]
        survey: String,
        /// The respondent group of rows that do not name theirs.
        #[arg(long)]
        group: Option<String>,
        /// Check the file and say what it would add, storing nothing.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Every evaluated unit's points on every leaf the survey feeds, with the valid answers,
    /// whether they are below the minimum, and the decision taken.
    Points {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        survey: String,
        #[arg(long, value_enum, default_value_t = PointsFormat::Table)]
        format: PointsFormat,
    },
    /// Decide on a unit with fewer valid answers on a leaf than the minimum: keep the computed
    /// points, or set points (with `--points`); the reason is required and audited.
    Decide {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        survey: String,
        /// The unit's code.
        #[arg(long)]
        unit: String,
        /// The survey leaf's code.
        #[arg(long)]
        leaf: String,
        /// Points to set (Vietnamese or plain notation, 0 to the leaf's maximum); without it
        /// the computed points are kept.
        #[arg(long)]
        points: Option<String>,
        /// Why (written to the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Close the survey: write the points into the period's survey leaves and recompute it.
    /// Refused while units below the minimum await a decision; can be run again until the
    /// council approves.
    Close {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        survey: String,
    },
    /// Write the XLSForm of one respondent group (for ODK Central or KoboToolbox), asking
    /// about every unit the group evaluates.
    Form {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        survey: String,
        /// The respondent group's code.
        #[arg(long)]
        group: String,
        /// The form, .xlsx.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the survey's questionnaire workbook (.xlsx), to edit and define again.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        survey: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// How `chiso survey points` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PointsFormat {
    /// CSV with full precision, one row per unit and leaf, for other tools.
    Csv,
    /// Aligned columns to read, points rounded to two decimals.
    Table,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// How many notifications are waiting, sent, given up or expired, and the given-up ones.
    Status {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Try every given-up notification again (sent by the next running `chiso serve` with SMTP).
    Retry {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an index set (YAML, XLSX or CSV).
    IndexSet {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
    /// Import units; with --period, also their groups for that period.
    Units {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        /// Period whose groups the file's `group` column defines (created if missing).
        #[arg(long)]
        period: Option<String>,
        /// Index set used by every group of the file in that period.
        #[arg(long)]
        index_set: Option<String>,
    },
    /// Import scores (raw inputs) for a period and recompute it: scores, audit and results are
    /// written in one transaction. Refused, changing nothing, when the period is published or a
    /// unit of the file has an approved assessment.
    Scores {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
        #[arg(long)]
        period: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Export a period's results (CSV, XLSX, JSON or the printed results report, PDF, by the
    /// extension of --out): the latest
    /// published version once the period is published, else the confidential results as last
    /// computed.
    Results {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        /// An earlier published version instead of the latest.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
        version: Option<i64>,
        /// Write the official workbook (summary, one sheet per group with its ranking chart,
        /// criteria; for people) instead of the results table (which `--previous` reads
        /// back). --out must end in .xlsx.
        #[arg(long)]
        official: bool,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        report: IssuerArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// A unit's self-assessment report: what its leader signs when submitting.
    SelfAssessment {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        unit: String,
        /// The PDF to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        report: IssuerArgs,
    },
    /// A unit's appraisal minutes: its own points next to the appraised ones, with reasons.
    Minutes {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        period: String,
        #[arg(long)]
        unit: String,
        /// The PDF to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        report: IssuerArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from CHISO_PASSWORD or from standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        login: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Grant the administrator role.
        #[arg(long)]
        admin: bool,
    },
    /// Grant a role to a user, in every period or in one (`--period`).
    Grant {
        #[command(flatten)]
        db: DbArgs,
        login: String,
        /// The role.
        #[arg(value_enum)]
        role: RoleArg,
        /// The unit of an officer or leader; for an appraiser, each unit assigned (repeat).
        #[arg(long = "unit")]
        units: Vec<String>,
        /// For an appraiser: each area (or criterion) assigned, e.g. `2` (repeat).
        #[arg(long = "area")]
        areas: Vec<String>,
        /// Only this period (e.g. 2026); every period when absent.
        #[arg(long)]
        period: Option<String>,
    },
}

/// The roles of the assessment cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Administrator (Sở Nội vụ).
    Admin,
    /// Unit officer (cán bộ đầu mối): fills in the self-assessment.
    UnitOfficer,
    /// Unit leader (lãnh đạo đơn vị): also submits it.
    UnitLeader,
    /// Appraiser (thành viên Tổ/Hội đồng thẩm định), by unit and/or area.
    Appraiser,
    /// Council chair (Chủ tịch Hội đồng): approves the appraisal.
    CouncilChair,
    /// Read-only observer.
    Observer,
}

/// E-mail notifications of `chiso serve`: off unless `--smtp-host` is given. The password is
/// read from `CHISO_SMTP_PASSWORD` only, so that it never shows in the process list.
#[derive(Debug, Clone, clap::Args)]
pub struct SmtpArgs {
    /// SMTP server for e-mail notifications (none: no e-mail is sent).
    #[arg(long, env = "CHISO_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, env = "CHISO_SMTP_PORT", default_value_t = 25)]
    pub smtp_port: u16,
    /// SMTP user name (the password comes from CHISO_SMTP_PASSWORD).
    #[arg(long, env = "CHISO_SMTP_USER")]
    pub smtp_user: Option<String>,
    /// Sender address of notifications, e.g. "Chỉ số CCHC <cchc@example.gov.vn>".
    #[arg(long, env = "CHISO_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Require STARTTLS (rustls) before signing in and sending.
    #[arg(long, env = "CHISO_SMTP_STARTTLS")]
    pub smtp_starttls: bool,
    /// Seconds to wait before trying a failed notification again; the wait doubles after each
    /// further failure (at most 6 hours), and a notification is given up after 8 tries.
    #[arg(long, env = "CHISO_SMTP_RETRY_AFTER", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub smtp_retry_after: u64,
    /// Longest exchange with the SMTP server, in seconds.
    #[arg(long, env = "CHISO_SMTP_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout: u64,
}
