//! Customers' SSH keys on both databases: add, list, remove, the two duplicate rules, ownership,
//! the audit trail, and the keys handed to provisioning.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use domain::audit::{self, AuditFilter};
use domain::caller::ClientInfo;
use domain::error::{Code, ErrorCode};
use domain::ssh_keys::{self, SshKeyError};
use domain::{Db, both_backends, db_run};

// Generated with `ssh-keygen`; fingerprints from `ssh-keygen -lf`.
const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKoCkQhgnO4dXJDy09gC29EunEKOGTEk6oX9tNzA1P/C budi@laptop";
const ED25519_FINGERPRINT: &str = "SHA256:WodgPDn5ds4QcgbC5T636Gl84wAyKPale7CpBHYD7xM";
const ED25519_OTHER: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKbw6XfK4lamWEMc4cA3DLhryw8jkvofwx8Y4MnqtTZb second";
const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCTLv3cJI3WZeXFbMkyc9LtxMSINkSSuAaZnCybc+Q8qoMVfNmsHIPa2+GBYpeg1lHi6hEYadj4b2b9/1XF7kpJJF3xWx1x0y6oW/Q5xYEk6ckVzNem48xC1QKZaKampy5LU2KYVh/u89RG0UoX8UTmMQME8Sv+m0BBsYl75Y5fHiau0OT4g2FJW62YjttAw0Xt5F7TQQ0fMBJOb0m0cY25npLL8PZBxzYIVfq9PaBVbuJ2GbZrySCaCdrWrAz3AplS8r9LarDYZr9b3LcIyHv6FY9gz5f6+u+PhDA/haXvJ16kj6XmNeahaB87CNi5OFFBYQzTInstbfR3f8BgsWfT rsa2048";

fn client() -> ClientInfo {
    ClientInfo {
        ip: "203.0.113.9".into(),
        user_agent: "test".into(),
    }
}

/// A bare customer row: these tests are about keys, not sign-up.
async fn user(db: &Db, email: &str) -> i64 {
    let now = Utc::now();
    db_run!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO users (email, name, password_hash, role, language, failed_logins, created_at, updated_at) \
             VALUES ($1, 'Budi', 'x', 'customer', 'id', 0, $2, $2) RETURNING id",
        )
        .bind(email)
        .bind(now)
        .fetch_one(pool)
        .await
    })
    .unwrap()
}

both_backends! {
    async fn keys_are_added_listed_and_removed(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        let added = ssh_keys::add(db, budi, "  Laptop ", &format!("  {ED25519}\n"), &client())
            .await
            .unwrap();
        assert_eq!(added.name, "Laptop");
        assert_eq!(added.public_key, ED25519);
        assert_eq!(added.fingerprint, ED25519_FINGERPRINT);
        assert_eq!((added.algorithm.as_str(), added.bits), ("ed25519", 256));
        let rsa = ssh_keys::add(db, budi, "Kantor", RSA_2048, &client()).await.unwrap();
        assert_eq!((rsa.algorithm.as_str(), rsa.bits), ("rsa", 2048));

        let listed = ssh_keys::list(db, budi).await.unwrap();
        assert_eq!(listed, vec![added.clone(), rsa.clone()]);

        ssh_keys::remove(db, budi, added.id, &client()).await.unwrap();
        assert_eq!(ssh_keys::list(db, budi).await.unwrap(), vec![rsa]);
        let again = ssh_keys::remove(db, budi, added.id, &client()).await.unwrap_err();
        assert!(matches!(again, SshKeyError::NotFound));

        let filter = AuditFilter { limit: 10, ..Default::default() };
        let actions: Vec<_> = audit::list(db, &filter)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| (entry.action, entry.actor_user_id, entry.ip))
            .collect();
        let ip = Some("203.0.113.9".to_owned());
        assert_eq!(
            actions,
            [
                ("ssh_key_removed".to_owned(), Some(budi), ip.clone()),
                ("ssh_key_added".to_owned(), Some(budi), ip.clone()),
                ("ssh_key_added".to_owned(), Some(budi), ip),
            ]
        );
    }

    async fn the_same_name_or_key_twice_is_refused(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        ssh_keys::add(db, budi, "Laptop", ED25519, &client()).await.unwrap();

        let same_key = ssh_keys::add(db, budi, "Laptop lama", ED25519, &client()).await.unwrap_err();
        assert!(matches!(&same_key, SshKeyError::Duplicate(name) if name == "Laptop"), "{same_key:?}");
        assert_eq!((same_key.code(), same_key.field()), (Code::SshKeyDuplicate, Some("public_key")));

        // The same key with another comment is still the same key.
        let recommented = ED25519.replace("budi@laptop", "budi@desktop");
        let same_key = ssh_keys::add(db, budi, "Desktop", &recommented, &client()).await.unwrap_err();
        assert!(matches!(same_key, SshKeyError::Duplicate(_)));

        let same_name = ssh_keys::add(db, budi, "Laptop", ED25519_OTHER, &client()).await.unwrap_err();
        assert!(matches!(&same_name, SshKeyError::NameTaken(name) if name == "Laptop"));
        assert_eq!((same_name.code(), same_name.field()), (Code::SshKeyNameTaken, Some("name")));

        assert_eq!(ssh_keys::list(db, budi).await.unwrap().len(), 1);
        // Refused attempts leave nothing in the audit log.
        let filter = AuditFilter { limit: 10, ..Default::default() };
        assert_eq!(audit::list(db, &filter).await.unwrap().len(), 1);
    }

    async fn invalid_input_is_refused_before_touching_the_database(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        let bad_key = ssh_keys::add(db, budi, "Laptop", "ssh-ed25519 nonsense", &client())
            .await
            .unwrap_err();
        assert_eq!(bad_key.code(), Code::SshKeyInvalid);
        let bad_name = ssh_keys::add(db, budi, " ", ED25519, &client()).await.unwrap_err();
        assert_eq!(bad_name.code(), Code::SshKeyNameInvalid);
        assert!(ssh_keys::list(db, budi).await.unwrap().is_empty());
    }

    async fn other_customers_keys_are_not_found(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        let sari = user(db, "sari@example.id").await;
        let budis = ssh_keys::add(db, budi, "Laptop", ED25519, &client()).await.unwrap();
        // Keys and names are per customer: Sari may save the same key under the same name.
        let saris = ssh_keys::add(db, sari, "Laptop", ED25519, &client()).await.unwrap();

        assert_eq!(ssh_keys::list(db, sari).await.unwrap(), vec![saris.clone()]);
        let error = ssh_keys::remove(db, sari, budis.id, &client()).await.unwrap_err();
        assert!(matches!(error, SshKeyError::NotFound));
        assert_eq!(error.code(), Code::NotFound);
        assert_eq!(ssh_keys::list(db, budi).await.unwrap(), vec![budis]);
    }

    async fn provisioning_gets_only_the_owners_chosen_keys(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        let sari = user(db, "sari@example.id").await;
        let laptop = ssh_keys::add(db, budi, "Laptop", ED25519, &client()).await.unwrap();
        let office = ssh_keys::add(db, budi, "Kantor", RSA_2048, &client()).await.unwrap();
        ssh_keys::add(db, budi, "Cadangan", ED25519_OTHER, &client()).await.unwrap();
        let saris = ssh_keys::add(db, sari, "Sari", ED25519_OTHER, &client()).await.unwrap();

        let chosen = ssh_keys::for_provisioning(db, budi, &[office.id, laptop.id, office.id])
            .await
            .unwrap();
        let names: Vec<_> = chosen.iter().map(|key| key.name.as_str()).collect();
        assert_eq!(names, ["Kantor", "Laptop"]);
        assert_eq!(chosen[1].openssh, ED25519);
        assert_eq!(chosen[1].fingerprint, ED25519_FINGERPRINT);

        assert!(ssh_keys::for_provisioning(db, budi, &[]).await.unwrap().is_empty());
        for ids in [vec![saris.id], vec![laptop.id, saris.id], vec![i64::MAX]] {
            let error = ssh_keys::for_provisioning(db, budi, &ids).await.unwrap_err();
            assert!(matches!(error, SshKeyError::NotFound), "{ids:?}: {error:?}");
        }
    }

    async fn keys_go_with_their_account(test: TestDb) {
        let db = &test.db;
        let budi = user(db, "budi@example.id").await;
        ssh_keys::add(db, budi, "Laptop", ED25519, &client()).await.unwrap();
        db_run!(db, |pool| {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(budi)
                .execute(pool)
                .await
                .map(|done| done.rows_affected())
        })
        .unwrap();
        let left: i64 = db_run!(db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM ssh_keys").fetch_one(pool).await
        })
        .unwrap();
        assert_eq!(left, 0);
    }
}
