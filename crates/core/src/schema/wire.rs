//! The envelope as it arrives on the wire, decoded into borrowed, typed fields.
//!
//! One struct covers both envelopes we accept in JSON: the Event Grid schema (`eventType`,
//! `eventTime`, `topic`, `dataVersion`) and CloudEvents 1.0 (`specversion`, `type`, `time`,
//! `source`). Their field names do not overlap except `id`, `subject` and `data`, so a mixed or
//! unlabelled batch is decoded in one pass and each event says which schema it is in. Strings
//! borrow from the request body unless they contain escapes. Unknown fields are skipped.

use std::borrow::Cow;

use serde::Deserialize;

use super::acr::AcrData;
use super::lenient::Text;
use crate::event::Schema;

/// One event envelope in either JSON schema.
#[derive(Debug, Default, Deserialize)]
pub struct WireEvent<'a> {
    /// Event id (both schemas).
    #[serde(borrow, default)]
    pub id: Text<'a>,
    /// Event subject (both schemas).
    #[serde(borrow, default)]
    pub subject: Text<'a>,
    /// Event payload (both schemas).
    #[serde(borrow, default)]
    pub data: Data<'a>,

    /// Event Grid: full resource path of the publisher.
    #[serde(borrow, default)]
    pub topic: Text<'a>,
    /// Event Grid: event type.
    #[serde(borrow, default, rename = "eventType")]
    pub event_type: Text<'a>,
    /// Event Grid: event time.
    #[serde(borrow, default, rename = "eventTime")]
    pub event_time: Text<'a>,
    /// Event Grid: schema version of `data`.
    #[serde(borrow, default, rename = "dataVersion")]
    pub data_version: Text<'a>,
    /// Event Grid: schema version of the envelope.
    #[serde(borrow, default, rename = "metadataVersion")]
    pub metadata_version: Text<'a>,

    /// CloudEvents: spec version (`1.0`).
    #[serde(borrow, default)]
    pub specversion: Text<'a>,
    /// CloudEvents: event type.
    #[serde(borrow, default, rename = "type")]
    pub ce_type: Text<'a>,
    /// CloudEvents: event source.
    #[serde(borrow, default)]
    pub source: Text<'a>,
    /// CloudEvents: event time.
    #[serde(borrow, default)]
    pub time: Text<'a>,
    /// CloudEvents: media type of `data`.
    #[serde(borrow, default)]
    pub datacontenttype: Text<'a>,
}

impl<'a> WireEvent<'a> {
    /// Which schema this envelope is in, if it is recognizably either.
    ///
    /// `specversion` marks a CloudEvent; `eventType` an Event Grid event.
    pub fn schema(&self) -> Option<Schema> {
        if self.specversion.is_some() {
            Some(Schema::Cloudevents)
        } else if self.event_type.is_some() {
            Some(Schema::EventGrid)
        } else {
            None
        }
    }

    /// The event type in whichever schema the event uses.
    pub fn kind(&self) -> Option<&str> {
        self.event_type.as_deref().or(self.ce_type.as_deref())
    }

    /// The envelope time in whichever schema the event uses.
    pub fn envelope_time(&self) -> Option<&str> {
        self.event_time.as_deref().or(self.time.as_deref())
    }

    /// The publisher path: Event Grid `topic` or CloudEvents `source`.
    pub fn origin(&self) -> Option<&str> {
        self.topic.as_deref().or(self.source.as_deref())
    }

    /// The registry data object, when `data` is one.
    pub fn acr(&self) -> Option<&AcrData<'a>> {
        match &self.data {
            Data::Object(data) => Some(data),
            _ => None,
        }
    }
}

/// The `data` member: an object (decoded as registry data), a string (kept: some senders
/// double-encode JSON), or anything else (ignored).
#[derive(Debug, Default)]
pub enum Data<'a> {
    /// `data` was an object.
    Object(Box<AcrData<'a>>),
    /// `data` was a string.
    Text(Cow<'a, str>),
    /// `data` was absent, null, or of another shape.
    #[default]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> serde::de::Visitor<'de> for DataVisitor {
    type Value = Data<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("event data")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let de = serde::de::value::MapAccessDeserializer::new(map);
        AcrData::deserialize(de).map(|d| Data::Object(Box::new(d)))
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Data::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Data::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Data::Other)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Data::Other)
    }
}
