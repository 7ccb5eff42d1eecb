//! Scale-out: three `regrelay serve` instances share one remote store and one platform queue,
//! senders spread events across them, and instances are killed (SIGKILL) and restarted along
//! the way — once on Azurite (Azure Table + Storage queue), once on moto (DynamoDB + SQS). What
//! the targets received is tallied: nothing lost, duplicates only inside a kill's window.

use std::time::Duration;

use regrelay_tests::soak::{Shared, SoakParams, run};

use super::cloud::{create_sqs_queue, moto_table};
use crate::stores::{AZURITE_KEY, endpoint, unique_table};

fn params(shared: Shared, events: usize) -> SoakParams {
    SoakParams {
        events,
        batch: 10,
        targets: 3,
        fail_ratio: 0.2,
        restarts: 2,
        senders: 3,
        seed: 5,
        time_limit: Duration::from_secs(150),
        mode: "queued",
        instances: 3,
        shared,
    }
}

fn check(report: &regrelay_tests::soak::SoakReport) {
    println!("{report}");
    assert_eq!(report.lost, 0, "{report}");
    assert_eq!(report.duplicates_other, 0, "{report}");
    assert_eq!(report.delivered, report.expected, "{report}");
}

#[tokio::test]
async fn three_instances_on_azure_table_and_queue_lose_nothing() {
    let (Some(tables), Some(queues)) = (
        endpoint("REGRELAY_TEST_AZURITE"),
        endpoint("REGRELAY_TEST_AZURITE_QUEUE"),
    ) else {
        return;
    };
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};TableEndpoint={tables};QueueEndpoint={queues};"
    );
    let shared = Shared::Azure {
        connection,
        table: unique_table("s"),
        queue: format!("s{}", unique_table("q").to_lowercase()),
    };
    check(&run(&params(shared, 300)).await);
}

#[tokio::test]
async fn three_instances_on_dynamodb_and_sqs_lose_nothing() {
    let Some(moto) = endpoint("REGRELAY_TEST_DYNAMODB") else {
        return;
    };
    let table = moto_table(&moto, "scale-").await;
    let queue_url = create_sqs_queue(&moto, &unique_table("scale")).await;
    let shared = Shared::Aws {
        endpoint: moto,
        table,
        queue_url,
    };
    // moto answers about a dozen requests a second under this load: fewer events.
    check(&run(&params(shared, 60)).await);
}
