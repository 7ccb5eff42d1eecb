//! What the soak's instances share: one SQLite file, or a remote store and platform queue.

use std::time::Duration;

/// The store and queue the instances share.
#[derive(Debug, Clone)]
pub enum Shared {
    /// One SQLite file (its local queue).
    Sqlite,
    /// An Azure table and Storage queue (Azurite): connection string, table, queue.
    Azure {
        /// Connection string with TableEndpoint and QueueEndpoint.
        connection: String,
        /// Table name (created on first use).
        table: String,
        /// Queue name (created on first use).
        queue: String,
    },
    /// A DynamoDB table and an SQS queue (moto), both created beforehand.
    Aws {
        /// moto's endpoint.
        endpoint: String,
        /// Table name.
        table: String,
        /// Queue URL.
        queue_url: String,
    },
}

impl Shared {
    /// The `[store]` and `[queue]` sections.
    pub(super) fn sections(&self, dir: &std::path::Path) -> String {
        match self {
            Shared::Sqlite => format!(
                "[store]\nkind = \"sqlite\"\npath = \"{}\"\n\n",
                dir.join("soak.db").display()
            ),
            Shared::Azure {
                connection,
                table,
                queue,
            } => format!(
                "[store]\nkind = \"azure_table\"\nconnection_string = \"{connection}\"\ntable = \"{table}\"\n\n[queue]\nkind = \"azure_queue\"\nconnection_string = \"{connection}\"\nname = \"{queue}\"\n\n"
            ),
            Shared::Aws {
                endpoint,
                table,
                queue_url,
            } => format!(
                "[store]\nkind = \"dynamodb\"\ntable = \"{table}\"\nregion = \"us-east-1\"\nendpoint = \"{endpoint}\"\n\n[queue]\nkind = \"sqs\"\nurl = \"{queue_url}\"\nregion = \"us-east-1\"\nendpoint = \"{endpoint}\"\n\n"
            ),
        }
    }

    /// The environment every instance needs (AWS credentials for moto).
    pub(super) fn env(&self) -> Vec<(String, String)> {
        match self {
            Shared::Aws { .. } => [
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
            _ => Vec::new(),
        }
    }

    pub(super) fn store(&self, dir: &std::path::Path) -> Option<regrelay_core::Store> {
        use regrelay_core::{AwsCredentials, Secret, StoreConfig};
        let config = match self {
            Shared::Sqlite => StoreConfig::Sqlite {
                path: dir.join("soak.db").display().to_string(),
            },
            Shared::Azure {
                connection, table, ..
            } => StoreConfig::AzureTable {
                connection_string: Secret::new(connection.clone()),
                table: table.clone(),
            },
            Shared::Aws {
                endpoint, table, ..
            } => StoreConfig::DynamoDb {
                table: table.clone(),
                region: "us-east-1".into(),
                endpoint: Some(endpoint.clone()),
                credentials: Some(AwsCredentials {
                    access_key_id: Secret::new("testing"),
                    secret_access_key: Secret::new("testing"),
                    session_token: None,
                }),
                retention: Duration::from_secs(86_400),
            },
        };
        regrelay_core::Store::open(&config).ok()
    }
}
