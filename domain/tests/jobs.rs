//! Durable jobs on both databases: transactional enqueue, retries and death, leases taken over
//! after a crash, and several workers sharing one queue without running a job twice.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use domain::jobs::{self, Registry, run_once};
use domain::{Db, both_backends, db_run};
use serde_json::json;

async fn enqueue(db: &Db, kind: &str, n: i64, max_attempts: i64) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, kind, &json!({ "n": n }), Utc::now(), max_attempts)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn lease() -> Duration {
    Duration::minutes(5)
}

both_backends! {
    async fn jobs_exist_only_if_their_transaction_commits(test: TestDb) {
        let mut tx = test.db.begin().await.unwrap();
        jobs::enqueue(&mut tx, "noop", &json!({}), Utc::now(), 3).await.unwrap();
        drop(tx);
        assert!(jobs::list(&test.db, None, None, 10).await.unwrap().is_empty());
        enqueue(&test.db, "noop", 1, 3).await;
        let queued = jobs::list(&test.db, Some("queued"), Some("noop"), 10).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].payload, r#"{"n":1}"#);
    }

    async fn a_job_runs_once_and_is_done(test: TestDb) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let registry = Registry::default().on("greet", move |job| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(job.payload);
                Ok(())
            }
        });
        let id = enqueue(&test.db, "greet", 7, 3).await;
        let ran = run_once(&test.db, &registry, "w1", lease()).await.unwrap().unwrap();
        assert_eq!(ran.id, id);
        assert!(run_once(&test.db, &registry, "w1", lease()).await.unwrap().is_none());
        assert_eq!(seen.lock().unwrap().as_slice(), [r#"{"n":7}"#]);
        let done = jobs::list(&test.db, Some("done"), None, 10).await.unwrap();
        assert_eq!((done.len(), done[0].attempts), (1, 1));
        assert!(done[0].finished_at.is_some());
    }

    async fn failures_back_off_then_die_and_an_admin_can_retry(test: TestDb) {
        let registry = Registry::default().on("flaky", |_| async { Err::<(), _>("provider said 503".to_owned()) });
        let id = enqueue(&test.db, "flaky", 1, 2).await;
        run_once(&test.db, &registry, "w1", lease()).await.unwrap().unwrap();
        let job = &jobs::list(&test.db, None, None, 10).await.unwrap()[0];
        assert_eq!((job.state.as_str(), job.attempts), ("queued", 1));
        assert!(job.run_at > Utc::now() + Duration::seconds(25), "backs off: {}", job.run_at);
        assert_eq!(job.last_error.as_deref(), Some("provider said 503"));
        assert!(run_once(&test.db, &registry, "w1", lease()).await.unwrap().is_none(), "not due yet");

        let now = Utc::now();
        db_run!(&test.db, |pool| sqlx::query("UPDATE jobs SET run_at = $1").bind(now).execute(pool).await.map(|_| ())).unwrap();
        run_once(&test.db, &registry, "w1", lease()).await.unwrap().unwrap();
        let job = &jobs::list(&test.db, None, None, 10).await.unwrap()[0];
        assert_eq!((job.state.as_str(), job.attempts), ("dead", 2));
        assert!(run_once(&test.db, &registry, "w1", lease()).await.unwrap().is_none());

        assert!(jobs::retry(&test.db, id).await.unwrap());
        assert!(!jobs::retry(&test.db, id).await.unwrap(), "only dead jobs are retried");
        let job = &jobs::list(&test.db, None, None, 10).await.unwrap()[0];
        assert_eq!((job.state.as_str(), job.attempts), ("queued", 0));
    }

    async fn a_job_held_by_a_crashed_worker_is_taken_over_once(test: TestDb) {
        let runs = Arc::new(Mutex::new(0));
        let counter = runs.clone();
        let registry = Registry::default().on("provision", move |_| {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                Ok(())
            }
        });
        enqueue(&test.db, "provision", 1, 3).await;
        // Worker A claims it and dies without finishing.
        let held = jobs::claim(&test.db, &registry, "worker-a", lease()).await.unwrap().unwrap();
        assert!(run_once(&test.db, &registry, "worker-b", lease()).await.unwrap().is_none(), "lease still held");
        // The lease runs out; worker B takes over and finishes it.
        let past = Utc::now() - Duration::seconds(1);
        db_run!(&test.db, |pool| sqlx::query("UPDATE jobs SET locked_until = $1").bind(past).execute(pool).await.map(|_| ())).unwrap();
        let ran = run_once(&test.db, &registry, "worker-b", lease()).await.unwrap().unwrap();
        assert_eq!((ran.id, ran.attempts), (held.id, 2));
        // Worker A waking up late cannot mark someone else's job.
        jobs::complete(&test.db, &held, "worker-a").await.unwrap();
        assert!(run_once(&test.db, &registry, "worker-b", lease()).await.unwrap().is_none());
        assert_eq!(*runs.lock().unwrap(), 1);
        assert_eq!(jobs::list(&test.db, Some("done"), None, 10).await.unwrap().len(), 1);
    }

    async fn a_crash_during_the_last_attempt_leaves_the_job_dead_and_tells_who_cares(test: TestDb) {
        let heard: Arc<Mutex<Vec<(i64, String, String)>>> = Arc::default();
        let registry = {
            let heard = Arc::clone(&heard);
            Registry::default().when_dead(move |_tx, dead| {
                heard.lock().unwrap().push((dead.id, dead.kind.to_owned(), dead.error.to_owned()));
                Box::pin(async { Ok(()) })
            })
        };
        let id = enqueue(&test.db, "provision", 1, 1).await;
        jobs::claim(&test.db, &registry, "worker-a", lease()).await.unwrap().unwrap();
        assert!(heard.lock().unwrap().is_empty(), "a held lease is no death");
        let past = Utc::now() - Duration::seconds(1);
        db_run!(&test.db, |pool| sqlx::query("UPDATE jobs SET locked_until = $1").bind(past).execute(pool).await.map(|_| ())).unwrap();
        assert!(jobs::claim(&test.db, &registry, "worker-b", lease()).await.unwrap().is_none());
        let dead = jobs::list(&test.db, Some("dead"), None, 10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert!(dead[0].last_error.as_deref().unwrap().contains("last attempt"));
        let heard = heard.lock().unwrap().clone();
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert_eq!((heard[0].0, heard[0].1.as_str()), (id, "provision"));
        assert!(heard[0].2.contains("last attempt"), "{heard:?}");
    }

    async fn four_workers_share_the_queue_and_run_each_job_once(test: TestDb) {
        for n in 0..30 {
            enqueue(&test.db, "count", n, 3).await;
        }
        let runs: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
        let registry = {
            let runs = runs.clone();
            Registry::default().on("count", move |job| {
                let runs = runs.clone();
                async move {
                    *runs.lock().unwrap().entry(job.id).or_default() += 1;
                    Ok(())
                }
            })
        };
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let (db, registry) = (test.db.clone(), registry.clone());
                tokio::spawn(async move {
                    let name = format!("worker-{w}");
                    while run_once(&db, &registry, &name, Duration::minutes(5)).await.unwrap().is_some() {}
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        let runs = runs.lock().unwrap().clone();
        assert_eq!(runs.len(), 30);
        assert!(runs.values().all(|&n| n == 1), "{runs:?}");
        assert_eq!(jobs::list(&test.db, Some("done"), None, 100).await.unwrap().len(), 30);
    }
}

/// Runs the worker pool until `done` says so (or 30 s pass), then stops it.
async fn run_pool_until(
    db: &Db,
    registry: Registry,
    concurrency: jobs::Concurrency,
    idle: std::time::Duration,
    done: impl Fn() -> bool,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = jobs::WorkerSettings {
        name: "pool".into(),
        concurrency,
        idle,
        lease: lease(),
    };
    let pool = tokio::spawn(jobs::run(db.clone(), registry, settings, async move {
        let _ = stopped.await;
    }));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    pool.await.unwrap();
}

both_backends! {
    async fn the_pool_runs_jobs_side_by_side_but_no_more_of_one_kind_than_its_limit(test: TestDb) {
        #[derive(Default)]
        struct Seen { now: HashMap<String, usize>, most: HashMap<String, usize>, runs: HashMap<i64, u32> }
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let handler = |seen: Arc<Mutex<Seen>>| move |job: jobs::Job| {
            let seen = seen.clone();
            async move {
                {
                    let mut seen = seen.lock().unwrap();
                    let now = { let n = seen.now.entry(job.kind.clone()).or_default(); *n += 1; *n };
                    let most = seen.most.entry(job.kind.clone()).or_default();
                    *most = (*most).max(now);
                    *seen.runs.entry(job.id).or_default() += 1;
                }
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                *seen.lock().unwrap().now.get_mut(&job.kind).unwrap() -= 1;
                Ok(())
            }
        };
        let registry = Registry::default()
            .on("email", handler(seen.clone()))
            .on("provision", handler(seen.clone()));
        for n in 0..12 {
            enqueue(&test.db, "email", n, 3).await;
        }
        for n in 0..4 {
            enqueue(&test.db, "provision", n, 3).await;
        }
        let concurrency = jobs::Concurrency { total: 6, per_kind: 3 };
        let finished = seen.clone();
        run_pool_until(&test.db, registry, concurrency, std::time::Duration::from_secs(1), move || {
            finished.lock().unwrap().runs.len() == 16
        }).await;
        {
            let seen = seen.lock().unwrap();
            assert_eq!(seen.runs.len(), 16);
            assert!(seen.runs.values().all(|&n| n == 1), "each job once: {:?}", seen.runs);
            assert_eq!(seen.most["email"], 3, "no more e-mails at once than the kind's limit");
            assert_eq!(seen.most["provision"], 3, "servers are made beside the e-mails, not after them");
        }
        assert_eq!(jobs::list(&test.db, Some("done"), None, 100).await.unwrap().len(), 16);
    }

    async fn a_job_queued_while_the_pool_waits_starts_at_once(test: TestDb) {
        let ran: Arc<Mutex<Option<tokio::time::Instant>>> = Arc::default();
        let registry = {
            let ran = ran.clone();
            Registry::default().on("greet", move |_| {
                let ran = ran.clone();
                async move {
                    *ran.lock().unwrap() = Some(tokio::time::Instant::now());
                    Ok(())
                }
            })
        };
        let db = test.db.clone();
        let queued_at: Arc<Mutex<Option<tokio::time::Instant>>> = Arc::default();
        let queuing = queued_at.clone();
        tokio::spawn(async move {
            // Well after the pool has looked at the empty queue and gone to sleep for a minute.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            *queuing.lock().unwrap() = Some(tokio::time::Instant::now());
            enqueue(&db, "greet", 1, 3).await;
        });
        let finished = ran.clone();
        run_pool_until(&test.db, registry, jobs::Concurrency::default(), std::time::Duration::from_secs(60), move || {
            finished.lock().unwrap().is_some()
        }).await;
        let (queued, ran) = (queued_at.lock().unwrap().unwrap(), ran.lock().unwrap().expect("the job ran"));
        assert!(ran - queued < std::time::Duration::from_secs(10), "woken by the commit, not by the minute's look");
    }

    async fn kinds_registered_first_are_claimed_before_older_due_jobs(test: TestDb) {
        let registry = Registry::default()
            .on("email", |_| async { Ok(()) })
            .on("provision", |_| async { Ok(()) })
            .first("provision");
        enqueue(&test.db, "email", 1, 3).await;
        enqueue(&test.db, "email", 2, 3).await;
        enqueue(&test.db, "provision", 3, 3).await;
        let mut kinds = Vec::new();
        while let Some(job) = run_once(&test.db, &registry, "w", lease()).await.unwrap() {
            kinds.push(job.kind);
        }
        assert_eq!(kinds, ["provision", "email", "email"]);
    }

    async fn a_waiting_job_sleeps_until_its_key_is_woken(test: TestDb) {
        let looks = Arc::new(Mutex::new(0));
        let counter = looks.clone();
        let registry = Registry::default().on("order", move |_| {
            let counter = counter.clone();
            async move {
                let mut looks = counter.lock().unwrap();
                *looks += 1;
                Ok::<_, String>(if *looks == 1 {
                    jobs::JobOutcome::WaitFor { key: "server-7".into(), until: Utc::now() + Duration::hours(1) }
                } else {
                    jobs::JobOutcome::Done
                })
            }
        });
        let id = enqueue(&test.db, "order", 1, 3).await;
        run_once(&test.db, &registry, "w", lease()).await.unwrap().unwrap();
        assert!(run_once(&test.db, &registry, "w", lease()).await.unwrap().is_none(), "waiting, not due");

        let mut tx = test.db.begin().await.unwrap();
        assert_eq!(jobs::wake(&mut tx, "server-8").await.unwrap(), 0, "another key wakes nothing");
        drop(tx);
        let mut tx = test.db.begin().await.unwrap();
        assert_eq!(jobs::wake(&mut tx, "server-7").await.unwrap(), 1);
        tx.commit().await.unwrap();
        let ran = run_once(&test.db, &registry, "w", lease()).await.unwrap().unwrap();
        assert_eq!(ran.id, id);
        assert_eq!(*looks.lock().unwrap(), 2);
        let mut tx = test.db.begin().await.unwrap();
        assert_eq!(jobs::wake(&mut tx, "server-7").await.unwrap(), 0, "a finished job is not woken again");
        assert_eq!(jobs::list(&test.db, Some("done"), None, 10).await.unwrap().len(), 1);
    }
}
