//! `chiso import scores` killed with SIGKILL at random moments, on SQLite and (with
//! `CHISO_TEST_PG`) PostgreSQL: every run leaves the period either as it was or fully
//! imported, and in both cases its scores, their audit entries and its results agree (the
//! results are those a recomputation of the stored scores gives; each stored value has one
//! audit entry per version).
//!
//! The kill moments are random sleeps spread over one measured import, from a seed printed
//! at the start; set `CHISO_CRASH_SEED` to replay a run, `CHISO_CRASH_RUNS` to change the
//! number of runs per backend (default 20).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chiso_domain::{NodeCode, PeriodCode, Points, RawValue, UnitCode};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::testing::{Backend, TestDb, backends, with_database};
use chiso_store::{Db, results, scores};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sqlx::Connection;

/// Large enough that an import takes a measurable time (4 800 values), small enough for
/// twenty runs per backend in well under a minute on two cores.
const UNITS: &str = "120";
const LEAVES: &str = "40";
const PERIOD: &str = "2025";

fn chiso() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chiso"));
    c.env("CHISO_LOG", "warn");
    c
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("the chiso binary runs");
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

/// A benchmark dataset and two scores files for it: `old.csv` gives each unit the values of
/// the next unit of the bench file, `new.csv` is the bench file itself, so nearly every value
/// differs between the two.
struct Files {
    _dir: tempfile::TempDir,
    data: PathBuf,
    old: PathBuf,
    new: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(chiso()
        .args(["bench-data", "--units", UNITS, "--leaves", LEAVES, "--out"])
        .arg(&data));
    let new = data.join("scores.csv");
    let csv = std::fs::read_to_string(&new).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let rows: Vec<(&str, &str)> = lines.map(|l| l.split_once(',').unwrap()).collect();
    let mut units: Vec<&str> = rows.iter().map(|(u, _)| *u).collect();
    units.dedup();
    let next: BTreeMap<&str, &str> = units
        .iter()
        .zip(units.iter().cycle().skip(1))
        .map(|(a, b)| (*a, *b))
        .collect();
    let mut old_csv = format!("{header}\n");
    for (unit, rest) in &rows {
        old_csv.push_str(&format!("{},{rest}\n", next[unit]));
    }
    let old = dir.path().join("old.csv");
    std::fs::write(&old, old_csv).unwrap();
    Files {
        _dir: dir,
        data,
        old,
        new,
    }
}

/// Fresh databases copied from one prepared base on a backend.
enum Source {
    /// The base SQLite file.
    Sqlite(PathBuf),
    /// Admin URL and the base database, used as a template.
    Postgres { admin: String, base: String },
}

impl Source {
    /// A new database holding what the base holds; its URL.
    async fn copy(&self, dir: &Path, n: usize) -> String {
        match self {
            Source::Sqlite(base) => {
                let file = dir.join(format!("run-{n}.db"));
                std::fs::copy(base, &file).unwrap();
                let wal = base.with_extension("db-wal");
                if wal.exists() {
                    std::fs::copy(&wal, file.with_extension("db-wal")).unwrap();
                }
                format!("sqlite://{}", file.display())
            }
            Source::Postgres { admin, base } => {
                let name = format!("{base}_run{n}");
                admin_sql(admin, &format!("CREATE DATABASE {name} TEMPLATE {base}")).await;
                with_database(admin, &name)
            }
        }
    }

    /// Removes a copy made by [`Source::copy`] (a SQLite file goes with its folder).
    async fn remove(&self, n: usize) {
        if let Source::Postgres { admin, base } = self {
            admin_sql(
                admin,
                &format!("DROP DATABASE IF EXISTS {base}_run{n} WITH (FORCE)"),
            )
            .await;
        }
    }
}

async fn admin_sql(admin: &str, sql: &str) {
    let mut c = sqlx::PgConnection::connect(admin).await.expect("admin");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    c.close().await.ok();
}

/// A stored value as the comparison needs it (versions and times differ between runs).
type Values = BTreeMap<(UnitCode, NodeCode), (Option<RawValue>, Option<Points>, Option<String>)>;

async fn values(db: &Db, period: &PeriodCode) -> Values {
    scores::list(db, period)
        .await
        .unwrap()
        .into_iter()
        .map(|s| ((s.unit, s.node), (s.input, s.points, s.note)))
        .collect()
}

/// Which state a run left, after checking that scores, audit entries and results agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Old,
    New,
}

struct Expected {
    old: Values,
    new: Values,
    /// Audit entries of the results in the base (the import adds one).
    results_entries: usize,
}

async fn check(url: &str, period: &PeriodCode, expected: &Expected, what: &str) -> State {
    let db = Db::connect(url).await.unwrap();
    let stored = scores::list(&db, period).await.unwrap();
    let now = values(&db, period).await;
    let state = if now == expected.old {
        State::Old
    } else if now == expected.new {
        State::New
    } else {
        let old_diff = now.iter().filter(|(k, v)| expected.old.get(k) != Some(v));
        let new_diff = now.iter().filter(|(k, v)| expected.new.get(k) != Some(v));
        panic!(
            "{what}: scores are neither the old nor the new ones ({} differ from the old, {} \
             from the new)",
            old_diff.count(),
            new_diff.count()
        );
    };

    // One audit entry per version of every stored value, the newest one holding it.
    let entries = audit::list(
        &db,
        &AuditFilter {
            period: Some(period.clone()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    let mut per_key: BTreeMap<&str, Vec<&audit::AuditEntry>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.entity == scores::ENTITY) {
        per_key.entry(e.entity_key.as_str()).or_default().push(e);
    }
    for s in &stored {
        let key = format!("{period}/{}/{}", s.unit, s.node);
        let es = per_key.remove(key.as_str()).unwrap_or_default();
        assert_eq!(
            es.len() as i64,
            s.version,
            "{what} ({state:?}): {key} is at version {} with {} audit entries",
            s.version,
            es.len()
        );
        let newest = es[0].new.as_ref().unwrap();
        assert_eq!(newest["version"], s.version, "{what}: {key}");
        assert_eq!(
            newest["input"],
            serde_json::to_value(&s.input).unwrap(),
            "{what}: {key}: the newest audit entry holds the stored input"
        );
    }
    assert!(
        per_key.is_empty(),
        "{what}: audit entries of values not stored: {:?}",
        per_key.keys().take(3).collect::<Vec<_>>()
    );
    let results_entries = entries
        .iter()
        .filter(|e| e.entity == results::ENTITY)
        .count();
    let want = match state {
        State::Old => expected.results_entries,
        State::New => expected.results_entries + 1,
    };
    assert_eq!(results_entries, want, "{what} ({state:?}): results audit");

    // The stored results are those of the stored scores.
    let served = results::load(&db, period).await.unwrap();
    let recomputed = chiso_services::compute::compute_stored(&db, period)
        .await
        .unwrap();
    assert!(
        served.as_ref() == Some(&recomputed),
        "{what} ({state:?}): the stored results are not a recomputation of the stored scores"
    );
    db.close().await;
    state
}

fn import(url: &str, file: &Path) -> Command {
    let mut c = chiso();
    c.args([
        "import",
        "scores",
        "--period",
        PERIOD,
        "--database-url",
        url,
    ])
    .arg(file)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_at_any_moment_leaves_the_old_or_the_new_state_consistent() {
    let runs: usize = std::env::var("CHISO_CRASH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("CHISO_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("CHISO_CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let f = files();
    let period = PeriodCode::parse(PERIOD).unwrap();

    for backend in backends() {
        let name = backend.name();
        let started = Instant::now();
        let base = TestDb::new(&backend).await;
        let url = base.url.clone();
        let db_arg = |c: &mut Command| {
            c.arg("--database-url").arg(&url);
        };
        let mut c = chiso();
        c.args(["import", "index-set"])
            .arg(f.data.join("index-set.yaml"));
        db_arg(&mut c);
        ok(&mut c);
        let mut c = chiso();
        c.args(["import", "units"])
            .arg(f.data.join("units.csv"))
            .args(["--period", PERIOD, "--index-set", "TONG-HOP"]);
        db_arg(&mut c);
        ok(&mut c);
        let mut c = chiso();
        c.args(["import", "scores", "--period", PERIOD]).arg(&f.old);
        db_arg(&mut c);
        ok(&mut c);
        let old = values(&base.db, &period).await;
        let results_entries = audit::list(
            &base.db,
            &AuditFilter {
                period: Some(period.clone()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .filter(|e| e.entity == results::ENTITY)
        .count();
        base.db.close().await;
        let source = match &backend {
            Backend::Sqlite => Source::Sqlite(base.dir().join("test.db")),
            Backend::Postgres(admin) => {
                let name = url.rsplit('/').next().unwrap().to_owned();
                Source::Postgres {
                    admin: admin.clone(),
                    base: name,
                }
            }
        };

        // One import left to finish: how long one takes, and the new state.
        let work = tempfile::tempdir().unwrap();
        let full_url = source.copy(work.path(), 0).await;
        let t0 = Instant::now();
        let status = import(&full_url, &f.new).status().unwrap();
        let full = t0.elapsed();
        assert!(status.success(), "[{name}] the import runs to its end");
        let db = Db::connect(&full_url).await.unwrap();
        let new = values(&db, &period).await;
        db.close().await;
        assert_ne!(old, new);
        let expected = Expected {
            old,
            new,
            results_entries,
        };
        assert_eq!(
            check(&full_url, &period, &expected, &format!("[{name}] full")).await,
            State::New
        );
        source.remove(0).await;
        println!("[{name}] one import takes {full:?}");

        let mut outcomes = BTreeMap::new();
        for n in 1..=runs {
            let url = source.copy(work.path(), n).await;
            // Over the whole run and a little past it, so some runs finish before the kill.
            let span = full.as_micros() as u64 * 3 / 2;
            let wait = Duration::from_micros(rng.random_range(0..=span));
            let mut child = import(&url, &f.new).spawn().unwrap();
            std::thread::sleep(wait);
            child.kill().ok(); // SIGKILL; the import may have finished already.
            let exit = child.wait().unwrap();
            let what = format!("[{name}] run {n}, killed after {wait:?} ({exit})");
            let state = check(&url, &period, &expected, &what).await;
            println!("{what}: {state:?}");
            *outcomes.entry(format!("{state:?}")).or_insert(0) += 1;
            source.remove(n).await;
        }
        println!(
            "[{name}] {runs} runs: {outcomes:?} in {:?}",
            started.elapsed()
        );
        base.drop_database().await;
    }
}
