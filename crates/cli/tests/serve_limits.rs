//! `chiso serve` under a flood of sign-in attempts, measured on the real binary: its memory
//! is read from `/proc/<pid>/status`, so the figure is the one an operator would see.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Peak memory growth allowed for 128 parallel anonymous sign-in attempts (documented in
/// docs/security.md): one Argon2id buffer (19 MiB) per hashing thread, i.e. per core, plus
/// 32 MiB for everything else. Without a cap on concurrent hashes 128 attempts took the server
/// from 0.26 to 3.2 GB.
fn flood_growth_limit_kib() -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    (u64::try_from(cores).unwrap_or(64) * 20 + 32) * 1024
}

/// The server process, killed when the test ends however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A `kB` figure of `/proc/<pid>/status`.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in:\n{status}"))
}

fn csrf_of(body: &str) -> String {
    let start = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in:\n{body}"))
        + "name=\"csrf\" value=\"".len();
    body[start..].split('"').next().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_anonymous_sign_ins_keeps_the_servers_memory_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(["serve", "--no-demo", "--trust-forwarded-for", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path())
            .env("CHISO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chiso serve starts"),
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let form = client
        .get(format!("{base}/dang-nhap"))
        .send()
        .await
        .expect("form");
    let token = csrf_of(&form.text().await.expect("page"));
    let attempt = |i: usize| {
        // Each from its own address (behind a trusted proxy), so that the per-address limit
        // does not stop them before the hashing gate does.
        let req = client
            .post(format!("{base}/dang-nhap"))
            .header(
                "x-forwarded-for",
                format!("10.0.{}.{}", i / 250, i % 250 + 1),
            )
            .form(&[
                ("csrf", token.as_str()),
                ("login", format!("khong-co-{i}").as_str()),
                ("password", "bat-ky-mat-khau"),
            ]);
        async move { req.send().await.expect("attempt").status().as_u16() }
    };
    // One attempt first, so that the baseline includes one verification's memory.
    assert_eq!(attempt(1000).await, 401);
    let baseline = status_kib(pid, "VmHWM");

    let flood: Vec<_> = (0..128).map(attempt).collect();
    let statuses = spawn_all(flood).await;
    let peak = status_kib(pid, "VmHWM");
    let rss = status_kib(pid, "VmRSS");
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(checked + busy, 128, "{statuses:?}");
    assert!(checked > 0);
    let growth = peak.saturating_sub(baseline);
    eprintln!(
        "baseline peak {baseline} KiB, peak after the flood {peak} KiB (+{growth} KiB), \
         RSS {rss} KiB; {checked} checked, {busy} refused as busy"
    );
    assert!(
        growth < flood_growth_limit_kib(),
        "peak memory grew by {growth} KiB (from {baseline} KiB)"
    );
}

/// Runs the futures concurrently on this task, each on its own task.
async fn spawn_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: Vec<F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("attempt task"));
    }
    out
}
