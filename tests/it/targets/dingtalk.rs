//! DingTalk robots, against receivers that check what the real service checks.

use super::*;
// ---------------------------------------------------------------------------------------------
// DingTalk.

fn robot(url: &str, extra: &str) -> String {
    format!(
        "type = \"dingtalk\"\nurl = \"{url}?access_token=${{env:ROBOT_TOKEN}}\"\nsecret = \"${{env:ROBOT_SECRET}}\"\nkeyword = \"registry\"\n{extra}"
    )
}

#[tokio::test]
async fn dingtalk_signed_messages_of_each_type_are_accepted() {
    for (message, msgtype) in [
        ("markdown", "markdown"),
        ("text", "text"),
        ("action_card", "actionCard"),
    ] {
        let robot_rx = Checker::start(dingtalk(ROBOT_SECRET, msgtype, "registry")).await;
        let config = robot(
            &robot_rx.url("/robot/send"),
            &format!("message = \"{message}\"\nat_mobiles = [\"13800000000\"]"),
        );
        let app = app_with(&config).await;
        let (status, body) = post(&app, fixture(PUSHED)).await;
        assert_eq!(status, 200, "{message}: {body}");
        let got = robot_rx.clean();
        assert_eq!(got.len(), 1, "{message}");
        assert_eq!(
            pair_state(&app, PUSHED_ID).await.0,
            DeliveryState::Delivered
        );
        let sent = got[0].json();
        if msgtype != "actionCard" {
            assert_eq!(sent["at"]["atMobiles"][0], "13800000000", "{sent}");
        }
    }
}

#[tokio::test]
async fn dingtalk_refusals_are_classified_by_errcode() {
    // A wrong secret: the robot says "sign not match" with HTTP 200 — permanent.
    let robot_rx = Checker::start(dingtalk("SECsomething-else", "markdown", "registry")).await;
    let app = app_with(&robot(&robot_rx.url("/robot/send"), "")).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dead_lettered"], 1, "{body}");
    assert_eq!(robot_rx.seen().len(), 1, "no retry of a permanent refusal");
    let (state, reason) = pair_state(&app, PUSHED_ID).await;
    assert_eq!(state, DeliveryState::DeadLettered);
    assert!(reason.unwrap().contains("310000"));

    // "Send too fast": retryable, after at least a minute — the sender is asked to retry.
    let busy = Checker::start(|_| ok(200, r#"{"errcode":130101,"errmsg":"send too fast"}"#)).await;
    let app = app_with(&robot(&busy.url("/robot/send"), "")).await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert!(status >= 500, "{status} {body}");
    assert_eq!(
        busy.seen().len(),
        1,
        "a minute's wait does not fit the request budget"
    );
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::FailedRetrying
    );
    let trace = app
        .pipeline
        .store()
        .trace(PUSHED_ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(trace.attempts[0].retry_after_secs, Some(60));
}

/// 25 events at once: 19 go alone, the rest arrive folded into one digest; none is lost.
#[tokio::test]
async fn dingtalk_burst_is_folded_into_a_digest() {
    let robot_rx = Checker::start(dingtalk(ROBOT_SECRET, "markdown", "registry")).await;
    let app = app_with(&robot(&robot_rx.url("/robot/send"), "")).await;
    let template: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    let batch: Vec<Value> = (0..25)
        .map(|i| {
            let mut event = template[0].clone();
            event["id"] = json!(format!("burst-{i}"));
            event["data"]["target"]["tag"] = json!(format!("b{i}"));
            event
        })
        .collect();
    let (status, body) = post(&app, serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let got = robot_rx.clean();
    assert_eq!(got.len(), 20, "19 single messages and one digest");
    let texts: Vec<String> = got
        .iter()
        .map(|r| r.json()["markdown"]["text"].as_str().unwrap().to_owned())
        .collect();
    for i in 0..25 {
        let reference = format!("aci-helloworld:b{i}");
        let carriers = texts
            .iter()
            .filter(|t| regrelay_tests::mentions(t, &reference))
            .count();
        assert_eq!(carriers, 1, "b{i} is in exactly one message");
        assert_eq!(
            pair_state(&app, &format!("burst-{i}")).await.0,
            DeliveryState::Delivered
        );
    }
    assert!(
        texts.iter().any(|t| t.contains("6 registry events")),
        "{texts:?}"
    );
}

/// Queued mode: the worker takes at most `target_concurrency` events of the robot at once; the
/// budget's 19 single messages go out, the rest fold into a digest on the reserved slot, and a
/// folded event that waits too long is rescheduled rather than holding its worker. Every event
/// is in exactly one message.
#[tokio::test]
async fn queued_dingtalk_burst_sends_within_the_budget_and_folds_the_rest() {
    let robot_rx = Checker::start(dingtalk(ROBOT_SECRET, "markdown", "registry")).await;
    let text = format!(
        "[store]\nkind = \"memory\"\n\n[delivery]\nmode = \"queued\"\nschedule = [\"1s\"]\n\n[[targets]]\nname = \"t\"\n{}\n\n[[rules]]\nname = \"all\"\nnotifications = [\"*:*\"]\ntargets = [\"t\"]\n",
        robot(&robot_rx.url("/robot/send"), "")
    );
    let app = App::with_config(Config::from_toml(&text, &secrets()).unwrap()).await;
    let template: Value = serde_json::from_slice(&fixture(PUSHED)).unwrap();
    let batch: Vec<Value> = (0..30)
        .map(|i| {
            let mut event = template[0].clone();
            event["id"] = json!(format!("queued-{i}"));
            event["data"]["target"]["tag"] = json!(format!("q{i}"));
            event
        })
        .collect();
    let (status, body) = post(&app, serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!((status, &body["queued"]), (200, &json!(30)), "{body}");
    for _ in 0..150 {
        let mut done = 0;
        for i in 0..30 {
            if pair_state(&app, &format!("queued-{i}")).await.0 == DeliveryState::Delivered {
                done += 1;
            }
        }
        if done == 30 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let got = robot_rx.clean();
    assert!(got.len() <= 20, "{} messages within a minute", got.len());
    let texts: Vec<String> = got
        .iter()
        .map(|r| r.json()["markdown"]["text"].as_str().unwrap().to_owned())
        .collect();
    for i in 0..30 {
        let carriers = texts
            .iter()
            .filter(|t| regrelay_tests::mentions(t, &format!("aci-helloworld:q{i}")))
            .count();
        assert_eq!(carriers, 1, "q{i} is in exactly one message: {texts:?}");
        assert_eq!(
            pair_state(&app, &format!("queued-{i}")).await.0,
            DeliveryState::Delivered,
            "q{i}"
        );
    }
}
