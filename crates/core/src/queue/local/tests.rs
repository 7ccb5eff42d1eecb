//! The local queue on both backends: leases, rescheduling, per-target takes, orphans.

use super::*;

fn queues() -> Vec<(LocalQueue, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    vec![
        (LocalQueue::memory(), None),
        (
            LocalQueue::sqlite(path.to_str().unwrap()).unwrap(),
            Some(dir),
        ),
    ]
}

fn item(event: &str, target: &str, due: i64) -> WorkItem {
    let mut item = WorkItem::first(event, target, 0);
    item.due_ms = due;
    item
}

#[tokio::test]
async fn due_items_are_leased_once_and_come_back_when_the_lease_ends() {
    for (queue, _dir) in queues() {
        queue
            .enqueue(&[item("a", "t", 10), item("b", "t", 20), item("c", "t", 99)])
            .await
            .unwrap();
        let all = [("t".to_owned(), 10)];
        let taken = queue.take(50, 100, &all).unwrap();
        let events: Vec<&str> = taken.iter().map(|t| t.item.event.as_str()).collect();
        assert_eq!(events, ["a", "b"]);
        assert!(queue.take(60, 100, &all).unwrap().is_empty(), "leased");
        queue.finish(taken[0].id).await.unwrap();
        let mut later = taken[1].item.clone();
        later.due_ms = 500;
        queue.reschedule(taken[1].id, &later).await.unwrap();
        // At 200: b's lease ended but it was rescheduled to 500; c is due.
        let again = queue.take(200, 100, &all).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].item.event, "c");
        // c's worker "dies": its lease ends at 300 and c is taken again, with b at 500.
        let resumed = queue.take(600, 100, &all).unwrap();
        let mut events: Vec<&str> = resumed.iter().map(|t| t.item.event.as_str()).collect();
        events.sort_unstable();
        assert_eq!(events, ["b", "c"]);
        assert_eq!(queue.depth().unwrap().0, 2);
    }
}

#[tokio::test]
async fn each_target_gets_what_it_asks_for_and_orphans_are_found() {
    for (queue, _dir) in queues() {
        let mut items: Vec<WorkItem> = (0..10).map(|i| item(&format!("s{i}"), "slow", i)).collect();
        items.push(item("f", "fast", 50));
        items.push(item("o", "gone", 60));
        queue.enqueue(&items).await.unwrap();
        let wants = [("slow".to_owned(), 2), ("fast".to_owned(), 5)];
        let taken = queue.take(100, 1_000, &wants).unwrap();
        let slow = taken.iter().filter(|t| t.item.target == "slow").count();
        assert_eq!(slow, 2);
        assert!(taken.iter().any(|t| t.item.target == "fast"));
        let known = ["slow".to_owned(), "fast".to_owned()];
        let orphans = queue.take_orphans(100, 1_000, &known, 10).unwrap();
        assert_eq!(orphans.len(), 1);
        assert_eq!(orphans[0].item.target, "gone");
    }
}
