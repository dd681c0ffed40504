//! The outbox delivered over SMTP to a local server that speaks just enough SMTP, on both
//! databases: delivery, retry with backoff when the server is down, no double claims.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use domain::mail::delivery::{SmtpMailer, deliver_due};
use domain::mail::{self, OutgoingEmail};
use domain::{Db, both_backends};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Accepts SMTP sessions on a free port and keeps each message's DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            write.write_all(b"354 send it\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                message.push_str(&line);
                                message.push('\n');
                            }
                            store.lock().unwrap().push(message);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

async fn enqueue(db: &Db, to: &str, subject: &str) {
    let mut tx = db.begin().await.unwrap();
    let email = OutgoingEmail {
        to: to.into(),
        subject: subject.into(),
        text: format!("{subject}\n"),
        html: format!("<p>{subject}</p>"),
    };
    mail::enqueue(&mut tx, &email).await.unwrap();
    tx.commit().await.unwrap();
}

both_backends! {
    async fn due_emails_are_delivered_once(test: TestDb) {
        let (port, received) = smtp_server().await;
        let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "Webrana Cloud <no-reply@webrana.test>").unwrap();
        enqueue(&test.db, "budi@example.com", "Konfirmasi e-mail Anda").await;
        enqueue(&test.db, "siti@example.com", "Reset your password").await;

        assert_eq!(deliver_due(&test.db, &mailer, 10).await.unwrap(), 2);
        assert_eq!(deliver_due(&test.db, &mailer, 10).await.unwrap(), 0, "nothing is sent twice");
        let messages = received.lock().unwrap().clone();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].contains("Subject: Konfirmasi e-mail Anda"), "{}", messages[0]);
        assert!(messages[0].contains("To: budi@example.com"));
        assert!(messages[0].contains("multipart/alternative"));
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert!(stored.iter().all(|email| email.sent_at.is_some() && email.attempts == 1));
    }

    async fn a_dead_server_means_a_retry_later_not_a_loss(test: TestDb) {
        // Bind and drop: the port is free, so connections are refused.
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@webrana.test").unwrap();
        enqueue(&test.db, "andi@example.com", "Your password was changed").await;

        assert_eq!(deliver_due(&test.db, &mailer, 10).await.unwrap(), 0);
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert_eq!(stored[0].attempts, 1);
        assert!(stored[0].sent_at.is_none());
        assert!(stored[0].last_error.is_some());
        // Backing off: an immediate second pass leaves it alone.
        assert_eq!(deliver_due(&test.db, &mailer, 10).await.unwrap(), 0);
        assert_eq!(mail::list(&test.db, None, 10, 0).await.unwrap()[0].attempts, 1);

        // Once the server is back and the wait is over, it goes out.
        let (port, received) = smtp_server().await;
        let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@webrana.test").unwrap();
        let now = chrono::Utc::now();
        domain::db_run!(&test.db, |pool| sqlx::query("UPDATE emails SET next_attempt_at = $1").bind(now).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(deliver_due(&test.db, &mailer, 10).await.unwrap(), 1);
        assert_eq!(received.lock().unwrap().len(), 1);
    }
}
