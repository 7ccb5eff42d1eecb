//! Teams and Slack, against receivers that check what the real service checks.

use super::*;
// ---------------------------------------------------------------------------------------------
// Teams and Slack.

#[tokio::test]
async fn teams_gets_an_adaptive_card() {
    let teams = Checker::start(|got| {
        let body = got.json();
        let card = &body["attachments"][0];
        let fine = body["type"] == "message"
            && card["contentType"] == "application/vnd.microsoft.card.adaptive"
            && card["contentUrl"].is_null()
            && card["content"]["type"] == "AdaptiveCard"
            && card["content"]["body"]
                .as_array()
                .is_some_and(|b| !b.is_empty());
        Verdict {
            status: if fine { 202 } else { 400 },
            body: String::new(),
            problem: (!fine).then(|| format!("not an adaptive card message: {body}")),
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"teams\"\nurl = \"{}\"",
        teams.url("/workflows/x")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(teams.clean().len(), 1);
}

#[tokio::test]
async fn slack_needs_ok_and_its_4xx_are_permanent() {
    let slack = Checker::start(|got| {
        let body = got.json();
        let fine = body["text"].as_str().is_some_and(|t| !t.is_empty())
            && body["blocks"][0]["text"]["type"] == "mrkdwn";
        if fine {
            ok(200, "ok")
        } else {
            Verdict {
                status: 400,
                body: "invalid_payload".into(),
                problem: Some(body.to_string()),
            }
        }
    })
    .await;
    let app = app_with(&format!(
        "type = \"slack\"\nurl = \"{}\"",
        slack.url("/services/T/B/C")
    ))
    .await;
    assert_eq!(post(&app, fixture(PUSHED)).await.0, 200);
    assert_eq!(slack.clean().len(), 1);
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::Delivered
    );

    let archived = Checker::start(|_| ok(410, "channel_is_archived")).await;
    let app = app_with(&format!(
        "type = \"slack\"\nurl = \"{}\"",
        archived.url("/services/T/B/C")
    ))
    .await;
    let (status, body) = post(&app, fixture(PUSHED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        pair_state(&app, PUSHED_ID).await.0,
        DeliveryState::DeadLettered
    );
    assert_eq!(archived.seen().len(), 1);
}
