//! The ledger: claims as one conditional `UpdateItem`, attempts and state changes as atomic
//! updates of the pair item (the attempt counter is incremented by DynamoDB, not read and written).

use serde_json::json;

use super::DynamoDbStore;
use super::client::CallError;
use super::item::{self, get_n, n, s};
use crate::common::Attempt;
use crate::store::remote::{MAX_RACES, backend, to_json};
use crate::store::{Claim, DeliveryState, StoreError, decide_claim};

impl DynamoDbStore {
    pub(crate) async fn claim(
        &self,
        event_id: &str,
        target: &str,
        now: i64,
        until: i64,
    ) -> Result<Claim, StoreError> {
        let sk = item::pair_sk(target);
        let body = item::update(
            &self.table,
            event_id,
            &sk,
            "SET #ls = :until, #st = if_not_exists(#st, :pending), #at = if_not_exists(#at, :zero), #ex = if_not_exists(#ex, :exp) \
             IF attribute_not_exists(pk) OR (#st <> :delivered AND #st <> :skipped AND #st <> :dead AND #st <> :folded \
             AND (attribute_not_exists(#ls) OR #ls <= :now))",
            vec![
                (":until", n(until)),
                (":now", n(now)),
                (":pending", s(DeliveryState::Pending.as_str())),
                (":delivered", s(DeliveryState::Delivered.as_str())),
                (":skipped", s(DeliveryState::SkippedDuplicate.as_str())),
                (":dead", s(DeliveryState::DeadLettered.as_str())),
                (":folded", s(DeliveryState::Folded.as_str())),
                (":zero", n(0)),
                (":exp", n(self.expiry_from_now())),
            ],
        );
        for _ in 0..MAX_RACES {
            let old = match self.client.call("UpdateItem", &body).await {
                Ok(reply) => {
                    let attempts = reply
                        .get("Attributes")
                        .and_then(|a| get_n(a, "attempts"))
                        .unwrap_or(0);
                    return Ok(Claim::Acquired {
                        attempts: u32::try_from(attempts).unwrap_or(0),
                        token: until,
                    });
                }
                Err(CallError::ConditionFailed(Some(old))) => Some(old),
                Err(CallError::ConditionFailed(None)) => self.get(event_id, &sk).await?,
                Err(CallError::Store(e)) => return Err(e),
            };
            if let Some(old) = old {
                let (pair, lease) = item::pair_of(&old);
                if let Some(claim) = decide_claim(Some(&pair), lease, now) {
                    return Ok(claim);
                }
            }
            // The pair changed between the write and the read: try again.
        }
        Err(backend(format!(
            "pair ({event_id}, {target}) kept changing: gave up after {MAX_RACES} tries"
        )))
    }

    pub(crate) async fn record_attempt(
        &self,
        event_id: &str,
        attempt: &Attempt,
        state: DeliveryState,
        release: bool,
        fence: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut set = "SET #st = :state, #at = if_not_exists(#at, :zero) + :one, #ex = if_not_exists(#ex, :exp)".to_owned();
        let mut remove = Vec::new();
        match &attempt.error {
            Some(_) => set.push_str(", #rs = :reason"),
            None => remove.push("#rs"),
        }
        if release {
            remove.push("#ls");
        }
        if !remove.is_empty() {
            set.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        if fence.is_some() {
            set.push_str(" IF #ls = :token");
        }
        let expires = self.expiry_from_now();
        let body = item::update(
            &self.table,
            event_id,
            &item::pair_sk(&attempt.target),
            &set,
            vec![
                (":state", s(state.as_str())),
                (":zero", n(0)),
                (":one", n(1)),
                (":exp", n(expires)),
                (":reason", s(attempt.error.as_deref().unwrap_or(""))),
                (":token", n(fence.unwrap_or_default())),
            ],
        );
        let reply = match self.client.call("UpdateItem", &body).await {
            Ok(reply) => reply,
            Err(CallError::ConditionFailed(_)) => {
                tracing::warn!(target = %attempt.target, "A late attempt from an expired claim was not recorded.");
                return Ok(false);
            }
            Err(CallError::Store(e)) => return Err(e),
        };
        let seq = reply
            .get("Attributes")
            .and_then(|a| get_n(a, "attempts"))
            .unwrap_or(0);
        self.put(json!({
            "pk": s(event_id), "sk": s(&item::attempt_sk(&attempt.target, seq)),
            "json": s(&to_json(attempt)?), "expires_at": n(expires)
        }))
        .await
        .map(|()| true)
    }

    pub(crate) async fn set_state(
        &self,
        event_id: &str,
        target: &str,
        state: DeliveryState,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let expression = match reason {
            Some(_) => {
                "SET #st = :state, #rs = :reason, #at = if_not_exists(#at, :zero), #ex = if_not_exists(#ex, :exp) REMOVE #ls"
            }
            None => {
                "SET #st = :state, #at = if_not_exists(#at, :zero), #ex = if_not_exists(#ex, :exp) REMOVE #ls, #rs"
            }
        };
        let body = item::update(
            &self.table,
            event_id,
            &item::pair_sk(target),
            expression,
            vec![
                (":state", s(state.as_str())),
                (":reason", s(reason.unwrap_or(""))),
                (":zero", n(0)),
                (":exp", n(self.expiry_from_now())),
            ],
        );
        self.client.call("UpdateItem", &body).await?;
        Ok(())
    }
}
