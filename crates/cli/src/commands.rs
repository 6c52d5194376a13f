//! What each command does. Commands are thin: parse arguments, call a service or a reader,
//! print a summary. Errors carry the Vietnamese message shown to the user.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use chiso_app::{AppError, compute::compute_period, demo::load_demo, users::add_user};
use chiso_domain::{
    Clock, ComputeInput, GroupName, IndexSet, Membership, PeriodCode, PeriodResults, SetCode,
    UnitInput, compute,
};
use chiso_store::{Actor, Db, index_sets, periods, results, scores, units};

use crate::cli::{Cli, Command, DbArgs, ExportCommand, ImportCommand, UserCommand};

/// The system clock; the only place that reads wall time.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

fn cli_actor() -> Actor {
    Actor(
        std::env::var("USER")
            .map(|u| format!("cli:{u}"))
            .unwrap_or_else(|_| "cli".to_owned()),
    )
}

/// Opens (and migrates) the database named by the arguments.
async fn open(args: &DbArgs) -> Result<Db> {
    let url = match &args.database_url {
        Some(u) => u.clone(),
        None => {
            std::fs::create_dir_all(&args.data_dir).with_context(|| {
                format!("không tạo được thư mục dữ liệu {}", args.data_dir.display())
            })?;
            format!("sqlite://{}", args.data_dir.join("chiso.db").display())
        }
    };
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("không kết nối được cơ sở dữ liệu {}", redact(&url)))?;
    db.migrate()
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

/// Turns a service error into a readable message (import errors one per line).
fn app(e: AppError) -> anyhow::Error {
    anyhow!("{e}")
}

pub async fn run(cli: Cli) -> Result<()> {
    let clock = SystemClock;
    match cli.command {
        Command::Serve { db, bind, no_demo } => serve(&db, bind, no_demo, &clock).await,
        Command::Migrate { db } => {
            let db = open(&db).await?;
            println!("Đã cập nhật lược đồ ({}).", db.backend_name());
            Ok(())
        }
        Command::Demo { db } => {
            let db = open(&db).await?;
            let n = load_demo(&db, clock.now()).await.map_err(app)?;
            println!("Đã nạp dữ liệu mẫu Tỉnh Mẫu: {n} kỳ đánh giá.");
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
            what: ExportCommand::Results { db, period, out },
        } => {
            let db = open(&db).await?;
            let period = parse_period(&period)?;
            let res = results::load(&db, &period)
                .await?
                .ok_or_else(|| anyhow!("kỳ {period} chưa có kết quả (chạy chiso recompute)"))?;
            let sets = period_sets(&db, &period).await?;
            let has_previous = res.units.iter().any(|u| u.previous_index.is_some());
            chiso_reports::write_results(&out, &res, &sets, has_previous)
                .with_context(|| format!("không ghi được {}", out.display()))?;
            println!("Đã ghi {} ({} đơn vị).", out.display(), res.units.len());
            Ok(())
        }
        Command::Recompute { db, period } => {
            let db = open(&db).await?;
            let period = parse_period(&period)?;
            let r = compute_period(&db, &period, &cli_actor(), clock.now())
                .await
                .map_err(app)?;
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
            add_user(
                &db,
                &login,
                &display,
                password,
                admin,
                &cli_actor(),
                clock.now(),
            )
            .await
            .map_err(app)?;
            println!(
                "Đã tạo tài khoản {login}{}.",
                if admin { " (quản trị)" } else { "" }
            );
            Ok(())
        }
        Command::BenchData {
            units,
            leaves,
            seed,
            out,
        } => bench_data(units, leaves, seed, &out),
    }
}

async fn serve(
    args: &DbArgs,
    bind: std::net::SocketAddr,
    no_demo: bool,
    clock: &SystemClock,
) -> Result<()> {
    let db = open(args).await?;
    if !no_demo && db.is_empty().await? {
        eprintln!("Cơ sở dữ liệu trống: đang nạp dữ liệu mẫu Tỉnh Mẫu…");
        load_demo(&db, clock.now()).await.map_err(app)?;
    }
    let demo = chiso_store::settings::is_demo(&db).await?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("không mở được cổng {bind}"))?;
    let addr = listener.local_addr()?;
    println!("chiso đang chạy tại http://{addr} ({})", db.backend_name());
    let config = chiso_web::WebConfig {
        demo,
        ..chiso_web::WebConfig::default()
    };
    chiso_web::serve(db, config, listener, shutdown_signal()).await?;
    Ok(())
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

/// The index sets a period's groups use, keyed by set code.
async fn period_sets(db: &Db, period: &PeriodCode) -> Result<Vec<IndexSet>> {
    let mut out = BTreeMap::new();
    for (_, code) in periods::groups(db, period).await? {
        if !out.contains_key(&code) {
            let set = index_sets::get(db, &code)
                .await?
                .ok_or_else(|| anyhow!("không có bộ chỉ số {code}"))?;
            out.insert(code, set);
        }
    }
    Ok(out.into_values().collect())
}

/// `chiso compute`: files in, results file out, no database.
fn compute_files(
    set_path: &Path,
    units_path: &Path,
    scores_path: &Path,
    previous: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let set = chiso_reports::read_index_set(set_path).map_err(|e| anyhow!("{e}"))?;
    let units = chiso_reports::read_units(units_path).map_err(|e| anyhow!("{e}"))?;
    let known: Vec<_> = units.units.iter().map(|u| u.code.clone()).collect();
    let scores =
        chiso_reports::read_scores(scores_path, &set, Some(&known)).map_err(|e| anyhow!("{e}"))?;
    let previous = match previous {
        Some(p) => chiso_reports::read_results(p).map_err(|e| anyhow!("{e}"))?,
        None => Vec::new(),
    };
    let inputs = unit_inputs(&units, scores);
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
    chiso_reports::write_results(
        out,
        &results,
        std::slice::from_ref(&set),
        !previous.is_empty(),
    )
    .with_context(|| format!("không ghi được {}", out.display()))?;
    print_summary(&results);
    println!("Đã ghi {}.", out.display());
    Ok(())
}

fn unit_inputs(
    units: &chiso_reports::UnitsFile,
    scores: chiso_reports::ScoresFile,
) -> Vec<UnitInput> {
    let mut values: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for (unit, node, value) in scores.into_values() {
        values
            .entry(unit)
            .or_insert_with(Vec::new)
            .push((node, value));
    }
    let names: BTreeMap<_, _> = units.units.iter().map(|u| (&u.code, &u.name)).collect();
    units
        .memberships
        .iter()
        .map(|m: &Membership| UnitInput {
            unit: m.unit.clone(),
            name: names.get(&m.unit).map(|n| (*n).clone()).unwrap_or_default(),
            group: m.group.clone(),
            ranked: m.ranked,
            values: values.remove(&m.unit).unwrap_or_default(),
        })
        .collect()
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
            let set = chiso_reports::read_index_set(&file).map_err(|e| anyhow!("{e}"))?;
            let db = open(&db).await?;
            index_sets::save(&db, &set, &actor, clock.now()).await?;
            println!("Đã nhập bộ chỉ số {} ({}).", set.code, set.name);
            Ok(())
        }
        ImportCommand::Units {
            db,
            file,
            period,
            index_set,
        } => {
            let file_data = chiso_reports::read_units(&file).map_err(|e| anyhow!("{e}"))?;
            let db = open(&db).await?;
            units::upsert_many(
                &db,
                &file_data.units,
                &file_data.lineage,
                &actor,
                clock.now(),
            )
            .await?;
            println!("Đã nhập {} đơn vị.", file_data.units.len());
            if let Some(period) = period {
                let period = parse_period(&period)?;
                if periods::get(&db, &period).await?.is_none() {
                    let year: i32 = period
                        .as_str()
                        .chars()
                        .filter(char::is_ascii_digit)
                        .collect::<String>()
                        .parse()
                        .map_err(|_| anyhow!("không suy ra được năm từ mã kỳ \"{period}\""))?;
                    let p = periods::Period {
                        code: period.clone(),
                        year,
                        name: format!("Chỉ số CCHC năm {year}"),
                        previous: None,
                        status: "draft".to_owned(),
                        decision: None,
                        computed_at: None,
                    };
                    periods::create(&db, &p, &actor, clock.now()).await?;
                }
                let existing: BTreeMap<GroupName, SetCode> =
                    periods::groups(&db, &period).await?.into_iter().collect();
                let set = match index_set {
                    Some(s) => {
                        Some(SetCode::parse(&s).map_err(|e| anyhow!("mã bộ chỉ số \"{s}\": {e}"))?)
                    }
                    None => None,
                };
                let mut groups = Vec::new();
                for m in &file_data.memberships {
                    if groups
                        .iter()
                        .any(|(g, _): &(GroupName, SetCode)| g == &m.group)
                    {
                        continue;
                    }
                    let code = set
                        .clone()
                        .or_else(|| existing.get(&m.group).cloned())
                        .ok_or_else(|| {
                            anyhow!(
                                "nhóm \"{}\" chưa có bộ chỉ số: thêm --index-set MÃ",
                                m.group
                            )
                        })?;
                    if index_sets::get(&db, &code).await?.is_none() {
                        bail!("không có bộ chỉ số {code}: nhập nó trước (chiso import index-set)");
                    }
                    groups.push((m.group.clone(), code));
                }
                periods::set_groups(
                    &db,
                    &period,
                    &groups,
                    &file_data.memberships,
                    &actor,
                    clock.now(),
                )
                .await?;
                println!(
                    "Kỳ {period}: {} nhóm, {} đơn vị tham gia.",
                    groups.len(),
                    file_data.memberships.len()
                );
            }
            Ok(())
        }
        ImportCommand::Scores { db, file, period } => {
            let db = open(&db).await?;
            let period = parse_period(&period)?;
            let changes = chiso_app::import::read_scores_for_period(&db, &period, &file)
                .await
                .map_err(app)?;
            scores::put(
                &db,
                &period,
                &changes,
                &actor,
                clock.now(),
                &format!("Nhập tệp {}", file.display()),
            )
            .await?;
            let r = compute_period(&db, &period, &actor, clock.now())
                .await
                .map_err(app)?;
            println!(
                "Đã nhập {} giá trị; đã tính lại kỳ {period} ({} đơn vị).",
                changes.len(),
                r.units.len()
            );
            Ok(())
        }
    }
}

fn bench_data(units: usize, leaves: usize, seed: u64, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("không tạo được thư mục {}", out.display()))?;
    let data = chiso_demo::synthetic(units, leaves, seed);
    chiso_reports::write_index_set_yaml(&out.join("index-set.yaml"), &data.set)?;
    chiso_reports::write_units_csv(&out.join("units.csv"), &data.units, &data.members, &[])?;
    chiso_reports::write_scores_long_csv(&out.join("scores.csv"), &data.inputs)?;
    if let Some(prev) = data.previous.last() {
        chiso_reports::write_previous_csv(&out.join("previous.csv"), prev)?;
    }
    println!(
        "Đã ghi bộ dữ liệu tổng hợp {units} đơn vị × {leaves} tiêu chí vào {}.",
        out.display()
    );
    Ok(())
}
