//! The outbox delivered by the job worker over SMTP to a local server that speaks just enough
//! SMTP, on both databases: delivery, retry with backoff when the server is down, the dev outbox.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use chrono::Duration;
use domain::accounts::inputs::Language;
use domain::jobs::{self, Registry, run_once};
use domain::mail::delivery::{self, Delivery, SmtpMailer};
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
        attachments: Vec::new(),
    };
    mail::enqueue(&mut tx, &email).await.unwrap();
    tx.commit().await.unwrap();
}

/// Runs every due job once with e-mail delivery through `delivery`; answers how many ran.
async fn work(db: &Db, delivery: Delivery) -> usize {
    let registry = delivery::register(Registry::default(), db.clone(), delivery);
    let mut ran = 0;
    while run_once(db, &registry, "test-worker", Duration::minutes(5))
        .await
        .unwrap()
        .is_some()
    {
        ran += 1;
    }
    ran
}

fn smtp(port: u16) -> Delivery {
    Delivery::Smtp(
        SmtpMailer::new(
            &format!("smtp://127.0.0.1:{port}"),
            "Webrana Cloud <no-reply@webrana.test>",
        )
        .unwrap(),
    )
}

both_backends! {
    async fn due_emails_are_delivered_once(test: TestDb) {
        let (port, received) = smtp_server().await;
        enqueue(&test.db, "budi@example.com", "Konfirmasi e-mail Anda").await;
        enqueue(&test.db, "siti@example.com", "Reset your password").await;

        assert_eq!(work(&test.db, smtp(port)).await, 2);
        assert_eq!(work(&test.db, smtp(port)).await, 0, "nothing is sent twice");
        let messages = received.lock().unwrap().clone();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].contains("Subject: Konfirmasi e-mail Anda"), "{}", messages[0]);
        assert!(messages[0].contains("To: budi@example.com"));
        assert!(messages[0].contains("multipart/alternative"));
        let header = |message: &str, name: &str| {
            message.lines().find_map(|line| line.strip_prefix(name)).map(str::to_owned)
        };
        for message in &messages {
            assert!(header(message, "Date: ").is_some(), "{message}");
            let id = header(message, "Message-ID: ").unwrap_or_else(|| panic!("no Message-ID: {message}"));
            assert!(id.starts_with('<') && id.ends_with("@webrana.test>"), "{id}");
        }
        assert_ne!(header(&messages[0], "Message-ID: "), header(&messages[1], "Message-ID: "), "each message has its own id");
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert!(stored.iter().all(|email| email.sent_at.is_some()));
        assert_eq!(jobs::list(&test.db, Some("done"), Some(delivery::JOB_KIND), 10).await.unwrap().len(), 2);
    }

    async fn a_delivered_link_is_sent_whole_and_kept_without_its_token(test: TestDb) {
        let (port, received) = smtp_server().await;
        let link = "https://webrana.test/verify-email?token=s3cr3t-T0ken_value";
        let mut tx = test.db.begin().await.unwrap();
        let email = mail::compose("budi@example.com", "Budi", Language::Id, &mail::Letter { subject: "Konfirmasi e-mail Anda", paragraph: "Klik tautan ini.", link: Some(link), ..Default::default() });
        mail::enqueue(&mut tx, &email).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(work(&test.db, smtp(port)).await, 1);
        let message = received.lock().unwrap()[0].clone();
        assert!(message.contains("s3cr3t-T0ken_value"), "the recipient gets the working link: {message}");
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap().remove(0);
        assert!(stored.sent_at.is_some());
        for body in [&stored.body_text, &stored.body_html] {
            assert!(!body.contains("s3cr3t"), "{body}");
            assert!(body.contains("verify-email?token=removed-after-delivery"), "{body}");
        }
        // And admins of an installation with SMTP see no text at all.
        assert_eq!(stored.clone().for_admin(true).body_text, None);
        assert!(stored.for_admin(false).body_text.is_some());
    }

    async fn attachments_travel_with_their_email(test: TestDb) {
        let (port, received) = smtp_server().await;
        let mut tx = test.db.begin().await.unwrap();
        let mut email = mail::compose("budi@example.com", "Budi", Language::Id, &mail::Letter { subject: "Pembayaran diterima", paragraph: "Tagihan INV-202612-00001 telah lunas.", ..Default::default() });
        email.attachments.push(mail::Attachment {
            filename: "INV-202612-00001.pdf".into(),
            content_type: "application/pdf".into(),
            // A PDF is binary, as these bytes are, so it travels base64-encoded.
            content: b"%PDF-1.3\n%\xbb\xad\xc0\xde".to_vec(),
        });
        mail::enqueue(&mut tx, &email).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(work(&test.db, smtp(port)).await, 1);
        let message = received.lock().unwrap()[0].clone();
        assert!(message.contains("multipart/mixed"), "{message}");
        assert!(message.contains("multipart/alternative"), "the letter stays text and HTML: {message}");
        assert!(message.contains("Content-Disposition: attachment; filename=\"INV-202612-00001.pdf\""), "{message}");
        assert!(message.contains("Content-Type: application/pdf"), "{message}");
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.3\n%\xbb\xad\xc0\xde");
        assert!(message.contains(&encoded), "{message}");
    }

    async fn a_dead_server_means_a_retry_later_not_a_loss(test: TestDb) {
        // Bind and drop: the port is free, so connections are refused.
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        enqueue(&test.db, "andi@example.com", "Your password was changed").await;

        assert_eq!(work(&test.db, smtp(port)).await, 1);
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert!(stored[0].sent_at.is_none());
        assert!(stored[0].last_error.is_some());
        let job = &jobs::list(&test.db, None, None, 10).await.unwrap()[0];
        assert_eq!((job.state.as_str(), job.attempts), ("queued", 1));
        // Backing off: an immediate second pass leaves it alone.
        assert_eq!(work(&test.db, smtp(port)).await, 0);

        // Once the server is back and the wait is over, it goes out.
        let (port, received) = smtp_server().await;
        let now = chrono::Utc::now();
        domain::db_run!(&test.db, |pool| sqlx::query("UPDATE jobs SET run_at = $1").bind(now).execute(pool).await.map(|_| ())).unwrap();
        assert_eq!(work(&test.db, smtp(port)).await, 1);
        assert_eq!(received.lock().unwrap().len(), 1);
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert!(stored[0].sent_at.is_some() && stored[0].last_error.is_none());
    }

    async fn without_smtp_emails_stay_in_the_dev_outbox(test: TestDb) {
        enqueue(&test.db, "eko@example.com", "Konfirmasi e-mail Anda").await;
        assert_eq!(work(&test.db, Delivery::DevOutbox).await, 1);
        let stored = mail::list(&test.db, None, 10, 0).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(stored[0].sent_at.is_none());
        // Turning SMTP on later does not send old dev-outbox mail.
        let (port, received) = smtp_server().await;
        assert_eq!(work(&test.db, smtp(port)).await, 0);
        assert!(received.lock().unwrap().is_empty());
    }
}
