//! Scheduled backups on both databases: the recurring job takes one and schedules the next, and
//! each run keeps only the newest backups it made, leaving every other file in the folder.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use domain::backup::{self, SCHEDULED_BACKUP_JOB, Schedule};
use domain::both_backends;
use domain::jobs::{self, Registry};

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

both_backends! {
    async fn the_job_takes_a_backup_and_comes_back_a_period_later(test: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let schedule = Schedule { dir: dir.path().join("backups"), every: Duration::hours(6), keep: 3 };
        let registry = backup::register(Registry::default(), test.db.clone(), test.url().to_owned(), schedule.clone());
        assert!(jobs::ensure_scheduled(&test.db, SCHEDULED_BACKUP_JOB, Utc::now()).await.unwrap());
        domain::testing::drain(&test.db, &registry).await;

        let taken = names(&schedule.dir);
        assert_eq!(taken.len(), 1, "{taken:?}");
        let file = schedule.dir.join(&taken[0]);
        let start = std::fs::read(&file).unwrap();
        let header: &[u8] = match test.db.backend() {
            domain::db::Backend::Sqlite => b"SQLite format 3\0",
            domain::db::Backend::Postgres => b"PGDMP",
        };
        assert!(start.starts_with(header), "{} is a backup", file.display());
        let next = jobs::list(&test.db, Some("queued"), Some(SCHEDULED_BACKUP_JOB), 10).await.unwrap();
        assert_eq!(next.len(), 1);
        let due_in = next[0].run_at - Utc::now();
        assert!(due_in > Duration::hours(5) && due_in <= Duration::hours(6), "{due_in}");
    }

    async fn each_backup_keeps_the_newest_and_no_one_elses_files(test: TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let schedule = Schedule { dir: dir.path().to_owned(), every: Duration::days(1), keep: 2 };
        std::fs::write(dir.path().join("notes.txt"), "the operator's own").unwrap();
        let start = Utc::now();
        let mut taken = Vec::new();
        for day in 0..4 {
            let file = backup::back_up_on_schedule(&test.db, test.url(), &schedule, start + Duration::days(day)).await.unwrap();
            taken.push(file.file_name().unwrap().to_string_lossy().into_owned());
        }
        let mut expected = vec![taken[2].clone(), taken[3].clone(), "notes.txt".to_owned()];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
    }
}
