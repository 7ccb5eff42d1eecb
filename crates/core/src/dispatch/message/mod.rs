//! Chat messages from templates: one language (minijinja) for every chat target, built-in
//! templates per target style, and an operator's own template checked when the config loads.
//!
//! Each template is compiled once per [`Syntax`] (`<name>.<suffix>`), and every value it prints
//! is escaped for that syntax (`escape`), so event fields cannot inject markup into a message.

pub mod defaults;
pub mod escape;
mod limits;
pub mod view;

use std::fmt;
use std::sync::{Arc, OnceLock};

use minijinja::Environment;

pub use escape::Syntax;
pub use view::View;

use crate::event::{Action, RegistryEvent};
use limits::{FUEL, bounded_render, no_repetition};

/// Name of an operator's template inside the environment.
const CUSTOM: &str = "custom";

/// Why a template could not be compiled or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The template's syntax is wrong.
    #[error("template does not compile: {0}")]
    Syntax(#[source] minijinja::Error),
    /// The template uses what regrelay does not allow in templates.
    #[error("template not allowed: {0}")]
    Refused(String),
    /// The template compiles but fails on a sample event (unknown filter, bad expression).
    #[error("template fails on a sample {action} event: {source}")]
    Sample {
        /// The sample's action.
        action: &'static str,
        /// The cause.
        #[source]
        source: minijinja::Error,
    },
    /// Rendering failed at delivery time.
    #[error("template could not render: {0}")]
    Render(#[source] minijinja::Error),
}

/// The built-in template a target style uses for its main text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One plain line.
    Title,
    /// Plain text.
    Text,
    /// Markdown.
    Markdown,
    /// Slack `mrkdwn`.
    Slack,
    /// One sentence per event kind.
    Summary,
}

impl Style {
    /// The built-in template's name.
    pub fn name(self) -> &'static str {
        match self {
            Style::Title => "title",
            Style::Text => "text",
            Style::Markdown => "markdown",
            Style::Slack => "slack",
            Style::Summary => "summary",
        }
    }
}

/// Compiled templates for one target: the built-ins plus the operator's own, if any.
#[derive(Clone)]
pub struct Messages {
    env: Arc<Environment<'static>>,
    custom: bool,
}

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("custom", &self.custom)
            .finish()
    }
}

impl Messages {
    /// The built-ins (compiled once per process, checked by this module's tests) plus `custom`,
    /// compiled and rendered against a sample event of every kind so that mistakes surface at
    /// load, not at the first delivery.
    pub fn new(custom: Option<&str>) -> Result<Messages, TemplateError> {
        static BUILT_INS: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
        let base = BUILT_INS.get_or_init(|| base_environment().map_err(|e| e.to_string()));
        let mut env = match base {
            Ok(env) => env.clone(),
            // Built-ins that do not compile are a bug the unit tests catch; say so plainly.
            Err(_) => base_environment().map_err(TemplateError::Syntax)?,
        };
        if let Some(source) = custom {
            no_repetition(source).map_err(TemplateError::Refused)?;
            add_each_syntax(&mut env, CUSTOM, source).map_err(TemplateError::Syntax)?;
        }
        let messages = Messages {
            env: Arc::new(env),
            custom: custom.is_some(),
        };
        if !messages.custom {
            return Ok(messages);
        }
        // One syntax is enough: the syntaxes differ only in how printed values are escaped,
        // which cannot fail; every template error shows in any of them.
        for event in samples() {
            let view = View::of(&event);
            messages
                .render_named(CUSTOM, Syntax::Markdown, &view)
                .map_err(|source| TemplateError::Sample {
                    action: event.action.as_str(),
                    source,
                })?;
        }
        Ok(messages)
    }

    /// The target's main text in `syntax`: the operator's template if set, else the built-in
    /// `style`.
    pub fn body(&self, style: Style, syntax: Syntax, view: &View) -> Result<String, TemplateError> {
        let name = if self.custom { CUSTOM } else { style.name() };
        self.render_named(name, syntax, view)
            .map_err(TemplateError::Render)
    }

    /// A built-in template in `syntax`, whatever the operator set.
    pub fn builtin(
        &self,
        style: Style,
        syntax: Syntax,
        view: &View,
    ) -> Result<String, TemplateError> {
        self.render_named(style.name(), syntax, view)
            .map_err(TemplateError::Render)
    }

    /// The digest of events folded by a rate limiter (markdown).
    pub fn digest(&self, events: &[RegistryEvent]) -> Result<String, TemplateError> {
        let views: Vec<View> = events.iter().map(View::of).collect();
        let name = format!("digest.{}", Syntax::Markdown.suffix());
        let template = self
            .env
            .get_template(&name)
            .map_err(TemplateError::Render)?;
        bounded_render(&template, minijinja::context! { events => views })
            .map_err(TemplateError::Render)
    }

    fn render_named(
        &self,
        name: &str,
        syntax: Syntax,
        view: &View,
    ) -> Result<String, minijinja::Error> {
        let template = self
            .env
            .get_template(&format!("{name}.{}", syntax.suffix()))?;
        bounded_render(&template, view)
    }
}

fn base_environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_auto_escape_callback(escape::auto_escape);
    env.set_formatter(escape::format);
    // `{% include "summary" %}` inside `markdown.md` means `summary.md`.
    env.set_path_join_callback(|name, parent| match parent.rsplit_once('.') {
        Some((_, suffix)) if !name.contains('.') => format!("{name}.{suffix}").into(),
        _ => name.into(),
    });
    env.add_filter("mrkdwn", escape::mrkdwn);
    env.add_filter("code", escape::code);
    env.add_filter("short_digest", |digest: String| view::short_digest(&digest));
    for (name, source) in [
        ("title", defaults::TITLE),
        ("text", defaults::TEXT),
        ("markdown", defaults::MARKDOWN),
        ("slack", defaults::SLACK),
        ("summary", defaults::SUMMARY),
        ("digest", defaults::DIGEST),
    ] {
        add_each_syntax(&mut env, name, source)?;
    }
    Ok(env)
}

/// Compiles `source` once per syntax, as `<name>.<suffix>`.
fn add_each_syntax(
    env: &mut Environment<'static>,
    name: &str,
    source: &str,
) -> Result<(), minijinja::Error> {
    for syntax in Syntax::ALL {
        env.add_template_owned(format!("{name}.{}", syntax.suffix()), source.to_owned())?;
    }
    Ok(())
}

/// One fully populated event per action, for checking templates at load.
fn samples() -> Vec<RegistryEvent> {
    let base = RegistryEvent {
        sender_action: Some("push".into()),
        registry: Some("sample.azurecr.io".into()),
        repository: Some("team/app".into()),
        tag: Some("v1".into()),
        digest: Some("sha256:0123456789abcdef".into()),
        media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        size: Some(1),
        connected_registry: Some("edge".into()),
        time: Some("2024-01-01T00:00:00Z".into()),
        time_raw: Some("2024-01-01T00:00:00Z".into()),
        source: Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/sample".into()),
        subject: Some("team/app:v1".into()),
        chart: Some(crate::event::Chart { name: Some("app".into()), version: Some("1.0.0".into()) }),
        actor: Some("someone".into()),
        ..RegistryEvent::new("sample", "Microsoft.ContainerRegistry.ImagePushed", Action::Push, crate::event::Schema::EventGrid)
    };
    [
        (Action::Push, "ImagePushed"),
        (Action::Delete, "ImageDeleted"),
        (Action::ChartPush, "ChartPushed"),
        (Action::ChartDelete, "ChartDeleted"),
    ]
    .into_iter()
    .map(|(action, name)| RegistryEvent {
        action,
        event_type: format!("Microsoft.ContainerRegistry.{name}"),
        ..base.clone()
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_render_every_sample() {
        let messages = Messages::new(None).unwrap();
        let view = View::of(&samples()[0]);
        let text = messages
            .body(Style::Markdown, Syntax::Markdown, &view)
            .unwrap();
        assert!(text.starts_with("### Image pushed: team/app:v1"), "{text}");
        assert!(text.contains("- Digest: 0123456789ab"), "{text}");
    }

    #[test]
    fn a_coalesced_push_names_its_platforms_in_every_style() {
        let messages = Messages::new(None).unwrap();
        let platform = |arch: &str, digest: &str| crate::event::Platform {
            os: Some("linux".into()),
            architecture: Some(arch.into()),
            variant: None,
            digest: digest.into(),
        };
        let mut event = samples().remove(0);
        event.platforms = vec![platform("amd64", "sha256:a"), platform("arm64", "sha256:b")];
        event.attestations = vec!["sha256:c".into()];
        let view = View::of(&event);
        for style in [Style::Text, Style::Markdown, Style::Slack] {
            let text = messages.body(style, Syntax::Markdown, &view).unwrap();
            // Printed through the syntax's escaping like every event field.
            assert!(
                text.contains("Platforms")
                    && text.contains("linux/amd64, linux/arm64, ")
                    && text.contains("1 attestation"),
                "{style:?}: {text}"
            );
        }
    }

    #[test]
    fn built_ins_render_every_sample_in_every_syntax() {
        let messages = Messages::new(None).unwrap();
        for event in samples() {
            let view = View::of(&event);
            for style in [
                Style::Title,
                Style::Text,
                Style::Markdown,
                Style::Slack,
                Style::Summary,
            ] {
                for syntax in Syntax::ALL {
                    let text = messages.builtin(style, syntax, &view).unwrap();
                    assert!(
                        !text.is_empty(),
                        "{} {style:?} {syntax:?}",
                        event.action.as_str()
                    );
                }
            }
        }
        let digest = messages.digest(&samples()).unwrap();
        assert!(digest.contains("4 registry events"), "{digest}");
    }

    #[test]
    fn repetition_is_refused_and_endless_loops_run_out_of_fuel() {
        for source in [
            "{{555555555555454*()}}",
            "{% set x = [1] * 9 %}",
            "{{ a *b }}",
        ] {
            let error = Messages::new(Some(source)).unwrap_err();
            assert!(
                matches!(error, TemplateError::Refused(_)),
                "{source}: {error}"
            );
        }
        for fine in [
            "{{ 2 ** 8 }}",
            "{{ '*' }} {# * #} * {{ \"a*b\" }}",
            "{{ 'it\\'s *' }}",
        ] {
            assert!(Messages::new(Some(fine)).is_ok(), "{fine}");
        }
        let endless =
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
        let error = Messages::new(Some(endless)).unwrap_err();
        assert!(error.to_string().contains("fuel"), "{error}");
    }

    #[test]
    fn output_is_bounded_and_a_full_digest_fits_the_fuel() {
        let doubling = "{% set a = a ~ a %}".repeat(15);
        let growing = format!("{{% set a = 'xxxxxxxxxxxxxxxx' %}}{doubling}{{{{ a }}}}");
        let error = Messages::new(Some(&growing)).unwrap_err();
        assert!(
            error.to_string().contains("failed to write output"),
            "{error}"
        );
        // The DingTalk budget can fold up to its whole queue (1000 events) into one digest.
        let messages = Messages::new(None).unwrap();
        let many: Vec<RegistryEvent> = samples().into_iter().cycle().take(1000).collect();
        let digest = messages.digest(&many).unwrap();
        assert!(digest.contains("1000 registry events"), "{digest}");
    }

    #[test]
    fn bad_templates_fail_at_load() {
        let syntax = Messages::new(Some("{{ oops")).unwrap_err();
        assert!(matches!(syntax, TemplateError::Syntax(_)), "{syntax}");
        let filter = Messages::new(Some("{{ reference|no_such_filter }}")).unwrap_err();
        assert!(filter.to_string().contains("unknown filter"), "{filter}");
        let fine = Messages::new(Some("{{ reference }} {{ event.size }}")).unwrap();
        let view = View::of(&samples()[1]);
        assert_eq!(
            fine.body(Style::Text, Syntax::Plain, &view).unwrap(),
            "team/app:v1 1"
        );
    }
}
