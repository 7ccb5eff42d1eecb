//! Queued mode on the cloud shells, with the platforms' own queues played by their emulators:
//! the Azure handler with an Azure Table store and an Azure Storage queue (Azurite), the test
//! acting as the Functions host's queue trigger; the Lambda handler with a DynamoDB store and an
//! SQS queue (moto), the test acting as the event source mapping.

use std::collections::HashMap;
use std::time::Duration;

use regrelay_core::testing::{SqsQueue, StorageQueue};
use regrelay_core::{AwsCredentials, Config, Pipeline, Secret, Store, StoreConfig};
use regrelay_tests::{Receiver, Scripted, client, fixture};
use serde_json::{Value, json};

use super::{event_grid_push, post, trace_when};
use crate::azure::Handler;
use crate::stores::{AZURITE_KEY, endpoint, unique_table};

/// One queue-trigger invocation of `function`, as the Functions host sends it.
async fn invoke(handler: &Handler, function: &str, text: &str, dequeue_count: u32) -> (u16, Value) {
    let invocation = json!({
        "Data": { "workItem": text },
        "Metadata": { "DequeueCount": dequeue_count, "Id": "m", "sys": { "MethodName": function.trim_start_matches('/') } }
    });
    let reply = client()
        .post(handler.url(function))
        .header("x-azure-functions-invocationid", "inv")
        .json(&invocation)
        .send()
        .await
        .unwrap();
    (
        reply.status().as_u16(),
        reply.json().await.unwrap_or(Value::Null),
    )
}

/// Waits (at most `secs`) for a visible message on `queue`, as the host's poller does.
async fn next_message(queue: &StorageQueue, secs: u64) -> regrelay_core::testing::AzureMessage {
    for _ in 0..secs * 5 {
        let mut got = queue.get(1, Duration::from_secs(30)).await.unwrap();
        if let Some(message) = got.pop() {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no message became visible on {}", queue.name());
}

#[tokio::test]
async fn azure_handler_queues_and_its_deliver_function_sends_on_schedule() {
    let (Some(tables), Some(queues)) = (
        endpoint("REGRELAY_TEST_AZURITE"),
        endpoint("REGRELAY_TEST_AZURITE_QUEUE"),
    ) else {
        return;
    };
    let flaky = Receiver::scripted(vec![Scripted::status(503)]).await;
    let connection = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};TableEndpoint={tables};QueueEndpoint={queues};"
    );
    let name = format!("q{}", unique_table("w").to_lowercase());
    let config = format!(
        "[store]\nkind = \"azure_table\"\nconnection_string = \"{connection}\"\ntable = \"{table}\"\n\n[queue]\nkind = \"azure_queue\"\nconnection_string = \"{connection}\"\nname = \"{name}\"\n\n[delivery]\nschedule = [\"1s\"]\n\n[[targets]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"2s\"\n\n[[targets]]\nname = \"down\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/hook\"\ntimeout = \"1s\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"sink\", \"down\"]\n",
        table = unique_table("t"),
        url = flaky.url("/hook"),
    );
    let handler = Handler::with_config(&config).await;
    let (body, id) = event_grid_push();
    let (status, reply) = post(&handler.url("/api/events"), body).await;
    assert_eq!((status, &reply["queued"]), (200, &json!(2)), "{reply}");
    assert!(
        flaky.received().is_empty(),
        "nothing is sent inside the sender's request"
    );

    let queue = StorageQueue::open(&Secret::new(connection.clone()), &name).unwrap();
    // First round: one message per pair; both fail and are scheduled again.
    for _ in 0..2 {
        let message = next_message(&queue, 5).await;
        let (status, body) =
            invoke(&handler, "/deliver", &message.text, message.dequeue_count).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["Logs"][0].as_str().unwrap().starts_with("Scheduled"),
            "{body}"
        );
        queue.delete(&message).await.unwrap();
    }
    assert_eq!(flaky.received().len(), 1);
    // Second round: the rescheduled items become visible after their delay.
    for _ in 0..2 {
        let message = next_message(&queue, 10).await;
        let item: Value = serde_json::from_str(&message.text).unwrap();
        assert_eq!(item["attempts"], 1, "{item}");
        if item["target"] == "down" {
            // As if the host gave up after maxDequeueCount: the poison trigger's invocation.
            let (status, body) = invoke(&handler, "/deadletter", &message.text, 1).await;
            assert_eq!(status, 200, "{body}");
        } else {
            let (status, body) =
                invoke(&handler, "/deliver", &message.text, message.dequeue_count).await;
            assert_eq!(
                (status, body["Logs"][0].as_str()),
                (200, Some("Delivered")),
                "{body}"
            );
        }
        queue.delete(&message).await.unwrap();
    }
    let trace = trace_when(&handler.url("/api/events"), &id, 5, |t| {
        t["pairs"].as_array().is_some_and(|p| p.len() == 2)
    })
    .await;
    let states: HashMap<&str, &str> = trace["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["target"].as_str().unwrap(), p["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states["sink"], "delivered", "{trace:#}");
    assert_eq!(states["down"], "dead_lettered", "{trace:#}");
    assert_eq!(flaky.received().len(), 2, "one failure, one delivery");
    // A message that is not a work item is acknowledged and dropped, never a crash or a loop.
    let (status, _) = invoke(&handler, "/deliver", "not json", 1).await;
    assert_eq!(status, 200);
}

fn aws_env() -> HashMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into()
}

/// Creates an SQS queue on moto; returns its URL.
pub(crate) async fn create_sqs_queue(moto: &str, name: &str) -> String {
    let reply: Value = client()
        .post(moto)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "AmazonSQS.CreateQueue")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
        )
        .json(&json!({ "QueueName": name }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["QueueUrl"].as_str().unwrap().to_owned()
}

/// The SQS event Lambda's event source mapping sends for `messages`.
fn sqs_event(messages: &[regrelay_core::testing::SqsMessage]) -> String {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "messageId": m.id, "receiptHandle": m.receipt, "body": m.body,
                "attributes": { "ApproximateReceiveCount": m.receive_count.to_string(), "SentTimestamp": "1700000000000" },
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

async fn invoke_lambda(pipeline: &Pipeline, event: &str) -> Value {
    let request = lambda_http::request::from_str(event).expect("pass-through");
    let response = regrelay_lambda::handler(pipeline.clone(), request)
        .await
        .unwrap();
    match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("unexpected body {other:?}"),
    }
}

#[tokio::test]
async fn lambda_handler_queues_to_sqs_and_reports_only_failed_items() {
    let Some(moto) = endpoint("REGRELAY_TEST_DYNAMODB") else {
        return;
    };
    let table = moto_table(&moto, "regrelay-").await;
    let queue_url = create_sqs_queue(&moto, &unique_table("work")).await;
    let sink = Receiver::start().await;
    let toml = |store_endpoint: &str| {
        format!(
            "[store]\nkind = \"dynamodb\"\ntable = \"{table}\"\nregion = \"us-east-1\"\nendpoint = \"{store_endpoint}\"\n\n[queue]\nkind = \"sqs\"\nurl = \"{queue_url}\"\nregion = \"us-east-1\"\nendpoint = \"{moto}\"\n\n[[targets]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"2s\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"sink\"]\n",
            sink.url("/hook")
        )
    };
    let pipeline = Pipeline::new(Config::from_toml(&toml(&moto), &aws_env()).unwrap()).unwrap();
    assert_eq!(pipeline.mode(), regrelay_core::DeliveryMode::Queued);

    // The sender's request (a direct EventBridge-style invocation): acknowledged once queued.
    let payload = String::from_utf8(fixture("seeds/event_grid.image_pushed.fr.json")).unwrap();
    let request = lambda_http::request::from_str(&payload).unwrap();
    let response = regrelay_lambda::handler(pipeline.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(sink.received().is_empty());

    let queue = SqsQueue::open(
        &queue_url,
        "us-east-1",
        Some(&moto),
        Some(AwsCredentials {
            access_key_id: Secret::new("testing"),
            secret_access_key: Secret::new("testing"),
            session_token: None,
        }),
    )
    .unwrap();
    let messages = queue.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(messages.len(), 1);

    // A second instance whose store is unreachable fails the item: it is reported, not dropped.
    let broken =
        Pipeline::new(Config::from_toml(&toml("http://127.0.0.1:9"), &aws_env()).unwrap()).unwrap();
    let reply = invoke_lambda(&broken, &sqs_event(&messages)).await;
    assert_eq!(
        reply["batchItemFailures"],
        json!([{ "itemIdentifier": messages[0].id }]),
        "{reply}"
    );
    assert!(sink.received().is_empty());

    // The healthy instance delivers it and reports no failure; the mapping then deletes it.
    let reply = invoke_lambda(&pipeline, &sqs_event(&messages)).await;
    assert_eq!(reply["batchItemFailures"], json!([]), "{reply}");
    queue.delete(&messages[0].receipt).await.unwrap();
    assert_eq!(sink.wait_for(1).await.len(), 1);
    // Handed out again (a lost delete): the ledger says delivered, nothing is sent twice.
    let reply = invoke_lambda(&pipeline, &sqs_event(&messages)).await;
    assert_eq!(reply["batchItemFailures"], json!([]), "{reply}");
    assert_eq!(sink.received().len(), 1);
    assert_eq!(queue.approximate_count().await.unwrap(), 0);
}

/// The last receive the queue allows: a failed item (here the next attempt cannot be queued,
/// the instance's queue URL being wrong) is reported to the mapping, which moves the message to
/// the DLQ, and the pair is dead-lettered in history so it is listed and can be redriven.
#[tokio::test]
async fn lambda_dead_letters_the_pair_on_the_last_receive() {
    let Some(moto) = endpoint("REGRELAY_TEST_DYNAMODB") else {
        return;
    };
    let table = moto_table(&moto, "regrelay-").await;
    let refusing = Receiver::scripted(vec![Scripted::status(503), Scripted::status(503)]).await;
    let real = create_sqs_queue(&moto, &unique_table("last")).await;
    let toml = |queue_url: &str| {
        format!(
            "[store]\nkind = \"dynamodb\"\ntable = \"{table}\"\nregion = \"us-east-1\"\nendpoint = \"{moto}\"\n\n[queue]\nkind = \"sqs\"\nurl = \"{queue_url}\"\nregion = \"us-east-1\"\nendpoint = \"{moto}\"\nmax_receives = 3\n\n[[targets]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"{}\"\ntimeout = \"2s\"\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"sink\"]\n",
            refusing.url("/hook")
        )
    };
    let pipeline = Pipeline::new(Config::from_toml(&toml(&real), &aws_env()).unwrap()).unwrap();
    let payload = String::from_utf8(fixture("seeds/event_grid.image_pushed.fr.json")).unwrap();
    let request = lambda_http::request::from_str(&payload).unwrap();
    let response = regrelay_lambda::handler(pipeline.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let queue = SqsQueue::open(&real, "us-east-1", Some(&moto), Some(moto_credentials())).unwrap();
    let mut messages = queue.receive(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(messages.len(), 1);
    let event = regrelay_core::WorkItem::parse(&messages[0].body)
        .unwrap()
        .event;
    let missing = format!("{real}-missing");
    let broken = Pipeline::new(Config::from_toml(&toml(&missing), &aws_env()).unwrap()).unwrap();
    let state = |pipeline: Pipeline, event: String| async move {
        let trace = pipeline.store().trace(&event).await.unwrap().unwrap();
        (trace.pairs[0].state, trace.pairs[0].reason.clone())
    };
    // Not yet the last receive: reported, left to the queue.
    messages[0].receive_count = 2;
    let reply = invoke_lambda(&broken, &sqs_event(&messages)).await;
    assert_eq!(
        reply["batchItemFailures"].as_array().unwrap().len(),
        1,
        "{reply}"
    );
    let (now, _) = state(broken.clone(), event.clone()).await;
    assert_ne!(now, regrelay_core::DeliveryState::DeadLettered);
    // The last receive: reported, and dead-lettered in history.
    messages[0].receive_count = 3;
    let reply = invoke_lambda(&broken, &sqs_event(&messages)).await;
    assert_eq!(
        reply["batchItemFailures"].as_array().unwrap().len(),
        1,
        "{reply}"
    );
    let (now, reason) = state(broken.clone(), event.clone()).await;
    assert_eq!(
        now,
        regrelay_core::DeliveryState::DeadLettered,
        "{reason:?}"
    );
    assert!(reason.unwrap_or_default().contains("gave up on it"));
}

/// A new DynamoDB ledger table on moto; its name.
pub(crate) async fn moto_table(moto: &str, prefix: &str) -> String {
    let table = unique_table(prefix);
    let config = StoreConfig::DynamoDb {
        table: table.clone(),
        region: "us-east-1".into(),
        endpoint: Some(moto.to_owned()),
        credentials: Some(moto_credentials()),
        retention: Duration::from_secs(86_400),
    };
    let Store::DynamoDb(setup) = Store::open(&config).unwrap() else {
        unreachable!()
    };
    setup.create_table().await.unwrap();
    table
}

pub(crate) fn moto_credentials() -> AwsCredentials {
    AwsCredentials {
        access_key_id: Secret::new("testing"),
        secret_access_key: Secret::new("testing"),
        session_token: None,
    }
}
