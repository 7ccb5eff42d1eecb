//! The ledger under stress: the same event twice at once, a process killed in the middle of a
//! fan-out, and a short soak with flaky targets and restarts. Nothing is lost; nothing is sent
//! twice except what a kill between a target's reply and the ledger write can repeat.

use std::time::Duration;

use regrelay_core::StoreConfig;
use regrelay_core::{DeliveryState, Store};
use regrelay_tests::process::ServeProcess;
use regrelay_tests::soak::{SoakParams, run};
use regrelay_tests::{App, Receiver, Scripted, client, fixture};

#[tokio::test]
async fn the_same_event_delivered_twice_concurrently_reaches_each_target_once() {
    let slow = Receiver::scripted(vec![Scripted {
        delay: Duration::from_millis(300),
        ..Scripted::status(200)
    }])
    .await;
    let fast = Receiver::start().await;
    let config = format!(
        "[delivery]\nattempts = 1\nbudget = \"3s\"\n[[targets]]\nname = \"slow\"\ntype = \"webhook\"\nurl = \"{}\"\n[[targets]]\nname = \"fast\"\ntype = \"webhook\"\nurl = \"{}\"\n[[rules]]\nname = \"all\"\ntargets = [\"slow\", \"fast\"]\n",
        slow.url("/s"),
        fast.url("/f")
    );
    let app = App::start(&config).await;
    let send = || {
        client()
            .post(app.url("/api/events"))
            .header("content-type", "application/json")
            .body(fixture("seeds/event_grid.image_pushed.de.json"))
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    assert!(statuses.contains(&200), "{statuses:?}");
    // The loser either found the pair delivered (200) or claimed by the winner (503: retry later).
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(slow.received().len(), 1, "one delivery to the slow target");
    assert_eq!(fast.received().len(), 1, "one delivery to the fast target");
}

#[tokio::test]
async fn a_process_killed_mid_fan_out_finishes_on_the_senders_retry_without_resending() {
    let fast = Receiver::start().await;
    let hanging = Receiver::scripted(vec![Scripted {
        delay: Duration::from_secs(30),
        ..Scripted::status(200)
    }])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("regrelay.toml");
    let db = dir.path().join("h.db");
    std::fs::write(
        &config,
        format!(
            "[store]\nkind = \"sqlite\"\npath = \"{}\"\n[delivery]\nmode = \"inline\"\nattempts = 1\nbudget = \"1s\"\n[[targets]]\nname = \"fast\"\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"1s\"\n[[targets]]\nname = \"hanging\"\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"1s\"\n[[rules]]\nname = \"all\"\ntargets = [\"fast\", \"hanging\"]\n",
            db.display(),
            fast.url("/f"),
            hanging.url("/h")
        ),
    )
    .unwrap();
    let mut server = ServeProcess::start(config).await;
    let url = server.url();
    let first = tokio::spawn(async move {
        client()
            .post(url)
            .header("content-type", "application/json")
            .body(fixture("seeds/event_grid.image_pushed.fr.json"))
            .send()
            .await
    });
    // Kill while the hanging target holds the fan-out open, once the fast one's reply is in the
    // ledger (the window between a reply and its ledger write is the one a kill can repeat).
    assert_eq!(fast.wait_for(1).await.len(), 1);
    assert_eq!(hanging.wait_for(1).await.len(), 1);
    let ledger = Store::open(&StoreConfig::Sqlite {
        path: db.display().to_string(),
    })
    .unwrap();
    let id = "831e1650-001e-001b-66ab-eeb76e069631";
    for _ in 0..200 {
        if ledger
            .pair(id, "fast")
            .await
            .unwrap()
            .is_some_and(|p| p.state == DeliveryState::Delivered)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    assert!(
        first.await.unwrap().is_err(),
        "the sender saw the connection drop"
    );
    server.restart().await;
    // The killed process held a claim on the hanging pair; it expires after budget + timeout.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let retry = client()
        .post(server.url())
        .header("content-type", "application/json")
        .body(fixture("seeds/event_grid.image_pushed.fr.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        retry.status(),
        200,
        "{}",
        retry.text().await.unwrap_or_default()
    );
    assert_eq!(
        fast.received().len(),
        1,
        "the fast target already had it: not sent again"
    );
    assert_eq!(
        hanging.received().len(),
        2,
        "the interrupted pair is completed"
    );
}

#[tokio::test]
async fn short_soak_loses_nothing_and_duplicates_only_across_kills() {
    soak("inline").await;
}

#[tokio::test]
async fn short_queued_soak_loses_nothing_and_duplicates_only_across_kills() {
    soak("queued").await;
}

async fn soak(mode: &'static str) {
    let params = SoakParams {
        events: 400,
        batch: 20,
        targets: 5,
        fail_ratio: 0.3,
        restarts: 2,
        senders: 4,
        seed: 11,
        time_limit: Duration::from_secs(120),
        mode,
        instances: 1,
        shared: regrelay_tests::soak::Shared::Sqlite,
    };
    let report = run(&params).await;
    println!("{report}");
    assert_eq!(report.lost, 0, "{report}");
    assert_eq!(report.duplicates_other, 0, "{report}");
    assert_eq!(report.dead_lettered, 0, "{report}");
    assert_eq!(report.delivered, report.expected, "{report}");
}
