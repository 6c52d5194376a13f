//! A minimal SMTP server for tests of e-mail notifications: it speaks just enough of the
//! protocol for the application's mailer and keeps what it receives.

use std::sync::Arc;
use std::time::Duration;

use chiso_jobs::{OutboxConfig, SmtpNotifier, SmtpSettings};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The outbox worker of the application, sending to the test server on `port` and looking
/// for work every 50 ms.
pub fn smtp_outbox(port: u16) -> OutboxConfig {
    let settings = SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        user: None,
        password: None,
        from: "Chỉ số CCHC <cchc@example.vn>".to_owned(),
        starttls: false,
        timeout: Duration::from_secs(10),
    };
    let mut config = OutboxConfig::new(Arc::new(SmtpNotifier::new(&settings).expect("notifier")));
    config.poll = Duration::from_millis(50);
    config
}

/// One message as received: the envelope recipients and the data.
#[derive(Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

/// Listens on a free port of 127.0.0.1 and hands every message received to the channel.
pub async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.ok();
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "RCPT" => {
                            to.push(line[8..].trim().to_owned());
                            b"250 OK\r\n"
                        }
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.ok();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            let _ = tx.send(Mail {
                                to: std::mem::take(&mut to),
                                data,
                            });
                            b"250 OK\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, rx)
}

/// The next message, waiting at most long enough for a slow machine.
pub async fn next_mail(rx: &mut mpsc::UnboundedReceiver<Mail>) -> Mail {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("an e-mail arrives")
        .expect("the server runs")
}

/// The text of a message with its quoted-printable or base64 body decoded enough to search:
/// lettre encodes non-ASCII bodies, so the test looks at the decoded subject and body.
pub fn decoded(data: &str) -> String {
    let (head, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let mut out = head.to_owned();
    out.push('\n');
    if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        out.push_str(&String::from_utf8_lossy(&base64(&body.replace('\n', ""))));
    } else if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        out.push_str(&String::from_utf8_lossy(&quoted_printable(body)));
    } else {
        out.push_str(body);
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        acc = (acc << 6) | u32::try_from(v).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
