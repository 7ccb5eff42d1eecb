//! The built-in templates (minijinja, with `trim_blocks` and `lstrip_blocks` on). Each reads a
//! [`super::View`]; absent values are undefined and guarded with `{% if %}`. Every printed value
//! is escaped for the message's syntax (see `escape`); the markdown templates use no code spans
//! (DingTalk renders none), Slack's print through the `code` filter, and only the links regrelay
//! derives itself are printed `|safe`.

/// One line, plain text: message titles and notification previews.
pub const TITLE: &str = "{{ kind }}: {{ reference }}";

/// Plain text: DingTalk `text` messages and Slack's notification fallback.
pub const TEXT: &str = r#"[{{ kind }}] {{ reference }}
{% if registry %}Registry: {{ registry }}
{% endif %}
{% if connected_registry %}Connected registry: {{ connected_registry }}
{% endif %}
{% if chart %}Chart: {{ chart }}
{% endif %}
{% if short_digest %}Digest: {{ short_digest }}
{% endif %}
{% if platforms %}Platforms: {{ platforms }}
{% endif %}
{% if time %}Time: {{ time }}
{% endif %}
{% if link %}{{ link|safe }}
{% endif %}"#;

/// Markdown: DingTalk `markdown`/`actionCard` messages and the Teams card's text.
pub const MARKDOWN: &str = r#"### {{ kind }}: {{ reference }}

{% include "summary" %}

{% if registry %}- Registry: **{{ registry }}**
{% endif %}
{% if connected_registry %}- Connected registry: **{{ connected_registry }}**
{% endif %}
{% if chart %}- Chart: {{ chart }}
{% endif %}
{% if short_digest %}- Digest: {{ short_digest }}
{% endif %}
{% if platforms %}- Platforms: {{ platforms }}
{% endif %}
{% if time %}- Time: {{ time }}
{% endif %}
{% if actor %}- By: {{ actor }}
{% endif %}
{% if link %}

[Open in the Azure portal]({{ link|safe }})
{% endif %}"#;

/// Slack `mrkdwn`.
pub const SLACK: &str = r#"*{{ kind }}*: `{{ reference|code }}`
{% if registry %}*Registry:* {{ registry }}
{% endif %}
{% if connected_registry %}*Connected registry:* {{ connected_registry }}
{% endif %}
{% if chart %}*Chart:* {{ chart }}
{% endif %}
{% if short_digest %}*Digest:* `{{ short_digest|code }}`
{% endif %}
{% if platforms %}*Platforms:* {{ platforms }}
{% endif %}
{% if time %}*Time:* {{ time }}
{% endif %}
{% if link %}<{{ link|safe }}|Open in the Azure portal>
{% endif %}"#;

/// One sentence per event kind, included by the markdown template.
pub const SUMMARY: &str = r#"{% if action == "push" %}
**{{ reference }}** was pushed{% if registry %} to {{ registry }}{% endif %}.
{% elif action == "delete" %}
**{{ reference }}** was deleted{% if registry %} from {{ registry }}{% endif %}.
{% elif action == "chart_push" %}
Helm chart {{ chart or reference }} was pushed{% if registry %} to {{ registry }}{% endif %}.
{% elif action == "chart_delete" %}
Helm chart {{ chart or reference }} was deleted{% if registry %} from {{ registry }}{% endif %}.
{% else %}
{{ kind }} for **{{ reference }}**.
{% endif %}"#;

/// Markdown listing of events folded into one DingTalk message by the rate limiter.
pub const DIGEST: &str = r#"### {{ events|length }} registry events

{% for e in events %}
- **{{ e.kind }}** {{ e.reference }}{% if e.registry %} on {{ e.registry }}{% endif %}{% if e.time %}, {{ e.time }}{% endif %} (id {{ e.id }})
{% endfor %}

Folded into one message to stay within the robot's limit of 20 messages a minute."#;
