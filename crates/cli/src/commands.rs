//! What each command does. Commands are thin: parse arguments, call a service or a reader,
//! print a summary. Errors carry the Vietnamese message shown to the user.

use std::io::Read;
use std::path::Path;

use crate::io_text::{Access, describe};
use anyhow::{Context, Result, anyhow};
use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{
    Clock, ComputeInput, NodeCode, PeriodCode, PeriodResults, SetCode, UnitCode, compute,
};
use chiso_formats::ExportError;
use chiso_services::index_sets::ImportIndexSet;
use chiso_services::results::find_period;
use chiso_services::roles::{GrantRole, RoleKind};
use chiso_services::units::ImportUnits;
use chiso_services::users::{self, BlockingPasswords, NewUser};
use chiso_services::{Actor, Db, system};
use chiso_services::{ServiceError, compute::compute_period, demo::load_demo};

use crate::cli::{Cli, Command, DbArgs, ExportCommand, ImportCommand, RoleArg, UserCommand};

use chiso_web::SystemClock;

fn cli_actor() -> Actor {
    Actor(
        std::env::var("USER")
            .map(|u| format!("cli:{u}"))
            .unwrap_or_else(|_| "cli".to_owned()),
    )
}

/// Whoever runs the command: the operator of the database, with the administrator's rights,
/// so that services apply the administrator's rules (not fewer).
pub(crate) fn cli_principal() -> Principal {
    Principal::new(cli_actor().0, vec![Grant::all_periods(Role::Admin)])
}

/// Opens (and migrates) the database named by the arguments.
pub(crate) async fn open(args: &DbArgs) -> Result<Db> {
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => {
            std::fs::create_dir_all(&args.data_dir).with_context(|| {
                format!("không tạo được thư mục dữ liệu {}", args.data_dir.display())
            })?;
            format!("sqlite://{}", args.data_dir.join("chiso.db").display())
        }
    };
    let db = system::connect(&url)
        .await
        .with_context(|| format!("không kết nối được cơ sở dữ liệu {}", redact(&url)))?;
    system::migrate(&db)
        .await
        .context("không cập nhật được lược đồ cơ sở dữ liệu")?;
    Ok(db)
}

/// Hides a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn parse_period(raw: &str) -> Result<PeriodCode> {
    PeriodCode::parse(raw).map_err(|e| anyhow!("mã kỳ đánh giá \"{raw}\": {e}"))
}

/// Turns a service error into its Vietnamese message (a file's problems one per line).
pub(crate) fn app(e: ServiceError) -> anyhow::Error {
    anyhow!(chiso_web::error::service_message(
        chiso_web::i18n::Lang::Vi,
        &e
    ))
}

/// Turns the problems of a file into their Vietnamese lines, as the web pages word them.
pub(crate) fn file(e: chiso_formats::ImportErrors) -> anyhow::Error {
    anyhow!(chiso_web::error::import_text(chiso_web::i18n::Lang::Vi, &e))
}

/// Refuses an input file that cannot be read, naming it with the reason in Vietnamese
/// ("không có tệp …", "không đủ quyền đọc …") before a reader reports the system's English
/// text. The readers then read it within their size bounds.
pub(crate) fn readable(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| anyhow!(describe(&e, path, Access::Read)))?;
    match file.metadata() {
        Ok(m) if m.is_dir() => {
            let e = std::io::Error::from(std::io::ErrorKind::IsADirectory);
            Err(anyhow!(describe(&e, path, Access::Read)))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(anyhow!(describe(&e, path, Access::Read))),
    }
}

/// A writer's error with the file named once and the reason in Vietnamese.
pub(crate) fn written(e: ExportError) -> anyhow::Error {
    match e {
        ExportError::Io { path, source } => {
            anyhow!(describe(&source, Path::new(&path), Access::Write))
        }
        other => anyhow!("{other}"),
    }
}

/// The period, or "không có kỳ đánh giá …" when the database has no such period (rather than
/// a message about its results or scores).
pub(crate) async fn existing_period(db: &Db, raw: &str) -> Result<PeriodCode> {
    let period = parse_period(raw)?;
    if find_period(db, &period).await.map_err(app)?.is_none() {
        anyhow::bail!("không có kỳ đánh giá {period}");
    }
    Ok(period)
}

pub async fn run(cli: Cli) -> Result<()> {
    let clock = SystemClock;
    match cli.command {
        Command::Serve {
            db,
            bind,
            no_demo,
            secure_cookies,
            trust_forwarded_for,
            evidence_max_mb,
            answer_file_max_mb,
            smtp,
            report,
        } => {
            let options = ServeOptions {
                report_issuer: report.issuer(),
                no_demo,
                secure_cookies,
                trust_forwarded_for,
                evidence_limit: evidence_max_mb * 1024 * 1024,
                answer_file_limit: answer_file_max_mb * 1024 * 1024,
            };
            serve(&db, bind, options, &smtp, &clock).await
        }
        Command::Outbox { what } => crate::outbox::run(what, &clock).await,
        Command::Survey { what } => crate::survey::run(what, &clock).await,
        Command::Migrate { db } => {
            let db = open(&db).await?;
            println!("Đã cập nhật lược đồ ({}).", db.backend_name());
            Ok(())
        }
        Command::Demo { db } => {
            let db = open(&db).await?;
            let n = load_demo(&db, clock.now()).await.map_err(app)?;
            println!(
                "Đã nạp dữ liệu mẫu Tỉnh Mẫu: {n} kỳ đã công bố và kỳ năm sau đang tự đánh giá."
            );
            Ok(())
        }
        Command::Compute {
            index_set,
            units,
            scores,
            previous,
            out,
        } => compute_files(&index_set, &units, &scores, previous.as_deref(), &out),
        Command::Import { what } => import(what, &clock).await,
        Command::Export {
            what:
                ExportCommand::Results {
                    db,
                    period,
                    version,
                    official,
                    out,
                    report,
                },
        } => {
            let export = crate::publication::ExportResults {
                period: &period,
                version,
                official,
                out: &out,
                issuer: report.issuer(),
            };
            crate::publication::export_results(&db, export, &clock).await
        }
        Command::Report { what } => crate::pdf_reports::run(what, &clock).await,
        Command::Publish {
            db,
            period,
            decision,
            date,
            reason,
            decision_file,
        } => {
            let args = crate::publication::PublishArgs {
                db,
                period,
                decision,
                date,
                reason,
                decision_file,
            };
            crate::publication::publish(args, &clock).await
        }
        Command::Correct { db, period, reason } => {
            crate::publication::correct(&db, &period, &reason, &clock).await
        }
        Command::Recompute { db, period } => {
            let db = open(&db).await?;
            let period = existing_period(&db, &period).await?;
            let progress = crate::progress::spinner(format!("Đang tính lại kỳ {period}…"));
            let r = compute_period(&db, &period, &cli_actor(), clock.now()).await;
            progress.finish_and_clear();
            let r = r.map_err(app)?;
            println!("Đã tính lại kỳ {period}: {} đơn vị.", r.units.len());
            Ok(())
        }
        Command::User {
            what:
                UserCommand::Add {
                    db,
                    login,
                    name,
                    admin,
                },
        } => {
            let db = open(&db).await?;
            let password = match std::env::var("CHISO_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("không đọc được mật khẩu")?;
                    s.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let display = name.unwrap_or_else(|| login.clone());
            // The same rules as the user administration page: login, name, password.
            let new = NewUser {
                login: login.clone(),
                display_name: display,
                password,
                is_admin: admin,
                email: String::new(),
            };
            users::create(&db, &BlockingPasswords, &cli_principal(), new, clock.now())
                .await
                .map_err(app)?;
            println!(
                "Đã tạo tài khoản {login}{}.",
                if admin { " (quản trị)" } else { "" }
            );
            Ok(())
        }
        Command::User {
            what:
                UserCommand::Grant {
                    db,
                    login,
                    role,
                    units,
                    areas,
                    period,
                },
        } => {
            let cmd = grant_of(&login, role, &units, &areas, period.as_deref())?;
            let db = open(&db).await?;
            // The same checks as the role page: the role's shape, units and periods that
            // exist, a role held once.
            let grant = chiso_services::roles::grant(&db, &cli_principal(), &cmd, clock.now())
                .await
                .map_err(app)?;
            println!("Đã cấp vai trò {} cho \"{login}\".", grant.role.label_vi());
            Ok(())
        }
        Command::BenchData {
            units,
            leaves,
            seed,
            out,
            survey_respondents,
        } => bench_data(units, leaves, seed, survey_respondents, &out),
    }
}

/// Switches of `chiso serve` besides the database and the address.
#[derive(Debug, Clone)]
struct ServeOptions {
    no_demo: bool,
    secure_cookies: bool,
    trust_forwarded_for: bool,
    /// Largest evidence file, in bytes.
    evidence_limit: u64,
    /// Largest survey answer file uploaded, in bytes.
    answer_file_limit: u64,
    /// Who issues the printed reports.
    report_issuer: chiso_services::reports::ReportIssuer,
}

async fn serve(
    args: &DbArgs,
    bind: std::net::SocketAddr,
    options: ServeOptions,
    smtp: &crate::cli::SmtpArgs,
    clock: &SystemClock,
) -> Result<()> {
    let outbox = outbox(smtp)?;
    let db = open(args).await?;
    if !options.no_demo && system::is_empty(&db).await.map_err(app)? {
        eprintln!("Cơ sở dữ liệu trống: đang nạp dữ liệu mẫu Tỉnh Mẫu…");
        load_demo(&db, clock.now()).await.map_err(app)?;
    }
    let demo = system::is_demo(&db).await.map_err(app)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("không mở được cổng {bind}"))?;
    let addr = listener.local_addr()?;
    println!("chiso đang chạy tại http://{addr} ({})", db.backend_name());
    // Evidence files live next to the default database, content-addressed (docs/adr/0001).
    let evidence_dir = args.data_dir.join("evidence");
    let evidence = chiso_web::LocalDiskStore::open(&evidence_dir)
        .await
        .with_context(|| {
            format!(
                "không mở được thư mục tài liệu kiểm chứng {}",
                evidence_dir.display()
            )
        })?;
    let defaults = chiso_web::WebConfig::default();
    // A request carrying one file of the largest size allowed, plus the form around it.
    let body_limit = usize::try_from(options.evidence_limit.saturating_add(1024 * 1024))
        .unwrap_or(usize::MAX)
        .max(defaults.body_limit);
    let config = chiso_web::WebConfig {
        demo,
        secure_cookies: options.secure_cookies,
        trust_forwarded_for: options.trust_forwarded_for,
        evidence_store: Some(std::sync::Arc::new(evidence)),
        evidence_limit: options.evidence_limit,
        answer_file_limit: options.answer_file_limit,
        body_limit,
        outbox,
        report_issuer: options.report_issuer,
        ..defaults
    };
    chiso_web::serve(db, config, listener, shutdown_signal()).await?;
    Ok(())
}

/// The outbox worker of `chiso serve`, if `--smtp-host` is given; refuses to start with a
/// host but no sender address rather than send nothing silently.
fn outbox(smtp: &crate::cli::SmtpArgs) -> Result<Option<chiso_jobs::OutboxConfig>> {
    let Some(host) = smtp.smtp_host.clone() else {
        return Ok(None);
    };
    let from = smtp
        .smtp_from
        .clone()
        .context("--smtp-host cần kèm --smtp-from (địa chỉ gửi thông báo)")?;
    let timeout = std::time::Duration::from_secs(smtp.smtp_timeout);
    let settings = chiso_jobs::SmtpSettings {
        host,
        port: smtp.smtp_port,
        user: smtp.smtp_user.clone(),
        password: std::env::var("CHISO_SMTP_PASSWORD").ok(),
        from,
        starttls: smtp.smtp_starttls,
        timeout,
    };
    let notifier = chiso_jobs::SmtpNotifier::new(&settings)
        .map_err(|e| anyhow!("cấu hình SMTP không hợp lệ: {e}"))?;
    tracing::info!(host = %settings.host, port = settings.port, "e-mail notifications on");
    let mut config = chiso_jobs::OutboxConfig::new(std::sync::Arc::new(notifier));
    config.first_retry = std::time::Duration::from_secs(smtp.smtp_retry_after);
    config.send_timeout = timeout;
    Ok(Some(config))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

/// `chiso compute`: files in, results file out, no database.
fn compute_files(
    set_path: &Path,
    units_path: &Path,
    scores_path: &Path,
    previous: Option<&Path>,
    out: &Path,
) -> Result<()> {
    for path in [set_path, units_path, scores_path]
        .into_iter()
        .chain(previous)
    {
        readable(path)?;
    }
    let progress = crate::progress::spinner("Đang đọc tệp…");
    let started = std::time::Instant::now();
    let set = chiso_formats::read_index_set(set_path).map_err(file)?;
    let units = chiso_formats::read_units(units_path).map_err(file)?;
    // The scores go straight into the computation's inputs, the file streamed from disk.
    let (_, inputs) = chiso_formats::read_unit_inputs(scores_path, &set, &units).map_err(file)?;
    let previous = match previous {
        Some(p) => chiso_formats::read_results(p).map_err(file)?,
        None => Vec::new(),
    };
    progress.set_message("Đang tính…");
    let read = started.elapsed();
    let results = compute(ComputeInput {
        set: &set,
        units: &inputs,
        previous: &previous,
        lineage: &units.lineage,
    })
    .map_err(|errs| {
        anyhow!(
            "{}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let computed = started.elapsed();
    // The inputs are no longer needed: freed before the results are written.
    drop(inputs);
    progress.set_message("Đang ghi kết quả…");
    chiso_formats::write_results(
        out,
        &results,
        std::slice::from_ref(&set),
        !previous.is_empty(),
        None,
    )
    .map_err(written)?;
    progress.finish_and_clear();
    let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    // Where the time went, for operators and the national benchmark (`compute_us` is its
    // yardstick for recomputes).
    tracing::info!(
        units = results.units.len(),
        read_us = micros(read),
        compute_us = micros(computed - read),
        write_us = micros(started.elapsed() - computed),
        "chiso compute: đã đọc tệp, tính và ghi kết quả"
    );
    print_summary(&results);
    println!("Đã ghi {}.", out.display());
    Ok(())
}

fn print_summary(results: &PeriodResults) {
    for g in &results.groups {
        println!(
            "{}: {} đơn vị, chỉ số bình quân {}",
            g.group,
            g.units,
            chiso_domain::fmt::vi_decimal(g.mean_index, 2)
        );
    }
}

async fn import(what: ImportCommand, clock: &SystemClock) -> Result<()> {
    let actor = cli_actor();
    match what {
        ImportCommand::IndexSet { db, file } => {
            readable(&file)?;
            // A draft of the same code is replaced, as the command always did; a set a period
            // uses, or a frozen one, is refused as on the web.
            let cmd = ImportIndexSet::from_path(&file, true).map_err(app)?;
            let db = open(&db).await?;
            let done = chiso_services::index_sets::import(&db, &cli_principal(), &cmd, clock.now())
                .await
                .map_err(app)?;
            println!("Đã nhập bộ chỉ số {} ({}).", done.code, done.name);
            Ok(())
        }
        ImportCommand::Units {
            db,
            file,
            period,
            index_set,
        } => {
            readable(&file)?;
            let (file_name, bytes) = chiso_services::index_sets::read_upload(&file).map_err(app)?;
            let db = open(&db).await?;
            let period = period.as_deref().map(parse_period).transpose()?;
            let set = match index_set {
                Some(s) => {
                    Some(SetCode::parse(&s).map_err(|e| anyhow!("mã bộ chỉ số \"{s}\": {e}"))?)
                }
                None => None,
            };
            // The same checks as the import page; only a missing period is created here, the
            // command line having no other way to start one.
            let cmd = ImportUnits {
                file_name,
                bytes,
                period,
                set,
                create_period: true,
            };
            let done = chiso_services::units::import(&db, &cli_principal(), &cmd, clock.now())
                .await
                .map_err(app)?;
            println!("Đã nhập {} đơn vị.", done.units);
            if let Some(period) = done.period {
                println!(
                    "Kỳ {period}: {} nhóm, {} đơn vị tham gia.",
                    done.groups.len(),
                    done.members
                );
            }
            Ok(())
        }
        ImportCommand::Scores { db, file, period } => {
            // An unreadable file is reported before the database is opened or changed.
            readable(&file)?;
            let db = open(&db).await?;
            let period = existing_period(&db, &period).await?;
            let bar = crate::progress::bar(0);
            let shown = bar.clone();
            let on_progress = move |p: chiso_services::import::ImportProgress| {
                crate::progress::show_import(&shown, p);
            };
            let done = chiso_services::import::import_scores(
                &db,
                &period,
                &file,
                &actor,
                clock.now(),
                &on_progress,
            )
            .await;
            bar.finish_and_clear();
            let done = done.map_err(app)?;
            println!(
                "Đã nhập {} giá trị ({} thay đổi); đã tính lại kỳ {period} ({} đơn vị).",
                done.values, done.changed, done.units
            );
            Ok(())
        }
    }
}

fn bench_data(
    units: usize,
    leaves: usize,
    seed: u64,
    survey_respondents: usize,
    out: &Path,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| {
        anyhow!(
            "không tạo được thư mục {}: {}",
            out.display(),
            crate::io_text::reason(&e)
        )
    })?;
    let data = chiso_demo::synthetic(units, leaves, seed);
    chiso_formats::write_index_set_yaml(&out.join("index-set.yaml"), &data.set).map_err(written)?;
    chiso_formats::write_units_csv(&out.join("units.csv"), &data.units, &data.members, &[])
        .map_err(written)?;
    chiso_formats::write_scores_long_csv(&out.join("scores.csv"), &data.inputs).map_err(written)?;
    if let Some(prev) = data.previous.last() {
        chiso_formats::write_previous_csv(&out.join("previous.csv"), prev).map_err(written)?;
    }
    println!(
        "Đã ghi bộ dữ liệu tổng hợp {units} đơn vị × {leaves} tiêu chí vào {}.",
        out.display()
    );
    if survey_respondents > 0 {
        let s = crate::bench_survey::write(&data, survey_respondents, seed, out)?;
        println!(
            "Đã ghi đợt điều tra tổng hợp: {} nhóm đối tượng, {} câu hỏi (mỗi câu một tiêu chí \
             điều tra); {survey_respondents} phiếu, {} câu trả lời.",
            s.groups, s.questions, s.answers
        );
    }
    Ok(())
}

/// The grant the `user grant` arguments describe, with the codes parsed; which role takes a
/// unit or a scope is for the roles service to judge.
fn grant_of(
    login: &str,
    role: RoleArg,
    units: &[String],
    areas: &[String],
    period: Option<&str>,
) -> Result<GrantRole> {
    let units = units
        .iter()
        .map(|u| UnitCode::parse(u).with_context(|| format!("mã đơn vị \"{u}\" không hợp lệ")))
        .collect::<Result<Vec<_>>>()?;
    let areas = areas
        .iter()
        .map(|a| NodeCode::parse(a).with_context(|| format!("mã lĩnh vực \"{a}\" không hợp lệ")))
        .collect::<Result<Vec<_>>>()?;
    let period = period
        .map(|p| {
            PeriodCode::parse(p).with_context(|| format!("mã kỳ đánh giá \"{p}\" không hợp lệ"))
        })
        .transpose()?;
    let role = match role {
        RoleArg::Admin => RoleKind::Admin,
        RoleArg::CouncilChair => RoleKind::CouncilChair,
        RoleArg::Observer => RoleKind::Observer,
        RoleArg::UnitOfficer => RoleKind::UnitOfficer,
        RoleArg::UnitLeader => RoleKind::UnitLeader,
        RoleArg::Appraiser => RoleKind::Appraiser,
    };
    Ok(GrantRole {
        login: login.to_owned(),
        role,
        units,
        areas,
        period,
    })
}
